import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../lib/logger.ts';
import { encodeKey } from './records.ts';
import { RegistryError } from './errors.ts';
import { RegistryService } from './service.ts';
import { RegistryState } from './state.ts';
import { BASE, MemoryLogBus, recordSchema } from './test-support.ts';

const logger = createLogger({ level: 'silent' });
const X = recordSchema([{ name: 'id', type: 'string' }]);
const Y = recordSchema([{ name: 'id', type: 'string' }, { name: 'note', type: 'string', default: '' }]);

function instance(bus: MemoryLogBus) {
  const state = new RegistryState();
  const log = bus.open((key, value) => state.applyRaw(key, value));
  return { state, log, service: new RegistryService(state, log, logger) };
}

function snapshot(state: RegistryState): unknown {
  return state.subjectNames(true).map((s) => state.versions(s, true).map((v) => [v.subject, v.version, v.id, v.schema, v.deleted]));
}

test('an instance that lost a race retries and every instance ends with the same ids', async () => {
  const bus = new MemoryLogBus();
  const a = instance(bus);
  const b = instance(bus);
  assert.deepEqual(await a.service.register('s', { schema: X }), { id: 1 });
  // b has not read a's record: it writes version 1 / id 1 for Y, loses, withdraws, and retries.
  assert.deepEqual(await b.service.register('s', { schema: Y }), { id: 2 });
  a.log.sync();
  b.log.sync();
  assert.deepEqual(snapshot(a.state), snapshot(b.state));
  assert.deepEqual(a.state.versions('s').map((v) => [v.version, v.id]), [[1, 1], [2, 2]]);
  // The loser's record and its tombstone stay in the log; a fresh replay agrees as well.
  const c = instance(bus);
  c.log.sync();
  assert.deepEqual(snapshot(c.state), snapshot(a.state));
  assert.equal(bus.records.filter((r) => r.value === null).length, 1, 'one withdrawn record');
});

test('the same schema under two subjects gets one id, and registering it again is a no-op', async () => {
  const bus = new MemoryLogBus();
  const a = instance(bus);
  const first = await a.service.register('one', { schema: BASE });
  const again = await a.service.register('one', { schema: ` ${BASE} ` });
  const other = await a.service.register('two', { schema: BASE });
  assert.equal(first.id, again.id);
  assert.equal(first.id, other.id);
  assert.equal(bus.records.length, 2, 'the repeat wrote nothing');
});

test('replay ignores a record whose id already names another schema, in every replica', () => {
  const records = [
    { key: encodeKey({ keytype: 'SCHEMA', subject: 'a', version: 1, magic: 1, id: 1, writer: 'w1' }), value: JSON.stringify({ subject: 'a', version: 1, id: 1, schema: X, deleted: false }) },
    { key: encodeKey({ keytype: 'SCHEMA', subject: 'b', version: 1, magic: 1, id: 1, writer: 'w2' }), value: JSON.stringify({ subject: 'b', version: 1, id: 1, schema: Y, deleted: false }) },
    { key: 'not json', value: '{}' },
    { key: encodeKey({ keytype: 'CONFIG', subject: null, magic: 0 }), value: JSON.stringify({ compatibilityLevel: 'FULL' }) },
  ];
  const outcomes = [];
  const state = new RegistryState();
  for (const r of records) outcomes.push(state.applyRaw(r.key, r.value));
  assert.deepEqual(outcomes, ['accepted', 'ignored', 'skipped', 'accepted']);
  assert.deepEqual(state.subjectNames(), ['a']);
  assert.equal(state.globalCompatibility(), 'FULL');
});

test('soft-deleting a subject hides its versions, keeps ids, and a new registration continues the numbering', async () => {
  const bus = new MemoryLogBus();
  const a = instance(bus);
  const { id } = await a.service.register('s', { schema: X });
  assert.deepEqual(await a.service.deleteSubject('s'), [1]);
  assert.deepEqual(a.service.subjects(false), []);
  assert.deepEqual(a.service.subjects(true), ['s']);
  assert.equal(a.service.schemaById(id), a.state.versions('s', true)[0]?.schema);
  assert.throws(() => a.service.version('s', 'latest'), (err: unknown) => err instanceof RegistryError && err.errorCode === 40401);
  assert.deepEqual(await a.service.register('s', { schema: X }), { id });
  assert.deepEqual(a.service.versionNumbers('s', false), [2]);
  const replica = instance(bus);
  replica.log.sync();
  assert.deepEqual(snapshot(replica.state), snapshot(a.state));
});
