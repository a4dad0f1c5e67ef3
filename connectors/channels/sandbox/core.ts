/**
 * What every sandbox acquirer shares: its context (behaviour, seeded randomness, clock,
 * journal, fee schedule) and the life of one API call — outage, injected 5xx, processing,
 * latency, and simulated timeouts that hold the answer back.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import { Decimal } from 'decimal.js';
import type { Logger } from '../../../lib/logger.ts';
import type { ChannelId } from '../types.ts';
import { applyBehaviourPatch, DEFAULT_BEHAVIOUR, sampleLatencyMs, type Behaviour, type BehaviourPatch } from './behaviour.ts';
import { Journal } from './journal.ts';
import { HELD_RESPONSES_MAX } from './limits.ts';
import { seededRandom, type Random } from './random.ts';

export interface Clock {
  nowMs(): number;
}

export interface FeeSchedule {
  /** Percentage part in basis points (1/100 of a percent). */
  bps: number;
  fixedMinor: bigint;
}

/** A fully built answer; protocols sign it before handing it over. */
export interface Answer {
  statusCode: number;
  contentType: string;
  headers: Record<string, string>;
  body: string;
}

export interface CallCounters {
  calls: number;
  outages: number;
  injectedErrors: number;
  timeouts: number;
  processed: number;
}

export class SandboxContext {
  readonly name: ChannelId;
  readonly seed: number;
  readonly random: Random;
  readonly clock: Clock;
  readonly journal = new Journal();
  readonly fees: FeeSchedule;
  readonly log: Logger | undefined;
  readonly counters: CallCounters = { calls: 0, outages: 0, injectedErrors: 0, timeouts: 0, processed: 0 };
  readonly #closing = new AbortController();
  readonly #held = new Map<FastifyReply, NodeJS.Timeout>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #behaviour: Behaviour;
  #nextId = 0;

  constructor(options: { name: ChannelId; seed: number; random?: Random; clock: Clock; fees: FeeSchedule; behaviour?: BehaviourPatch; log?: Logger }) {
    this.name = options.name;
    this.seed = options.seed;
    this.random = options.random ?? seededRandom(options.seed);
    this.clock = options.clock;
    this.fees = options.fees;
    this.log = options.log;
    this.#behaviour = applyBehaviourPatch(structuredClone(DEFAULT_BEHAVIOUR), options.behaviour ?? {});
    // Every sleeping answer and in-flight callback listens for close; that is by design, not a leak.
    setMaxListeners(0, this.#closing.signal);
  }

  get behaviour(): Behaviour {
    return this.#behaviour;
  }

  setBehaviour(patch: unknown): Behaviour {
    this.#behaviour = applyBehaviourPatch(this.#behaviour, patch);
    return this.#behaviour;
  }

  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** Sequential, so a seeded run names its references the same way every time. */
  nextId(prefix: string): string {
    this.#nextId += 1;
    return `${prefix}${this.seed.toString(36)}${this.#nextId.toString().padStart(8, '0')}`;
  }

  chance(rate: number): boolean {
    return rate > 0 && this.random.next() < rate;
  }

  feeFor(amountMinor: bigint): bigint {
    const percent = new Decimal(amountMinor.toString()).mul(this.fees.bps).div(10_000).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
    return BigInt(percent.toFixed(0)) + this.fees.fixedMinor;
  }

  /** Runs `run` after `ms` unless the acquirer closes first (wallet completions). */
  later(ms: number, run: () => void): void {
    if (this.#closing.signal.aborted) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  /** Scheduled work not yet run, for tests that wait for quiet. */
  get scheduled(): number {
    return this.#timers.size;
  }

  /** Drops every held answer and wakes every sleeping one; called once on close. */
  shutdown(): void {
    this.#closing.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const [reply, timer] of this.#held) {
      clearTimeout(timer);
      reply.raw.destroy();
    }
    this.#held.clear();
  }

  /**
   * One API call: outage and injected errors answer 5xx before anything is processed; then
   * `process` runs synchronously (so concurrent repeats of one request id see its journal
   * entry), then latency, then the answer — or, for a simulated timeout, no answer at all.
   */
  async apiCall(reply: FastifyReply, unavailable: (statusCode: number) => Answer, process: () => Answer): Promise<void> {
    this.counters.calls += 1;
    const b = this.#behaviour;
    if (b.outage) {
      this.counters.outages += 1;
      return send(reply, unavailable(503));
    }
    if (this.chance(b.errorRate)) {
      this.counters.injectedErrors += 1;
      return send(reply, unavailable([500, 502, 503][Math.floor(this.random.next() * 3)] ?? 500));
    }
    const timesOut = this.chance(b.timeoutRate);
    const processes = !timesOut || b.timeoutProcessedRate >= 1 || this.chance(b.timeoutProcessedRate);
    const answer = processes ? process() : undefined;
    if (processes) this.counters.processed += 1;
    const latencyMs = sampleLatencyMs(b.latency, this.random);
    if (latencyMs > 0) {
      try {
        await delay(latencyMs, undefined, { signal: this.#closing.signal });
      } catch (err) {
        if (this.#closing.signal.aborted) return void reply.raw.destroy();
        throw err;
      }
    }
    if (timesOut || answer === undefined) return this.#hold(reply, b.timeoutHoldMs);
    return send(reply, answer);
  }

  /** Keeps the connection open without answering, then drops it: the client sees a timeout or a reset. */
  #hold(reply: FastifyReply, holdMs: number): void {
    this.counters.timeouts += 1;
    reply.hijack();
    if (this.#closing.signal.aborted || this.#held.size >= HELD_RESPONSES_MAX) return void reply.raw.destroy();
    const timer = setTimeout(() => {
      this.#held.delete(reply);
      reply.raw.destroy();
    }, holdMs);
    timer.unref();
    this.#held.set(reply, timer);
  }
}

export function send(reply: FastifyReply, answer: Answer): void {
  void reply.code(answer.statusCode).headers(answer.headers).type(answer.contentType).send(answer.body);
}

/** Local calendar date (YYYY-MM-DD) of an instant in a fixed-offset time zone. */
export function localDate(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** Local wall-clock time `YYYY-MM-DD HH:MM:SS` of an instant in a fixed-offset time zone. */
export function localDateTime(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}
