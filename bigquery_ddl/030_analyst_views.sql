-- Analysts' views over the event archive, the links, the sync log and reconciliation results.
-- BigQuery dialect; the same text runs on the embedded DuckDB warehouse.

-- Objects an event asked us to sync that have not finished since: no COMPLETED, SKIPPED or
-- FAILED attempt recorded after the event was received (queued, retrying, or lost).
CREATE OR REPLACE VIEW analyst_pending_syncs AS
WITH wanted AS (
  SELECT
    tenant_id, object_type, object_id, event_id, event_type, created AS event_created, received_at
  FROM stripe_events_latest
  WHERE event_type IN (
    'customer.created', 'customer.updated', 'invoice.finalized', 'invoice.updated',
    'invoice.paid', 'invoice.payment_succeeded', 'invoice.voided', 'invoice.marked_uncollectible',
    'charge.succeeded', 'charge.captured', 'charge.updated', 'charge.refunded',
    'refund.created', 'refund.updated', 'refund.failed', 'credit_note.created',
    'credit_note.updated', 'credit_note.voided', 'charge.dispute.created',
    'charge.dispute.updated', 'charge.dispute.funds_withdrawn',
    'charge.dispute.funds_reinstated', 'charge.dispute.closed', 'payout.paid',
    'payout.reconciliation_completed', 'payout.failed', 'payout.canceled'
  )
  QUALIFY ROW_NUMBER() OVER (PARTITION BY tenant_id, object_id ORDER BY received_at DESC) = 1
),
attempts AS (
  SELECT
    COALESCE(tenant_id, 'default') AS tenant_id,
    object_id,
    MAX(IF(outcome != 'RETRY', recorded_at, NULL)) AS last_finished_at,
    MAX(recorded_at) AS last_attempt_at,
    COUNTIF(outcome = 'RETRY') AS retries
  FROM sync_log
  GROUP BY 1, 2
)
SELECT
  w.tenant_id,
  w.object_type,
  w.object_id,
  w.event_id AS last_event_id,
  w.event_type AS last_event_type,
  w.event_created,
  w.received_at,
  a.last_attempt_at,
  COALESCE(a.retries, 0) AS retries,
  TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), w.received_at, MINUTE) AS waiting_minutes
FROM wanted AS w
LEFT JOIN attempts AS a
  ON a.tenant_id = w.tenant_id AND a.object_id = w.object_id
WHERE a.last_finished_at IS NULL OR a.last_finished_at < w.received_at;

-- Every object whose current link is FAILED, with the reason: fix, then replay.
CREATE OR REPLACE VIEW analyst_failed_syncs AS
SELECT
  stripe_object_type AS object_type,
  stripe_object_id AS object_id,
  qbo_entity_type,
  error_class,
  error_code,
  error_message,
  attempt,
  event_id,
  failed_at,
  DATE(failed_at) AS failed_on,
  tenant_id
FROM sync_failures;

-- Failures grouped by reason, for the "what broke" chart.
CREATE OR REPLACE VIEW analyst_failures_by_reason AS
SELECT
  COALESCE(error_class, 'unknown') AS error_class,
  COALESCE(error_code, '-') AS error_code,
  COUNT(*) AS failed_objects,
  MIN(failed_at) AS first_failed_at,
  MAX(failed_at) AS last_failed_at,
  tenant_id
FROM sync_failures
GROUP BY 1, 2, tenant_id;

-- Seconds from an event to the first QBO link it produced: end to end (from Stripe's event time)
-- and in our pipeline (from when the webhook archived it).
CREATE OR REPLACE VIEW analyst_sync_lag AS
SELECT
  e.event_id,
  e.event_type,
  e.object_id,
  e.created AS event_created,
  e.first_received_at,
  MIN(l.recorded_at) AS linked_at,
  TIMESTAMP_DIFF(MIN(l.recorded_at), e.created, SECOND) AS lag_seconds,
  TIMESTAMP_DIFF(MIN(l.recorded_at), e.first_received_at, SECOND) AS pipeline_seconds,
  e.tenant_id
FROM stripe_events_latest AS e
JOIN sync_links AS l
  ON
    l.event_id = e.event_id
    AND COALESCE(l.tenant_id, 'default') = e.tenant_id
    AND l.status = 'COMPLETED'
GROUP BY e.event_id, e.event_type, e.object_id, e.created, e.first_received_at, e.tenant_id;

-- Sync lag by day of the event: p50 and p95 (approximate quantiles), end to end and in the
-- pipeline, and the worst.
CREATE OR REPLACE VIEW analyst_sync_lag_daily AS
SELECT
  DATE(event_created) AS day,
  COUNT(*) AS events,
  APPROX_QUANTILES(lag_seconds, 100)[OFFSET(50)] AS p50_seconds,
  APPROX_QUANTILES(lag_seconds, 100)[OFFSET(95)] AS p95_seconds,
  MAX(lag_seconds) AS max_seconds,
  APPROX_QUANTILES(pipeline_seconds, 100)[OFFSET(50)] AS pipeline_p50_seconds,
  APPROX_QUANTILES(pipeline_seconds, 100)[OFFSET(95)] AS pipeline_p95_seconds,
  tenant_id
FROM analyst_sync_lag
GROUP BY 1, tenant_id;

-- Attempts by day: how many finished well (COMPLETED or SKIPPED) of those that finished.
CREATE OR REPLACE VIEW analyst_success_rate_daily AS
SELECT
  DATE(recorded_at) AS day,
  COUNT(*) AS attempts,
  COUNTIF(outcome = 'COMPLETED') AS completed,
  COUNTIF(outcome = 'SKIPPED') AS skipped,
  COUNTIF(outcome = 'FAILED') AS failed,
  COUNTIF(outcome = 'RETRY') AS retried,
  SAFE_DIVIDE(
    COUNTIF(outcome IN ('COMPLETED', 'SKIPPED')), COUNTIF(outcome != 'RETRY')
  ) AS success_rate,
  COALESCE(tenant_id, 'default') AS tenant_id
FROM sync_log
GROUP BY 1, COALESCE(tenant_id, 'default');

-- AR per customer and currency, Stripe against QBO, as the latest reconcile run saw it.
CREATE OR REPLACE VIEW analyst_ar_by_customer AS
SELECT
  stripe_customer_id,
  qbo_customer_id,
  currency,
  stripe_open,
  qbo_open,
  COALESCE(qbo_open, 0) - COALESCE(stripe_open, 0) AS difference,
  as_of,
  COALESCE(tenant_id, 'default') AS tenant_id
FROM ar_balances
WHERE TRUE
QUALIFY RANK() OVER (PARTITION BY COALESCE(tenant_id, 'default') ORDER BY as_of DESC) = 1;

-- Every payout's latest check, with how long ago it arrived.
CREATE OR REPLACE VIEW analyst_payout_reconciliation AS
SELECT
  payout_id,
  currency,
  arrival_date,
  amount,
  deposit_id,
  deposit_amount,
  deposit_date,
  gross,
  refunds,
  fees,
  adjustments,
  status,
  difference,
  problems,
  checked_at,
  tenant_id
FROM payout_reconciliations_current;
