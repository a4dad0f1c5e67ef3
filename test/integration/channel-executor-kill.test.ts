import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../lib/logger.ts';
import { startSchemaRegistry } from '../../ops/embedded/schema-registry/index.ts';
import { AvroCodec, valueCodec } from '../../schemas/codec.ts';
import type { PaymentAssessed, PaymentAttempt } from '../../schemas/types.ts';
import { startSandboxFleet } from '../../connectors/channels/sandbox/fleet.ts';
import { Scope, connectedAdmin, connectedProducer, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import { waitFor } from '../helpers/wait.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../../streams/channel/testing/executor-child.ts', import.meta.url));
const PAYMENTS = 60;

function startChild(args: string[], env: Record<string, string>, log: string[]): { child: ChildProcess; running: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => log.push(c));
  child.stdout?.setEncoding('utf8');
  const running = new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (c: string) => {
      seen = (seen + c).slice(-8192);
      if (seen.includes('"msg":"executor running"')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`executor exited (${String(code)} ${String(signal)}): ${log.join('').slice(-2000)}`)));
  });
  running.catch(() => undefined);
  return { child, running };
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

test('an executor SIGKILLed during channel calls and restarted charges no payment twice and leaves none unresolved', { timeout: 90_000 }, async (t) => {
  const scope = new Scope(t);
  const logger = createLogger({ level: 'silent' });
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const schemas = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, topic: uniqueName('schemas') });
  scope.defer('close registry', () => schemas.close());
  const codec = new AvroCodec({ registryUrl: schemas.url, clientId: uniqueName('codec'), autoRegister: true });
  // Every call takes 150 ms, so a kill lands with calls in flight and transactions open.
  const fleet = await startSandboxFleet({ notifyUrl: () => 'http://127.0.0.1:9/unused', timeoutMs: 5_000, behaviour: { acq_alpha: { latency: { kind: 'fixed', ms: 150 } } } });
  scope.defer('close fleet', () => fleet.close());
  const alpha = fleet.adapters.acq_alpha;
  assert.equal(alpha.channelId, 'acq_alpha');
  if (alpha.channelId !== 'acq_alpha') return;

  const kafka = newKafka(bootstrap);
  const input = uniqueName('kill.assessed');
  const attempts = uniqueName('kill.attempts');
  const switches = uniqueName('kill.switches');
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [input, attempts, switches, `${input}.dlq`].map((topic) => ({ topic, numPartitions: 2 })) });

  const args = ['--bootstrap', bootstrap, '--registry', schemas.url, '--input', input, '--attempts', attempts, '--switches', switches, '--name', uniqueName('executor'), '--alpha-url', alpha.config.baseUrl, '--alpha-key-id', alpha.config.credentials.keyId];
  const env = { EXECUTOR_ALPHA_SECRET: alpha.config.credentials.secret.reveal() };
  const log: string[] = [];
  let current = startChild(args, env, log);
  scope.defer('kill executor', () => killed(current.child));
  await current.running;

  const seen: PaymentAttempt[] = [];
  const attemptCodec = valueCodec(codec, 'PaymentAttempt');
  const reader = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  await reader.connect();
  scope.defer('reader', () => reader.disconnect());
  await reader.subscribe({ topic: attempts, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void seen.push(await attemptCodec.decode(message.value ?? Buffer.alloc(0), attempts)) });

  const producer = await connectedProducer(scope, kafka);
  const assessedCodec = valueCodec(codec, 'PaymentAssessed');
  const prefix = uniqueName('pk');
  const payments: PaymentAssessed[] = Array.from({ length: PAYMENTS }, (_, i) => ({
    paymentId: `${prefix}-${i}`, merchantId: 'm', amountMinor: 700n, currency: 'EUR', method: 'CARD', merchantReference: `o${i}`,
    channelId: 'acq_alpha', fallbackChannelIds: [], ruleId: null, experimentArm: null, riskScore: 1, decision: 'APPROVE', reasons: [], assessedAtMs: Date.now(),
  }));
  await producer.send({ topic: input, acks: -1, messages: await Promise.all(payments.map(async (p) => ({ key: p.paymentId, value: await assessedCodec.encode(p, input) }))) });

  // Kill once some attempts are committed and more calls are under way, twice over.
  for (const atCharges of [10, 30]) {
    await waitFor(() => fleet.sandboxes.acq_alpha.journal.charged().length >= atCharges, { timeoutMs: 30_000, message: () => `${atCharges} charges` });
    await killed(current.child);
    current = startChild(args, env, log);
    await current.running;
  }

  const finals = (): Map<string, PaymentAttempt> => new Map(seen.map((a) => [a.paymentId, a]));
  await waitFor(() => finals().size >= PAYMENTS, { timeoutMs: 45_000, message: () => `${PAYMENTS} payments recorded (have ${finals().size})` });
  const charged = fleet.sandboxes.acq_alpha.journal.charged().filter((p) => p.requestId.startsWith(prefix));
  const perPayment = new Map<string, number>();
  for (const p of charged) {
    const id = p.requestId.split(':')[0] ?? '';
    perPayment.set(id, (perPayment.get(id) ?? 0) + 1);
  }
  for (const p of payments) {
    assert.equal(perPayment.get(p.paymentId), 1, `${p.paymentId} charged exactly once`);
    assert.equal(finals().get(p.paymentId)?.status, 'APPROVED', `${p.paymentId} resolved`);
  }
  // Committed attempt records appear once: an aborted transaction's records are never read.
  const keys = seen.map((a) => `${a.attemptId}/${a.status}`);
  assert.equal(new Set(keys).size, keys.length, 'no attempt record committed twice');
  await killed(current.child);
});
