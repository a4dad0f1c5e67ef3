import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../lib/logger.ts';
import { inTransaction } from '../../lib/postgres.ts';
import { Secret } from '../../lib/secret.ts';
import { MerchantStore } from '../../api/merchants/store.ts';
import { createChannelAdapter } from '../../connectors/channels/index.ts';
import { startSandboxFleet, type SandboxFleet } from '../../connectors/channels/sandbox/fleet.ts';
import { runChecks, BASE_CHECKS } from '../../ops/check/check.ts';
import { handleInput } from '../../streams/result/handle.ts';
import type { ResultInput } from '../../streams/result/state.ts';
import { inputs } from '../../streams/result/testing/inputs.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';

const logger = createLogger({ level: 'silent' });
const CARD = { kind: 'card' as const, token: 'tok_visa_ok', expiryMonth: 12, expiryYear: 2030 };
let pg: TestPostgres;
let fleet: SandboxFleet;
let merchantId: string;

before(async () => {
  pg = await startTestPostgres();
  fleet = await startSandboxFleet({ notifyUrl: () => 'http://127.0.0.1:9/unused', timeoutMs: 2_000, seed: 9 });
  merchantId = (await new MerchantStore(pg.pool, new Secret(randomBytes(32).toString('hex'))).create('Checked', undefined)).merchantId;
});
after(async () => {
  await fleet.close();
  await pg.close();
});

const sandboxes = () => Object.fromEntries(Object.entries(fleet.sandboxes).map(([id, s]) => [id, s.url]));
const alpha = () => createChannelAdapter(fleet.adapters.acq_alpha);
const beta = () => createChannelAdapter(fleet.adapters.acq_beta);

async function accepted(paymentId: string): Promise<void> {
  await pg.pool.query("INSERT INTO accepted_payments (payment_id, merchant_id, merchant_order_id, amount_minor, currency, method, status, request_hash) VALUES ($1, $2, $1, 1000, 'EUR', 'card', 'accepted', 'h')", [paymentId, merchantId]);
}

async function apply(list: ResultInput[]): Promise<void> {
  for (const [i, input] of list.entries()) await inTransaction(pg.pool, (c) => handleInput(c, { ...input, ...(input.kind === 'create' ? { merchantId } : {}) } as ResultInput, `t/0/${input.paymentId}-${i}`, { events: 'e', anomalies: 'a' }));
}

test('check: clean when every payment is decided as the channels say; each broken invariant is named with its payment', { timeout: 60_000 }, async () => {
  const ok = inputs('chk-ok');
  await accepted('chk-ok');
  assert.equal((await alpha().createPayment({ paymentId: 'chk-ok', attemptId: 'chk-ok:1', amountMinor: 1_000n, currency: 'EUR', instrument: CARD })).status, 'approved');
  await apply([ok.create(), ok.routed(), ok.assessed(), ok.attempt('APPROVED')]);
  const declined = inputs('chk-declined');
  await accepted('chk-declined');
  await apply([declined.create(), declined.routed(), declined.assessed(), declined.attempt('DECLINED')]);

  const clean = await runChecks({ pool: pg.pool, sandboxes: sandboxes(), logger }, BASE_CHECKS);
  assert.equal(clean.ok, true, clean.report);

  // Accepted, never applied.
  await accepted('chk-lost');
  // Succeeded here, never charged.
  const ghost = inputs('chk-ghost');
  await accepted('chk-ghost');
  await apply([ghost.create(), ghost.routed(), ghost.assessed(), ghost.attempt('APPROVED')]);
  // Charged twice (two attempts approved on two acquirers).
  await alpha().createPayment({ paymentId: 'chk-double', attemptId: 'chk-double:1', amountMinor: 1_000n, currency: 'EUR', instrument: CARD });
  await beta().createPayment({ paymentId: 'chk-double', attemptId: 'chk-double:2', amountMinor: 1_000n, currency: 'EUR', instrument: CARD });

  const broken = await runChecks({ pool: pg.pool, sandboxes: sandboxes(), logger }, BASE_CHECKS);
  assert.equal(broken.ok, false);
  const failed = Object.fromEntries(broken.checks.map((c) => [c.name, c]));
  assert.match(failed['every accepted payment reached exactly one final status']?.examples.join('\n') ?? '', /chk-lost: accepted but never applied/);
  assert.match(failed["every final status agrees with the channels' ground truth"]?.examples.join('\n') ?? '', /chk-ghost: SUCCEEDED here, not charged/);
  assert.match(failed['no payment charged twice (sandbox journals)']?.examples.join('\n') ?? '', /chk-double: approved by acq_alpha\/chk-double:1, acq_beta\/chk-double:2/);
  assert.match(broken.report, /FAIL/);
});
