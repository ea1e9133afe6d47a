-- Current state views over the append-only settlement tables: the latest row per key.
CREATE OR REPLACE VIEW ledger_settlements_current AS
SELECT *
FROM ledger_settlements
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY settlement_id ORDER BY recorded_at DESC) = 1;

CREATE OR REPLACE VIEW settlement_credits_current AS
SELECT *
FROM settlement_credits
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY credit_id ORDER BY recorded_at DESC) = 1;

CREATE OR REPLACE VIEW settlement_invoice_links_current AS
SELECT *
FROM settlement_invoice_links
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY settlement_id
  ORDER BY settlement_revision DESC, progress DESC, recorded_at DESC
) = 1;

CREATE OR REPLACE VIEW settlement_credit_applications_current AS
SELECT *
FROM settlement_credit_applications
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY credit_id, settlement_id ORDER BY recorded_at DESC
) = 1;

-- Open balance of every credit: amount minus what invoices have used; closed when the ledger
-- says it was applied elsewhere.
CREATE OR REPLACE VIEW settlement_credits_open AS
SELECT
  c.credit_id,
  c.customer_id,
  c.reason,
  c.revenue_lost,
  c.credit_amount,
  c.currency,
  c.created_at,
  COALESCE(a.applied_amount, 0) AS applied_amount,
  c.credit_amount - COALESCE(a.applied_amount, 0) AS open_amount
FROM settlement_credits_current AS c
LEFT JOIN (
  SELECT credit_id, SUM(applied_amount) AS applied_amount
  FROM settlement_credit_applications_current
  GROUP BY credit_id
) AS a
  ON a.credit_id = c.credit_id
WHERE c.applied_to_invoice IS NULL;

-- Settlements that failed, with the reason, for the operators' failed view.
CREATE OR REPLACE VIEW settlement_invoice_failures AS
SELECT settlement_id, settlement_revision, reason, recorded_at
FROM settlement_invoice_links_current
WHERE status = 'FAILED';
