/**
 * What Redis knows about a payment's customer, device and IP, recorded and read in one atomic
 * script: sliding windows (sorted sets by event time, members the payment ids, so the same payment
 * never counts twice), the customer's 24 h total and history per currency, "just under the
 * threshold" payments, and the devices the customer used. The first run stores the facts under
 * the payment id and every later run (a record handled again) returns them unchanged, so the
 * decision is the same however often the payment is handled.
 *
 * The keys of one payment span customer, device and IP: one Redis node (or a cluster with all
 * risk keys on one slot) is assumed.
 */
import { redisScript, type Redis } from '../../lib/redis.ts';
import type { RiskRules } from './rules.ts';
import { thresholdsFor } from './rules.ts';
import type { RiskFacts } from './score.ts';

const DAY_MS = 86_400_000;
/** Facts are kept a week: longer than any replay of the routed topic by a restarted processor. */
const FACTS_TTL_S = 7 * 86_400;

const RECORD = `
local memo = redis.call('GET', KEYS[1])
if memo then return memo end
local now = tonumber(ARGV[1])
local pid = ARGV[2]
local amount = tonumber(ARGV[3])
local reporting = tonumber(ARGV[7])
local band = tonumber(ARGV[8])
local day = ${DAY_MS}
local hc = tonumber(redis.call('HGET', KEYS[6], 'count') or '0')
local hs = tonumber(redis.call('HGET', KEYS[6], 'sum') or '0')
local newDevice = redis.call('SADD', KEYS[8], ARGV[9])
local function window(key, w)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - w)
  redis.call('ZADD', key, now, pid)
  redis.call('PEXPIRE', key, w + 60000)
  return redis.call('ZCOUNT', key, now - w + 1, '+inf')
end
local cc = window(KEYS[2], tonumber(ARGV[4]))
local dc = window(KEYS[3], tonumber(ARGV[5]))
local ic = window(KEYS[4], tonumber(ARGV[6]))
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - day)
redis.call('ZADD', KEYS[5], now, pid .. ':' .. ARGV[3])
redis.call('PEXPIRE', KEYS[5], day + 60000)
local dsum = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], now - day + 1, '+inf')) do dsum = dsum + tonumber(string.match(m, ':(%d+)$')) end
if amount < reporting and amount >= reporting * (1 - band) then redis.call('ZADD', KEYS[7], now, pid) end
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - day)
redis.call('PEXPIRE', KEYS[7], day + 60000)
local ju = redis.call('ZCOUNT', KEYS[7], now - day + 1, '+inf')
redis.call('HINCRBY', KEYS[6], 'count', 1)
redis.call('HINCRBY', KEYS[6], 'sum', amount)
local facts = cjson.encode({cc, dc, ic, dsum, hc, hs, ju, newDevice})
redis.call('SET', KEYS[1], facts, 'EX', ARGV[10])
return facts
`;

export interface PaymentFactsInput {
  paymentId: string;
  atMs: number;
  amountMinor: number;
  currency: string;
  customerId: string;
  deviceId: string;
  ip: string;
}

export class VelocityStore {
  private readonly record: (...args: Array<string | number>) => Promise<unknown>;

  constructor(
    redis: Redis,
    private readonly rules: RiskRules,
    private readonly prefix = 'risk',
  ) {
    this.record = redisScript(redis, 'paystreamRiskRecord', RECORD, 8);
  }

  /** Records the payment (once) and returns the facts the decision is made on. */
  async facts(p: PaymentFactsInput): Promise<RiskFacts> {
    const t = thresholdsFor(this.rules, p.currency);
    const k = this.prefix;
    const raw = (await this.record(
      `${k}:facts:${p.paymentId}`,
      `${k}:vel:cust:${p.customerId}`,
      `${k}:vel:dev:${p.deviceId}`,
      `${k}:vel:ip:${p.ip}`,
      `${k}:day:${p.customerId}:${p.currency}`,
      `${k}:hist:${p.customerId}:${p.currency}`,
      `${k}:under:${p.customerId}:${p.currency}`,
      `${k}:devices:${p.customerId}`,
      p.atMs,
      p.paymentId,
      p.amountMinor,
      this.rules.velocity.customer.windowS * 1000,
      this.rules.velocity.device.windowS * 1000,
      this.rules.velocity.ip.windowS * 1000,
      t.reportingMinor,
      t.structuringBand,
      p.deviceId,
      FACTS_TTL_S,
    )) as string;
    const [customerCount, deviceCount, ipCount, customerDailyMinor, historyCount, historySumMinor, justUnderCount, newDevice] = JSON.parse(raw) as number[];
    return {
      amountMinor: p.amountMinor,
      currency: p.currency,
      customerId: p.customerId,
      deviceId: p.deviceId,
      ip: p.ip,
      customerCount: customerCount ?? 0,
      deviceCount: deviceCount ?? 0,
      ipCount: ipCount ?? 0,
      customerDailyMinor: customerDailyMinor ?? 0,
      historyCount: historyCount ?? 0,
      historySumMinor: historySumMinor ?? 0,
      justUnderCount: justUnderCount ?? 0,
      newDevice: newDevice === 1,
    };
  }
}
