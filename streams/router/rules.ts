/**
 * Routing rules: validation (every problem at once, in words an operator can act on) and the
 * rule set the router decides with. A RuleSet is frozen and never changed; a change builds a
 * new one and the holder swaps one reference, so a decision sees either the whole old set or
 * the whole new one, never a mix.
 */
import type { PaymentMethod, RoutingRule } from '../../schemas/types.ts';
import { PaymentMethodValues } from '../../schemas/types.ts';
import { RouterError } from './errors.ts';
import { ROUTABLE_CHANNEL_IDS } from './channels.ts';
import { ARMS_PER_RULE_MAX, CHANNEL_LIST_MAX, ID_LENGTH_MAX, RULES_MAX } from './limits.ts';

const ID = /^[A-Za-z0-9._:-]+$/;
const CURRENCY = /^[A-Z]{3}$/;
const MINUTES_PER_DAY = 24 * 60;

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
}

function checkId(issues: string[], what: string, value: string): void {
  if (value.length === 0 || value.length > ID_LENGTH_MAX || !ID.test(value)) issues.push(`${what} must be 1-${ID_LENGTH_MAX} letters, digits, ".", "_", ":" or "-"; got ${JSON.stringify(value.slice(0, ID_LENGTH_MAX + 1))}`);
}

function checkChannels(issues: string[], what: string, ids: readonly string[]): void {
  if (ids.length > CHANNEL_LIST_MAX) issues.push(`${what} holds ${ids.length} channels; at most ${CHANNEL_LIST_MAX}`);
  for (const id of ids) if (!ROUTABLE_CHANNEL_IDS.includes(id)) issues.push(`${what}: unknown channel ${JSON.stringify(id)} (known: ${ROUTABLE_CHANNEL_IDS.join(', ')})`);
  if (new Set(ids).size !== ids.length) issues.push(`${what} names a channel twice`);
}

function checkArms(issues: string[], rule: RoutingRule): void {
  if (rule.arms.length === 0) issues.push('arms: a rule needs at least one arm');
  if (rule.arms.length > ARMS_PER_RULE_MAX) issues.push(`arms: at most ${ARMS_PER_RULE_MAX} (an experiment compares two strategies)`);
  let sum = 0;
  for (const [i, arm] of rule.arms.entries()) {
    const at = `arms[${i}]`;
    checkId(issues, `${at}.armId`, arm.armId);
    if (!Number.isInteger(arm.weightPercent) || arm.weightPercent < 0 || arm.weightPercent > 100) issues.push(`${at}.weightPercent must be 0-100; got ${arm.weightPercent}`);
    sum += arm.weightPercent;
    if (arm.strategy === 'FIXED' && arm.channelId === '') issues.push(`${at}: a FIXED arm names its channelId`);
    if (arm.channelId !== '') checkChannels(issues, `${at}.channelId`, [arm.channelId]);
    checkChannels(issues, `${at}.fallbackChannelIds`, arm.fallbackChannelIds);
    if (arm.fallbackChannelIds.includes(arm.channelId)) issues.push(`${at}: channelId ${arm.channelId} is also a fallback`);
    const w = arm.scoreWeights;
    for (const [k, v] of Object.entries(w)) if (!Number.isInteger(v) || v < 0 || v > 100) issues.push(`${at}.scoreWeights.${k} must be 0-100; got ${String(v)}`);
    if (arm.strategy === 'SCORED' && w.fee + w.successRate + w.latency + w.preferred === 0) issues.push(`${at}: a SCORED arm needs a score weight above 0`);
  }
  if (rule.arms.length > 0 && sum !== 100) issues.push(`arms: weightPercent must sum to 100; got ${sum}`);
  if (new Set(rule.arms.map((a) => a.armId)).size !== rule.arms.length) issues.push('arms: armId must be unique within the rule');
}

/** Every problem of a rule, empty when it is valid. */
export function ruleIssues(rule: RoutingRule): string[] {
  const issues: string[] = [];
  checkId(issues, 'ruleId', rule.ruleId);
  if (!Number.isInteger(rule.version) || rule.version < 1) issues.push(`version must be an integer of 1 or more; got ${rule.version}`);
  if (!Number.isInteger(rule.priority)) issues.push(`priority must be an integer; got ${rule.priority}`);
  if (rule.merchantId !== null) checkId(issues, 'merchantId', rule.merchantId);
  if (rule.currency !== null && !CURRENCY.test(rule.currency)) issues.push(`currency must be an ISO 4217 code like EUR; got ${JSON.stringify(rule.currency)}`);
  if (rule.method !== null && !PaymentMethodValues.includes(rule.method)) issues.push(`method must be one of ${PaymentMethodValues.join(', ')}`);
  if (rule.minAmountMinor !== null && rule.minAmountMinor < 0n) issues.push('minAmountMinor must not be negative');
  if (rule.minAmountMinor !== null && rule.maxAmountMinor !== null && rule.minAmountMinor > rule.maxAmountMinor) issues.push(`minAmountMinor ${rule.minAmountMinor} is above maxAmountMinor ${rule.maxAmountMinor}`);
  const tw = rule.timeWindow;
  if (tw !== null) {
    if (!Number.isInteger(tw.startMinute) || tw.startMinute < 0 || tw.startMinute >= MINUTES_PER_DAY) issues.push(`timeWindow.startMinute must be 0-${MINUTES_PER_DAY - 1}; got ${tw.startMinute}`);
    if (!Number.isInteger(tw.endMinute) || tw.endMinute < 0 || tw.endMinute > MINUTES_PER_DAY) issues.push(`timeWindow.endMinute must be 0-${MINUTES_PER_DAY}; got ${tw.endMinute}`);
    if (tw.startMinute === tw.endMinute) issues.push('timeWindow is empty: startMinute equals endMinute');
    if (!validTimeZone(tw.timeZone)) issues.push(`timeWindow.timeZone ${JSON.stringify(tw.timeZone)} is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  checkChannels(issues, 'allowChannelIds', rule.allowChannelIds);
  checkChannels(issues, 'denyChannelIds', rule.denyChannelIds);
  for (const id of rule.allowChannelIds) if (rule.denyChannelIds.includes(id)) issues.push(`channel ${id} is both allowed and denied`);
  if (rule.preferredChannelId !== null) checkChannels(issues, 'preferredChannelId', [rule.preferredChannelId]);
  checkId(issues, 'updatedBy', rule.updatedBy);
  checkArms(issues, rule);
  return issues;
}

/** Throws RouterError rule_invalid listing every issue. */
export function assertValidRule(rule: RoutingRule): void {
  const issues = ruleIssues(rule);
  if (issues.length > 0) throw new RouterError('rule_invalid', `rule ${rule.ruleId} is invalid:\n  ${issues.join('\n  ')}`, { issues });
}

export function ruleLabel(rule: Pick<RoutingRule, 'ruleId' | 'version'>): string {
  return `${rule.ruleId}@${rule.version}`;
}

/** An immutable set of valid rules in match order: priority ascending, then ruleId. */
export class RuleSet {
  readonly rules: readonly RoutingRule[];
  readonly #byId: ReadonlyMap<string, RoutingRule>;

  private constructor(rules: readonly RoutingRule[]) {
    this.rules = Object.freeze([...rules].sort((a, b) => a.priority - b.priority || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)));
    this.#byId = new Map(this.rules.map((r) => [r.ruleId, r]));
  }

  static readonly EMPTY = new RuleSet([]);

  static of(rules: readonly RoutingRule[]): RuleSet {
    return new RuleSet(rules);
  }

  get(ruleId: string): RoutingRule | undefined {
    return this.#byId.get(ruleId);
  }

  /**
   * A new set with these config records applied in order (null = tombstone). A record with a
   * version below the held one is stale and skipped; an invalid one is reported and skipped, so
   * a bad write never removes the rule it tried to replace.
   */
  applied(changes: readonly { ruleId: string; rule: RoutingRule | null }[], onSkip: (ruleId: string, why: string) => void): RuleSet {
    const next = new Map(this.#byId);
    for (const { ruleId, rule } of changes) {
      if (rule === null) {
        next.delete(ruleId);
        continue;
      }
      const held = next.get(ruleId);
      if (held !== undefined && rule.version < held.version) {
        onSkip(ruleId, `version ${rule.version} is below the held ${held.version}`);
        continue;
      }
      const issues = rule.ruleId === ruleId ? ruleIssues(rule) : [`key ${ruleId} differs from ruleId ${rule.ruleId}`];
      if (issues.length > 0) {
        onSkip(ruleId, issues.join('; '));
        continue;
      }
      next.set(ruleId, Object.freeze(rule));
    }
    if (next.size > RULES_MAX) {
      // Refusing the whole batch keeps the set in use complete; the operator removes rules first.
      onSkip('*', `the change would hold ${next.size} rules; at most ${RULES_MAX}`);
      return this;
    }
    return new RuleSet([...next.values()]);
  }
}

export type { PaymentMethod };
