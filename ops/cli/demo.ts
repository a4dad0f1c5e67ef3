/**
 * `paystream demo --payments N --rate R`: drives signed traffic through the API of the running
 * `paystream up` on the data directory (its demo merchant), or through --api-url with
 * --key-id/--secret, and prints the summary (ops/demo/demo.ts).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../../lib/config.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPool } from '../../lib/postgres.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { resolveMasterKey } from '../../api/merchants/master-key.ts';
import { readEndpoints } from '../embedded/launcher.ts';
import { resolveServices } from '../services.ts';
import { ensureDemoMerchant } from '../supervisor/demo-merchant.ts';
import { formatSummary, runDemo } from '../demo/demo.ts';
import { DEMO_PAYMENTS_MAX, DEMO_RATE_MAX } from '../demo/limits.ts';
import { runCheck } from '../check/check.ts';

export interface DemoCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

function bounded(name: string, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new InvalidArgumentError(`${name} is an integer from 1 to ${max}`);
    return value;
  };
}

export function registerDemoCommand(program: Command, ctx: DemoCommandContext): void {
  program
    .command('demo')
    .description('send signed payments through the API and summarise what became of them')
    .option('--payments <n>', 'how many payments', bounded('--payments', DEMO_PAYMENTS_MAX), 1_000)
    .option('--rate <perSecond>', 'payments per second', bounded('--rate', DEMO_RATE_MAX), 50)
    .option('--seed <n>', 'traffic mix seed (same seed, same payments)', bounded('--seed', 2 ** 31), 1)
    .option('--wait-s <seconds>', 'how long to wait for final statuses after the last request', bounded('--wait-s', 3_600), 120)
    .option('--api-url <url>', 'API base URL (default: the running paystream up)')
    .option('--key-id <id>', 'merchant key id (default: the demo merchant)')
    .option('--secret <secret>', 'merchant secret (with --key-id)')
    .option('--data-dir <dir>', 'data directory')
    .action(async (opts: { payments: number; rate: number; seed: number; waitS: number; apiUrl?: string; keyId?: string; secret?: string }, cmd: Command) => {
      const loaded = ctx.config();
      const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
      const logger = ctx.logger(config);
      const services = resolveServices(config);
      const apiUrl = opts.apiUrl ?? readEndpoints(config.dataDir)?.services.api?.url;
      if (apiUrl === undefined) throw new PaystreamError('no_api', 'no API: start paystream with `npm start` or pass --api-url');
      const pool = createPool({ url: services.databaseUrl, logger, applicationName: 'paystream-demo', poolSize: 2 });
      // The client's own info lines would scroll the progress bar away.
      const kafka = createKafka({ brokers: services.kafkaBrokers, clientId: `${config.kafkaClientId}-demo`, logger: logger.child({}, { level: 'warn' }) });
      const codec = new AvroCodec({ registryUrl: services.schemaRegistryUrl, clientId: `${config.kafkaClientId}-demo`, autoRegister: false });
      try {
        const merchant =
          opts.keyId !== undefined && opts.secret !== undefined
            ? { keyId: opts.keyId, secret: opts.secret }
            : await ensureDemoMerchant(pool, resolveMasterKey(config, config.dataDir), config.dataDir).then((m) => ({ keyId: m.keyId, secret: m.secret.reveal() }));
        const summary = await runDemo({
          apiUrl,
          merchant,
          kafka,
          codec,
          payments: opts.payments,
          ratePerS: opts.rate,
          seed: opts.seed,
          settleWaitMs: opts.waitS * 1000,
          ...(process.stderr.isTTY ? { progressTo: process.stderr } : {}),
          afterwards: async () => {
            const result = await runCheck({ pool, endpoints: readEndpoints(config.dataDir), logger });
            return { ok: result.ok, report: result.report };
          },
        });
        process.stdout.write(formatSummary(summary));
        if (summary.check?.ok === false) process.exitCode = 1;
      } finally {
        await pool.end();
      }
    });
}
