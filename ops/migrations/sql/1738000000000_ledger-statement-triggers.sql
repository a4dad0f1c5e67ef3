-- Up Migration
-- The ledger's balance and balanced-entry rules, checked once per statement instead of once per
-- posting row. The per-row versions ran a balance upsert and a GROUP BY over the entry for every
-- leg (five of each per payment); per statement, the new rows come as a transition table and are
-- aggregated once. The balanced rule also becomes stricter: it is checked when the statement
-- inserting the legs ends, over every leg of each entry it touched (old legs included), so an
-- entry's legs are written in one statement and a posted entry can never be unbalanced later by
-- adding legs in another transaction.
DROP TRIGGER ledger_postings_balance ON ledger_postings;
DROP FUNCTION ledger_apply_posting();
DROP TRIGGER ledger_postings_balanced ON ledger_postings;
DROP FUNCTION ledger_check_balanced();

CREATE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Accounts in a stable order, so two transactions updating the same balances never deadlock.
  INSERT INTO ledger_balances (account_id, currency, balance_minor)
  SELECT account_id, currency, sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END)
    FROM new_postings GROUP BY account_id, currency ORDER BY account_id, currency
  ON CONFLICT (account_id, currency) DO UPDATE SET balance_minor = ledger_balances.balance_minor + EXCLUDED.balance_minor;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_postings_balance AFTER INSERT ON ledger_postings REFERENCING NEW TABLE AS new_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_postings();

CREATE FUNCTION ledger_check_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT p.journal_id, p.currency INTO bad FROM ledger_postings p
   WHERE p.journal_id IN (SELECT DISTINCT journal_id FROM new_postings)
   GROUP BY p.journal_id, p.currency HAVING sum(CASE WHEN p.direction = 'D' THEN p.amount_minor ELSE -p.amount_minor END) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance in %', bad.journal_id, bad.currency USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings REFERENCING NEW TABLE AS new_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries_balanced();

-- Down Migration
DROP TRIGGER ledger_postings_balanced ON ledger_postings;
DROP FUNCTION ledger_check_entries_balanced();
DROP TRIGGER ledger_postings_balance ON ledger_postings;
DROP FUNCTION ledger_apply_postings();

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
