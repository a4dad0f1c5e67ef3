-- Up Migration
-- Merchants of the ingress API. The signing secret is kept encrypted (AES-256-GCM under the
-- master key, the key id as additional data), never in clear.
CREATE TABLE merchants (
  merchant_id       text PRIMARY KEY,
  key_id            text NOT NULL UNIQUE,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  webhook_url       text CHECK (webhook_url IS NULL OR length(webhook_url) <= 2048),
  secret_ciphertext bytea NOT NULL,
  secret_iv         bytea NOT NULL,
  secret_tag        bytea NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- What the API accepted and wrote to payments.commands, written in the same step as the command
-- (insert, produce, commit). The result processor owns the payment read model; until its first
-- event for a payment arrives, this row is what GET answers with, so a GET right after a 202 is
-- never a 404.
CREATE TABLE accepted_payments (
  payment_id        text PRIMARY KEY,
  merchant_id       text NOT NULL REFERENCES merchants (merchant_id),
  merchant_order_id text NOT NULL,
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          char(3) NOT NULL,
  method            text NOT NULL,
  status            text NOT NULL,
  request_hash      text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (merchant_id, merchant_order_id)
);
CREATE INDEX accepted_payments_merchant_list ON accepted_payments (merchant_id, created_at DESC, payment_id DESC);

-- Refunds the API accepted; their sum per payment never exceeds the payment's amount.
CREATE TABLE accepted_refunds (
  refund_id    text PRIMARY KEY,
  payment_id   text NOT NULL REFERENCES accepted_payments (payment_id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accepted_refunds_payment ON accepted_refunds (payment_id);

-- Down Migration
DROP TABLE accepted_refunds;
DROP TABLE accepted_payments;
DROP TABLE merchants;
