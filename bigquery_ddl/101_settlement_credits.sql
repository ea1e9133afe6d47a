-- Credits the ledger owes a customer (rollback, underperformance, ...), appended by the ledger.
-- How much of each credit this system has applied lives in settlement_credit_applications.
CREATE TABLE IF NOT EXISTS settlement_credits (
  credit_id STRING NOT NULL,
  customer_id STRING,              -- Stripe customer id
  reason STRING,                   -- ROLLBACK | UNDERPERFORMANCE | GOODWILL | ...
  revenue_lost NUMERIC,
  credit_amount NUMERIC,
  currency STRING,
  applied_to_invoice STRING,       -- set by the ledger when settled outside this system
  created_at TIMESTAMP,
  recorded_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(recorded_at)
CLUSTER BY customer_id
OPTIONS (description = 'Credits owed to customers, from the revenue ledger, append-only');
