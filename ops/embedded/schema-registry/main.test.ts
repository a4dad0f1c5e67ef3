import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Scope, startTestBroker, uniqueName } from '../../../test/helpers/kafkajs.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { parseRegistryArgs, RegistryUsageError } from './main.ts';
import { startSchemaRegistryProcess } from './process.ts';
import { createLogger } from '../../../lib/logger.ts';
import { BASE, call } from './test-support.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

test('registry command line rejects bad flags with a usage error', () => {
  const bad = [[], ['--kafka-brokers', 'nohost'], ['--kafka-brokers', 'h:1', '--port', '70000'], ['--kafka-brokers', 'h:1', '--log-level', 'loud'], ['--kafka-brokers', 'h:1', '--what']];
  for (const argv of bad) assert.throws(() => parseRegistryArgs(argv), RegistryUsageError, argv.join(' '));
  const { options } = parseRegistryArgs(['--kafka-brokers', 'a:1, b:2', '--port', '0', '--topic', 't']);
  assert.deepEqual(options, { kafkaBrokers: ['a:1', 'b:2'], host: '127.0.0.1', port: 0, replicationFactor: 1, topic: 't' });
});

test('registry runs as a child process, prints its port, serves requests and stops on SIGTERM', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--kafka-brokers', bootstrap, '--port', '0', '--topic', uniqueName('schemas'), '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  scope.defer('stop registry process', async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let port: number | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const parsed = JSON.parse(line) as { msg?: string; port?: number };
    if (parsed.msg === 'registry listening') port = parsed.port;
  });
  const listening = await waitFor(() => port, { timeoutMs: 30_000, message: () => `the "registry listening" line (stderr: ${stderr})` });
  const url = `http://127.0.0.1:${listening}`;
  assert.deepEqual((await call(url, 'POST', '/subjects/cli-value/versions', { schema: BASE })).body, { id: 1 });
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, stderr);
});

test('the launcher-facing process wrapper starts the registry, reports its url and stops it', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const registry = await startSchemaRegistryProcess({ kafkaBootstrap: bootstrap, host: '127.0.0.1', logLevel: 'warn', logger: createLogger({ level: 'silent' }) });
  scope.defer('stop registry process', () => registry.stop());
  assert.match(registry.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual((await call(registry.url, 'POST', '/subjects/launcher-value/versions', { schema: BASE })).body, { id: 1 });
  await registry.stop();
  await assert.rejects(fetch(`${registry.url}/subjects`));
});
