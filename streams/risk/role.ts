/**
 * The risk role: the risk processor, plus the expiry of reviews nobody decided in time (checked
 * every REVIEW_EXPIRY_POLL_MS; any instance may expire a review, the claim makes it happen once).
 */
import type { Registry } from 'prom-client';
import type { Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Redis } from '../../lib/redis.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import { createRiskProcessor, type RiskProcessorOptions } from './processor.ts';
import { followBlocklist } from './blocklist.ts';
import { ReviewStore, decideReview } from './reviews.ts';
import type { RiskRules } from './rules.ts';

/** How often expired reviews are looked for: a review lives an hour by default, so seconds are plenty. */
export const REVIEW_EXPIRY_POLL_MS = 5_000;

export async function startRisk(options: { name?: string; kafka: Kafka; codec: AvroCodec; redis: Redis; rules: RiskRules; logger: Logger; registry: Registry; routedTopic?: string; assessedTopic?: string; blocklistTopic?: string; pollMs?: number; runtime?: RiskProcessorOptions['runtime'] }): Promise<{ stop(): Promise<void>; expireDue(): Promise<number> }> {
  const topic = options.assessedTopic ?? 'payments.assessed';
  const { blocklist, follower } = await followBlocklist({ kafka: options.kafka, codec: options.codec, rules: options.rules, logger: options.logger, ...(options.blocklistTopic === undefined ? {} : { topic: options.blocklistTopic }) });
  const processor = createRiskProcessor({ ...options, isBlocked: blocklist.isBlocked, ...(options.routedTopic === undefined ? {} : { inputTopic: options.routedTopic }), outputTopic: topic });
  const store = new ReviewStore(options.redis);
  const producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  await processor.start();
  const expireDue = async (): Promise<number> => {
    let expired = 0;
    for (const paymentId of await store.due(Date.now())) {
      await decideReview({ store, producer, codec: options.codec, topic, paymentId, decision: 'DECLINE', reason: 'review_expired', nowMs: Date.now() }).then(
        () => (expired += 1),
        (err: unknown) => options.logger.warn({ err, paymentId }, 'could not expire a review; next round retries'),
      );
    }
    return expired;
  };
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();
  const tick = () => {
    round = expireDue().catch((err: unknown) => options.logger.warn({ err }, 'review expiry round failed')).finally(() => (timer = setTimeout(tick, options.pollMs ?? REVIEW_EXPIRY_POLL_MS)));
  };
  timer = setTimeout(tick, options.pollMs ?? REVIEW_EXPIRY_POLL_MS);
  return {
    expireDue,
    async stop() {
      clearTimeout(timer);
      await round;
      clearTimeout(timer);
      await processor.stop();
      await producer.disconnect();
      await follower.stop();
    },
  };
}
