/**
 * Router decisions per second on the embedded broker and the p99 time of one decision, next to
 * the runtime's copy processor (bytes in, same bytes out, same transactions) over the same
 * input in the same run. Both clocks run from the first record handled to the last output record
 * read committed (group joins and the router's config catch-up excluded), so the ratio shows what decoding, routing and encoding cost
 * on top of the runtime. The p99 is of the decision itself (rule match, eligibility, scoring),
 * measured in the handler with an HDR histogram; decode and encode are the runtime's.
 */
import { Registry } from 'prom-client';
import * as hdr from 'hdr-histogram-js';
import { createKafka } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { startSchemaRegistry } from '../ops/embedded/schema-registry/index.ts';
import { AvroCodec } from '../schemas/codec.ts';
import type { PaymentCommand } from '../schemas/types.ts';
import { bytesCodec } from '../streams/runtime/codecs.ts';
import { createProcessor } from '../streams/runtime/processor.ts';
import { createRouter } from '../streams/router/processor.ts';
import { defaultRules } from '../streams/router/defaults.ts';
import { decideRoute } from '../streams/router/decide.ts';
import { feeSourceOf } from '../streams/router/fees.ts';
import { ChannelLive } from '../streams/router/live.ts';
import type { RuleSet } from '../streams/router/rules.ts';
import { writeRules } from '../streams/router/store.ts';
import { testArm, testCreate, testRule } from '../streams/router/testing.ts';
import { startEmbedded } from './lib/brokers.ts';
import { countOutputs } from './lib/outputs.ts';
import { recordFigure } from './lib/result.ts';

/** Five runs: the machine is shared and the copy baseline swings with it. */
const RUNS = 5;
const PAYMENTS = 10_000;
const PARTITIONS = 4;
const RUN_TIMEOUT_MS = 180_000;
const GROUP = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 };
const METHODS = ['CARD', 'CARD', 'CARD', 'WALLET_A', 'WALLET_B', 'BANK'] as const;


/**
 * What one record costs the handler side in-process: Avro decode, decide, Avro encode, over the
 * run's own records with the run's rule set (schemas cached, so no registry round trip).
 */
async function handlingTimes(encoded: readonly Buffer[], rules: RuleSet, codec: AvroCodec, topic: string): Promise<{ p99Ms: number }> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
  const live = new ChannelLive();
  const fees = feeSourceOf();
  for (const bytes of encoded) {
    const startedMs = performance.now();
    const c = await codec.decode('PaymentCommand', bytes);
    if ('paystream.CreatePayment' in c.body) {
      const routed = decideRoute({ paymentId: c.paymentId, merchantId: c.merchantId, create: c.body['paystream.CreatePayment'] }, { rules, live, fees, nowMs: Date.now() });
      await codec.encode(topic, 'PaymentRouted', routed);
    }
    histogram.recordValue(Math.max(1, Math.round((performance.now() - startedMs) * 1000)));
  }
  const p99Ms = histogram.getValueAtPercentile(99) / 1000;
  histogram.destroy();
  return { p99Ms };
}

async function main(): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const broker = await startEmbedded(PARTITIONS);
  const schemas = await startSchemaRegistry({ kafkaBrokers: [broker.bootstrap], host: '127.0.0.1', port: 0, logger, topic: 'bench-schemas' });
  const codec = new AvroCodec({ registryUrl: schemas.url, clientId: 'bench-codec', autoRegister: true });
  const kafka = createKafka({ brokers: [broker.bootstrap], clientId: 'bench-router', logger });
  const runs: Array<{ value: number; baseline: number; p99Ms: number; p99HandleMs: number; p50Ms: number; routerSeconds: number; copySeconds: number }> = [];
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const t = (n: string) => `bench.router.${run}.${n}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [
        ...[t('commands'), t('routed'), t('copied'), `${t('commands')}.dlq`, t('metrics')].map((topic) => ({ topic, numPartitions: PARTITIONS })),
        ...[t('rules'), t('switches')].map((topic) => ({ topic, numPartitions: 1 })),
      ] });
      await admin.disconnect();
      // The shipped defaults plus a merchant rule with an A/B split and a time window, so matching walks several rules.
      await writeRules(kafka, codec, t('rules'), [
        ...defaultRules(Date.now()),
        testRule({ ruleId: 'big-merchant', priority: 5, merchantId: 'm-3', method: 'CARD', timeWindow: { startMinute: 0, endMinute: 1440, timeZone: 'Europe/Berlin' }, arms: [testArm({ armId: 'scored', strategy: 'SCORED', channelId: '', fallbackChannelIds: [], weightPercent: 50 }), testArm({ armId: 'fixed', weightPercent: 50 })] }),
      ]);
      const producer = kafka.producer();
      await producer.connect();
      const encoded: Buffer[] = [];
      for (let from = 0; from < PAYMENTS; from += 1_000) {
        const messages = await Promise.all(Array.from({ length: 1_000 }, async (_, k) => {
          const i = from + k;
          const c: PaymentCommand = { commandId: `c-${run}-${i}`, paymentId: `p-${run}-${i}`, merchantId: `m-${i % 5}`, issuedAtMs: Date.now(), body: { 'paystream.CreatePayment': testCreate({ amountMinor: BigInt(100 + (i % 50_000)), method: METHODS[i % METHODS.length] ?? 'CARD' }) } };
          return { key: c.paymentId, value: await codec.encode(t('commands'), 'PaymentCommand', c) };
        }));
        encoded.push(...messages.map((m) => m.value));
        await producer.send({ topic: t('commands'), acks: -1, messages });
      }
      await producer.disconnect();

      let firstRoutedMs = 0;
      let firstCopiedMs = 0;
      const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
      const router = createRouter({
        name: `bench-router-${run}`, kafka, codec, logger, registry: new Registry(),
        topics: { commands: t('commands'), routed: t('routed'), rules: t('rules'), switches: t('switches'), metrics: t('metrics'), health: null },
        onDecision: (_r, ms) => {
          if (firstRoutedMs === 0) firstRoutedMs = performance.now();
          histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
        },
        runtime: { partitionsConcurrent: PARTITIONS, group: GROUP },
      });
      await router.start();
      await countOutputs(kafka, t('routed'), PAYMENTS, `bench-reader-routed-${run}`, RUN_TIMEOUT_MS, 100);
      const routerSeconds = (performance.now() - firstRoutedMs) / 1000;
      const handle = await handlingTimes(encoded, router.rules(), codec, t('routed'));
      await router.stop();

      const copy = createProcessor<Buffer, Buffer>({
        name: `bench-copy-${run}`, kafka, topics: [t('commands')], decoder: bytesCodec, encoder: bytesCodec, logger, registry: new Registry(),
        partitionsConcurrent: PARTITIONS, group: GROUP,
        handler: (record) => {
          if (firstCopiedMs === 0) firstCopiedMs = performance.now();
          return Promise.resolve([{ topic: t('copied'), key: record.key, value: record.value }]);
        },
      });
      await copy.start();
      await countOutputs(kafka, t('copied'), PAYMENTS, `bench-reader-copied-${run}`, RUN_TIMEOUT_MS, 100);
      const copySeconds = (performance.now() - firstCopiedMs) / 1000;
      await copy.stop();
      runs.push({ value: PAYMENTS / routerSeconds, baseline: PAYMENTS / copySeconds, p99Ms: histogram.getValueAtPercentile(99) / 1000, p99HandleMs: handle.p99Ms, p50Ms: histogram.getValueAtPercentile(50) / 1000, routerSeconds, copySeconds });
      histogram.destroy();
    }
  } finally {
    await schemas.close();
    await broker.stop();
  }
  const mid = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  console.log(`router p99 (median of runs): decision ${mid(runs.map((r) => r.p99Ms)).toFixed(3)} ms; decode + decide + encode ${mid(runs.map((r) => r.p99HandleMs)).toFixed(3)} ms`);
  recordFigure({
    name: 'router',
    unit: 'decisions/s',
    baselineName: 'runtime copy processor (bytes, same input, same run)',
    target: 0.3,
    workload: `${PAYMENTS} create commands per run (cards, wallets, bank; 5 merchants, one with an A/B rule and a time window) on ${PARTITIONS} partitions; Avro decode, route, Avro encode, transactional output; time from the first record handled to the last output read committed (group joins and config catch-up excluded); p99Ms is the decision alone, p99HandleMs decode + decide + encode of the same records in-process`,
    runs,
  });
}

await main();
