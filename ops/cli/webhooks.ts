/** `paystream webhooks list|replay`: the merchant webhook delivery log and re-sending from it. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPool } from '../../lib/postgres.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { deliveriesOf, requeue } from '../../streams/webhooks/store.ts';
import { resolveServices } from '../services.ts';

export interface WebhooksCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

function instant(raw: string): number {
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('an ISO 8601 time, e.g. 2026-11-22T10:00:00Z');
  return ms;
}

export function registerWebhooksCommand(program: Command, ctx: WebhooksCommandContext): void {
  const webhooks = program.command('webhooks').description('merchant webhook deliveries');
  const withPool = async <T>(cmd: Command, work: (pool: ReturnType<typeof createPool>, config: Readonly<Config>) => Promise<T>): Promise<T> => {
    const loaded = ctx.config();
    const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
    const pool = createPool({ url: resolveServices(config).databaseUrl, logger: ctx.logger(config), applicationName: 'paystream-cli', poolSize: 1 });
    try {
      return await work(pool, config);
    } finally {
      await pool.end();
    }
  };
  webhooks
    .command('list')
    .description("a payment's webhook deliveries: status, attempts, last answer")
    .requiredOption('--payment <id>', 'payment id')
    .option('--data-dir <dir>', 'data directory')
    .action(async (opts: { payment: string }, cmd: Command) =>
      withPool(cmd, async (pool) => {
        const rows = await deliveriesOf(pool, opts.payment);
        for (const r of rows) process.stdout.write(`${r.eventId}  ${r.eventType.padEnd(16)} ${r.status.padEnd(9)} attempts ${r.attempts}${r.lastHttpStatus === null ? '' : `  HTTP ${r.lastHttpStatus}`}${r.lastError === null ? '' : `  ${r.lastError}`}${r.deliveredAt === null ? '' : `  delivered ${r.deliveredAt.toISOString()}`}\n`);
        if (rows.length === 0) process.stdout.write(`no webhooks for ${opts.payment}\n`);
      }),
    );
  webhooks
    .command('replay')
    .description('send deliveries again (delivered, failed or pending), with a fresh retry window')
    .option('--event <id>', 'one event')
    .option('--payment <id>', "every event of a payment")
    .option('--merchant <id>', "a merchant's events (with --since)")
    .option('--since <time>', 'only events created at or after this time', instant)
    .option('--data-dir <dir>', 'data directory')
    .action(async (opts: { event?: string; payment?: string; merchant?: string; since?: number }, cmd: Command) =>
      withPool(cmd, async (pool, config) => {
        if (opts.event === undefined && opts.payment === undefined && opts.merchant === undefined) throw new PaystreamError('replay_unbounded', 'name --event, --payment or --merchant');
        const count = await requeue(pool, { ...(opts.event === undefined ? {} : { eventId: opts.event }), ...(opts.payment === undefined ? {} : { paymentId: opts.payment }), ...(opts.merchant === undefined ? {} : { merchantId: opts.merchant }), ...(opts.since === undefined ? {} : { sinceMs: opts.since }) }, Date.now(), config.webhookRetryWindowS * 1000);
        process.stdout.write(`${count} deliveries queued again\n`);
      }),
    );
}
