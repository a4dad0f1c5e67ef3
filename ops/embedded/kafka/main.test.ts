import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnBroker } from '../../../test/helpers/broker-process.ts';
import { freePort, tempDir, waitFor } from '../../../test/helpers/wait.ts';
import { RawConnection, metadata } from '../../../test/helpers/raw-client.ts';
import { CliUsageError, parseCliArgs } from './main.ts';

test('broker CLI announces one listening line, serves metrics and stops cleanly on SIGTERM', async (t) => {
  const dir = tempDir('broker-cli', t);
  const metricsPort = await freePort();
  const broker = await spawnBroker({ dataDir: dir.path, owner: t, extraArgs: ['--metrics-port', String(metricsPort)] });
  const listening = broker.logLines().filter((l) => l.msg === 'broker listening');
  assert.equal(listening.length, 1);
  assert.deepEqual(Object.keys(listening[0] ?? {}).sort(), ['host', 'msg', 'pid', 'port']);
  assert.equal(listening[0]?.host, '127.0.0.1');
  assert.equal(listening[0]?.pid, broker.pid);

  const conn = await RawConnection.fromBootstrap(broker.bootstrap);
  const meta = await metadata(conn, ['cli-topic'], true);
  conn.close();
  assert.deepEqual(meta.brokers.map((b) => [b.nodeId, b.port]), [[0, broker.port]]);

  const text = await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      const body = await res.text();
      return body.includes('paystream_broker_requests_total{api="Metadata"}') ? body : undefined;
    },
    { timeoutMs: 10_000, message: 'the metrics endpoint to count the Metadata request' },
  );
  assert.match(text, /paystream_broker_log_end_offset\{topic="cli-topic",partition="0"\} 0/);
  assert.match(text, /paystream_broker_received_bytes_total \d+/);

  const exit = await broker.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(broker.logLines().some((l) => l.msg === 'broker stopped'));
});

test('broker CLI refuses a missing data dir and a bad port', () => {
  assert.throws(() => parseCliArgs(['--port', '9092']), CliUsageError);
  assert.throws(() => parseCliArgs(['--data-dir', '/x', '--port', '70000']), CliUsageError);
  assert.throws(() => parseCliArgs(['--data-dir', '/x', '--bogus']), CliUsageError);
  const parsed = parseCliArgs(['--data-dir', '/x', '--port', '0', '--advertised-host', 'kafka.local', '--default-partitions', '3']);
  assert.equal(parsed.broker.advertisedHost, 'kafka.local');
  assert.equal(parsed.broker.defaultPartitions, 3);
  assert.equal(parsed.broker.host, '127.0.0.1');
});

test('broker CLI exits 0 on a SIGTERM sent the moment it announces itself', async (t) => {
  const dir = tempDir('broker-cli-fast-stop', t);
  const broker = await spawnBroker({ dataDir: dir.path, owner: t, extraArgs: ['--log-level', 'warn'] });
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });
  await broker.start();
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });
});
