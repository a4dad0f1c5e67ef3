/**
 * `paystream demo --payments N --rate R`: signed traffic through the API of a running
 * `paystream up` (or --api-url with --key-id/--secret), a live progress bar, and a summary:
 * accepted, succeeded, failed by reason, latency from request to final status (p50/p95/p99),
 * throughput, and the ledger check.
 */
import cliProgress from 'cli-progress';
import type { Kafka } from '../../lib/kafka.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import { DEMO_SETTLE_WAIT_MS } from './limits.ts';
import { FINAL_STATUSES, followFinalStatuses, latencySummary, sendPayments, type FinalSeen, type LatencySummary, type Merchant } from './traffic.ts';

export interface DemoOptions {
  apiUrl: string;
  merchant: Merchant;
  /** Spreads the traffic round-robin over these merchants instead (each has its own rate limit). */
  merchants?: readonly Merchant[];
  kafka: Kafka;
  codec: AvroCodec;
  payments: number;
  ratePerS: number;
  seed?: number;
  settleWaitMs?: number;
  /** Draw a progress bar on this stream (a TTY); none when undefined. */
  progressTo?: NodeJS.WritableStream;
  /** Called after each request is answered (accepted or not). */
  onSent?: () => void;
  /** Runs after the traffic settled, e.g. the ledger check. */
  afterwards?: () => Promise<{ ok: boolean; report: string }>;
}

export interface DemoSummary {
  sent: number;
  accepted: number;
  refused: Record<string, number>;
  /** Final status → count; `IN_FLIGHT` counts accepted payments with no final status in time. */
  finals: Record<string, number>;
  /** `STATUS:reason` → count for failures and rejections. */
  failureReasons: Record<string, number>;
  latency: LatencySummary;
  sendSeconds: number;
  /** Accepted payments that reached a final status, per second from the first request to the last final status. */
  finalPerS: number;
  check?: { ok: boolean; report: string };
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const bar = options.progressTo === undefined ? undefined : new cliProgress.MultiBar({ stream: options.progressTo, format: ' {name} |{bar}| {value}/{total} {extra}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  const sentBar = bar?.create(options.payments, 0, { name: 'sent   ', extra: '' });
  const finalBar = bar?.create(options.payments, 0, { name: 'final  ', extra: '' });
  const startedAt = Date.now();
  let lastFinalAt = startedAt;
  const follower = await followFinalStatuses(options.kafka, options.codec, () => {
    lastFinalAt = Date.now();
    finalBar?.increment();
  });
  try {
    let accepted = 0;
    let refused = 0;
    const sent = await sendPayments({
      apiUrl: options.apiUrl,
      merchants: options.merchants ?? [options.merchant],
      count: options.payments,
      ratePerS: options.ratePerS,
      seed: options.seed ?? 1,
      onAnswer: (ok) => {
        options.onSent?.();
        if (ok) accepted += 1;
        else refused += 1;
        sentBar?.increment(1, { extra: `accepted ${accepted}, refused ${refused}` });
      },
    });
    const ids = sent.accepted.map((p) => p.paymentId);
    finalBar?.setTotal(ids.length);
    const deadline = Date.now() + (options.settleWaitMs ?? DEMO_SETTLE_WAIT_MS);
    while (Date.now() < deadline && ids.some((id) => !follower.finals.has(id))) await new Promise((resolve) => setTimeout(resolve, 100));
    bar?.stop();

    const finals: Record<string, number> = {};
    const failureReasons: Record<string, number> = {};
    const latencies: number[] = [];
    for (const p of sent.accepted) {
      const seen: FinalSeen | undefined = follower.finals.get(p.paymentId);
      const status = seen?.status ?? 'IN_FLIGHT';
      finals[status] = (finals[status] ?? 0) + 1;
      if (seen === undefined) continue;
      // A payment held for review waits on an operator: its time says nothing about the pipeline.
      if (FINAL_STATUSES.has(seen.status)) latencies.push(seen.atMs - p.sentAtMs);
      if (seen.status !== 'SUCCEEDED') failureReasons[`${seen.status}:${seen.reason ?? 'none'}`] = (failureReasons[`${seen.status}:${seen.reason ?? 'none'}`] ?? 0) + 1;
    }
    const done = latencies.length;
    const summary: DemoSummary = {
      sent: options.payments,
      accepted: sent.accepted.length,
      refused: Object.fromEntries(sent.refused),
      finals,
      failureReasons,
      latency: latencySummary(latencies),
      sendSeconds: sent.elapsedMs / 1000,
      finalPerS: done === 0 ? 0 : done / Math.max(0.001, (lastFinalAt - startedAt) / 1000),
    };
    if (options.afterwards !== undefined) summary.check = await options.afterwards();
    return summary;
  } finally {
    bar?.stop();
    await follower.stop();
  }
}

export function formatSummary(s: DemoSummary): string {
  const lines = [
    `sent ${s.sent} in ${s.sendSeconds.toFixed(1)} s; accepted ${s.accepted}${Object.keys(s.refused).length === 0 ? '' : `; refused ${JSON.stringify(s.refused)}`}`,
    `final statuses: ${Object.entries(s.finals).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    ...Object.entries(s.failureReasons).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${k.padEnd(40)} ${v}`),
    `request to final status: p50 ${s.latency.p50Ms} ms, p95 ${s.latency.p95Ms} ms, p99 ${s.latency.p99Ms} ms, max ${s.latency.maxMs} ms (${s.latency.count} payments)`,
    `throughput: ${s.finalPerS.toFixed(1)} payments/s to a final status`,
  ];
  if (s.check !== undefined) lines.push(`check: ${s.check.ok ? 'clean' : 'FAILED'}\n${s.check.report}`);
  return `${lines.join('\n')}\n`;
}
