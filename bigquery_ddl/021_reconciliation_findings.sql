-- What the daily reconcile found: one row per finding per run, appended (never updated).
-- A finding is open while the latest run still reports it (see reconciliation_findings_open).
CREATE TABLE IF NOT EXISTS reconciliation_findings (
  run_id STRING NOT NULL OPTIONS (description = 'one reconcile run'),
  finding_id STRING NOT NULL OPTIONS (description = 'stable per (kind, object): the same drift found again has the same id'),
  kind STRING NOT NULL OPTIONS (description = 'ar_mismatch | invoice_missing_in_qbo | invoice_missing_in_stripe | payout_without_deposit | changed_in_qbo | link_stuck | payout_mismatch'),
  severity STRING NOT NULL OPTIONS (description = 'CRITICAL | HIGH | MEDIUM | LOW'),
  stripe_object_id STRING,
  qbo_entity_type STRING,
  qbo_entity_id STRING,
  currency STRING,
  stripe_amount NUMERIC,
  qbo_amount NUMERIC,
  difference NUMERIC,
  detail STRING OPTIONS (description = 'ids and codes only, never personal data'),
  window_start TIMESTAMP,
  window_end TIMESTAMP,
  found_at TIMESTAMP NOT NULL,
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(found_at)
CLUSTER BY kind, severity
OPTIONS (description = 'Drift between Stripe and QBO found by reconcile, append-only');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE reconciliation_findings ADD COLUMN IF NOT EXISTS tenant_id STRING;

-- AR per customer and currency as each reconcile run saw it on both sides, appended.
CREATE TABLE IF NOT EXISTS ar_balances (
  run_id STRING NOT NULL,
  stripe_customer_id STRING NOT NULL,
  qbo_customer_id STRING,
  currency STRING NOT NULL,
  stripe_open NUMERIC OPTIONS (description = 'open invoices in Stripe (amount_remaining)'),
  qbo_open NUMERIC OPTIONS (description = 'open invoices less unapplied credit in QBO'),
  as_of TIMESTAMP NOT NULL,
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(as_of)
CLUSTER BY stripe_customer_id
OPTIONS (description = 'AR per customer in Stripe and QBO, one snapshot per reconcile run');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE ar_balances ADD COLUMN IF NOT EXISTS tenant_id STRING;

-- One row per finished reconcile run (also when it found nothing).
CREATE TABLE IF NOT EXISTS reconcile_runs (
  run_id STRING NOT NULL,
  window_start TIMESTAMP,
  window_end TIMESTAMP,
  findings INT64,
  checked JSON OPTIONS (description = 'what was compared: counts per check'),
  finished_at TIMESTAMP NOT NULL,
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(finished_at)
OPTIONS (description = 'Reconcile runs, append-only');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE reconcile_runs ADD COLUMN IF NOT EXISTS tenant_id STRING;

-- The findings of each tenant's latest finished run: what is open now.
CREATE OR REPLACE VIEW reconciliation_findings_open AS
SELECT f.* REPLACE (COALESCE(f.tenant_id, 'default') AS tenant_id)
FROM reconciliation_findings AS f
JOIN (
  SELECT run_id, COALESCE(tenant_id, 'default') AS tenant
  FROM reconcile_runs
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY COALESCE(tenant_id, 'default') ORDER BY finished_at DESC) = 1
) AS latest
  ON f.run_id = latest.run_id AND COALESCE(f.tenant_id, 'default') = latest.tenant;
