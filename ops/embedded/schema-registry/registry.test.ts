import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../lib/logger.ts';
import { Scope, startTestBroker, uniqueName } from '../../../test/helpers/kafkajs.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { startSchemaRegistry, type RunningSchemaRegistry } from './index.ts';
import { BASE, call, EVOLUTIONS, LEVEL_EXPECTATIONS, recordSchema } from './test-support.ts';

const logger = createLogger({ level: 'silent' });

async function registry(scope: Scope, bootstrap: string, topic?: string): Promise<RunningSchemaRegistry> {
  const running = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, ...(topic === undefined ? {} : { topic }) });
  scope.defer('close registry', () => running.close());
  return running;
}

test('registry registers, looks up and serves schemas in the Confluent format', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const { url } = await registry(scope, bootstrap);
  const first = await call(url, 'POST', '/subjects/orders-value/versions', { schema: BASE });
  assert.deepEqual(first, { status: 200, body: { id: 1 } });
  assert.deepEqual((await call(url, 'POST', '/subjects/orders-value/versions', { schema: BASE, schemaType: 'AVRO' })).body, { id: 1 }, 'same schema, same id');
  assert.deepEqual((await call(url, 'POST', '/subjects/payments-value/versions', { schema: BASE })).body, { id: 1 }, 'same schema in another subject, same id');
  assert.deepEqual((await call(url, 'GET', '/subjects')).body, ['orders-value', 'payments-value']);
  assert.deepEqual((await call(url, 'GET', '/subjects/orders-value/versions')).body, [1]);
  const latest = await call(url, 'GET', '/subjects/orders-value/versions/latest');
  assert.equal(latest.status, 200);
  const { schema, ...rest } = latest.body as { schema: string };
  assert.deepEqual(rest, { subject: 'orders-value', version: 1, id: 1 });
  assert.deepEqual(JSON.parse(schema), JSON.parse(BASE));
  assert.deepEqual((await call(url, 'GET', '/subjects/orders-value/versions/1')).body, latest.body);
  assert.deepEqual((await call(url, 'GET', '/schemas/ids/1')).body, { schema });
  assert.deepEqual((await call(url, 'POST', '/subjects/orders-value', { schema: BASE })).body, latest.body);
  assert.deepEqual((await call(url, 'GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
  assert.deepEqual((await call(url, 'DELETE', '/subjects/payments-value')).body, [1]);
  assert.deepEqual((await call(url, 'GET', '/subjects')).body, ['orders-value']);
});

test('registry accepts and rejects evolutions per compatibility mode', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const { url } = await registry(scope, bootstrap, uniqueName('schemas'));
  let n = 0;
  for (const evolution of EVOLUTIONS) {
    for (const [level, expect] of Object.entries(LEVEL_EXPECTATIONS)) {
      const subject = `evolve-${n++}`;
      assert.equal((await call(url, 'POST', `/subjects/${subject}/versions`, { schema: BASE })).status, 200);
      assert.deepEqual((await call(url, 'PUT', `/config/${subject}`, { compatibility: level })).body, { compatibility: level });
      const check = await call(url, 'POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: evolution.schema });
      assert.deepEqual(check.body, { is_compatible: expect(evolution) }, `${evolution.what} under ${level}`);
      const registered = await call(url, 'POST', `/subjects/${subject}/versions`, { schema: evolution.schema });
      if (expect(evolution)) {
        assert.equal(registered.status, 200, `${evolution.what} under ${level}: ${JSON.stringify(registered.body)}`);
      } else {
        assert.equal(registered.status, 409, `${evolution.what} under ${level}`);
        const body = registered.body as { error_code: number; message: string };
        assert.equal(body.error_code, 409);
        assert.match(body.message, /incompatible/);
        assert.deepEqual((await call(url, 'GET', `/subjects/${subject}/versions`)).body, [1], 'a rejected schema is not stored');
      }
    }
  }
  // The global level applies to subjects without their own.
  assert.deepEqual((await call(url, 'PUT', '/config', { compatibility: 'NONE' })).body, { compatibility: 'NONE' });
  await call(url, 'POST', '/subjects/global-level/versions', { schema: BASE });
  assert.equal((await call(url, 'POST', '/subjects/global-level/versions', { schema: EVOLUTIONS[3]?.schema })).status, 200);
  const verbose = await call(url, 'POST', '/compatibility/subjects/evolve-1/versions/1?verbose=true', { schema: EVOLUTIONS[3]?.schema });
  assert.equal((verbose.body as { is_compatible: boolean }).is_compatible, false);
  assert.ok(((verbose.body as { messages: string[] }).messages ?? []).length > 0);
});

test('registry answers bad requests with Confluent error bodies', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const { url } = await registry(scope, bootstrap, uniqueName('schemas'));
  await call(url, 'POST', '/subjects/known/versions', { schema: BASE });
  const cases: Array<[string, string, unknown, number, number]> = [
    ['GET', '/subjects/unknown/versions', undefined, 404, 40401],
    ['GET', '/subjects/unknown/versions/latest', undefined, 404, 40401],
    ['GET', '/subjects/known/versions/7', undefined, 404, 40402],
    ['GET', '/subjects/known/versions/zero', undefined, 422, 42202],
    ['GET', '/schemas/ids/999', undefined, 404, 40403],
    ['POST', '/subjects/known', { schema: recordSchema([{ name: 'other', type: 'int' }]) }, 404, 40403],
    ['POST', '/subjects/unknown', { schema: BASE }, 404, 40401],
    ['POST', '/subjects/known/versions', { schema: '{"type":"record"}' }, 422, 42201],
    ['POST', '/subjects/known/versions', { schema: 'not json' }, 422, 42201],
    ['POST', '/subjects/known/versions', { schema: BASE, schemaType: 'PROTOBUF' }, 422, 42201],
    ['POST', '/subjects/known/versions', { schema: recordSchema([{ name: 'id', type: 'int' }]) }, 409, 409],
    ['GET', '/config/known', undefined, 404, 40408],
    ['PUT', '/config', { compatibility: 'SIDEWAYS' }, 422, 42203],
    ['DELETE', '/subjects/unknown', undefined, 404, 40401],
  ];
  for (const [method, path, body, status, errorCode] of cases) {
    const reply = await call(url, method, path, body);
    assert.equal(reply.status, status, `${method} ${path}: ${JSON.stringify(reply.body)}`);
    const error = reply.body as { error_code: unknown; message: unknown };
    assert.equal(error.error_code, errorCode, `${method} ${path}`);
    assert.equal(typeof error.message, 'string');
  }
  const malformed = await fetch(`${url}/subjects/known/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"schema":' });
  assert.equal(malformed.status, 422);
  assert.equal(((await malformed.json()) as { error_code: number }).error_code, 422);
});

test('registry ids and versions survive a restart and the next id continues after them', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const topic = uniqueName('schemas');
  const first = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, topic });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(((await call(first.url, 'POST', `/subjects/s${i}/versions`, { schema: recordSchema([{ name: `f${i}`, type: 'string' }]) })).body as { id: number }).id);
  await call(first.url, 'PUT', '/config/s0', { compatibility: 'FULL' });
  await call(first.url, 'DELETE', '/subjects/s4');
  const before = await Promise.all(['/subjects', '/subjects/s1/versions/1', '/schemas/ids/5', '/config/s0'].map((p) => call(first.url, 'GET', p)));
  await first.close();
  const second = await registry(scope, bootstrap, topic);
  const after = await Promise.all(['/subjects', '/subjects/s1/versions/1', '/schemas/ids/5', '/config/s0'].map((p) => call(second.url, 'GET', p)));
  assert.deepEqual(after, before);
  assert.deepEqual(ids, [1, 2, 3, 4, 5]);
  const next = await call(second.url, 'POST', '/subjects/s5/versions', { schema: recordSchema([{ name: 'f5', type: 'string' }]) });
  assert.deepEqual(next.body, { id: 6 });
});

test('two registry instances on one topic agree on every id, even when they register at the same time', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const topic = uniqueName('schemas');
  const a = await registry(scope, bootstrap, topic);
  const b = await registry(scope, bootstrap, topic);
  // NONE lets every race subject take each new schema as a new version.
  await call(a.url, 'PUT', '/config', { compatibility: 'NONE' });
  await waitFor(async () => ((await call(b.url, 'GET', '/config')).body as { compatibilityLevel: string }).compatibilityLevel === 'NONE', { timeoutMs: 10_000, message: 'b to see the global level' });
  const registrations = [];
  for (let i = 0; i < 8; i++) {
    const schema = recordSchema([{ name: `f${i}`, type: 'string' }]);
    registrations.push(call(i % 2 === 0 ? a.url : b.url, 'POST', `/subjects/race-${i % 3}/versions`, { schema }));
    // The same schema through the other instance at the same moment must get the same id.
    registrations.push(call(i % 2 === 0 ? b.url : a.url, 'POST', `/subjects/twin-${i}/versions`, { schema }));
  }
  const replies = await Promise.all(registrations);
  for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
  const idOf = (i: number) => (replies[i]?.body as { id: number }).id;
  for (let i = 0; i < 8; i++) assert.equal(idOf(2 * i), idOf(2 * i + 1), `schema ${i} got two ids`);
  assert.equal(new Set(replies.map((r) => (r.body as { id: number }).id)).size, 8, 'eight schemas, eight ids');
  const view = async (url: string) => {
    const subjects = (await call(url, 'GET', '/subjects')).body as string[];
    const out: Record<string, unknown> = {};
    for (const s of subjects) {
      const versions = (await call(url, 'GET', `/subjects/${s}/versions`)).body as number[];
      out[s] = await Promise.all(versions.map(async (v) => (await call(url, 'GET', `/subjects/${s}/versions/${v}`)).body));
    }
    return out;
  };
  await waitFor(async () => JSON.stringify(await view(a.url)) === JSON.stringify(await view(b.url)), { timeoutMs: 10_000, message: 'both instances to show the same subjects' });
  assert.equal(Object.keys(await view(a.url)).length, 11);
});
