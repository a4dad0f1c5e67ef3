/**
 * The router: consumes `payments.commands`, routes each CreatePayment and emits one
 * PaymentRouted on `payments.routed` (Cancel and Refund commands are not the router's: nothing
 * is emitted for them). Phases per record: validate (decode, body kind) → load (the rule set and
 * channel view in memory, followed from their topics) → decide (`decide.ts`) → emit.
 *
 * Rules, kill switches, metric windows and breaker reports are followed for as long as the
 * router runs; the processor starts only once the rule and switch topics are read to their
 * end. A rule change builds a new frozen RuleSet and replaces the held reference in one
 * assignment; a decision reads that reference once, so it never sees half a rule set.
 */
import type { Registry } from 'prom-client';
import type { Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { createProcessor, type ProcessorOptions, type ValueDecoder, type ValueEncoder } from '../runtime/index.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import { valueCodec } from '../../schemas/codec.ts';
import type { PaymentCommand, PaymentRouted, RoutingRule } from '../../schemas/types.ts';
import { decideRoute } from './decide.ts';
import { defaultRules } from './defaults.ts';
import { feeSourceOf, type FeeSource } from './fees.ts';
import { followConfig, type ConfigRecord, type Follower } from './follow.ts';
import { CONFIG_CATCH_UP_TIMEOUT_MS } from './limits.ts';
import { ChannelLive, type ChannelHealthReport } from './live.ts';
import { createRouterMetrics } from './metrics.ts';
import { RuleSet } from './rules.ts';
import { writeRules } from './store.ts';

export interface RouterTopics {
  commands: string;
  routed: string;
  rules: string;
  switches: string;
  metrics: string;
  /** Breaker reports (schema ChannelHealth); not followed when null. */
  health: string | null;
}

export const ROUTER_TOPICS: RouterTopics = { commands: 'payments.commands', routed: 'payments.routed', rules: 'config.routing-rules', switches: 'config.channels', metrics: 'metrics.channels.1m', health: null };

export interface RouterOptions {
  name?: string;
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  registry: Registry;
  topics?: Partial<RouterTopics>;
  clock?: { nowMs(): number };
  fees?: FeeSource;
  /** Decodes a channel.health value; needed only when topics.health is set. */
  healthDecoder?: (bytes: Buffer) => Promise<ChannelHealthReport> | ChannelHealthReport;
  /** Called after each decision with the time the decision took (benchmarks, diagnostics). */
  onDecision?: (routed: PaymentRouted, decideMs: number) => void;
  /** Write the default rules when the rule topic is empty (the embedded setup). */
  seedDefaults?: boolean;
  runtime?: Partial<Pick<ProcessorOptions<PaymentCommand, PaymentRouted>, 'group' | 'allowAutoTopicCreation' | 'transactionRecordsMax' | 'transactionHandleMsMax' | 'partitionsConcurrent'>>;
}

export interface Router {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The rule set in use (for the admin API and tests). */
  rules(): RuleSet;
  live: ChannelLive;
}

export function createRouter(options: RouterOptions): Router {
  const name = options.name ?? 'router';
  const topics = { ...ROUTER_TOPICS, ...options.topics };
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const fees = options.fees ?? feeSourceOf();
  const live = new ChannelLive();
  const metrics = createRouterMetrics(options.registry);
  let ruleSet = RuleSet.EMPTY;
  const followers: Follower[] = [];

  const applyRules = (records: readonly ConfigRecord<RoutingRule>[]): void => {
    let skipped = 0;
    const next = ruleSet.applied(records.map((r) => ({ ruleId: r.key, rule: r.value })), (ruleId, why) => {
      skipped += 1;
      options.logger.warn({ ruleId, why }, 'routing rule record not applied');
    });
    ruleSet = next;
    metrics.rulesLoaded(next.rules.length, skipped);
    options.logger.info({ rules: next.rules.map((r) => `${r.ruleId}@${r.version}`) }, 'routing rule set swapped');
  };

  const processor = createProcessor<PaymentCommand, PaymentRouted>({
    name,
    kafka: options.kafka,
    topics: [topics.commands],
    decoder: valueCodec(options.codec, 'PaymentCommand') as ValueDecoder<PaymentCommand>,
    encoder: valueCodec(options.codec, 'PaymentRouted') as ValueEncoder<PaymentRouted>,
    logger: options.logger,
    registry: options.registry,
    clock,
    ...options.runtime,
    handler: (record, { log }) => {
      const command = record.value;
      if (!('paystream.CreatePayment' in command.body)) return Promise.resolve([]);
      const rules = ruleSet;
      const startedMs = performance.now();
      const routed = decideRoute({ paymentId: command.paymentId, merchantId: command.merchantId, create: command.body['paystream.CreatePayment'] }, { rules, live, fees, nowMs: clock.nowMs() });
      options.onDecision?.(routed, performance.now() - startedMs);
      metrics.decided(routed);
      if (routed.outcome === 'NO_ROUTE') log.warn({ paymentId: routed.paymentId, ruleId: routed.ruleId }, 'no route for payment');
      return Promise.resolve([{ topic: topics.routed, key: command.paymentId, value: routed }]);
    },
  });

  const follow = async <V>(topic: string, decode: (bytes: Buffer) => Promise<V> | V, apply: (records: readonly ConfigRecord<V>[]) => void): Promise<Follower> => {
    const f = await followConfig({ kafka: options.kafka, topic, name, decode, apply, logger: options.logger, catchUpTimeoutMs: CONFIG_CATCH_UP_TIMEOUT_MS });
    followers.push(f);
    return f;
  };

  return {
    live,
    rules: () => ruleSet,
    async start() {
      if (options.seedDefaults === true) await seedIfEmpty(options, topics.rules, clock.nowMs());
      const rules = await follow(topics.rules, (b) => options.codec.decode('RoutingRule', b), applyRules);
      const switches = await follow(topics.switches, (b) => options.codec.decode('ChannelSwitch', b), (records) => {
        for (const r of records) live.switches.apply(r.key, r.value);
      });
      const windows = await follow(topics.metrics, (b) => options.codec.decode('ChannelMetricsWindow', b), (records) => {
        for (const r of records) if (r.value !== null) live.applyWindow(r.value);
      });
      // Routing does not wait for live stats (scores fall back to priors); a slow catch-up is only logged.
      windows.caughtUp.catch((err: unknown) => options.logger.warn({ err, topic: topics.metrics }, 'channel metrics not read to their end yet'));
      const health = topics.health;
      const decodeHealth = options.healthDecoder;
      if (health !== null && decodeHealth !== undefined) {
        const reports = await follow(health, decodeHealth, (records) => {
          for (const r of records) {
            // Key channelId/instanceId; the value names both, a tombstone only the key.
            const [channelId = '', instanceId = ''] = r.key.split('/');
            live.applyHealth(r.value ?? { channelId, instanceId }, r.value);
          }
        });
        reports.caughtUp.catch((err: unknown) => options.logger.warn({ err, topic: health }, 'channel health not read to its end yet'));
      }
      await Promise.all([rules.caughtUp, switches.caughtUp]);
      options.logger.info({ rules: ruleSet.rules.length }, 'router has its configuration; routing');
      await processor.start();
    },
    async stop() {
      await processor.stop();
      for (const f of followers.splice(0)) await f.stop();
    },
  };
}

async function seedIfEmpty(options: RouterOptions, topic: string, nowMs: number): Promise<void> {
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    if (offsets.some((o) => BigInt(o.high) > 0n)) return;
  } finally {
    await admin.disconnect();
  }
  await writeRules(options.kafka, options.codec, topic, defaultRules(nowMs));
  options.logger.info({ topic }, 'routing rule topic was empty: default rules written');
}
