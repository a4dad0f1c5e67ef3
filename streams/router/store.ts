/**
 * Writing rules to the compacted rule topic, shared by the CLI, the admin API and the default
 * seeding. Every rule is validated before it is written; a write of several rules is one
 * produce request so routers see them in one fetch. Not transactional on purpose: the
 * followers' catch-up compares offsets with the high watermark, which a commit marker would
 * leave one ahead of the last record.
 */
import type { Kafka } from '../../lib/kafka.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { RoutingRule } from '../../schemas/types.ts';
import type { Logger } from '../../lib/logger.ts';
import { followConfig } from './follow.ts';
import { CONFIG_CATCH_UP_TIMEOUT_MS } from './limits.ts';
import { assertValidRule, RuleSet } from './rules.ts';

export async function writeRules(kafka: Kafka, codec: AvroCodec, topic: string, rules: readonly RoutingRule[]): Promise<void> {
  for (const rule of rules) assertValidRule(rule);
  const messages = await Promise.all(rules.map(async (rule) => ({ key: rule.ruleId, value: await codec.encode(topic, 'RoutingRule', rule) })));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** A tombstone: the rule is gone from every router once it reads this. */
export async function deleteRule(kafka: Kafka, topic: string, ruleId: string): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: ruleId, value: null }] });
  } finally {
    await producer.disconnect();
  }
}

/** The rules as a new router would hold them: the topic read to its end, then closed. */
export async function readRules(kafka: Kafka, codec: AvroCodec, topic: string, logger: Logger): Promise<RuleSet> {
  let set = RuleSet.EMPTY;
  const follower = await followConfig<RoutingRule>({
    kafka, topic, name: 'routing-cli', logger, catchUpTimeoutMs: CONFIG_CATCH_UP_TIMEOUT_MS,
    decode: (b) => codec.decode('RoutingRule', b),
    apply: (records) => {
      set = set.applied(records.map((r) => ({ ruleId: r.key, rule: r.value })), (ruleId, why) => logger.warn({ ruleId, why }, 'rule record not applied'));
    },
  });
  try {
    await follower.caughtUp;
  } finally {
    await follower.stop();
  }
  return set;
}
