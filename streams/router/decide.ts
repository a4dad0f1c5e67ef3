/**
 * The routing decision, pure: a CreatePayment, the rule set, the live channel view and the fee
 * source in; the PaymentRouted record out. First enabled rule that matches wins (rules are in
 * priority order); its arm is picked by the payment's hash bucket; the arm's strategy orders the
 * eligible channels. No matching rule or no eligible channel: outcome NO_ROUTE, code no_route.
 */
import type { ChannelScore, CreatePayment, PaymentRouted, RoutingArm, RoutingRule, TimeWindow } from '../../schemas/types.ts';
import { channelTakes, ROUTABLE_CHANNEL_IDS } from './channels.ts';
import type { FeeSource } from './fees.ts';
import { bucketOf } from './hash.ts';
import { EXPERIMENT_BUCKETS, HALF_OPEN_SUCCESS_FACTOR, LATENCY_SCORE_CEILING_MS } from './limits.ts';
import type { ChannelLive } from './live.ts';
import { ruleLabel, type RuleSet } from './rules.ts';

export const NO_ROUTE_CODE = 'no_route';

export interface RouteInput {
  paymentId: string;
  merchantId: string;
  create: CreatePayment;
}

export interface DecideContext {
  rules: RuleSet;
  live: ChannelLive;
  fees: FeeSource;
  nowMs: number;
}

const minuteFormatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes after local midnight in `timeZone` (formatters are cached: building one costs ~50 µs). */
export function localMinute(nowMs: number, timeZone: string): number {
  let f = minuteFormatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    minuteFormatters.set(timeZone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const part of f.formatToParts(nowMs)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}

export function inWindow(w: TimeWindow, nowMs: number): boolean {
  const m = localMinute(nowMs, w.timeZone);
  return w.startMinute < w.endMinute ? m >= w.startMinute && m < w.endMinute : m >= w.startMinute || m < w.endMinute;
}

export function ruleMatches(rule: RoutingRule, input: RouteInput, nowMs: number): boolean {
  const c = input.create;
  if (!rule.enabled) return false;
  if (rule.merchantId !== null && rule.merchantId !== input.merchantId) return false;
  if (rule.currency !== null && rule.currency !== c.currency) return false;
  if (rule.method !== null && rule.method !== c.method) return false;
  if (rule.minAmountMinor !== null && c.amountMinor < rule.minAmountMinor) return false;
  if (rule.maxAmountMinor !== null && c.amountMinor > rule.maxAmountMinor) return false;
  if (rule.timeWindow !== null && !inWindow(rule.timeWindow, nowMs)) return false;
  return true;
}

/** The arm whose cumulative weight covers the payment's bucket. */
export function pickArm(rule: RoutingRule, paymentId: string): RoutingArm {
  const bucket = bucketOf(paymentId);
  let upper = 0;
  for (const arm of rule.arms) {
    upper += (arm.weightPercent * EXPERIMENT_BUCKETS) / 100;
    if (bucket < upper) return arm;
  }
  const last = rule.arms[rule.arms.length - 1];
  if (last === undefined) throw new Error(`rule ${rule.ruleId} has no arm (validation lets none through)`);
  return last;
}

/** Why a channel may not carry this payment under this rule, or null when it may. */
function ineligibility(channelId: string, rule: RoutingRule, input: RouteInput, ctx: DecideContext): string | null {
  if (!channelTakes(channelId, input.create.method)) return 'method_not_supported';
  if (rule.denyChannelIds.includes(channelId)) return 'denied_by_rule';
  if (rule.allowChannelIds.length > 0 && !rule.allowChannelIds.includes(channelId)) return 'not_allowed_by_rule';
  const view = ctx.live.view(channelId, ctx.nowMs);
  if (!view.switchedOn) return 'switched_off';
  if (view.breaker === 'OPEN') return 'breaker_open';
  return null;
}

function scoreChannels(ids: readonly string[], rule: RoutingRule, arm: RoutingArm, input: RouteInput, ctx: DecideContext): ChannelScore[] {
  const fees = ids.map((id) => ctx.fees.estimateMinor(id, input.create.amountMinor, input.create.currency));
  const known = fees.filter((f): f is bigint => f !== null);
  const cheapest = known.length === 0 ? 0n : known.reduce((a, b) => (b < a ? b : a));
  const w = arm.scoreWeights;
  const weightSum = w.fee + w.successRate + w.latency + w.preferred || 1;
  return ids.map((id, i) => {
    const feeMinor = fees[i] ?? null;
    // Cheapest / this fee: the cheapest scores 1, one twice as dear 0.5; an unknown price scores 0.
    const fee = feeMinor === null ? 0 : feeMinor <= 0n ? 1 : Number(cheapest) / Number(feeMinor);
    const view = ctx.live.view(id, ctx.nowMs);
    const successRate = view.successRate * (view.breaker === 'HALF_OPEN' ? HALF_OPEN_SUCCESS_FACTOR : 1);
    const latency = view.latencyP95Ms === null ? 0.5 : Math.max(0, 1 - view.latencyP95Ms / LATENCY_SCORE_CEILING_MS);
    const preferred = id === rule.preferredChannelId || (arm.channelId !== '' && id === arm.channelId) ? 1 : 0;
    const total = (w.fee * fee + w.successRate * successRate + w.latency * latency + w.preferred * preferred) / weightSum;
    return { channelId: id, total, fee, feeMinor: feeMinor ?? 0n, successRate, latency, preferred, note: view.breaker === 'HALF_OPEN' ? 'breaker_half_open' : null };
  });
}

function byScore(a: ChannelScore, b: ChannelScore): number {
  return b.total - a.total || (a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0);
}

/** Eligible channels in the arm's order with their scores, then the ineligible ones with why. */
export function rankChannels(rule: RoutingRule, arm: RoutingArm, input: RouteInput, ctx: DecideContext): { ordered: string[]; scores: ChannelScore[] } {
  const considered = arm.strategy === 'FIXED' ? [arm.channelId, ...arm.fallbackChannelIds] : [...ROUTABLE_CHANNEL_IDS];
  const eligible: string[] = [];
  const left: ChannelScore[] = [];
  for (const id of considered) {
    const why = ineligibility(id, rule, input, ctx);
    if (why === null) eligible.push(id);
    else left.push({ channelId: id, total: 0, fee: 0, feeMinor: 0n, successRate: 0, latency: 0, preferred: 0, note: why });
  }
  const scored = scoreChannels(eligible, rule, arm, input, ctx);
  let ordered: string[];
  if (arm.strategy === 'SCORED') {
    scored.sort(byScore);
    ordered = scored.map((s) => s.channelId);
  } else {
    // FIXED keeps the operator's order; the merchant's preferred channel goes first if it is in it.
    ordered = eligible;
    const p = rule.preferredChannelId;
    if (p !== null && ordered.includes(p)) ordered = [p, ...ordered.filter((id) => id !== p)];
    const rank = new Map(ordered.map((id, i) => [id, i]));
    scored.sort((a, b) => (rank.get(a.channelId) ?? 0) - (rank.get(b.channelId) ?? 0));
  }
  return { ordered, scores: [...scored, ...left] };
}

export function decideRoute(input: RouteInput, ctx: DecideContext): PaymentRouted {
  const c = input.create;
  const base = {
    paymentId: input.paymentId,
    merchantId: input.merchantId,
    amountMinor: c.amountMinor,
    currency: c.currency,
    method: c.method,
    merchantReference: c.merchantReference,
    routedAtMs: ctx.nowMs,
    customerId: c.customer.id,
    customerIp: c.customer.ip,
    deviceId: c.customer.deviceId,
  };
  const noRoute = { channelId: '', fallbackChannelIds: [], outcome: 'NO_ROUTE' as const, failureCode: NO_ROUTE_CODE };
  const rule = ctx.rules.rules.find((r) => ruleMatches(r, input, ctx.nowMs));
  if (rule === undefined) return { ...base, ...noRoute, ruleId: null, ruleVersion: null, experimentArm: null, scores: [] };
  const arm = pickArm(rule, input.paymentId);
  const explained = { ruleId: ruleLabel(rule), ruleVersion: rule.version, experimentArm: arm.armId };
  const { ordered, scores } = rankChannels(rule, arm, input, ctx);
  const [first, ...fallbacks] = ordered;
  if (first === undefined) return { ...base, ...noRoute, ...explained, scores };
  return { ...base, ...explained, channelId: first, fallbackChannelIds: fallbacks, outcome: 'ROUTED', failureCode: null, scores };
}
