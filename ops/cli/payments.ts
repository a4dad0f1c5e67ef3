/**
 * `paystream payments show ID`: one payment's whole story from the read model: its state, every
 * status change with the input that caused it, the channel attempts, callbacks and sweeper
 * findings, refunds, anomalies, merchant webhooks (when that table exists) and the trace id to
 * find its log lines by.
 */
import type { Command } from 'commander';
import type { Config } from '../../lib/config.ts';
import { PaystreamError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPool, type Pool } from '../../lib/postgres.ts';
import { resolveServices } from '../services.ts';

export interface PaymentsCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

type Row = Record<string, unknown>;

async function rows(pool: Pool, sql: string, args: unknown[]): Promise<Row[]> {
  return (await pool.query<Row>(sql, args)).rows;
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v ?? ''));

export async function describePayment(pool: Pool, paymentId: string): Promise<string> {
  const [payment] = await rows(pool, 'SELECT * FROM payments WHERE payment_id = $1', [paymentId]);
  const [accepted] = await rows(pool, 'SELECT * FROM accepted_payments WHERE payment_id = $1', [paymentId]);
  if (payment === undefined && accepted === undefined) throw new PaystreamError('payment_not_found', `no payment ${paymentId}`);
  const out: string[] = [];
  if (payment === undefined) {
    out.push(`payment ${paymentId}: accepted by the API at ${iso(accepted?.created_at)}, not yet applied by the result processor`);
  } else {
    out.push(
      `payment ${paymentId}  ${String(payment.status)}${payment.reason === null ? '' : ` (${String(payment.reason)})`}`,
      `  merchant ${String(payment.merchant_id)}  order ${String(payment.merchant_reference)}  ${String(payment.amount_minor)} ${String(payment.currency)} minor units by ${String(payment.method)}`,
      `  captured ${String(payment.captured_minor)}  refunded ${String(payment.refunded_minor)}  refund pending ${String(payment.refund_pending_minor)}`,
      `  channel ${String(payment.channel_id ?? '-')}  reference ${String(payment.channel_reference ?? '-')}  rule ${String(payment.rule_id ?? '-')}${payment.experiment_arm === null ? '' : `  arm ${String(payment.experiment_arm)}`}`,
      `  trace id ${String(payment.trace_id ?? '-')}  created ${iso(payment.created_at)}  updated ${iso(payment.updated_at)}  version ${String(payment.version)}`,
    );
  }
  const history = await rows(pool, 'SELECT sequence, event_type, from_status, to_status, reason, input_id, occurred_at FROM payment_status_history WHERE payment_id = $1 ORDER BY sequence', [paymentId]);
  out.push('', 'history:');
  for (const h of history) out.push(`  ${String(h.sequence).padStart(3)}  ${iso(h.occurred_at)}  ${String(h.event_type).padEnd(17)} ${String(h.from_status ?? '-')} -> ${String(h.to_status)}${h.reason === null ? '' : `  (${String(h.reason)})`}  from ${String(h.input_id)}`);
  const attempts = await rows(pool, 'SELECT attempt_id, status, channel_id, channel_reference, decline_code, error_code, latency_ms, occurred_at FROM payment_attempts WHERE payment_id = $1 ORDER BY occurred_at, attempt_id', [paymentId]);
  out.push('', 'attempts:');
  for (const a of attempts) out.push(`  ${iso(a.occurred_at)}  ${String(a.attempt_id)}  ${String(a.channel_id)}  ${String(a.status)}${a.decline_code === null ? '' : `  decline ${String(a.decline_code)}`}${a.error_code === null ? '' : `  error ${String(a.error_code)}`}${a.latency_ms === null ? '' : `  ${String(a.latency_ms)} ms`}`);
  const facts = await rows(pool, 'SELECT kind, input_id, occurred_at FROM payment_channel_facts WHERE payment_id = $1 ORDER BY occurred_at', [paymentId]);
  out.push('', 'callbacks and sweeper findings:');
  for (const f of facts) out.push(`  ${iso(f.occurred_at)}  ${String(f.kind)}  ${String(f.input_id)}`);
  const refunds = await rows(pool, 'SELECT refund_id, amount_minor, status, conflict, updated_at FROM payment_refunds WHERE payment_id = $1 ORDER BY updated_at', [paymentId]);
  if (refunds.length > 0) {
    out.push('', 'refunds:');
    for (const r of refunds) out.push(`  ${String(r.refund_id)}  ${String(r.amount_minor)}  ${String(r.status)}${r.conflict === true ? '  (returns a conflicting charge)' : ''}`);
  }
  const anomalies = await rows(pool, 'SELECT kind, action, detail, detected_at FROM payment_anomalies WHERE payment_id = $1 ORDER BY detected_at', [paymentId]);
  if (anomalies.length > 0) {
    out.push('', 'anomalies:');
    for (const a of anomalies) out.push(`  ${iso(a.detected_at)}  ${String(a.kind)}  ${String(a.action)}  ${String(a.detail)}`);
  }
  const [webhookTable] = await rows(pool, "SELECT to_regclass('webhook_deliveries') IS NOT NULL AS present", []);
  if (webhookTable?.present === true) {
    const deliveries = await rows(pool, 'SELECT event_id, status, attempts, last_http_status, last_error, delivered_at, next_attempt_at FROM webhook_deliveries WHERE payment_id = $1 ORDER BY event_id', [paymentId]);
    out.push('', 'webhooks:');
    for (const d of deliveries) out.push(`  ${String(d.event_id)}  ${String(d.status)}  attempts ${String(d.attempts)}${d.last_http_status === null ? '' : `  last HTTP ${String(d.last_http_status)}`}${d.last_error === null ? '' : `  ${String(d.last_error)}`}${d.delivered_at === null ? `  next ${iso(d.next_attempt_at)}` : `  delivered ${iso(d.delivered_at)}`}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerPaymentsCommand(program: Command, ctx: PaymentsCommandContext): void {
  const payments = program.command('payments').description('inspect payments');
  payments
    .command('show')
    .description('print a payment with its full history, attempts, callbacks, refunds, anomalies, webhooks and trace id')
    .argument('<paymentId>', 'the payment id')
    .option('--data-dir <dir>', 'data directory')
    .action(async (paymentId: string, _opts: unknown, cmd: Command) => {
      const loaded = ctx.config();
      const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
      const pool = createPool({ url: resolveServices(config).databaseUrl, logger: ctx.logger(config), applicationName: 'paystream-cli', poolSize: 1 });
      try {
        process.stdout.write(await describePayment(pool, paymentId));
      } finally {
        await pool.end();
      }
    });
}
