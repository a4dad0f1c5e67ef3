-- Up Migration
-- Settlement to merchants (streams/ledger/settlement.ts): one payout per merchant, currency and
-- business date, moving the merchant's payable balance to the bank through "payouts in transit".
-- The unique key makes a second run of the same date create nothing.
CREATE TABLE ledger_payouts (
  payout_id       text PRIMARY KEY,
  merchant_id     text NOT NULL,
  currency        char(3) NOT NULL,
  business_date   date NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  -- pending: not sent yet; retrying: a send failed without paying, another is due; sent: a send's
  -- outcome is unknown, the bank is asked before anything else; paid and failed are final.
  state           text NOT NULL CHECK (state IN ('pending', 'retrying', 'sent', 'paid', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error      text,
  bank_reference  text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  UNIQUE (merchant_id, currency, business_date)
);
CREATE INDEX ledger_payouts_due ON ledger_payouts (next_attempt_at) WHERE state IN ('pending', 'retrying', 'sent');

-- Down Migration
DROP TABLE ledger_payouts;
