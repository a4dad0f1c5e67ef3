/**
 * The risk processor: consumes `payments.routed`, decides APPROVE / REVIEW / DECLINE with a score
 * and reasons (score.ts) from the payment's facts in Redis (velocity.ts), and emits
 * `payments.assessed`. A payment the router could not route is not assessed (the result processor
 * ends it). A REVIEW is also held (reviews.ts) until an operator decides or it expires.
 *
 * When Redis cannot be reached the configured policy decides: closed (default) declines with
 * `risk_unavailable`; open approves payments up to an amount and declines the rest.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Redis } from '../../lib/redis.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { PaymentAssessed, PaymentRouted } from '../../schemas/types.ts';
import { createProcessor, type Processor, type ProcessorOptions } from '../runtime/index.ts';
import { ReviewStore } from './reviews.ts';
import type { RiskRules } from './rules.ts';
import { decide, type IsBlocked, type RiskDecision } from './score.ts';
import { VelocityStore } from './velocity.ts';

export interface RiskProcessorOptions {
  name?: string;
  kafka: Kafka;
  codec: AvroCodec;
  redis: Redis;
  rules: RiskRules;
  logger: Logger;
  registry: Registry;
  inputTopic?: string;
  outputTopic?: string;
  redisPrefix?: string;
  /** Blocked customers, devices and IPs; the rules file's lists when absent. */
  isBlocked?: IsBlocked;
  clock?: { nowMs(): number };
  /** Called with each decision's time in ms (Redis round trip included), e.g. for a benchmark's histogram. */
  onDecision?: (ms: number) => void;
  runtime?: Partial<Pick<ProcessorOptions<PaymentRouted, PaymentAssessed>, 'group' | 'allowAutoTopicCreation' | 'attemptsMax' | 'backoff' | 'transactionRecordsMax'>>;
}

/** A failure the client raises itself (connection refused or closed, timeout), not Redis's reply to a bad command. */
function redisUnavailable(err: unknown): boolean {
  return err instanceof Error && err.name !== 'ReplyError';
}

export function failurePolicy(rules: RiskRules, amountMinor: number): RiskDecision {
  if (rules.redisDown.mode === 'open' && amountMinor <= rules.redisDown.failOpenMaxMinor) return { score: 0, decision: 'APPROVE', reasons: ['risk_unavailable_fail_open'] };
  return { score: 1000, decision: 'DECLINE', reasons: ['risk_unavailable'] };
}

export function createRiskProcessor(options: RiskProcessorOptions): Processor {
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const velocity = new VelocityStore(options.redis, options.rules, options.redisPrefix);
  const reviews = new ReviewStore(options.redis, options.redisPrefix);
  const output = options.outputTopic ?? 'payments.assessed';
  const decisions = new Counter({ name: 'paystream_risk_decisions_total', help: 'Risk decisions by outcome', labelNames: ['decision'] as const, registers: [options.registry] });
  const reasons = new Counter({ name: 'paystream_risk_reasons_total', help: 'Risk rules that fired, by reason code', labelNames: ['reason'] as const, registers: [options.registry] });
  const unavailable = new Counter({ name: 'paystream_risk_redis_unavailable_total', help: 'Payments decided by the Redis-down policy', registers: [options.registry] });
  const seconds = new Histogram({ name: 'paystream_risk_decision_seconds', help: 'Time to decide one payment (Redis round trip included)', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1], registers: [options.registry] });
  return createProcessor<PaymentRouted, PaymentAssessed>({
    name: options.name ?? 'risk',
    kafka: options.kafka,
    topics: [options.inputTopic ?? 'payments.routed'],
    decoder: { decode: (bytes) => options.codec.decode('PaymentRouted', bytes) },
    encoder: { encode: (value, topic) => options.codec.encode(topic, 'PaymentAssessed', value) },
    logger: options.logger,
    registry: options.registry,
    ...options.runtime,
    handler: async (record, { log }) => {
      const routed = record.value;
      if (routed.outcome === 'NO_ROUTE' || routed.channelId === '') return [];
      const started = performance.now();
      // Minor units within the per-currency limits are far below 2^53.
      const amountMinor = Number(routed.amountMinor);
      let verdict: RiskDecision;
      try {
        verdict = decide(options.rules, await velocity.facts({ paymentId: routed.paymentId, atMs: routed.routedAtMs, amountMinor, currency: routed.currency, customerId: routed.customerId, deviceId: routed.deviceId, ip: routed.customerIp }), options.isBlocked);
      } catch (err) {
        if (!redisUnavailable(err)) throw err;
        unavailable.inc();
        log.warn({ err, policy: options.rules.redisDown.mode }, 'Redis unavailable: deciding by policy');
        verdict = failurePolicy(options.rules, amountMinor);
      }
      const { outcome: _outcome, failureCode: _failureCode, ruleVersion: _ruleVersion, scores: _scores, customerId: _c, customerIp: _i, deviceId: _d, ...carried } = routed;
      const assessed: PaymentAssessed = { ...carried, riskScore: verdict.score, decision: verdict.decision, reasons: verdict.reasons, assessedAtMs: clock.nowMs() };
      if (verdict.decision === 'REVIEW') await reviews.put(assessed, clock.nowMs() + options.rules.reviewTtlS * 1000);
      decisions.inc({ decision: verdict.decision });
      for (const r of verdict.reasons) reasons.inc({ reason: r });
      const ms = performance.now() - started;
      seconds.observe(ms / 1000);
      options.onDecision?.(ms);
      return [{ topic: output, key: routed.paymentId, value: assessed }];
    },
  });
}
