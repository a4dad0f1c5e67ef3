/**
 * Payments held for review: kept in Redis (the assessed record by payment id, and a sorted set of
 * deadlines), decided by an operator (`paystream risk review approve|reject`) or expired by the
 * risk role when their time is up. A decision claims the review atomically (only one of approve,
 * reject and expiry wins), publishes a second PaymentAssessed for the payment with the final
 * decision, and gives the claim back if the publish fails.
 */
import type { Producer } from '../../lib/kafka.ts';
import { redisScript, type Redis } from '../../lib/redis.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { parseWithBigints, stringifyWithBigints } from '../../lib/json-bigint.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { PaymentAssessed } from '../../schemas/types.ts';

const HOLD = `
if redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2]) == 1 then redis.call('SET', KEYS[2], ARGV[3]) end
return 1
`;
const CLAIM = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local record = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[3], ARGV[2], 'EX', 86400)
return record
`;

export interface PendingReview {
  paymentId: string;
  deadlineAtMs: number;
  assessed: PaymentAssessed;
}

export class ReviewStore {
  private readonly hold: (...args: Array<string | number>) => Promise<unknown>;
  private readonly claimScript: (...args: Array<string | number>) => Promise<unknown>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'risk',
  ) {
    this.hold = redisScript(redis, 'paystreamRiskHold', HOLD, 2);
    this.claimScript = redisScript(redis, 'paystreamRiskClaim', CLAIM, 3);
  }

  private get queue(): string {
    return `${this.prefix}:reviews`;
  }

  /** Holds a payment for review until `deadlineAtMs`; holding it again (a replay) changes nothing. */
  async put(assessed: PaymentAssessed, deadlineAtMs: number): Promise<void> {
    await this.hold(this.queue, `${this.prefix}:review:${assessed.paymentId}`, deadlineAtMs, assessed.paymentId, stringifyWithBigints(assessed));
  }

  async list(): Promise<PendingReview[]> {
    const flat = await this.redis.zrange(this.queue, 0, -1, 'WITHSCORES');
    const out: PendingReview[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const paymentId = flat[i] ?? '';
      const record = await this.redis.get(`${this.prefix}:review:${paymentId}`);
      if (record !== null) out.push({ paymentId, deadlineAtMs: Number(flat[i + 1]), assessed: parseWithBigints<PaymentAssessed>(record) });
    }
    return out;
  }

  async due(nowMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.queue, '-inf', nowMs);
  }

  /** Takes the review for deciding; undefined when it is not (or no longer) pending. */
  async claim(paymentId: string, decision: string): Promise<PaymentAssessed | undefined> {
    const record = (await this.claimScript(this.queue, `${this.prefix}:review:${paymentId}`, `${this.prefix}:decided:${paymentId}`, paymentId, decision)) as string | null;
    return record === null ? undefined : parseWithBigints<PaymentAssessed>(record);
  }

  /** Puts a claimed review back (its decision could not be published). */
  async release(assessed: PaymentAssessed, deadlineAtMs: number): Promise<void> {
    await this.redis.del(`${this.prefix}:decided:${assessed.paymentId}`);
    await this.put(assessed, deadlineAtMs);
  }
}

export class ReviewError extends PaystreamError<'review_not_pending'> {
  constructor(paymentId: string) {
    super('review_not_pending', `payment ${paymentId} is not waiting for review (decided, expired or never held)`);
    this.name = 'ReviewError';
  }
}

/** Publishes the final decision of a held payment as a second PaymentAssessed. */
export async function decideReview(options: { store: ReviewStore; producer: Producer; codec: AvroCodec; topic: string; paymentId: string; decision: 'APPROVE' | 'DECLINE'; reason: string; nowMs: number }): Promise<PaymentAssessed> {
  const held = await options.store.claim(options.paymentId, options.decision);
  if (held === undefined) throw new ReviewError(options.paymentId);
  const final: PaymentAssessed = { ...held, decision: options.decision, reasons: [options.reason, ...held.reasons], riskScore: options.decision === 'APPROVE' ? held.riskScore : 1000, assessedAtMs: options.nowMs };
  try {
    await options.producer.send({ topic: options.topic, acks: -1, messages: [{ key: final.paymentId, value: await options.codec.encode(options.topic, 'PaymentAssessed', final) }] });
  } catch (err) {
    await options.store.release(held, options.nowMs);
    throw err;
  }
  return final;
}
