/**
 * The runtime's Prometheus metrics, registered on the registry the process passes in. Several
 * processors in one process share one set of metrics, told apart by the `processor` label.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface RuntimeMetrics {
  recordsIn: Counter<'processor'>;
  recordsOut: Counter<'processor'>;
  recordsFailed: Counter<'processor'>;
  recordsDeadLettered: Counter<'processor'>;
  recordsRetried: Counter<'processor'>;
  handleSeconds: Histogram<'processor'>;
  consumerLag: Gauge<'processor' | 'topic' | 'partition'>;
  transactionsAborted: Counter<'processor'>;
}

/** Handling is mostly in-memory work; the upper buckets catch retries and slow dependencies. */
const HANDLE_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function counter(registry: Registry, name: string, help: string): Counter<'processor'> {
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Counter<'processor'>;
  return new Counter({ name, help, labelNames: ['processor'], registers: [registry] });
}

export function runtimeMetrics(registry: Registry): RuntimeMetrics {
  const histogramName = 'paystream_processor_handle_seconds';
  const lagName = 'paystream_processor_consumer_lag';
  return {
    recordsIn: counter(registry, 'paystream_processor_records_in_total', 'Records consumed and handled (counted once their transaction committed).'),
    recordsOut: counter(registry, 'paystream_processor_records_out_total', 'Records produced by handlers and committed.'),
    recordsFailed: counter(registry, 'paystream_processor_records_failed_total', 'Handler attempts that failed (each retry counts).'),
    recordsDeadLettered: counter(registry, 'paystream_processor_records_dead_lettered_total', 'Records written to a dead-letter topic and committed.'),
    recordsRetried: counter(registry, 'paystream_processor_records_retried_later_total', 'Records parked on a retry topic (a delayed retry) and committed.'),
    transactionsAborted: counter(registry, 'paystream_processor_transactions_aborted_total', 'Transactions aborted; their records are consumed again.'),
    handleSeconds:
      (registry.getSingleMetric(histogramName) as Histogram<'processor'> | undefined) ??
      new Histogram({ name: histogramName, help: 'Time to decode, handle and encode one record, retries included.', labelNames: ['processor'], buckets: HANDLE_SECONDS_BUCKETS, registers: [registry] }),
    consumerLag:
      (registry.getSingleMetric(lagName) as Gauge<'processor' | 'topic' | 'partition'> | undefined) ??
      new Gauge({ name: lagName, help: 'Records between the last committed input offset and the partition high watermark.', labelNames: ['processor', 'topic', 'partition'], registers: [registry] }),
  };
}
