-- Runs: one row per state of each backfill, replay and undo run, appended as the run moves
-- (never updated: the latest row per run is its current state, see sync_runs_current).
CREATE TABLE IF NOT EXISTS sync_runs (
  run_id STRING NOT NULL,
  kind STRING NOT NULL OPTIONS (description = 'backfill | replay | undo'),
  status STRING NOT NULL OPTIONS (description = 'RUNNING | COMPLETED | PARTIAL | FAILED'),
  started_at TIMESTAMP NOT NULL,
  recorded_at TIMESTAMP NOT NULL,
  params STRING OPTIONS (description = 'what the run was asked for, as JSON'),
  checkpoint STRING OPTIONS (description = 'where a resumed run continues, as JSON'),
  objects_listed INT64 OPTIONS (description = 'objects read from Stripe, or links selected'),
  objects_created INT64 OPTIONS (description = 'objects that wrote to QBO (undo: undone)'),
  objects_skipped INT64 OPTIONS (description = 'already in sync, drafts, nothing to undo'),
  objects_failed INT64 OPTIONS (description = 'FAILED, or still failing after retries'),
  qbo_calls INT64 OPTIONS (description = 'QBO HTTP requests of the run (a batch is one)'),
  stripe_calls INT64 OPTIONS (description = 'Stripe HTTP requests of the run'),
  duration_seconds FLOAT64 OPTIONS (description = 'seconds of work so far, every slice summed'),
  detail STRING OPTIONS (description = 'why it stopped or failed: ids and codes only'),
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(recorded_at)
CLUSTER BY run_id
OPTIONS (description = 'Backfill, replay and undo runs, append-only; read sync_runs_current');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS tenant_id STRING;

CREATE OR REPLACE VIEW sync_runs_current AS
SELECT * REPLACE (COALESCE(tenant_id, 'default') AS tenant_id)
FROM sync_runs
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY COALESCE(tenant_id, 'default'), run_id ORDER BY recorded_at DESC) = 1;
