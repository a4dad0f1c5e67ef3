/**
 * `paystream merchant create --name N [--webhook-url U]`: creates a merchant and prints its key id
 * and signing secret once (the database keeps only the sealed secret).
 */
import type { Command } from 'commander';
import type { Config } from '../../lib/config.ts';
import { PaystreamError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPool } from '../../lib/postgres.ts';
import { Secret } from '../../lib/secret.ts';
import { resolveMasterKey } from '../../api/merchants/master-key.ts';
import { MerchantStore, validateMerchantInput } from '../../api/merchants/store.ts';
import { readEndpoints } from '../embedded/launcher.ts';

export interface MerchantCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

export function registerMerchantCommand(program: Command, ctx: MerchantCommandContext): void {
  const merchant = program.command('merchant').description('manage merchants of the ingress API');
  merchant
    .command('create')
    .description('create a merchant; prints its key id and secret once')
    .requiredOption('--name <name>', 'merchant name')
    .option('--webhook-url <url>', 'where signed payment webhooks are sent')
    .option('--data-dir <dir>', 'data directory')
    .action(async (opts: { name: string; webhookUrl?: string }, cmd: Command) => {
      const config = ctx.config();
      const dataDir = ctx.dataDir(cmd, config);
      const invalid = validateMerchantInput(opts.name, opts.webhookUrl);
      if (invalid !== undefined) throw new PaystreamError('merchant_invalid', invalid);
      const found = readEndpoints(dataDir)?.services.postgres?.url;
      const url = config.databaseUrl ?? (found === undefined ? undefined : new Secret(found));
      if (url === undefined) throw new PaystreamError('no_database', 'set DATABASE_URL or start paystream with `paystream up` first');
      const pool = createPool({ url, logger: ctx.logger(config), applicationName: 'paystream-cli', poolSize: 1 });
      try {
        const store = new MerchantStore(pool, resolveMasterKey(config, dataDir));
        const created = await store.create(opts.name, opts.webhookUrl);
        process.stdout.write(
          `merchant id:    ${created.merchantId}\nkey id:         ${created.keyId}\nsecret:         ${created.secret.reveal()}\nwebhook secret: ${created.webhookSecret.reveal()}\n` +
            'The secrets are shown only now; store them safely.\n',
        );
      } finally {
        await pool.end();
      }
    });
}
