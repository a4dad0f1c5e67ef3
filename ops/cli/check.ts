/** `paystream check`: verifies the pipeline's invariants (ops/check/check.ts); exits 1 when one fails. */
import type { Command } from 'commander';
import type { Config } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPool } from '../../lib/postgres.ts';
import { readEndpoints } from '../embedded/launcher.ts';
import { resolveServices } from '../services.ts';
import { runCheck } from '../check/check.ts';

export interface CheckCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

export function registerCheckCommand(program: Command, ctx: CheckCommandContext): void {
  program
    .command('check')
    .description('verify the invariants over everything stored (final statuses, no double charge, ledger)')
    .option('--data-dir <dir>', 'data directory')
    .action(async (_opts: unknown, cmd: Command) => {
      const loaded = ctx.config();
      const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
      const logger = ctx.logger(config);
      const pool = createPool({ url: resolveServices(config).databaseUrl, logger, applicationName: 'paystream-check', poolSize: 2 });
      try {
        const report = await runCheck({ pool, endpoints: readEndpoints(config.dataDir), logger });
        process.stdout.write(`${report.report}\n${report.ok ? 'all invariants hold' : 'INVARIANTS VIOLATED'}\n`);
        if (!report.ok) process.exitCode = 1;
      } finally {
        await pool.end();
      }
    });
}
