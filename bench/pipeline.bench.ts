/**
 * The whole pipeline on its embedded defaults (`paystream up`: broker, registry, PostgreSQL,
 * Redis, the sandbox acquirers and every role as its own process), driven through the API with
 * signed requests the way `paystream demo` drives it.
 *
 * - Sustained rate: payments sent as fast as the API takes them; payments per second from the
 *   first request until every accepted payment has a final status and every succeeded one its
 *   capture posting in the ledger.
 * - Latency: request to final status, p50 and p99, with payments sent at half that rate.
 * - Baseline: the raw broker in the same run, kafkajs producing and then consuming records of a
 *   payment event's size on the same embedded broker: records/s through one produce and one
 *   consume. A payment crosses eight topics between the API and the ledger, so the ratio shows how
 *   much of the broker's rate the pipeline turns into payments.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { createPool, type Pool } from '../lib/postgres.ts';
import { Secret } from '../lib/secret.ts';
import { waitUntil } from '../lib/wait.ts';
import { readEndpoints } from '../ops/embedded/launcher.ts';
import { runDemo, type DemoSummary } from '../ops/demo/demo.ts';
import { AvroCodec } from '../schemas/codec.ts';
import { MerchantStore } from '../api/merchants/store.ts';
import { resolveMasterKey } from '../api/merchants/master-key.ts';
import { freePort } from '../test/helpers/wait.ts';
import { startUp } from '../test/helpers/up.ts';
import { kafkajsConsume, kafkajsProduce } from './lib/kafkajs-workload.ts';
import { recordFigure } from './lib/result.ts';

/**
 * Merchants the traffic is spread over: each has the API's per-merchant rate limit
 * (api/limits.ts), which would otherwise cap the run at one merchant's allowance.
 */
const MERCHANTS = 8;
const RUNS = 3;
/** Payments per sustained run: enough for a minute of traffic at the rates this machine reaches. */
const SUSTAINED_PAYMENTS = 3_000;
/** Far above what one machine takes: the API's answers and its rate limit set the pace. */
const SUSTAINED_SEND_RATE = 5_000;
const LATENCY_SECONDS = 30;
const RAW_RECORDS = 50_000;
const RAW_VALUE_BYTES = 300;
const START_TIMEOUT_MS = 180_000;
const SETTLE_WAIT_MS = 300_000;

/** Time until every succeeded payment of `ids` has its capture posted; the moment it did. */
async function ledgerCaughtUp(pool: Pool, succeeded: readonly string[]): Promise<number> {
  await waitUntil(
    async () => {
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM ledger_journal WHERE kind = 'capture' AND payment_id = ANY($1::text[])", [succeeded]);
      return Number(rows[0]?.n ?? 0) >= succeeded.length ? true : undefined;
    },
    { timeoutMs: SETTLE_WAIT_MS, intervalMs: 100, what: `captures of ${succeeded.length} succeeded payments in the ledger` },
  );
  return Date.now();
}

async function main(): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'paystream-bench-pipeline-'));
  chmodSync(dir, 0o711);
  const up = startUp(dir, await freePort());
  const runs: Array<{ value: number; baseline: number; p50Ms: number; p99Ms: number; latencyRatePerS: number; produceRecordsPerS: number; consumeRecordsPerS: number; succeeded: number; failed: number }> = [];
  try {
    await waitUntil(() => (/demo merchant: key id \S+, secret \S+/.test(up.output()) || up.child.exitCode !== null ? true : undefined), { timeoutMs: START_TIMEOUT_MS, intervalMs: 200, what: 'paystream up ready' });
    const key = /demo merchant: key id (\S+), secret (\S+)/.exec(up.output());
    const endpoints = readEndpoints(dir);
    const services = endpoints?.services;
    if (key === null || services?.api === undefined || services.kafka === undefined || services.schemaRegistry === undefined || services.postgres === undefined) throw new Error(`paystream up did not come up:\n${up.output()}`);
    const merchant = { keyId: key[1] ?? '', secret: key[2] ?? '' };
    const pool = createPool({ url: new Secret(services.postgres.url), logger, applicationName: 'bench-pipeline', poolSize: 2 });
    const store = new MerchantStore(pool, resolveMasterKey({ masterKey: undefined }, dir));
    const merchants = [merchant];
    for (let i = 1; i < MERCHANTS; i += 1) {
      const created = await store.create(`Bench merchant ${i}`, undefined);
      merchants.push({ keyId: created.keyId, secret: created.secret.reveal() });
    }
    const kafka = createKafka({ brokers: services.kafka.url.split(','), clientId: 'bench-pipeline', logger });
    const codec = new AvroCodec({ registryUrl: services.schemaRegistry.url, clientId: 'bench-pipeline', autoRegister: false });
    const demo = (payments: number, ratePerS: number, seed: number): Promise<DemoSummary> => runDemo({ apiUrl: services.api?.url ?? '', merchant, merchants, kafka, codec, payments, ratePerS, seed, settleWaitMs: SETTLE_WAIT_MS });
    try {
      // A first small round warms every role (schemas registered, connections open, JIT).
      await demo(200, 100, 1);
      for (let run = 0; run < RUNS; run += 1) {
        const produced = await kafkajsProduce(services.kafka.url, `bench.raw.${run}`, RAW_RECORDS, RAW_VALUE_BYTES, 500);
        const consumed = await kafkajsConsume(services.kafka.url, `bench.raw.${run}`, `bench-raw-${run}`, RAW_RECORDS);
        const rawPerS = RAW_RECORDS / ((produced.durationMs + consumed.durationMs) / 1000);

        const startedAt = Date.now();
        const sustained = await demo(SUSTAINED_PAYMENTS, SUSTAINED_SEND_RATE, 100 + run);
        const inFlight = sustained.finals.IN_FLIGHT ?? 0;
        if (inFlight > 0) throw new Error(`run ${run}: ${inFlight} payments without a final status after ${SETTLE_WAIT_MS} ms`);
        const succeededIds = await succeededPayments(pool, startedAt);
        const endedAt = await ledgerCaughtUp(pool, succeededIds);
        const perS = sustained.accepted / ((endedAt - startedAt) / 1000);

        const latencyRate = Math.max(1, Math.floor(perS / 2));
        const paced = await demo(latencyRate * LATENCY_SECONDS, latencyRate, 200 + run);
        runs.push({
          value: Math.round(perS * 10) / 10,
          baseline: Math.round(rawPerS),
          p50Ms: paced.latency.p50Ms,
          p99Ms: paced.latency.p99Ms,
          latencyRatePerS: latencyRate,
          produceRecordsPerS: Math.round(produced.recordsPerSec),
          consumeRecordsPerS: Math.round(consumed.recordsPerSec),
          succeeded: sustained.finals.SUCCEEDED ?? 0,
          failed: sustained.accepted - (sustained.finals.SUCCEEDED ?? 0),
        });
        console.log(`run ${run + 1}: ${perS.toFixed(1)} payments/s sustained; at ${latencyRate}/s request to final p50 ${paced.latency.p50Ms} ms, p99 ${paced.latency.p99Ms} ms; raw broker ${Math.round(rawPerS)} records/s`);
      }
    } finally {
      await pool.end();
    }
  } finally {
    up.child.kill('SIGINT');
    await Promise.race([up.exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
    if (up.child.exitCode === null) up.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = (k: 'p50Ms' | 'p99Ms'): number[] => runs.map((r) => r[k]).sort((a, b) => a - b);
  console.log(`request to final status at half the sustained rate: p50 ${sorted('p50Ms')[1]} ms, p99 ${sorted('p99Ms')[1]} ms (medians of ${RUNS} runs)`);
  recordFigure({
    name: 'pipeline',
    unit: 'payments/s',
    baselineName: 'raw embedded broker, kafkajs produce then consume of 300-byte records',
    // Eight topic hops per payment, plus PostgreSQL, Redis and channel calls on the way.
    target: 0.01,
    workload: `paystream up on its embedded defaults (every role one process, sandbox acquirers with their default declines, errors and callback delays); ${SUSTAINED_PAYMENTS} payments sent as fast as the API takes them per run, timed from the first request until every one is final and every succeeded one has its capture posted; latency runs send for ${LATENCY_SECONDS} s at half that rate (p50Ms, p99Ms per run)`,
    runs,
  });
}

/** Payment ids that succeeded among those created since `sinceMs`. */
async function succeededPayments(pool: Pool, sinceMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ payment_id: string }>("SELECT payment_id FROM payments WHERE status = 'SUCCEEDED' AND created_at >= to_timestamp($1 / 1000.0)", [sinceMs]);
  return rows.map((r) => r.payment_id);
}

await main();
