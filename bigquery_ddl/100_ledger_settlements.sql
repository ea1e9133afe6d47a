-- Monthly success-fee settlements written (appended) by the upstream revenue ledger.
-- A settlement may be appended again when the ledger revises it; the latest row wins.
CREATE TABLE IF NOT EXISTS ledger_settlements (
  settlement_id STRING NOT NULL,
  customer_id STRING,              -- Stripe customer id (cus_...)
  customer_name STRING,            -- bill-to name printed on the statement
  period_start DATE,
  period_end DATE,
  baseline_revenue NUMERIC,
  actual_revenue NUMERIC,
  incremental_revenue NUMERIC,     -- actual - baseline
  fee_rate NUMERIC,                -- 0.15 = 15 % of incremental revenue
  currency STRING,                 -- ISO 4217, any case
  tax_jurisdiction STRING,         -- key of Settings.tax_rates, e.g. US-CA, GB, NONE
  contributions JSON,              -- {"<source>": "<amount>", ...}: incremental revenue by source
  status STRING,                   -- OPEN | COMPLETED | CANCELLED
  completed_at TIMESTAMP,
  recorded_at TIMESTAMP NOT NULL   -- when the ledger appended this revision
)
PARTITION BY DATE(recorded_at)
CLUSTER BY settlement_id
OPTIONS (description = 'Success-fee settlements from the revenue ledger, append-only');
