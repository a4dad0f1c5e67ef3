/** The router's Prometheus metrics: decisions by outcome, rule and experiment arm; the rule set in use. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PaymentRouted } from '../../schemas/types.ts';

export interface RouterMetrics {
  decided(routed: PaymentRouted): void;
  rulesLoaded(count: number, skipped: number): void;
}

export function createRouterMetrics(registry: Registry): RouterMetrics {
  const decisions = new Counter({
    name: 'paystream_router_decisions_total',
    help: 'Routing decisions by outcome, rule id, experiment arm and first channel (compare arms by success and cost downstream)',
    labelNames: ['outcome', 'rule', 'arm', 'channel'],
    registers: [registry],
  });
  const rules = new Gauge({ name: 'paystream_router_rules', help: 'Routing rules in the rule set in use', registers: [registry] });
  const skipped = new Counter({ name: 'paystream_router_rule_records_skipped_total', help: 'Rule records not applied (invalid or stale version)', registers: [registry] });
  const swaps = new Counter({ name: 'paystream_router_rule_set_swaps_total', help: 'Times a new rule set replaced the one in use', registers: [registry] });
  return {
    decided(r) {
      // The rule id without its version keeps label cardinality bounded by RULES_MAX.
      decisions.inc({ outcome: r.outcome, rule: r.ruleId?.split('@')[0] ?? 'none', arm: r.experimentArm ?? 'none', channel: r.channelId === '' ? 'none' : r.channelId });
    },
    rulesLoaded(count, n) {
      rules.set(count);
      skipped.inc(n);
      swaps.inc();
    },
  };
}
