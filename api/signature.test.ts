import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { canonicalString, parseSignatureHeader, sign, signatureHeaders, signatureMatches } from './signature.ts';

const parts = { timestamp: '1700000000', nonce: 'n0nce-0123456789ab', method: 'post', pathWithQuery: '/v1/payments?x=1', body: '{"a":1}' };

test('the canonical string is timestamp, nonce, METHOD, path with query and the body digest on lines', () => {
  const digest = createHash('sha256').update('{"a":1}').digest('hex');
  assert.equal(canonicalString(parts), `1700000000\nn0nce-0123456789ab\nPOST\n/v1/payments?x=1\n${digest}`);
  assert.equal(sign('secret', parts), createHmac('sha256', 'secret').update(canonicalString(parts)).digest('hex'));
});

test('a signature matches only its own parts and secret', () => {
  const header = signatureHeaders('pk_1', 'secret', parts)['x-paystream-signature'] ?? '';
  const presented = parseSignatureHeader(header);
  assert.ok(presented !== undefined);
  assert.ok(signatureMatches('secret', parts, presented));
  assert.ok(!signatureMatches('other', parts, presented));
  for (const change of [{ timestamp: '1700000001' }, { nonce: 'n0nce-0123456789ac' }, { method: 'GET' }, { pathWithQuery: '/v1/payments?x=2' }, { body: '{"a":2}' }]) {
    assert.ok(!signatureMatches('secret', { ...parts, ...change }, presented), JSON.stringify(change));
  }
});

test('malformed signature headers are refused', () => {
  for (const value of ['', 'v1=', 'v2=' + 'a'.repeat(64), 'v1=' + 'A'.repeat(64), 'v1=' + 'a'.repeat(63), 'v1=' + 'a'.repeat(65), ' v1=' + 'a'.repeat(64)]) {
    assert.equal(parseSignatureHeader(value), undefined, value);
  }
});
