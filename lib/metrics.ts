/**
 * One prom-client registry per process with the default process metrics, so every role exposes
 * the same baseline (CPU, memory, event-loop lag, GC) beside its own `paystream_*` metrics.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'paystream_' });
  return registry;
}
