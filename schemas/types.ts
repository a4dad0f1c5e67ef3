// Generated from schemas/*.avsc by schemas/generate-types.ts; do not edit by hand.
// schemas/types.test.ts fails when this file is not what the generator writes.

/** One blocked (or unblocked) customer id, device id or IP for the risk processor; compacted topic config.blocklists, key `<kind>:<value>`. A tombstone or blocked=false lifts the block. */
export interface BlocklistEntry {
  kind: BlocklistKind;
  value: string;
  blocked: boolean;
  reason: string;
  updatedBy: string;
  updatedAtMs: number;
}

export type BlocklistKind = 'CUSTOMER' | 'DEVICE' | 'IP';
export const BlocklistKindValues = ['CUSTOMER', 'DEVICE', 'IP'] as const;

/** One channel executor instance's view of one channel: its circuit breaker, kill switch and calls in flight; compacted topic channel.health, key `channelId/instanceId`. Published on every breaker change and as a heartbeat; the router ignores reports older than a minute. */
export interface ChannelHealth {
  channelId: string;
  instanceId: string;
  breaker: BreakerStatus;
  /** The kill switch as this instance sees it. */
  enabled: boolean;
  inFlight: number;
  updatedAtMs: number;
}

export type BreakerStatus = 'CLOSED' | 'OPEN' | 'HALF_OPEN';
export const BreakerStatusValues = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;

/** Attempt outcomes and latency per channel for one window; topic metrics.channels.1m, key channelId. */
export interface ChannelMetricsWindow {
  /** Inclusive. */
  windowStartMs: number;
  /** Exclusive. */
  windowEndMs: number;
  channelId: string;
  attempts: number;
  approved: number;
  declined: number;
  pending: number;
  failed: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
}

/** A verified asynchronous update from a channel; topic channel.notifications, key paymentId. */
export interface ChannelNotification {
  /** The channel's notification id; duplicates are dropped by it. */
  notificationId: string;
  channelId: string;
  paymentId: string;
  attemptId: string | null;
  channelReference: string;
  status: NotificationStatus;
  /** Amount the channel reports, in minor units; decodes to bigint. */
  amountMinor: bigint | null;
  currency: string | null;
  /** Set when the notification is about a refund (status REFUNDED, or FAILED for a refund the channel refused): which refund. */
  refundId: string | null;
  /** CALLBACK: a verified callback the channel sent us; REFUND_CALL: the answer of our refund call (streams/channel's refund executor). */
  source: NotificationSource;
  /** When the channel says it happened. */
  occurredAtMs: number;
  receivedAtMs: number;
}

export type NotificationStatus = 'APPROVED' | 'DECLINED' | 'SETTLED' | 'REFUNDED' | 'CHARGEBACK' | 'FAILED';
export const NotificationStatusValues = ['APPROVED', 'DECLINED', 'SETTLED', 'REFUNDED', 'CHARGEBACK', 'FAILED'] as const;

export type NotificationSource = 'CALLBACK' | 'REFUND_CALL';
export const NotificationSourceValues = ['CALLBACK', 'REFUND_CALL'] as const;

/** Whether a channel takes traffic; compacted topic config.channels, key channelId. */
export interface ChannelSwitch {
  channelId: string;
  enabled: boolean;
  reason: string | null;
  updatedBy: string;
  updatedAtMs: number;
}

/** A record a processor gave up on. A <topic>.dlq topic keeps the original key, value and headers byte for byte and carries these fields as headers; tools decode the pair into this record. */
export interface DeadLetter {
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: bigint;
  /** Original key bytes. */
  key: Buffer | null;
  /** Original value bytes. */
  value: Buffer | null;
  /** Original headers. */
  headers: Record<string, Buffer>;
  /** Stable code of the last failure. */
  errorCode: string;
  errorMessage: string;
  processor: string;
  attempts: number;
  failedAtMs: number;
}

/** One balanced double-entry journal entry; topic ledger.entries, key paymentId. */
export interface LedgerEntry {
  /** Unique; the ledger sink dedupes by it. */
  entryId: string;
  paymentId: string;
  /** The payment event this entry posts. */
  sourceEventId: string;
  description: string;
  /** At least two legs. */
  postings: Array<Posting>;
  postedAtMs: number;
}

/** One leg; the legs of an entry sum to zero per currency. */
export interface Posting {
  accountId: string;
  direction: PostingDirection;
  /** Amount in minor units of `currency` (e.g. cents); decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
}

export type PostingDirection = 'DEBIT' | 'CREDIT';
export const PostingDirectionValues = ['DEBIT', 'CREDIT'] as const;

/** One structured log line shipped from a process; topic ops.logs, key service. */
export interface OpsLog {
  timestampMs: number;
  level: LogSeverity;
  service: string;
  host: string;
  pid: number;
  message: string;
  /** W3C trace id from traceparent, when the line belongs to a trace. */
  traceId: string | null;
  paymentId: string | null;
  /** Other log fields, as JSON text per key. */
  fields: Record<string, string>;
}

export type LogSeverity = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
export const LogSeverityValues = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** Log counts per service for one window; topic metrics.ops.1m, key service. */
export interface OpsMetricsWindow {
  /** Inclusive. */
  windowStartMs: number;
  /** Exclusive. */
  windowEndMs: number;
  service: string;
  lines: number;
  warnings: number;
  errors: number;
  fatals: number;
}

/** Something a channel reported that contradicts what we recorded (a success after we ended the payment unpaid, an amount other than the one we asked, a chargeback); topic payments.anomalies, key paymentId. Never dropped: each carries the action taken. */
export interface PaymentAnomaly {
  /** Unique and stable: `<paymentId>:<input id>`. */
  anomalyId: string;
  paymentId: string;
  merchantId: string;
  kind: AnomalyKind;
  /** The payment's status when the contradicting fact arrived. */
  statusAtArrival: string;
  channelId: string | null;
  attemptId: string | null;
  channelReference: string | null;
  /** The amount the channel reports, in minor units; decodes to bigint. */
  amountMinor: bigint | null;
  currency: string;
  action: AnomalyAction;
  /** On REFUND_STARTED: the refund that returns the money. */
  refundId: string | null;
  detail: string;
  detectedAtMs: number;
}

export type AnomalyKind = 'LATE_SUCCESS' | 'CHARGEBACK' | 'AMOUNT_MISMATCH';
export const AnomalyKindValues = ['LATE_SUCCESS', 'CHARGEBACK', 'AMOUNT_MISMATCH'] as const;

export type AnomalyAction = 'REFUND_STARTED' | 'MANUAL_REVIEW';
export const AnomalyActionValues = ['REFUND_STARTED', 'MANUAL_REVIEW'] as const;

/** A routed payment with its risk assessment; topic payments.assessed, key paymentId. */
export interface PaymentAssessed {
  paymentId: string;
  merchantId: string;
  /** Amount in minor units of `currency` (e.g. cents); decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
  method: PaymentMethod;
  merchantReference: string;
  /** The channel chosen first. */
  channelId: string;
  /** Channels to try next, in order. */
  fallbackChannelIds: Array<string>;
  /** The routing rule that matched, if any. */
  ruleId: string | null;
  /** The experiment arm that picked the channel, if any. */
  experimentArm: string | null;
  /** 0 (no risk) to 1000. */
  riskScore: number;
  decision: RiskDecision;
  /** Stable reason codes behind the score. */
  reasons: Array<string>;
  assessedAtMs: number;
}

/** How the payer pays: a card, one of the two wallets (each routes to its own channel) or a bank payment. The default only lets this version read data written with the first one, whose WALLET and BANK_TRANSFER symbols were never used in production. */
export type PaymentMethod = 'CARD' | 'WALLET_A' | 'WALLET_B' | 'BANK';
export const PaymentMethodValues = ['CARD', 'WALLET_A', 'WALLET_B', 'BANK'] as const;

export type RiskDecision = 'APPROVE' | 'REVIEW' | 'DECLINE';
export const RiskDecisionValues = ['APPROVE', 'REVIEW', 'DECLINE'] as const;

/** One call to a payment channel and its synchronous result; topic payments.attempts, key paymentId. */
export interface PaymentAttempt {
  paymentId: string;
  /** paymentId and attempt number; also the channel idempotency key. */
  attemptId: string;
  /** 1 for the first attempt. */
  attemptNumber: number;
  channelId: string;
  /** Amount in minor units of `currency` (e.g. cents); decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
  status: AttemptStatus;
  /** The channel's id for this attempt. */
  channelReference: string | null;
  /** The channel's decline code, mapped to ours. */
  declineCode: string | null;
  /** Why the call failed (timeout, connection, bad response). */
  errorCode: string | null;
  requestedAtMs: number;
  respondedAtMs: number | null;
}

/** SENT is written before the call so a crash mid-call is resolved by querying the channel. */
export type AttemptStatus = 'SENT' | 'APPROVED' | 'DECLINED' | 'PENDING' | 'FAILED';
export const AttemptStatusValues = ['SENT', 'APPROVED', 'DECLINED', 'PENDING', 'FAILED'] as const;

/** A request to change a payment, published by the ingress API or upstream systems; topic payments.commands, key paymentId. */
export interface PaymentCommand {
  /** Unique per command; consumers drop duplicates by it. */
  commandId: string;
  paymentId: string;
  merchantId: string;
  issuedAtMs: number;
  /** Exactly one command kind; new kinds are appended as new branches. */
  body: { 'paystream.CreatePayment': CreatePayment } | { 'paystream.CancelPayment': CancelPayment } | { 'paystream.RefundPayment': RefundPayment };
}

/** Create and authorise a new payment. */
export interface CreatePayment {
  /** Amount in minor units of `currency` (e.g. cents); decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
  method: PaymentMethod;
  /** The merchant's own order reference. */
  merchantReference: string;
  /** The merchant's idempotency key for the create request. */
  idempotencyKey: string;
  /** Always set by the ingress API; empty strings only when reading a command written before this field existed. */
  customer: Customer;
  /** ISO 3166-1 alpha-2, when known. */
  customerCountry: string | null;
  description: string | null;
  /** Where the merchant wants status notifications for this payment, when given. */
  notifyUrl: string | null;
  /** Merchant key/value pairs, passed through. */
  metadata: Record<string, string>;
}

/** The payer as the merchant saw them; risk scoring reads these. */
export interface Customer {
  /** The merchant's id for the customer. */
  id: string;
  /** The customer's IP address, IPv4 or IPv6 text. */
  ip: string;
  /** The merchant's device fingerprint. */
  deviceId: string;
}

/** Cancel a payment that has not settled. */
export interface CancelPayment {
  reason: string;
}

/** Refund part or all of a settled payment. */
export interface RefundPayment {
  refundId: string;
  /** Amount in minor units of `currency` (e.g. cents); decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
  reason: string;
}

/** One change of a payment, emitted by the state machine (streams/result) and nothing else; topic payments.events, key paymentId. Downstream systems (ledger, metrics, webhooks, loyalty, analytics) read only this. */
export interface PaymentEvent {
  /** Unique and stable: `<paymentId>:<sequence>`. Webhooks and sinks dedupe by it. */
  eventId: string;
  paymentId: string;
  merchantId: string;
  /** The merchant's order id. */
  merchantReference: string;
  /** Per payment, 1, 2, 3, ... with no gaps: the read model's version after this change. */
  sequence: number;
  type: PaymentEventType;
  status: PaymentStatus;
  /** null on CREATED. */
  previousStatus: PaymentStatus | null;
  /** The payment's amount in minor units; decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
  method: PaymentEventMethod;
  /** Captured so far (the amount once SUCCEEDED, else 0). */
  capturedMinor: bigint;
  /** Refunded so far (successful refunds only). */
  refundedMinor: bigint;
  /** The channel of the attempt this event concerns, or of the last attempt. */
  channelId: string | null;
  /** The acquirer's id of the charge, once known. */
  channelReference: string | null;
  attemptId: string | null;
  /** The routing rule (id@version) that chose the channel. */
  ruleId: string | null;
  /** The A/B arm, when the rule split traffic. */
  experimentArm: string | null;
  /** On REFUND_* events: which refund. */
  refundId: string | null;
  /** On REFUND_* events: that refund's amount. */
  refundAmountMinor: bigint | null;
  /** On SUCCEEDED/FAILED: whether the channel's answer, a callback, or the sweeper's status query ended it. */
  completion: PaymentCompletion | null;
  /** On SUCCEEDED/FAILED after a channel call: the attempt's request-to-response time. */
  channelLatencyMs: number | null;
  /** Decline, failure, rejection, cancel or conflict reason code. */
  reason: string | null;
  /** The W3C trace id the payment was created under. */
  traceId: string | null;
  /** When the payment was created (the command's time): the start of its end-to-end latency. */
  createdAtMs: number;
  /** Event time: when the input that caused this change happened. */
  occurredAtMs: number;
}

/** What happened. One input may produce several events (e.g. ROUTED then ASSESSED on a replay that skipped ahead). */
export type PaymentEventType = 'CREATED' | 'ROUTED' | 'RISK_APPROVED' | 'RISK_REJECTED' | 'REVIEW_REQUIRED' | 'SUBMITTED' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED' | 'REFUND_REQUESTED' | 'REFUND_SUCCEEDED' | 'REFUND_FAILED' | 'CONFLICT';
export const PaymentEventTypeValues = ['CREATED', 'ROUTED', 'RISK_APPROVED', 'RISK_REJECTED', 'REVIEW_REQUIRED', 'SUBMITTED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'REFUND_REQUESTED', 'REFUND_SUCCEEDED', 'REFUND_FAILED', 'CONFLICT'] as const;

/** The payment's status after this event (streams/result/transitions.ts holds the valid moves). */
export type PaymentStatus = 'CREATED' | 'ROUTED' | 'RISK_APPROVED' | 'RISK_REJECTED' | 'IN_REVIEW' | 'SUBMITTED' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED' | 'REFUND_PENDING' | 'PARTIALLY_REFUNDED' | 'REFUNDED';
export const PaymentStatusValues = ['CREATED', 'ROUTED', 'RISK_APPROVED', 'RISK_REJECTED', 'IN_REVIEW', 'SUBMITTED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'REFUND_PENDING', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;

export type PaymentEventMethod = 'CARD' | 'WALLET_A' | 'WALLET_B' | 'BANK';
export const PaymentEventMethodValues = ['CARD', 'WALLET_A', 'WALLET_B', 'BANK'] as const;

export type PaymentCompletion = 'SYNC' | 'ASYNC' | 'SWEEPER';
export const PaymentCompletionValues = ['SYNC', 'ASYNC', 'SWEEPER'] as const;

/** Payment outcomes for one event-time window and one dimension value in one currency; topics metrics.payments.10s and metrics.payments.1m, key dimension:value:currency. Emitted once the watermark passed the window's end plus the allowed lateness; a window emitted again after a restart carries the same key and start and replaces the first. */
export interface PaymentMetricsWindow {
  /** Inclusive. */
  windowStartMs: number;
  /** Exclusive. */
  windowEndMs: number;
  dimension: MetricsDimension;
  /** The channel id, merchant id, method or routing arm (rule id/arm). */
  value: string;
  currency: string;
  /** Payments that reached an outcome in the window: successes plus failures. */
  requests: number;
  /** SUCCEEDED. */
  successes: number;
  /** FAILED, EXPIRED, RISK_REJECTED and CANCELLED. */
  failures: number;
  /** successes / requests (0 when there were none). */
  successRate: number;
  /** failures / requests (0 when there were none). */
  failureRate: number;
  /** Outcomes that carried a channel latency. */
  latencyCount: number;
  /** Channel call latency percentiles (HDR histogram, 3 significant digits); null without samples. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  /** Sum of succeeded amounts in minor units. */
  amountSumMinor: bigint;
  /** amountSumMinor / successes, rounded half-even (0 without successes). */
  amountAvgMinor: bigint;
  /** Successes ended by the channel's answer to the call. */
  syncCompletions: number;
  /** Successes ended by a callback or the sweeper's status query. */
  asyncCompletions: number;
  emittedAtMs: number;
}

export type MetricsDimension = 'CHANNEL' | 'MERCHANT' | 'METHOD' | 'ARM';
export const MetricsDimensionValues = ['CHANNEL', 'MERCHANT', 'METHOD', 'ARM'] as const;

/** A finding of the stuck-payment sweeper, applied by the result processor through the state machine; topic payments.repairs, key paymentId. */
export interface PaymentRepair {
  /** Unique per finding (`<paymentId>:<kind>:<sweep run id>`); the result processor ignores one it has applied. */
  repairId: string;
  paymentId: string;
  /** CHANNEL_STATUS: what the channel answered to a status query for a payment stuck in SUBMITTED/PROCESSING; EXPIRE: the payment stayed unpaid past its time and was closed at the channel (or had not reached one). */
  kind: RepairKind;
  channelId: string | null;
  attemptId: string | null;
  channelReference: string | null;
  /** On CHANNEL_STATUS: the channel's answer. */
  channelStatus: RepairChannelStatus | null;
  /** Amount the channel reports, in minor units; decodes to bigint. */
  amountMinor: bigint | null;
  currency: string | null;
  /** Decline code from the channel, or why the payment expired. */
  reason: string | null;
  observedAtMs: number;
}

export type RepairKind = 'CHANNEL_STATUS' | 'EXPIRE';
export const RepairKindValues = ['CHANNEL_STATUS', 'EXPIRE'] as const;

export type RepairChannelStatus = 'APPROVED' | 'DECLINED' | 'FAILED' | 'PENDING' | 'NOT_FOUND';
export const RepairChannelStatusValues = ['APPROVED', 'DECLINED', 'FAILED', 'PENDING', 'NOT_FOUND'] as const;

/** A created payment with its channel choice, or with outcome NO_ROUTE when no channel may carry it (then channelId is empty and failureCode is no_route: the result processor ends the payment FAILED with that reason); topic payments.routed, key paymentId. */
export interface PaymentRouted {
  paymentId: string;
  merchantId: string;
  /** Amount in minor units of `currency` (e.g. cents); decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
  method: PaymentMethod;
  merchantReference: string;
  /** The channel chosen first; empty when outcome is NO_ROUTE. */
  channelId: string;
  /** Channels to try next, in order. */
  fallbackChannelIds: Array<string>;
  /** The routing rule that matched, as ruleId@version, if any. */
  ruleId: string | null;
  /** The experiment arm that picked the channel, if any. */
  experimentArm: string | null;
  routedAtMs: number;
  /** NO_ROUTE: no eligible channel; the payment must end FAILED with failureCode. */
  outcome: RouteOutcome;
  /** Set when outcome is NO_ROUTE: no_route. */
  failureCode: string | null;
  /** The version of the matched rule (also in ruleId). */
  ruleVersion: number | null;
  /** Every channel considered, best first; ineligible ones last with their note. */
  scores: Array<ChannelScore>;
  /** Copied from the command for the risk processor; empty only on records written before this field. */
  customerId: string;
  /** Copied from the command for the risk processor. */
  customerIp: string;
  /** Copied from the command for the risk processor. */
  deviceId: string;
}

export type RouteOutcome = 'ROUTED' | 'NO_ROUTE';
export const RouteOutcomeValues = ['ROUTED', 'NO_ROUTE'] as const;

/** Why a channel ranks where it does: each factor 0 to 1 (higher is better) and the weighted total. */
export interface ChannelScore {
  channelId: string;
  total: number;
  fee: number;
  /** Estimated fee in minor units of the payment currency; decodes to bigint. */
  feeMinor: bigint;
  successRate: number;
  latency: number;
  preferred: number;
  /** Why a channel was left out (switched_off, breaker_open, denied, ...), when it was. */
  note: string | null;
}

/** A difference between a channel statement and our records; topic recon.exceptions, key runId. */
export interface ReconException {
  exceptionId: string;
  runId: string;
  taskId: string;
  channelId: string;
  paymentId: string | null;
  channelReference: string | null;
  kind: ReconExceptionKind;
  /** Our amount in minor units; decodes to bigint. */
  expectedAmountMinor: bigint | null;
  /** The statement's amount in minor units; decodes to bigint. */
  actualAmountMinor: bigint | null;
  currency: string | null;
  detail: string;
  detectedAtMs: number;
}

export type ReconExceptionKind = 'MISSING_IN_LEDGER' | 'MISSING_IN_STATEMENT' | 'AMOUNT_MISMATCH' | 'CURRENCY_MISMATCH' | 'STATUS_MISMATCH' | 'DUPLICATE';
export const ReconExceptionKindValues = ['MISSING_IN_LEDGER', 'MISSING_IN_STATEMENT', 'AMOUNT_MISMATCH', 'CURRENCY_MISMATCH', 'STATUS_MISMATCH', 'DUPLICATE'] as const;

/** The outcome of one reconciliation task; topic recon.results, key runId. */
export interface ReconResult {
  taskId: string;
  runId: string;
  channelId: string;
  matched: number;
  exceptions: number;
  completedAtMs: number;
}

/** A batch of statement lines for one hash bucket of a reconciliation run; topic recon.tasks, key runId:bucket. */
export interface ReconTask {
  taskId: string;
  runId: string;
  channelId: string;
  /** YYYY-MM-DD, the channel's business date. */
  statementDate: string;
  /** Hash bucket of the channel references in this task. */
  bucket: number;
  lines: Array<StatementLine>;
  createdAtMs: number;
}

/** One line of a channel statement file. */
export interface StatementLine {
  channelReference: string;
  paymentId: string | null;
  /** Amount in minor units of `currency` (e.g. cents); decodes to bigint. */
  amountMinor: bigint;
  /** ISO 4217 alphabetic code, three upper-case letters. */
  currency: string;
  /** The channel's status text, mapped by the channel adapter. */
  status: string;
  bookedAtMs: number;
}

/** A routing rule; compacted topic config.routing-rules, key ruleId (a tombstone deletes the rule). The router keeps the highest version per ruleId; a record with a lower version than the one held is ignored. */
export interface RoutingRule {
  ruleId: string;
  /** Lower runs first. */
  priority: number;
  merchantId: string | null;
  currency: string | null;
  method: PaymentMethod | null;
  minAmountMinor: bigint | null;
  maxAmountMinor: bigint | null;
  /** Bumped on every change of the rule; the routed record names the rule as ruleId@version. */
  version: number;
  timeWindow: TimeWindow | null;
  /** When not empty, only these channels may carry matching payments. */
  allowChannelIds: Array<string>;
  /** Channels that never carry matching payments. */
  denyChannelIds: Array<string>;
  /** The merchant's preferred channel: first among equals in a FIXED arm's eligible list, a score bonus in a SCORED arm. */
  preferredChannelId: string | null;
  arms: Array<RoutingArm>;
  enabled: boolean;
  updatedBy: string;
  updatedAtMs: number;
}

/** Local time of day in which the rule applies; start inclusive, end exclusive; an end before the start wraps past midnight. */
export interface TimeWindow {
  /** Minutes after local midnight, 0 to 1439. */
  startMinute: number;
  /** Minutes after local midnight, 0 to 1440. */
  endMinute: number;
  /** IANA time zone name, e.g. Europe/Berlin. */
  timeZone: string;
}

/** One strategy and its share of matching traffic (an A/B experiment when a rule has two arms; the arm is picked by a stable hash of the paymentId). */
export interface RoutingArm {
  armId: string;
  /** With strategy FIXED: the channel chosen first. With SCORED: empty, or a channel the score favours like a preferred one. */
  channelId: string;
  /** With strategy FIXED: the channels to try next, in order. Ignored by SCORED, which orders every eligible channel. */
  fallbackChannelIds: Array<string>;
  /** 0 to 100; a rule's arms sum to 100. */
  weightPercent: number;
  strategy: RoutingStrategy;
  scoreWeights: ScoreWeights;
}

/** FIXED: channelId then fallbackChannelIds, skipping ineligible ones. SCORED: every eligible channel ordered by its score. */
export type RoutingStrategy = 'FIXED' | 'SCORED';
export const RoutingStrategyValues = ['FIXED', 'SCORED'] as const;

/** How much each factor counts in a SCORED arm; each 0 to 100. */
export interface ScoreWeights {
  fee: number;
  successRate: number;
  latency: number;
  preferred: number;
}

/** Top-level value schemas by name (the .avsc file name). */
export interface ValueTypes {
  BlocklistEntry: BlocklistEntry;
  ChannelHealth: ChannelHealth;
  ChannelMetricsWindow: ChannelMetricsWindow;
  ChannelNotification: ChannelNotification;
  ChannelSwitch: ChannelSwitch;
  DeadLetter: DeadLetter;
  LedgerEntry: LedgerEntry;
  OpsLog: OpsLog;
  OpsMetricsWindow: OpsMetricsWindow;
  PaymentAnomaly: PaymentAnomaly;
  PaymentAssessed: PaymentAssessed;
  PaymentAttempt: PaymentAttempt;
  PaymentCommand: PaymentCommand;
  PaymentEvent: PaymentEvent;
  PaymentMetricsWindow: PaymentMetricsWindow;
  PaymentRepair: PaymentRepair;
  PaymentRouted: PaymentRouted;
  ReconException: ReconException;
  ReconResult: ReconResult;
  ReconTask: ReconTask;
  RoutingRule: RoutingRule;
}

export const SCHEMA_NAMES = [
  'BlocklistEntry',
  'ChannelHealth',
  'ChannelMetricsWindow',
  'ChannelNotification',
  'ChannelSwitch',
  'DeadLetter',
  'LedgerEntry',
  'OpsLog',
  'OpsMetricsWindow',
  'PaymentAnomaly',
  'PaymentAssessed',
  'PaymentAttempt',
  'PaymentCommand',
  'PaymentEvent',
  'PaymentMetricsWindow',
  'PaymentRepair',
  'PaymentRouted',
  'ReconException',
  'ReconResult',
  'ReconTask',
  'RoutingRule',
] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];
