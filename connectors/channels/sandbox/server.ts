/**
 * startSandboxAcquirer: one sandbox acquirer as a real HTTP server on its own port, speaking
 * its own protocol, with a ground-truth journal, daily statements and an admin endpoint:
 *   GET   /admin/behaviour            current behaviour
 *   PATCH /admin/behaviour            change it (JSON patch of the fields to replace)
 *   GET   /admin/journal              what was charged and refunded
 *   GET   /admin/statement?date=D     the statement file for business date D (own layout)
 *   GET   /admin/statement/truth?date=D  the discrepancies applied to that file
 *   GET   /admin/callbacks            callback deliveries (wallets)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { writeFileAtomic } from '../../../lib/fs-atomic.ts';
import type { Logger } from '../../../lib/logger.ts';
import type { ChannelId } from '../types.ts';
import { ALPHA_FEES, alphaStatement, registerAlpha } from './acq-alpha.ts';
import { BETA_FEES, betaStatement, registerBeta } from './acq-beta.ts';
import { BehaviourError, type Behaviour, type BehaviourPatch } from './behaviour.ts';
import { CallbackSender, type CallbackRecord, type CallbackStats } from './callbacks.ts';
import { SandboxContext, type CallCounters, type Clock, type FeeSchedule } from './core.ts';
import type { SandboxCredentials } from './credentials.ts';
import type { Journal } from './journal.ts';
import { REQUEST_BODY_BYTES_MAX } from './limits.ts';
import type { Random } from './random.ts';
import type { StatementFile } from './statement.ts';
import { WALLET_A_FEES, walletAIsAck, walletAStatement, registerWalletA } from './wallet-a.ts';
import { WALLET_B_FEES, walletBIsAck, walletBStatement, registerWalletB } from './wallet-b.ts';

export interface SandboxOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  credentials: SandboxCredentials;
  /** Same seed, same run: latency, declines, errors, references and discrepancies. */
  seed?: number;
  /** Replaces the seeded generator (e.g. one shared by a whole simulation). */
  random?: Random;
  clock?: Clock;
  behaviour?: BehaviourPatch;
  /** Wallets: where callbacks go when a request names no notify URL. */
  notifyUrl?: string;
  log?: Logger;
}

export interface SandboxAdmin {
  behaviour(): Behaviour;
  setBehaviour(patch: BehaviourPatch): Behaviour;
  statement(date: string): StatementFile;
  /** Writes the statement for `date` into `dir` under the channel's own file name (atomically); returns its path. */
  writeStatement(date: string, dir: string): string;
  callbacks(): { stats: CallbackStats; records: CallbackRecord[] };
  counters(): CallCounters;
  /** Completions and callbacks still waiting or in flight. */
  pendingWork(): number;
}

export interface RunningSandbox {
  name: ChannelId;
  url: string;
  journal: Journal;
  admin: SandboxAdmin;
  close(): Promise<void>;
}

const FEES: Record<ChannelId, FeeSchedule> = { acq_alpha: ALPHA_FEES, acq_beta: BETA_FEES, wallet_a: WALLET_A_FEES, wallet_b: WALLET_B_FEES };
const STATEMENTS: Record<ChannelId, (ctx: SandboxContext, date: string) => StatementFile> = { acq_alpha: alphaStatement, acq_beta: betaStatement, wallet_a: walletAStatement, wallet_b: walletBStatement };

export async function startSandboxAcquirer(name: ChannelId, options: SandboxOptions): Promise<RunningSandbox> {
  assert.equal(options.credentials.channelId, name, 'credentials are for another channel');
  const ctx = new SandboxContext({ name, seed: options.seed ?? 1, ...(options.random === undefined ? {} : { random: options.random }), clock: options.clock ?? { nowMs: () => Date.now() }, fees: FEES[name], behaviour: options.behaviour ?? {}, ...(options.log === undefined ? {} : { log: options.log }) });
  const app = Fastify({ logger: false, bodyLimit: REQUEST_BODY_BYTES_MAX, forceCloseConnections: true });
  // Signatures cover the exact bytes, so bodies reach the protocols as raw text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  let baseUrl = '';
  const notifyUrl = options.notifyUrl ?? null;
  let callbacks: CallbackSender | null = null;
  const creds = options.credentials;
  switch (creds.channelId) {
    case 'acq_alpha':
      registerAlpha(app, ctx, creds.acquirer);
      break;
    case 'acq_beta':
      registerBeta(app, ctx, creds.acquirer);
      break;
    case 'wallet_a':
      callbacks = new CallbackSender(ctx, walletAIsAck);
      registerWalletA(app, ctx, creds.acquirer, callbacks, notifyUrl);
      break;
    case 'wallet_b':
      callbacks = new CallbackSender(ctx, walletBIsAck);
      registerWalletB(app, ctx, creds.acquirer, callbacks, notifyUrl, () => baseUrl);
      break;
    default: {
      const unreachable: never = creds;
      throw new Error(`unknown channel ${JSON.stringify(unreachable)}`);
    }
  }
  const admin: SandboxAdmin = {
    behaviour: () => ctx.behaviour,
    setBehaviour: (patch) => ctx.setBehaviour(patch),
    statement: (date) => STATEMENTS[name](ctx, date),
    writeStatement: (date, dir) => {
      const file = STATEMENTS[name](ctx, date);
      const path = join(dir, file.fileName);
      writeFileAtomic(path, file.content);
      return path;
    },
    callbacks: () => ({ stats: callbacks?.stats ?? { scheduled: 0, lost: 0, acknowledged: 0, gaveUp: 0, dropped: 0, duplicates: 0, attempts: 0 }, records: callbacks?.records() ?? [] }),
    counters: () => ({ ...ctx.counters }),
    pendingWork: () => ctx.scheduled + (callbacks?.pending ?? 0),
  };
  registerAdmin(app, ctx, admin);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  let closed: Promise<void> | undefined;
  return {
    name,
    url: baseUrl,
    journal: ctx.journal,
    admin,
    close: () => {
      closed ??= (async () => {
        ctx.shutdown();
        callbacks?.close();
        await app.close();
      })();
      return closed;
    },
  };
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function registerAdmin(app: FastifyInstance, ctx: SandboxContext, admin: SandboxAdmin): void {
  app.get('/admin/behaviour', async () => admin.behaviour());
  app.patch('/admin/behaviour', async (req, reply) => {
    let patch: unknown;
    try {
      patch = JSON.parse(typeof req.body === 'string' ? req.body : '');
      return admin.setBehaviour(patch as BehaviourPatch);
    } catch (err) {
      if (err instanceof BehaviourError || err instanceof SyntaxError) return reply.code(400).send({ code: 'sandbox_behaviour_invalid', message: err.message });
      throw err;
    }
  });
  app.get('/admin/journal', async () => ({ entries: ctx.journal.toJSON() }));
  app.get('/admin/callbacks', async () => admin.callbacks());
  app.get('/admin/statement', async (req, reply) => {
    const date = (req.query as Record<string, unknown>).date;
    if (typeof date !== 'string' || !DATE_RE.test(date)) return reply.code(400).send({ code: 'bad_date', message: 'date must be YYYY-MM-DD' });
    const file = admin.statement(date);
    return reply.header('content-disposition', `attachment; filename="${file.fileName}"`).type('text/plain; charset=utf-8').send(file.content);
  });
  app.get('/admin/statement/truth', async (req, reply) => {
    const date = (req.query as Record<string, unknown>).date;
    if (typeof date !== 'string' || !DATE_RE.test(date)) return reply.code(400).send({ code: 'bad_date', message: 'date must be YYYY-MM-DD' });
    return { discrepancies: admin.statement(date).discrepancies };
  });
}
