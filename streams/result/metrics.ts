import { Counter, type Registry } from 'prom-client';
import type { Handled } from './handle.ts';

export function createResultMetrics(registry: Registry) {
  const inputs = new Counter({ name: 'paystream_result_inputs_total', help: 'Inputs of the result processor by kind and outcome (applied, duplicate, stale, rejected, conflict, parked)', labelNames: ['kind', 'outcome'] as const, registers: [registry] });
  const rejected = new Counter({ name: 'paystream_result_rejected_transitions_total', help: 'Inputs the state machine refused, by reason', labelNames: ['reason'] as const, registers: [registry] });
  const conflicts = new Counter({ name: 'paystream_result_conflicts_total', help: 'Channel facts contradicting a payment already ended (late success, amount mismatch, chargeback): each needs attention', labelNames: ['kind'] as const, registers: [registry] });
  return {
    observe(handled: Handled): void {
      for (const f of handled.fresh) {
        inputs.inc({ kind: f.kind, outcome: f.outcome });
        // Reasons of refused moves are a small fixed set ("invalid_transition:A->B", "not_cancellable_in_x").
        if (f.outcome === 'rejected' && f.reason !== null) rejected.inc({ reason: f.reason });
        if (f.conflicts > 0) conflicts.inc({ kind: f.kind }, f.conflicts);
      }
    },
  };
}
