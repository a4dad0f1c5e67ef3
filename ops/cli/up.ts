/**
 * `paystream up` (what `npm start` runs): the embedded services, then every role as a supervised
 * child process, then a banner with the API and docs URLs, a merchant key to try and a curl that
 * creates a payment. Ctrl-C stops the roles (API first), then the services; the data directory
 * keeps everything for the next start. `--services-only` starts just the services.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../lib/config.ts';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPool } from '../../lib/postgres.ts';
import type { Shutdown } from '../../lib/shutdown.ts';
import { Secret } from '../../lib/secret.ts';
import { resolveMasterKey } from '../../api/merchants/master-key.ts';
import { launch, type Endpoints } from '../embedded/launcher.ts';
import { freePort } from '../embedded/ports.ts';
import { curlExample, ensureDemoMerchant } from '../supervisor/demo-merchant.ts';
import { superviseRoles } from '../supervisor/supervisor.ts';
import { ROLES } from './roles.ts';

/** The API starts last (it takes traffic once the processors behind it consume) and stops first. */
/** The file in the data directory listing each running role's pid. */
export const ROLES_FILE = 'roles.json';

export function roleStages(roles: readonly string[]): string[][] {
  const processors = roles.filter((r) => r !== 'api');
  return [processors, roles.includes('api') ? ['api'] : []].filter((stage) => stage.length > 0);
}

export function describeServices(endpoints: Endpoints): string {
  const lines = [`paystream services are up (data in ${endpoints.dataDir}):`];
  for (const [name, service] of Object.entries(endpoints.services)) {
    if (service === undefined) continue;
    const shown = service.url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
    lines.push(`  ${name.padEnd(18)} ${shown}${service.embedded ? `  (embedded${service.pid === undefined ? '' : `, pid ${service.pid}`})` : '  (external)'}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runUp(options: { config: Readonly<Config>; dataDir: string; logger: Logger; shutdown: Shutdown; servicesOnly: boolean; write: (text: string) => void }): Promise<void> {
  const { logger, shutdown } = options;
  // The sandbox wallets learn where to call back before the API listens: API_PORT=0 becomes a
  // concrete free port here, the one the API role is then told to use.
  const apiPort = options.config.apiPort === 0 ? await freePort(options.config.apiHost === '0.0.0.0' ? '127.0.0.1' : options.config.apiHost) : options.config.apiPort;
  const config: Readonly<Config> = Object.freeze({ ...options.config, apiPort });
  const launched = await launch({ config, dataDir: options.dataDir, logger });
  shutdown.add('embedded services', () => launched.stop());
  options.write(describeServices(launched.endpoints));
  if (options.servicesOnly) return;

  // roles.json: the current pid of each role, for operators and chaos tests.
  const pids: Record<string, number> = {};
  const rolesFile = join(launched.endpoints.dataDir, ROLES_FILE);
  const supervisor = await superviseRoles({
    stages: roleStages(Object.keys(ROLES)),
    dataDir: launched.endpoints.dataDir,
    logger,
    graceMs: config.shutdownGraceMs,
    env: { METRICS_PORT: '0', API_PORT: String(apiPort) },
    onStart: (role, pid) => {
      pids[role] = pid;
      writeFileAtomic(rolesFile, `${JSON.stringify(pids, null, 2)}\n`);
    },
  });
  shutdown.add('roles file', () => rmSync(rolesFile, { force: true }));
  shutdown.add('roles', () => supervisor.stop());
  const apiRole = supervisor.roles.find((r) => r.name === 'api');
  const api = apiRole?.addresses.api;
  // `paystream demo` and `paystream check` find the API here.
  if (api !== undefined) launched.publish('api', { url: api, embedded: true, pid: apiRole?.pid ?? -1 });
  const lines = supervisor.roles.map((r) => `  ${r.name.padEnd(16)} pid ${r.pid}${Object.entries(r.addresses).map(([k, v]) => `  ${k} ${v}`).join('')}`);
  options.write(`roles running:\n${lines.join('\n')}\n`);
  if (api === undefined) return;

  const databaseUrl = config.databaseUrl ?? new Secret(launched.endpoints.services.postgres?.url ?? '');
  const pool = createPool({ url: databaseUrl, logger, applicationName: 'paystream-up', poolSize: 1 });
  try {
    const merchant = await ensureDemoMerchant(pool, resolveMasterKey(config, launched.endpoints.dataDir), launched.endpoints.dataDir);
    options.write(
      `\nAPI       ${api}\nAPI docs  ${api}/docs\n` +
        `demo merchant: key id ${merchant.keyId}, secret ${merchant.secret.reveal()}\n\n` +
        `Create a payment (bash, curl, openssl):\n\n${curlExample(api, merchant)}\n\n` +
        `Drive traffic: npx tsx ops/cli/main.ts demo --payments 1000 --rate 50\nCtrl-C stops everything; data stays in ${launched.endpoints.dataDir}.\n`,
    );
  } finally {
    await pool.end();
  }
}
