-- One appended row per step of turning a settlement into a Stripe invoice (never updated).
-- status: PENDING -> INVOICE_CREATED -> FINALIZED -> SENT, or NO_FEE, or FAILED (with reason).
-- settlement_revision is the ledger row's recorded_at: a FAILED settlement is retried when the
-- ledger appends a newer revision. progress orders the steps of one revision.
CREATE TABLE IF NOT EXISTS settlement_invoice_links (
  settlement_id STRING NOT NULL,
  settlement_revision TIMESTAMP,
  status STRING NOT NULL,
  progress INT64 NOT NULL,
  stripe_invoice_id STRING,
  stripe_invoice_number STRING,
  hosted_invoice_url STRING,
  invoice_date DATE,               -- finalized, UTC
  due_date DATE,
  currency STRING,
  fee_amount NUMERIC,
  credit_amount NUMERIC,
  tax_jurisdiction STRING,
  tax_rate NUMERIC,
  tax_amount NUMERIC,
  total_amount NUMERIC,
  reason STRING,
  poll_id STRING,
  recorded_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(recorded_at)
CLUSTER BY settlement_id
OPTIONS (description = 'Settlement to Stripe invoice progress, append-only; read the _current view');
