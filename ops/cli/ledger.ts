/** `paystream ledger balance ACCOUNT`, `ledger check`, `ledger settle [--date D]` and `ledger payouts`. */
import type { Command } from 'commander';
import type { Config } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPool, type Pool } from '../../lib/postgres.ts';
import { LEDGER_CHECKS } from '../../streams/ledger/check.ts';
import { runChecks } from '../check/check.ts';
import { resolveServices } from '../services.ts';
import { dueBusinessDate, listPayouts, settle } from '../../streams/ledger/settlement.ts';

export interface LedgerCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

export function registerLedgerCommand(program: Command, ctx: LedgerCommandContext): void {
  const ledger = program.command('ledger').description('the double-entry ledger');
  const withPool = async (cmd: Command, work: (pool: Pool, logger: Logger) => Promise<void>) => {
    const loaded = ctx.config();
    const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
    const logger = ctx.logger(config);
    const pool = createPool({ url: resolveServices(config).databaseUrl, logger, applicationName: 'paystream-cli', poolSize: 2 });
    try {
      await work(pool, logger);
    } finally {
      await pool.end();
    }
  };
  ledger
    .command('balance')
    .description('balances of an account (e.g. merchant:<id>:payable, channel:acq_alpha:receivable, revenue:fees), per currency; debit-positive')
    .argument('<account>', 'account id')
    .option('--data-dir <dir>', 'data directory')
    .action(async (account: string, _opts: unknown, cmd: Command) =>
      withPool(cmd, async (pool) => {
        const { rows } = await pool.query<{ currency: string; balance_minor: string }>('SELECT currency, balance_minor::text FROM ledger_balances WHERE account_id = $1 ORDER BY currency', [account]);
        for (const r of rows) process.stdout.write(`${account}  ${r.currency}  ${r.balance_minor}\n`);
        if (rows.length === 0) process.stdout.write(`no postings on ${account}\n`);
      }),
    );
  ledger
    .command('check')
    .description('every entry balanced, balances equal their postings, every captured payment posted once')
    .option('--data-dir <dir>', 'data directory')
    .action(async (_opts: unknown, cmd: Command) =>
      withPool(cmd, async (pool, logger) => {
        const report = await runChecks({ pool, sandboxes: {}, logger }, LEDGER_CHECKS);
        process.stdout.write(`${report.report}\n${report.ok ? 'the ledger is clean' : 'THE LEDGER IS NOT CLEAN'}\n`);
        if (!report.ok) process.exitCode = 1;
      }),
    );
  ledger
    .command('settle')
    .description('create the payouts of a business day that has ended (default: the day settlement is due for, T+1); a day settled before creates nothing')
    .option('--date <YYYY-MM-DD>', 'business date')
    .option('--data-dir <dir>', 'data directory')
    .action(async (opts: { date?: string }, cmd: Command) =>
      withPool(cmd, async (pool) => {
        const date = opts.date ?? dueBusinessDate(Date.now());
        const created = await settle(pool, date, Date.now());
        for (const p of created) process.stdout.write(`${p.payoutId}  ${p.merchantId}  ${p.currency}  ${p.amountMinor}\n`);
        process.stdout.write(`${created.length} payouts created for ${date}; the ledger role sends them to the bank\n`);
      }),
    );
  ledger
    .command('payouts')
    .description('payouts to merchants, newest business date first, with their state')
    .option('--merchant <id>', 'only this merchant')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 50)
    .option('--data-dir <dir>', 'data directory')
    .action(async (opts: { merchant?: string; limit: number }, cmd: Command) =>
      withPool(cmd, async (pool) => {
        const payouts = await listPayouts(pool, { ...(opts.merchant === undefined ? {} : { merchantId: opts.merchant }), limit: opts.limit });
        for (const p of payouts) process.stdout.write(`${p.businessDate}  ${p.payoutId}  ${p.merchantId}  ${p.currency}  ${p.amountMinor}  ${p.state}  attempts ${p.attempts}${p.bankReference === null ? '' : `  ${p.bankReference}`}${p.lastError === null ? '' : `  (${p.lastError})`}\n`);
        if (payouts.length === 0) process.stdout.write('no payouts\n');
      }),
    );
}
