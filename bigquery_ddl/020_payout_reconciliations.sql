-- One row per check of one payout, appended by the worker after it posts the payout (never
-- updated: the latest row per payout is its current state, see payout_reconciliations_current).
CREATE TABLE IF NOT EXISTS payout_reconciliations (
  payout_id STRING NOT NULL OPTIONS (description = 'po_...'),
  currency STRING NOT NULL OPTIONS (description = 'ISO 4217, upper case'),
  arrival_date DATE NOT NULL OPTIONS (description = 'the payout arrival date in the books time zone'),
  amount NUMERIC NOT NULL OPTIONS (description = 'the payout amount, in its currency'),
  deposit_id STRING OPTIONS (description = 'the QBO Deposit id; NULL if none was found'),
  deposit_amount NUMERIC,
  deposit_date DATE,
  gross NUMERIC OPTIONS (description = 'charges and payments, gross'),
  refunds NUMERIC OPTIONS (description = 'refunds, as a positive amount'),
  fees NUMERIC OPTIONS (description = 'every fee in the payout (processing, dispute, other)'),
  adjustments NUMERIC OPTIONS (description = 'disputes, returned payouts and other movements'),
  components JSON OPTIONS (description = 'fees by kind, fees posted, suspense lines'),
  status STRING NOT NULL OPTIONS (description = 'BALANCED | MISMATCH'),
  difference NUMERIC OPTIONS (description = 'gross - refunds - fees + adjustments - amount'),
  problems STRING OPTIONS (description = 'why a check is MISMATCH, comma-separated codes'),
  checked_at TIMESTAMP NOT NULL,
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(checked_at)
CLUSTER BY payout_id
OPTIONS (description = 'Payout reconciliation checks, append-only');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE payout_reconciliations ADD COLUMN IF NOT EXISTS tenant_id STRING;

CREATE OR REPLACE VIEW payout_reconciliations_current AS
SELECT * REPLACE (COALESCE(tenant_id, 'default') AS tenant_id)
FROM payout_reconciliations
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY COALESCE(tenant_id, 'default'), payout_id ORDER BY checked_at DESC) = 1;
