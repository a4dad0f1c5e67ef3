/**
 * Risk rules and thresholds as configuration: defaults here, an operator's JSON file
 * (RISK_RULES_FILE) merged over them and validated at start. Amounts are minor units per
 * currency; a currency without its own thresholds uses DEFAULT.
 */
import { readFileSync } from 'node:fs';
import { PaystreamError } from '../../lib/errors.ts';

export interface CurrencyThresholds {
  /** AML: a single payment at or above this is reviewed (the reporting threshold). */
  reportingMinor: number;
  /** AML structuring: payments within this share below the threshold count as "just under" it. */
  structuringBand: number;
  /** AML structuring: this many "just under" payments of one customer within 24 h are reviewed. */
  structuringCount: number;
  /** A first payment from a device new to the customer at or above this is reviewed. */
  newDeviceHighMinor: number;
  /** Total a customer may pay within 24 h before further payments are declined. */
  customerDailyMinor: number;
}

export interface VelocityLimit {
  windowS: number;
  /** More payments than this inside the window: declined. */
  countMax: number;
}

export interface RiskRules {
  velocity: { customer: VelocityLimit; device: VelocityLimit; ip: VelocityLimit };
  /** Amount anomaly: more than `factor` times the customer's own average, once they have `historyMin` payments. */
  anomaly: { factor: number; historyMin: number };
  thresholds: Record<string, CurrencyThresholds>;
  /** Score at or above which a payment goes to review, and at or above which it is declined. */
  reviewScore: number;
  declineScore: number;
  /** How long a payment waits for an operator before it is declined as review_expired. */
  reviewTtlS: number;
  blocklist: { customers: string[]; devices: string[]; ips: string[] };
  /** When Redis cannot be reached: decline (closed), or approve payments up to `failOpenMaxMinor` (open). */
  redisDown: { mode: 'closed' | 'open'; failOpenMaxMinor: number };
}

export const DEFAULT_RULES: RiskRules = {
  velocity: { customer: { windowS: 600, countMax: 10 }, device: { windowS: 600, countMax: 15 }, ip: { windowS: 600, countMax: 30 } },
  anomaly: { factor: 5, historyMin: 3 },
  thresholds: {
    DEFAULT: { reportingMinor: 1_000_000, structuringBand: 0.1, structuringCount: 3, newDeviceHighMinor: 200_000, customerDailyMinor: 2_000_000 },
    JPY: { reportingMinor: 150_000_000, structuringBand: 0.1, structuringCount: 3, newDeviceHighMinor: 30_000_000, customerDailyMinor: 300_000_000 },
  },
  reviewScore: 500,
  declineScore: 900,
  reviewTtlS: 3_600,
  blocklist: { customers: [], devices: [], ips: [] },
  redisDown: { mode: 'closed', failOpenMaxMinor: 0 },
};

export function thresholdsFor(rules: RiskRules, currency: string): CurrencyThresholds {
  const t = rules.thresholds[currency] ?? rules.thresholds.DEFAULT;
  if (t === undefined) throw new PaystreamError('risk_rules_invalid', 'risk rules have no DEFAULT thresholds');
  return t;
}

/** Every problem of a rule set, named by path; empty when valid. */
export function validateRules(rules: RiskRules): string[] {
  const problems: string[] = [];
  const positive = (path: string, v: unknown, integer = true) => {
    if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isSafeInteger(v))) problems.push(`${path} must be a positive ${integer ? 'integer' : 'number'}`);
  };
  for (const dim of ['customer', 'device', 'ip'] as const) {
    positive(`velocity.${dim}.windowS`, rules.velocity[dim]?.windowS);
    positive(`velocity.${dim}.countMax`, rules.velocity[dim]?.countMax);
  }
  positive('anomaly.factor', rules.anomaly.factor, false);
  positive('anomaly.historyMin', rules.anomaly.historyMin);
  if (rules.thresholds.DEFAULT === undefined) problems.push('thresholds.DEFAULT is required');
  for (const [currency, t] of Object.entries(rules.thresholds)) {
    if (currency !== 'DEFAULT' && !/^[A-Z]{3}$/.test(currency)) problems.push(`thresholds.${currency}: not a currency code`);
    positive(`thresholds.${currency}.reportingMinor`, t.reportingMinor);
    positive(`thresholds.${currency}.newDeviceHighMinor`, t.newDeviceHighMinor);
    positive(`thresholds.${currency}.customerDailyMinor`, t.customerDailyMinor);
    positive(`thresholds.${currency}.structuringCount`, t.structuringCount);
    if (!(t.structuringBand > 0 && t.structuringBand < 1)) problems.push(`thresholds.${currency}.structuringBand must be between 0 and 1`);
  }
  if (!(rules.reviewScore > 0 && rules.reviewScore < rules.declineScore && rules.declineScore <= 1000)) problems.push('reviewScore < declineScore <= 1000 is required');
  positive('reviewTtlS', rules.reviewTtlS);
  if (rules.redisDown.mode !== 'closed' && rules.redisDown.mode !== 'open') problems.push("redisDown.mode is 'closed' or 'open'");
  if (!Number.isSafeInteger(rules.redisDown.failOpenMaxMinor) || rules.redisDown.failOpenMaxMinor < 0) problems.push('redisDown.failOpenMaxMinor must be a non-negative integer');
  return problems;
}

/** The defaults with an operator's file merged over them (top-level sections replace or merge one level deep). */
export function loadRules(path: string | undefined): RiskRules {
  if (path === undefined) return DEFAULT_RULES;
  let given: Partial<RiskRules>;
  try {
    given = JSON.parse(readFileSync(path, 'utf8')) as Partial<RiskRules>;
  } catch (err) {
    throw new PaystreamError('risk_rules_unreadable', `cannot read risk rules ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const rules: RiskRules = {
    ...DEFAULT_RULES,
    ...given,
    velocity: { ...DEFAULT_RULES.velocity, ...given.velocity },
    anomaly: { ...DEFAULT_RULES.anomaly, ...given.anomaly },
    thresholds: { ...DEFAULT_RULES.thresholds, ...given.thresholds },
    blocklist: { ...DEFAULT_RULES.blocklist, ...given.blocklist },
    redisDown: { ...DEFAULT_RULES.redisDown, ...given.redisDown },
  };
  const problems = validateRules(rules);
  if (problems.length > 0) throw new PaystreamError('risk_rules_invalid', `risk rules ${path}: ${problems.join('; ')}`);
  return rules;
}
