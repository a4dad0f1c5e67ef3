/** Builders for tests and benchmarks: a valid rule and a create command with overrides. */
import type { CreatePayment, RoutingArm, RoutingRule } from '../../schemas/types.ts';

export function testArm(over: Partial<RoutingArm> = {}): RoutingArm {
  return { armId: 'a', channelId: 'acq_alpha', fallbackChannelIds: ['acq_beta'], weightPercent: 100, strategy: 'FIXED', scoreWeights: { fee: 40, successRate: 40, latency: 20, preferred: 10 }, ...over };
}

export function testRule(over: Partial<RoutingRule> = {}): RoutingRule {
  return {
    ruleId: 'r1', priority: 10, version: 1, merchantId: null, currency: null, method: null, minAmountMinor: null, maxAmountMinor: null,
    timeWindow: null, allowChannelIds: [], denyChannelIds: [], preferredChannelId: null, arms: [testArm()], enabled: true, updatedBy: 'test', updatedAtMs: 0, ...over,
  };
}

export function testCreate(over: Partial<CreatePayment> = {}): CreatePayment {
  return {
    amountMinor: 1_000n, currency: 'EUR', method: 'CARD', merchantReference: 'order-1', idempotencyKey: 'idem-1',
    customer: { id: 'cust-1', ip: '203.0.113.7', deviceId: 'dev-1' }, customerCountry: null, description: null, notifyUrl: null, metadata: {}, ...over,
  };
}
