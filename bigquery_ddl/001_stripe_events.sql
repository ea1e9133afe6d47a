-- The raw Stripe event archive: every event as received, appended and never changed.
-- A webhook, catch_up, replay or backfill may archive the same event again: read the view.
CREATE TABLE IF NOT EXISTS stripe_events (
  event_id STRING NOT NULL OPTIONS (description = 'Stripe event id (evt_...)'),
  event_type STRING OPTIONS (description = 'e.g. invoice.finalized'),
  object_type STRING OPTIONS (description = 'data.object.object, e.g. invoice'),
  object_id STRING OPTIONS (description = 'data.object.id'),
  api_version STRING,
  livemode BOOL,
  created TIMESTAMP OPTIONS (description = 'when Stripe created the event'),
  received_at TIMESTAMP NOT NULL OPTIONS (description = 'when this system archived it'),
  source STRING OPTIONS (description = 'webhook | catch_up | replay | backfill'),
  payload JSON OPTIONS (description = 'the event exactly as Stripe sent it'),
  tenant_id STRING OPTIONS (description = 'the tenant (tenants_current); NULL on rows from before tenants: the default tenant')
)
PARTITION BY DATE(received_at)
CLUSTER BY event_type, object_id
OPTIONS (description = 'Raw Stripe events, append-only; one row per archiving, see stripe_events_latest');

-- Tenants (issue 14), additive: existing tables gain the column, old rows keep NULL.
ALTER TABLE stripe_events ADD COLUMN IF NOT EXISTS tenant_id STRING;

-- One row per event: the most recent archiving, with when it was first seen and how often.
CREATE OR REPLACE VIEW stripe_events_latest AS
SELECT
  * REPLACE (COALESCE(tenant_id, 'default') AS tenant_id),
  MIN(received_at) OVER (PARTITION BY COALESCE(tenant_id, 'default'), event_id) AS first_received_at,
  COUNT(*) OVER (PARTITION BY COALESCE(tenant_id, 'default'), event_id) AS times_received
FROM stripe_events
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY COALESCE(tenant_id, 'default'), event_id ORDER BY received_at DESC, source) = 1;
