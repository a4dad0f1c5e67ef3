import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVERTISED_API_VERSIONS, API_MODULES, API_MODULES_BY_KEY, API_NAME_BY_KEY, isImplementedVersion } from './index.ts';

test('api table advertises exactly the spec §1 set, every key from version 0', () => {
  assert.deepEqual(
    ADVERTISED_API_VERSIONS.map((k) => [k.apiKey, k.minVersion, k.maxVersion]),
    [
      [0, 0, 3], [1, 0, 4], [2, 0, 2], [3, 0, 4], [8, 0, 2], [9, 0, 3], [10, 0, 1], [11, 0, 1], [12, 0, 0], [13, 0, 0],
      [14, 0, 0], [15, 0, 0], [16, 0, 0], [18, 0, 2], [19, 0, 0], [20, 0, 0], [22, 0, 0], [24, 0, 0], [25, 0, 0], [26, 0, 0], [28, 0, 0],
    ],
  );
});

test('api table maps every key to its module and name', () => {
  assert.equal(API_MODULES_BY_KEY.size, Object.keys(API_MODULES).length);
  assert.equal(API_MODULES_BY_KEY.get(1), API_MODULES.fetch);
  assert.equal(API_NAME_BY_KEY.get(28), 'txnOffsetCommit');
  assert.equal(API_MODULES_BY_KEY.get(17), undefined, 'SASL is never advertised');
});

test('api table implements only the max version, except ApiVersions 0 to 2', () => {
  assert.equal(isImplementedVersion(0, 3), true);
  assert.equal(isImplementedVersion(0, 2), false);
  assert.equal(isImplementedVersion(1, 11), false);
  assert.equal(isImplementedVersion(18, 0), true);
  assert.equal(isImplementedVersion(18, 1), true);
  assert.equal(isImplementedVersion(18, 3), false);
  assert.equal(isImplementedVersion(32, 0), false);
});
