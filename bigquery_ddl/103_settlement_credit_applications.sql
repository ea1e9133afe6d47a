-- How much of a credit was applied to which settlement's Stripe invoice (appended; a retried
-- append of the same credit and settlement is the same application, see the current view).
CREATE TABLE IF NOT EXISTS settlement_credit_applications (
  credit_id STRING NOT NULL,
  settlement_id STRING NOT NULL,
  stripe_invoice_id STRING,
  currency STRING,
  applied_amount NUMERIC NOT NULL,
  recorded_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(recorded_at)
CLUSTER BY credit_id
OPTIONS (description = 'Credits applied to settlement invoices, append-only');
