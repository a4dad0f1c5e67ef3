/**
 * Rules as operators write them (JSON files for the CLI, bodies for the admin API) to and from
 * the Avro record. Amounts are integers or decimal strings of minor units (JSON numbers lose
 * precision past 2^53). Optional fields take the schema's defaults; the version is left to the
 * writer (held version + 1) when absent. Shape problems come back as issues, like rule issues.
 */
import type { PaymentMethod, RoutingArm, RoutingRule } from '../../schemas/types.ts';
import { PaymentMethodValues } from '../../schemas/types.ts';
import { RouterError } from './errors.ts';

type Json = Record<string, unknown>;

const RULE_KEYS = new Set(['ruleId', 'version', 'priority', 'merchantId', 'currency', 'method', 'minAmountMinor', 'maxAmountMinor', 'timeWindow', 'allowChannelIds', 'denyChannelIds', 'preferredChannelId', 'arms', 'enabled', 'updatedBy', 'updatedAtMs', 'updatedAt']);
const ARM_KEYS = new Set(['armId', 'channelId', 'fallbackChannelIds', 'weightPercent', 'strategy', 'scoreWeights']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  readonly issues: string[] = [];
  constructor(private readonly o: Json, private readonly at: string, allowed: Set<string>) {
    for (const k of Object.keys(o)) if (!allowed.has(k)) this.issues.push(`${at}${k}: unknown field`);
  }
  str(k: string, fallback?: string | null): string | null {
    const v = this.o[k];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'string') return v;
    if (v === null && fallback === null) return null;
    this.issues.push(`${this.at}${k} must be a string`);
    return '';
  }
  int(k: string, fallback?: number): number {
    const v = this.o[k];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    this.issues.push(`${this.at}${k} must be an integer`);
    return 0;
  }
  bool(k: string, fallback: boolean): boolean {
    const v = this.o[k];
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    this.issues.push(`${this.at}${k} must be true or false`);
    return fallback;
  }
  amount(k: string): bigint | null {
    const v = this.o[k];
    if (v === undefined || v === null) return null;
    if ((typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^-?\d{1,19}$/.test(v))) return BigInt(v);
    this.issues.push(`${this.at}${k} must be an integer of minor units (a string for large values)`);
    return null;
  }
  strings(k: string): string[] {
    const v = this.o[k];
    if (v === undefined) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    this.issues.push(`${this.at}${k} must be a list of strings`);
    return [];
  }
}

function armFromJson(v: unknown, i: number, issues: string[]): RoutingArm {
  const at = `arms[${i}].`;
  if (!isObject(v)) {
    issues.push(`arms[${i}] must be an object`);
    return { armId: '', channelId: '', fallbackChannelIds: [], weightPercent: 0, strategy: 'FIXED', scoreWeights: { fee: 40, successRate: 40, latency: 20, preferred: 10 } };
  }
  const r = new Reader(v, at, ARM_KEYS);
  const strategy = r.str('strategy', 'FIXED');
  if (strategy !== 'FIXED' && strategy !== 'SCORED') r.issues.push(`${at}strategy must be FIXED or SCORED`);
  const w = isObject(v.scoreWeights) ? new Reader(v.scoreWeights, `${at}scoreWeights.`, new Set(['fee', 'successRate', 'latency', 'preferred'])) : null;
  if (v.scoreWeights !== undefined && w === null) r.issues.push(`${at}scoreWeights must be an object`);
  const arm: RoutingArm = {
    armId: r.str('armId', 'main') ?? '', channelId: r.str('channelId', '') ?? '', fallbackChannelIds: r.strings('fallbackChannelIds'), weightPercent: r.int('weightPercent', 100),
    strategy: strategy === 'SCORED' ? 'SCORED' : 'FIXED',
    scoreWeights: { fee: w?.int('fee', 40) ?? 40, successRate: w?.int('successRate', 40) ?? 40, latency: w?.int('latency', 20) ?? 20, preferred: w?.int('preferred', 10) ?? 10 },
  };
  issues.push(...r.issues, ...(w?.issues ?? []));
  return arm;
}

/** A rule from operator JSON; version 0 means "next after the held one". Throws rule_invalid with every shape issue. */
export function ruleFromJson(v: unknown, defaults: { updatedBy: string; nowMs: number }): RoutingRule {
  if (!isObject(v)) throw new RouterError('rule_invalid', 'a rule must be a JSON object', { issues: ['a rule must be a JSON object'] });
  const r = new Reader(v, '', RULE_KEYS);
  const method = r.str('method', null);
  if (method !== null && !(PaymentMethodValues as readonly string[]).includes(method)) r.issues.push(`method must be one of ${PaymentMethodValues.join(', ')} or null`);
  let timeWindow: RoutingRule['timeWindow'] = null;
  if (isObject(v.timeWindow)) {
    const t = new Reader(v.timeWindow, 'timeWindow.', new Set(['startMinute', 'endMinute', 'timeZone']));
    timeWindow = { startMinute: t.int('startMinute'), endMinute: t.int('endMinute'), timeZone: t.str('timeZone') ?? '' };
    r.issues.push(...t.issues);
  } else if (v.timeWindow !== undefined && v.timeWindow !== null) r.issues.push('timeWindow must be an object or null');
  const arms = Array.isArray(v.arms) ? v.arms.map((a, i) => armFromJson(a, i, r.issues)) : [];
  if (!Array.isArray(v.arms)) r.issues.push('arms must be a list');
  const rule: RoutingRule = {
    ruleId: r.str('ruleId') ?? '', version: r.int('version', 0), priority: r.int('priority'), merchantId: r.str('merchantId', null), currency: r.str('currency', null),
    method: method as PaymentMethod | null, minAmountMinor: r.amount('minAmountMinor'), maxAmountMinor: r.amount('maxAmountMinor'), timeWindow,
    allowChannelIds: r.strings('allowChannelIds'), denyChannelIds: r.strings('denyChannelIds'), preferredChannelId: r.str('preferredChannelId', null), arms,
    enabled: r.bool('enabled', true), updatedBy: r.str('updatedBy', defaults.updatedBy) ?? defaults.updatedBy, updatedAtMs: defaults.nowMs,
  };
  if (r.issues.length > 0) throw new RouterError('rule_invalid', `rule is malformed:\n  ${r.issues.join('\n  ')}`, { issues: r.issues });
  return rule;
}

export function ruleToJson(rule: RoutingRule): Json {
  return { ...rule, minAmountMinor: rule.minAmountMinor?.toString() ?? null, maxAmountMinor: rule.maxAmountMinor?.toString() ?? null, updatedAt: new Date(rule.updatedAtMs).toISOString() };
}

/** The version a write gets: the given one if above the held one, the next one if none was given. */
export function versionFor(rule: RoutingRule, held: RoutingRule | undefined): RoutingRule {
  const heldVersion = held?.version ?? 0;
  if (rule.version === 0) return { ...rule, version: heldVersion + 1 };
  if (rule.version <= heldVersion) throw new RouterError('rule_version_conflict', `rule ${rule.ruleId} is at version ${heldVersion}; write version ${heldVersion + 1} or leave version out`);
  return rule;
}
