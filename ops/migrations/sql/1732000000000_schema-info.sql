-- Up Migration
-- One row describing this deployment: which paystream created the database and when.
-- Later migrations add the payment, ledger and reconciliation tables beside it.
CREATE TABLE paystream_schema_info (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  deployment_id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO paystream_schema_info DEFAULT VALUES;

-- Down Migration
DROP TABLE paystream_schema_info;
