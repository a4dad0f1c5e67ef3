/**
 * The `paystream` command. Every command takes --data-dir (default from PAYSTREAM_DATA_DIR, else
 * `.paystream`) and finds running services through `<data-dir>/endpoints.json` or the
 * environment. Logs go to stderr as JSON; what a person asked for goes to stdout.
 * commander parses the command line: subcommands, help and option errors come with it.
 */
import { Command, CommanderError } from 'commander';
import { pino } from 'pino';
import { configMarkdownTable, loadConfig, type Config } from '../../lib/config.ts';
import { ConfigErrors, PaystreamError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import { createShutdown } from '../../lib/shutdown.ts';
import { readEndpoints } from '../embedded/launcher.ts';
import { migrateUp } from '../migrations/migrate.ts';
import { Secret } from '../../lib/secret.ts';
import { registerMerchantCommand } from './merchant.ts';
import { registerCheckCommand } from './check.ts';
import { registerDemoCommand } from './demo.ts';
import { registerPaymentsCommand } from './payments.ts';
import { registerWebhooksCommand } from './webhooks.ts';
import { registerRoutingCommand } from './routing.ts';
import { registerRiskCommand } from './risk.ts';
import { registerLedgerCommand } from './ledger.ts';
import { ROLES } from './roles.ts';
import { runUp } from './up.ts';
import { watchSupervisor } from '../supervisor/watch.ts';

function loadConfigOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigErrors) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

function cliLogger(config: Readonly<Config>) {
  return createLogger({ level: config.logLevel, name: 'paystream', destination: pino.destination(2) });
}

export function buildProgram(): Command {
  const program = new Command('paystream')
    .description('paystream: a Kafka-centred payment pipeline')
    .option('--data-dir <dir>', 'data directory of the embedded services (default: PAYSTREAM_DATA_DIR or .paystream)')
    .showHelpAfterError()
    // Options after a subcommand belong to it, so `broker` can pass its flags through untouched.
    .enablePositionalOptions();

  const dataDirOf = (cmd: Command, config: Readonly<Config>): string => (cmd.optsWithGlobals() as { dataDir?: string }).dataDir ?? config.dataDir;

  program
    .command('up')
    .description('start the embedded services and every role (what `npm start` runs); Ctrl-C stops all')
    .option('--data-dir <dir>', 'data directory')
    .option('--services-only', 'start only the embedded services (PostgreSQL, Redis, Kafka, schema registry)')
    .action(async (opts: { servicesOnly?: boolean }, cmd: Command) => {
      const config = loadConfigOrExit();
      const logger = cliLogger(config);
      const shutdown = createShutdown({ graceMs: config.shutdownGraceMs + 30_000, logger });
      shutdown.installSignalHandlers();
      await runUp({ config, dataDir: dataDirOf(cmd, config), logger, shutdown, servicesOnly: opts.servicesOnly === true, write: (text) => process.stdout.write(text) });
    });

  program
    .command('endpoints')
    .description('print the endpoints of the running services as JSON')
    .option('--data-dir <dir>', 'data directory')
    .action((_opts: unknown, cmd: Command) => {
      const config = loadConfigOrExit();
      const endpoints = readEndpoints(dataDirOf(cmd, config));
      if (endpoints === undefined) {
        process.stderr.write('paystream is not running on this data directory (start it with `paystream up`)\n');
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${JSON.stringify(endpoints, null, 2)}\n`);
    });

  program
    .command('migrate')
    .description('apply database migrations (DATABASE_URL, or the running embedded PostgreSQL)')
    .option('--data-dir <dir>', 'data directory')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = loadConfigOrExit();
      const logger = cliLogger(config);
      const url = config.databaseUrl ?? (() => {
        const found = readEndpoints(dataDirOf(cmd, config))?.services.postgres?.url;
        return found === undefined ? undefined : new Secret(found);
      })();
      if (url === undefined) throw new PaystreamError('no_database', 'set DATABASE_URL or start paystream with `paystream up` first');
      const { applied } = await migrateUp(url, logger);
      process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
    });

  program
    .command('config')
    .description('list every configuration variable with its default')
    .option('--markdown', 'print the README table')
    .action((opts: { markdown?: boolean }) => {
      if (opts.markdown === true) {
        process.stdout.write(`${configMarkdownTable()}\n`);
        return;
      }
      const config = loadConfigOrExit();
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    });

  registerMerchantCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });
  registerDemoCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });
  registerCheckCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });
  registerPaymentsCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });
  registerWebhooksCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });
  registerRoutingCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });
  registerRiskCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });
  registerLedgerCommand(program, { config: loadConfigOrExit, logger: cliLogger, dataDir: dataDirOf });

  program
    .command('run')
    .description(`run one role in the foreground (${Object.keys(ROLES).join(', ')})`)
    .argument('<role>', 'the role to run')
    .option('--data-dir <dir>', 'data directory of a running `paystream up` to find services through')
    .action(async (role: string, _opts: unknown, cmd: Command) => {
      const start = ROLES[role];
      if (start === undefined) throw new PaystreamError('unknown_role', `unknown role "${role}"; roles: ${Object.keys(ROLES).join(', ')}`);
      const loaded = loadConfigOrExit();
      const config = Object.freeze({ ...loaded, dataDir: dataDirOf(cmd, loaded) });
      const logger = cliLogger(config).child({ role });
      const shutdown = createShutdown({ graceMs: config.shutdownGraceMs, logger });
      shutdown.installSignalHandlers();
      const running = await start(config, logger);
      shutdown.add(role, () => running.close());
      watchSupervisor(shutdown, logger);
      process.stdout.write(`${role} is running: ${Object.entries(running.addresses).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
    });

  program
    .command('broker')
    .description('run the embedded Kafka-protocol broker in the foreground')
    .allowUnknownOption(true)
    .passThroughOptions()
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { runBrokerCli } = (await import('../embedded/kafka/main.ts')) as { runBrokerCli(argv: string[]): Promise<void> };
      await runBrokerCli(args);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof PaystreamError) {
      process.stderr.write(`paystream: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv.slice(2));
}
