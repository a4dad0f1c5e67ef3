/**
 * Prometheus metrics of the embedded broker, on their own registry so the broker can run inside
 * another service's process without clashing with its metric names. Gauges that describe broker
 * state (log end offsets, groups, open transactions) are read at scrape time from every broker
 * running in the process, so a test that starts several brokers still scrapes consistently.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const brokerRegistry = new Registry();

const requestsTotal = new Counter({
  name: 'paystream_broker_requests_total',
  help: 'Requests handled, by Kafka API name',
  labelNames: ['api'] as const,
  registers: [brokerRegistry],
});

const requestDurationSeconds = new Histogram({
  name: 'paystream_broker_request_duration_seconds',
  help: 'Time from a request frame being read to its response being ready, by Kafka API name (includes long-poll waits)',
  labelNames: ['api'] as const,
  buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  registers: [brokerRegistry],
});

const receivedBytesTotal = new Counter({
  name: 'paystream_broker_received_bytes_total',
  help: 'Bytes read from client sockets',
  registers: [brokerRegistry],
});

const sentBytesTotal = new Counter({
  name: 'paystream_broker_sent_bytes_total',
  help: 'Bytes written to client sockets',
  registers: [brokerRegistry],
});

/** What a running broker reports at scrape time. */
export interface BrokerStateSource {
  logEndOffsets(): Iterable<{ topic: string; partition: number; offset: number }>;
  groupCount(): number;
  openTransactionCount(): number;
}

const sources = new Set<BrokerStateSource>();

new Gauge({
  name: 'paystream_broker_log_end_offset',
  help: 'Offset the next appended record gets, per partition',
  labelNames: ['topic', 'partition'] as const,
  registers: [brokerRegistry],
  collect() {
    this.reset();
    for (const source of sources) {
      for (const { topic, partition, offset } of source.logEndOffsets()) this.set({ topic, partition: String(partition) }, offset);
    }
  },
});

new Gauge({
  name: 'paystream_broker_groups',
  help: 'Consumer groups known to the group coordinator',
  registers: [brokerRegistry],
  collect() {
    let total = 0;
    for (const source of sources) total += source.groupCount();
    this.set(total);
  },
});

new Gauge({
  name: 'paystream_broker_open_transactions',
  help: 'Producers with transactional records not yet closed by a COMMIT or ABORT marker (what holds a last stable offset back)',
  registers: [brokerRegistry],
  collect() {
    let total = 0;
    for (const source of sources) total += source.openTransactionCount();
    this.set(total);
  },
});

/** Adds a broker's state to scrapes; the returned function removes it (on close). */
export function registerStateSource(source: BrokerStateSource): () => void {
  sources.add(source);
  return () => {
    sources.delete(source);
  };
}

export function countBytesIn(bytes: number): void {
  receivedBytesTotal.inc(bytes);
}

export function countBytesOut(bytes: number): void {
  sentBytesTotal.inc(bytes);
}

/** Counts one request and records how long it took; call with the start of handling. */
export function observeRequest(api: string, startedAtNs: bigint): void {
  requestsTotal.inc({ api });
  requestDurationSeconds.observe({ api }, Number(process.hrtime.bigint() - startedAtNs) / 1e9);
}
