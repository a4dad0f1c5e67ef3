-- Up Migration
-- Each merchant's webhook signing secret, sealed like the API secret (AES-256-GCM under the master
-- key, additional data `webhook:<merchant id>`). Merchants created before this have none until an
-- operator rotates one in; their webhooks are recorded as skipped.
ALTER TABLE merchants
  ADD COLUMN webhook_secret_ciphertext bytea,
  ADD COLUMN webhook_secret_iv         bytea,
  ADD COLUMN webhook_secret_tag        bytea;

-- One row per payment event a merchant is told about: delivered at least once, retried with
-- backoff until its deadline, kept as the delivery log. The event id is unique, so an event
-- consumed again is not queued twice.
CREATE TABLE webhook_deliveries (
  event_id         text PRIMARY KEY,
  payment_id       text NOT NULL,
  merchant_id      text NOT NULL,
  event_type       text NOT NULL,
  url              text,
  body             text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  deadline_at      timestamptz NOT NULL,
  last_http_status integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_payment ON webhook_deliveries (payment_id);
CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries (merchant_id, created_at);

-- Down Migration
DROP TABLE webhook_deliveries;
ALTER TABLE merchants DROP COLUMN webhook_secret_ciphertext, DROP COLUMN webhook_secret_iv, DROP COLUMN webhook_secret_tag;
