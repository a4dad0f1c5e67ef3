-- Up Migration
-- The payment read model, written only by the result processor (streams/result), read by the API,
-- the sweeper, `paystream payments show` and `paystream check`.

-- One row per payment: its current status and the facts that explain it. `version` is the number
-- of events emitted for the payment (PaymentEvent.sequence); every write checks the version it
-- read (optimistic concurrency), so two handlers of one payment cannot both apply.
CREATE TABLE payments (
  payment_id           text PRIMARY KEY,
  merchant_id          text NOT NULL,
  merchant_reference   text NOT NULL,
  amount_minor         bigint NOT NULL CHECK (amount_minor > 0),
  currency             char(3) NOT NULL,
  method               text NOT NULL,
  status               text NOT NULL,
  version              integer NOT NULL CHECK (version > 0),
  captured_minor       bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
  refunded_minor       bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= captured_minor),
  refund_pending_minor bigint NOT NULL DEFAULT 0 CHECK (refund_pending_minor >= 0),
  channel_id           text,
  channel_reference    text,
  attempt_id           text,
  rule_id              text,
  experiment_arm       text,
  reason               text,
  trace_id             text,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  -- The whole state machine state (refunds by id and the rest), as streams/result/store.ts writes it.
  state                jsonb NOT NULL
);
CREATE INDEX payments_status_updated ON payments (status, updated_at);
CREATE INDEX payments_merchant_created ON payments (merchant_id, created_at DESC, payment_id DESC);

-- Every status change, in order: the payment's history.
CREATE TABLE payment_status_history (
  payment_id      text NOT NULL REFERENCES payments (payment_id),
  sequence        integer NOT NULL,
  event_type      text NOT NULL,
  from_status     text,
  to_status       text NOT NULL,
  reason          text,
  input_id        text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (payment_id, sequence)
);

-- Every attempt record the channel executor published (one row per attempt and status).
CREATE TABLE payment_attempts (
  attempt_id        text NOT NULL,
  status            text NOT NULL,
  payment_id        text NOT NULL,
  attempt_number    integer NOT NULL,
  channel_id        text NOT NULL,
  channel_reference text,
  decline_code      text,
  error_code        text,
  latency_ms        integer,
  occurred_at       timestamptz NOT NULL,
  PRIMARY KEY (attempt_id, status)
);
CREATE INDEX payment_attempts_payment ON payment_attempts (payment_id);

-- Channel callbacks and sweeper findings, as received (duplicates are one row).
CREATE TABLE payment_channel_facts (
  input_id    text PRIMARY KEY,
  payment_id  text NOT NULL,
  kind        text NOT NULL,
  detail      jsonb NOT NULL,
  occurred_at timestamptz NOT NULL
);
CREATE INDEX payment_channel_facts_payment ON payment_channel_facts (payment_id);

CREATE TABLE payment_refunds (
  refund_id    text PRIMARY KEY,
  payment_id   text NOT NULL REFERENCES payments (payment_id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  status       text NOT NULL,
  conflict     boolean NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX payment_refunds_payment ON payment_refunds (payment_id);

CREATE TABLE payment_anomalies (
  anomaly_id  text PRIMARY KEY,
  payment_id  text NOT NULL,
  kind        text NOT NULL,
  action      text NOT NULL,
  detail      text NOT NULL,
  detected_at timestamptz NOT NULL
);

-- Inputs the processor has applied, with the records it produced for each. A record handled again
-- because its Kafka transaction aborted (same source offset) gets the stored records back, so
-- they are produced exactly once; the same fact in another record is a duplicate and produces none.
CREATE TABLE result_applied_inputs (
  input_id    text PRIMARY KEY,
  payment_id  text NOT NULL,
  source      text NOT NULL,
  outcome     text NOT NULL,
  reason      text,
  outputs     jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Inputs for a payment whose creation has not been applied yet (topics are read in parallel):
-- applied, in flow order, right after the create.
CREATE TABLE result_parked_inputs (
  input_id   text PRIMARY KEY,
  payment_id text NOT NULL,
  input      jsonb NOT NULL,
  parked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX result_parked_inputs_payment ON result_parked_inputs (payment_id);

-- Down Migration
DROP TABLE result_parked_inputs;
DROP TABLE result_applied_inputs;
DROP TABLE payment_anomalies;
DROP TABLE payment_refunds;
DROP TABLE payment_channel_facts;
DROP TABLE payment_attempts;
DROP TABLE payment_status_history;
DROP TABLE payments;
