-- The sync log: one row per attempt at a unit of work, whatever its outcome.
CREATE TABLE IF NOT EXISTS sync_log (
  log_id STRING NOT NULL,
  correlation_id STRING,
  task_name STRING,
  event_id STRING,
  object_id STRING,
  object_type STRING,
  operation STRING OPTIONS (description = 'e.g. sync_invoice, sync_payout, settlement_poll'),
  outcome STRING NOT NULL OPTIONS (description = 'COMPLETED | SKIPPED | FAILED | RETRY'),
  error_class STRING,
  error_code STRING,
  error_message STRING OPTIONS (description = 'ids only, never personal data'),
  detail STRING OPTIONS (description = 'why a unit was skipped, e.g. draft or already synced'),
  duration_ms INT64,
  attempt INT64,
  recorded_at TIMESTAMP NOT NULL,
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(recorded_at)
CLUSTER BY outcome, object_id
OPTIONS (description = 'One row per attempt, append-only');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE sync_log ADD COLUMN IF NOT EXISTS tenant_id STRING;
