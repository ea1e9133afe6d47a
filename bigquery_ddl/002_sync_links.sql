-- The link table: Stripe object to QBO entity, append-only (never MERGE: see ARCHITECTURE rule 2).
-- Every state change appends a row; the current state is the latest row per key (the view below).
CREATE TABLE IF NOT EXISTS sync_links (
  stripe_object_id STRING NOT NULL OPTIONS (description = 'e.g. in_..., ch_..., po_...'),
  stripe_object_type STRING OPTIONS (description = 'e.g. invoice, charge, payout'),
  qbo_entity_type STRING NOT NULL OPTIONS (description = 'e.g. Invoice, Payment, Deposit'),
  qbo_entity_id STRING,
  doc_number STRING,
  status STRING NOT NULL OPTIONS (description = 'PENDING | IN_PROGRESS | COMPLETED | FAILED | SKIPPED | RESOLVED (a failure a later success cleared) | UNDONE (an undo run removed it from QBO)'),
  payload_hash STRING OPTIONS (description = 'hash of the document written to QBO'),
  attempt INT64,
  event_id STRING,
  task_name STRING,
  recorded_at TIMESTAMP NOT NULL,
  last_error_class STRING,
  last_error_code STRING,
  last_error STRING OPTIONS (description = 'error message: ids only, never personal data'),
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(recorded_at)
CLUSTER BY stripe_object_id
OPTIONS (description = 'Stripe to QBO links, append-only; read sync_links_current');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE sync_links ADD COLUMN IF NOT EXISTS tenant_id STRING;

-- The current state of every link: the latest row per (stripe_object_id, qbo_entity_type).
CREATE OR REPLACE VIEW sync_links_current AS
SELECT * REPLACE (COALESCE(tenant_id, 'default') AS tenant_id)
FROM sync_links
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY COALESCE(tenant_id, 'default'), stripe_object_id, qbo_entity_type
  ORDER BY recorded_at DESC, attempt DESC
) = 1;

-- Links whose current state is FAILED, with the reason: the work list for a replay after a fix.
CREATE OR REPLACE VIEW sync_failures AS
SELECT
  stripe_object_id,
  stripe_object_type,
  qbo_entity_type,
  qbo_entity_id,
  doc_number,
  attempt,
  event_id,
  task_name,
  recorded_at AS failed_at,
  last_error_class AS error_class,
  last_error_code AS error_code,
  last_error AS error_message,
  tenant_id
FROM sync_links_current
WHERE status = 'FAILED';
