import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import { createKafka, isUnsupportedApi, kafkaErrorTypes, TOPIC_RESOURCE_TYPE } from './kafka.ts';
import { freePort } from '../test/helpers/wait.ts';
import { Scope, startTestBroker } from '../test/helpers/kafkajs.ts';

function memoryLogger(level: 'debug' | 'error') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: createLogger({ level, destination }) };
}

test('kafka adapter sends kafkajs log lines to the pino logger with their namespace', async () => {
  const { lines, logger } = memoryLogger('debug');
  const port = await freePort();
  const kafka = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'adapter-test', logger, connectionTimeoutMs: 500, retry: { retries: 0, initialRetryTimeMs: 10, maxRetryTimeMs: 10 } });
  const admin = kafka.admin();
  await assert.rejects(admin.connect());
  const errors = lines.filter((l) => l.level === 50 && l.component === 'kafkajs');
  assert.ok(errors.length > 0, JSON.stringify(lines.slice(0, 3)));
  assert.equal(typeof errors[0]?.kafkajs, 'string', 'the kafkajs namespace is kept');
  assert.ok(kafkaErrorTypes(new Error('x')).length === 0);
});

test('kafka adapter recognises an API the broker does not offer', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const { logger } = memoryLogger('error');
  const admin = createKafka({ brokers: [bootstrap], clientId: 'adapter-test', logger }).admin();
  await admin.connect();
  scope.defer('disconnect admin', () => admin.disconnect());
  // The embedded broker does not advertise DescribeConfigs.
  const err = await admin.describeConfigs({ resources: [{ type: TOPIC_RESOURCE_TYPE, name: 'any' }], includeSynonyms: false }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err !== undefined, 'the embedded broker does not offer DescribeConfigs (spec §1), so the call must fail');
  assert.equal(isUnsupportedApi(err), true, String(err));
  assert.equal(isUnsupportedApi(new Error('other')), false);
});
