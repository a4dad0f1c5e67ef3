/**
 * The risk decision from what is known about one payment: pure, so every rule can be tested at
 * its boundary. Hard limits (blocklist, velocity, daily total) decline; AML rules send the payment
 * to review; softer signals add to the score, which decides above the configured levels.
 */
import type { RiskRules } from './rules.ts';
import { thresholdsFor } from './rules.ts';

export interface RiskFacts {
  amountMinor: number;
  currency: string;
  customerId: string;
  deviceId: string;
  ip: string;
  /** Payments inside each velocity window, this one included. */
  customerCount: number;
  deviceCount: number;
  ipCount: number;
  /** The customer's total in this currency over 24 h, this one included. */
  customerDailyMinor: number;
  /** The customer's earlier payments in this currency (count and sum), this one excluded. */
  historyCount: number;
  historySumMinor: number;
  /** Payments of the customer within 24 h "just under" the reporting threshold, this one included. */
  justUnderCount: number;
  /** The device has not been used by this customer before. */
  newDevice: boolean;
}

export interface RiskDecision {
  score: number;
  decision: 'APPROVE' | 'REVIEW' | 'DECLINE';
  reasons: string[];
}

export function isJustUnder(amountMinor: number, reportingMinor: number, band: number): boolean {
  return amountMinor < reportingMinor && amountMinor >= reportingMinor * (1 - band);
}

export type BlocklistKind = 'CUSTOMER' | 'DEVICE' | 'IP';
export type IsBlocked = (kind: BlocklistKind, value: string) => boolean;

/** The blocklists of the rules file alone (no live topic). */
export function rulesBlocklist(rules: RiskRules): IsBlocked {
  return (kind, value) => (kind === 'CUSTOMER' ? rules.blocklist.customers : kind === 'DEVICE' ? rules.blocklist.devices : rules.blocklist.ips).includes(value);
}

export function decide(rules: RiskRules, f: RiskFacts, isBlocked: IsBlocked = rulesBlocklist(rules)): RiskDecision {
  const t = thresholdsFor(rules, f.currency);
  const decline: string[] = [];
  const review: string[] = [];
  const soft: Array<[string, number]> = [];
  if (isBlocked('CUSTOMER', f.customerId)) decline.push('blocklist_customer');
  if (isBlocked('DEVICE', f.deviceId)) decline.push('blocklist_device');
  if (isBlocked('IP', f.ip)) decline.push('blocklist_ip');
  if (f.customerCount > rules.velocity.customer.countMax) decline.push('velocity_customer');
  if (f.deviceCount > rules.velocity.device.countMax) decline.push('velocity_device');
  if (f.ipCount > rules.velocity.ip.countMax) decline.push('velocity_ip');
  if (f.customerDailyMinor > t.customerDailyMinor) decline.push('daily_amount_customer');
  if (f.amountMinor >= t.reportingMinor) review.push('aml_reporting_threshold');
  if (isJustUnder(f.amountMinor, t.reportingMinor, t.structuringBand) && f.justUnderCount >= t.structuringCount) review.push('aml_structuring');
  if (f.newDevice && f.amountMinor >= t.newDeviceHighMinor) review.push('new_device_high_amount');
  if (f.historyCount >= rules.anomaly.historyMin && f.amountMinor > rules.anomaly.factor * (f.historySumMinor / f.historyCount)) soft.push(['amount_anomaly', 350]);
  if (f.newDevice) soft.push(['new_device', 100]);
  // Closeness to the velocity limits adds up to 200 per dimension.
  const near = (count: number, max: number, reason: string) => {
    if (count > max / 2 && count <= max) soft.push([reason, Math.round((200 * count) / max)]);
  };
  near(f.customerCount, rules.velocity.customer.countMax, 'velocity_customer_high');
  near(f.deviceCount, rules.velocity.device.countMax, 'velocity_device_high');
  near(f.ipCount, rules.velocity.ip.countMax, 'velocity_ip_high');
  const score = Math.min(1000, decline.length * 1000 + review.length * rules.reviewScore + soft.reduce((s, [, w]) => s + w, 0));
  const reasons = [...decline, ...review, ...soft.map(([r]) => r)];
  if (decline.length > 0 || (score >= rules.declineScore && review.length === 0)) return { score, decision: 'DECLINE', reasons };
  if (review.length > 0 || score >= rules.reviewScore) return { score, decision: 'REVIEW', reasons };
  return { score, decision: 'APPROVE', reasons };
}
