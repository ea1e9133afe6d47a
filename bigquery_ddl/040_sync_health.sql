-- The sync's health right now, one row: what the alert policies watch (terraform/monitoring.tf).
-- The scheduled sync_health function reads it every few minutes and logs the figures; log-based
-- metrics compare them with the thresholds, which are Terraform variables.
--   pending_syncs           syncs an event asked for that have not finished (analyst_pending_syncs)
--   oldest_pending_minutes  how long the oldest of them has waited: the sync lag right now
--   finished_last_day       attempts that finished (COMPLETED, SKIPPED, FAILED) in the last 24 h
--   succeeded_last_day      of those, COMPLETED or SKIPPED
--   success_rate_last_day   succeeded / finished (NULL when nothing finished)
--   minutes_since_success   since the last COMPLETED or SKIPPED attempt (or, before the first
--                           one, since the first archived event)
CREATE OR REPLACE VIEW sync_health AS
WITH attempts AS (
  SELECT
    COUNTIF(outcome != 'RETRY' AND TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), recorded_at, MINUTE) < 1440)
      AS finished_last_day,
    COUNTIF(
      outcome IN ('COMPLETED', 'SKIPPED')
      AND TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), recorded_at, MINUTE) < 1440
    ) AS succeeded_last_day,
    MAX(IF(outcome IN ('COMPLETED', 'SKIPPED'), recorded_at, NULL)) AS last_success_at
  FROM sync_log
),
archive AS (
  SELECT MIN(received_at) AS first_received_at
  FROM stripe_events
),
pending AS (
  SELECT COUNT(*) AS pending_syncs, MAX(waiting_minutes) AS oldest_pending_minutes
  FROM analyst_pending_syncs
)
SELECT
  p.pending_syncs,
  COALESCE(p.oldest_pending_minutes, 0) AS oldest_pending_minutes,
  COALESCE(a.finished_last_day, 0) AS finished_last_day,
  COALESCE(a.succeeded_last_day, 0) AS succeeded_last_day,
  SAFE_DIVIDE(a.succeeded_last_day, a.finished_last_day) AS success_rate_last_day,
  a.last_success_at,
  TIMESTAMP_DIFF(
    CURRENT_TIMESTAMP(), COALESCE(a.last_success_at, r.first_received_at), MINUTE
  ) AS minutes_since_success
FROM attempts AS a
CROSS JOIN archive AS r
CROSS JOIN pending AS p;
