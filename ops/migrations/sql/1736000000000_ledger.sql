-- Up Migration
-- The double-entry ledger (streams/ledger). A journal entry has legs (postings); per entry and
-- currency the debits equal the credits, checked by the database at commit (deferred constraint
-- trigger), so no code path can commit an unbalanced entry. Balances are kept by a trigger on the
-- same insert, so a balance always equals the sum of its postings.
CREATE TABLE ledger_journal (
  journal_id   text PRIMARY KEY,
  -- The payment event the entry was posted for: an event is posted at most once.
  source_id    text NOT NULL UNIQUE,
  payment_id   text,
  kind         text NOT NULL,
  description  text NOT NULL,
  posted_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_journal_payment ON ledger_journal (payment_id);

CREATE TABLE ledger_postings (
  journal_id   text NOT NULL REFERENCES ledger_journal (journal_id),
  leg          integer NOT NULL,
  account_id   text NOT NULL,
  currency     char(3) NOT NULL,
  direction    char(1) NOT NULL CHECK (direction IN ('D', 'C')),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  PRIMARY KEY (journal_id, leg)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, currency);

-- Debit-positive balances: an asset or expense account grows with debits, a liability or revenue
-- account shows a negative balance as it grows (its credit balance).
CREATE TABLE ledger_balances (
  account_id    text NOT NULL,
  currency      char(3) NOT NULL,
  balance_minor bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, currency)
);

CREATE FUNCTION ledger_apply_posting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ledger_balances (account_id, currency, balance_minor)
  VALUES (NEW.account_id, NEW.currency, CASE WHEN NEW.direction = 'D' THEN NEW.amount_minor ELSE -NEW.amount_minor END)
  ON CONFLICT (account_id, currency) DO UPDATE SET balance_minor = ledger_balances.balance_minor + EXCLUDED.balance_minor;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_postings_balance AFTER INSERT ON ledger_postings FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE unbalanced text;
BEGIN
  SELECT currency INTO unbalanced FROM ledger_postings WHERE journal_id = NEW.journal_id
   GROUP BY currency HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0 LIMIT 1;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'journal entry % does not balance in %', NEW.journal_id, unbalanced USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- Postings are never changed or removed: corrections are new entries.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_journal_append_only BEFORE UPDATE OR DELETE ON ledger_journal FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- The next offset to post from, per consumed partition, written in the same transaction as the
-- postings: after any crash the ledger resumes exactly where its last commit ended.
CREATE TABLE ledger_offsets (
  group_id    text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
);

-- Down Migration
DROP TABLE ledger_offsets;
DROP TRIGGER ledger_journal_append_only ON ledger_journal;
DROP TRIGGER ledger_postings_append_only ON ledger_postings;
DROP FUNCTION ledger_append_only();
DROP TABLE ledger_postings;
DROP TABLE ledger_balances;
DROP TABLE ledger_journal;
DROP FUNCTION ledger_check_balanced();
DROP FUNCTION ledger_apply_posting();
