/**
 * The rule set shipped for the embedded defaults, written to `config.routing-rules` when that
 * topic is empty: cards scored between the two acquirers, each wallet to its own channel.
 * BANK has no channel, so a bank payment ends with no_route.
 */
import type { RoutingArm, RoutingRule, ScoreWeights } from '../../schemas/types.ts';

const WEIGHTS: ScoreWeights = { fee: 40, successRate: 40, latency: 20, preferred: 10 };

function arm(channelId: string, fallbackChannelIds: string[], strategy: RoutingArm['strategy']): RoutingArm {
  return { armId: 'main', channelId, fallbackChannelIds, weightPercent: 100, strategy, scoreWeights: WEIGHTS };
}

function rule(ruleId: string, priority: number, method: RoutingRule['method'], arms: RoutingArm[], nowMs: number): RoutingRule {
  return {
    ruleId, priority, version: 1, merchantId: null, currency: null, method, minAmountMinor: null, maxAmountMinor: null,
    timeWindow: null, allowChannelIds: [], denyChannelIds: [], preferredChannelId: null, arms, enabled: true, updatedBy: 'defaults', updatedAtMs: nowMs,
  };
}

export function defaultRules(nowMs: number): RoutingRule[] {
  return [
    rule('default-card', 1000, 'CARD', [arm('', [], 'SCORED')], nowMs),
    rule('default-wallet-a', 1000, 'WALLET_A', [arm('wallet_a', [], 'FIXED')], nowMs),
    rule('default-wallet-b', 1000, 'WALLET_B', [arm('wallet_b', [], 'FIXED')], nowMs),
  ];
}
