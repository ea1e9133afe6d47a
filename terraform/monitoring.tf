# Log-based metrics over the functions' structured logs (shared/logging.py: JSON on stderr, which
# Cloud Logging parses into jsonPayload with the entry's severity), and alert policies on them.
# Thresholds are variables; the metrics compare the figures the code logs with them (the
# sync_health function logs the sync_health view every 5 minutes). tests/contract/
# test_alert_filters.py evaluates every filter on the lines the code writes, healthy and not.

locals {
  # 2nd gen functions log as the Cloud Run revisions of their services.
  function_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for n in values(local.function_names) : "\"${n}\""])})"
  worker_logs   = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.function_names["sync_worker"]}\""
  webhook_logs  = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.function_names["stripe_webhook"]}\""
  health_logs   = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.function_names["sync_health"]}\" AND jsonPayload.message=\"sync health\""

  log_metrics = {
    sync_failed = {
      description = "Objects recorded FAILED after their retries: permanent errors (mapping gaps, validation), transient ones that outlasted the retry horizon (exhausted), poison tasks. Each is in the sync_failures view with its reason."
      filter      = "${local.worker_logs} AND jsonPayload.outcome=\"FAILED\""
    }
    webhook_errors = {
      description = "The public webhook refused or failed at ERROR: a dependency a person must fix (permission, missing queue or secret) or a signed body the archive cannot store."
      filter      = "${local.webhook_logs} AND severity>=ERROR"
    }
    sync_lag = {
      description = "The oldest pending sync has waited more than ${var.alert_sync_lag_minutes} minutes."
      filter      = "${local.health_logs} AND jsonPayload.oldest_pending_minutes>${var.alert_sync_lag_minutes}"
    }
    syncs_pending = {
      description = "More than ${var.alert_pending_syncs} syncs have been pending for ${var.alert_sync_lag_minutes} minutes or longer."
      filter      = "${local.health_logs} AND jsonPayload.lagging_syncs>${var.alert_pending_syncs}"
    }
    success_rate_low = {
      description = "Fewer than ${var.alert_min_success_rate * 100}% of the sync attempts that finished in the last 24 hours succeeded."
      filter      = "${local.health_logs} AND jsonPayload.finished_syncs>0 AND jsonPayload.success_rate<${var.alert_min_success_rate}"
    }
    no_success = {
      description = "No sync has succeeded for ${var.alert_no_success_hours} hours while syncs wait."
      filter      = "${local.health_logs} AND jsonPayload.minutes_since_success>=${var.alert_no_success_hours * 60} AND jsonPayload.pending_syncs>0"
    }
    health_probes = {
      description = "Health measurements: their absence means the alerts above are blind."
      filter      = local.health_logs
    }
    sync_stuck_tasks = {
      description = "Sync tasks still failing transiently after ${var.stuck_task_attempts} attempts."
      filter      = "${local.worker_logs} AND jsonPayload.outcome=\"RETRY\" AND jsonPayload.attempt>=${var.stuck_task_attempts}"
    }
    reconciliation_findings = {
      description = "Reconciliation runs that found drift between Stripe and QBO."
      filter      = "${local.function_logs} AND severity>=WARNING AND jsonPayload.findings:*"
    }
  }
}

resource "google_logging_metric" "sync" {
  for_each = local.log_metrics

  name        = "stripe_qbo_sync/${each.key}"
  description = each.value.description
  filter      = each.value.filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "stripe-qbo-sync ${each.key}"

    labels {
      key         = "object_type"
      value_type  = "STRING"
      description = "Stripe object type, when the entry names one."
    }
  }

  label_extractors = {
    object_type = "EXTRACT(jsonPayload.object_type)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_notification_channel" "email" {
  count = var.alert_email == "" ? 0 : 1

  display_name = "stripe-qbo-sync alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.enabled]
}

locals {
  alerts = {
    sync_failed = {
      title    = "stripe-qbo-sync: failed syncs"
      window   = "300s"
      duration = "0s"
      doc      = "A Stripe object was recorded FAILED after its retries. Query the `sync_failures` view in BigQuery for the reason. Permanent ones (mapping gaps, QBO validation, a foreign document): fix the mapping or the QBO data, then replay the failed links. `exhausted` ones (days of transient failure) are re-driven by the hourly catch-up by themselves; look at why the dependency was down that long."
    }
    sync_stuck_tasks = {
      title    = "stripe-qbo-sync: stuck sync tasks"
      window   = "600s"
      duration = "0s"
      doc      = "Sync tasks keep failing with transient errors (QBO or Stripe throttling or outages, expired QBO refresh token, BigQuery errors). Check the sync_worker logs for error_class and error_code."
    }
    reconciliation_findings = {
      title    = "stripe-qbo-sync: reconciliation findings"
      window   = "3600s"
      duration = "0s"
      doc      = "Reconciliation found Stripe and QBO disagreeing. Read the findings in the reconciliation results in BigQuery before the books are closed."
    }
    webhook_errors = {
      title    = "stripe-qbo-sync: webhook refusing or failing"
      window   = "300s"
      duration = "0s"
      doc      = "The Stripe webhook answered an error a person must look at (logged at ERROR): the archive or the queue refused for good (permission, missing queue or secret), or a signed event could not be stored. Stripe retries for three days; read the webhook's logs (error_class, error_code), fix, and the retries or the hourly catch-up recover the events."
    }
    sync_lag = {
      title    = "stripe-qbo-sync: sync lag"
      window   = "600s"
      duration = "0s"
      doc      = "A Stripe event has waited longer than the lag threshold for its sync. Look at `analyst_pending_syncs` and the worker's logs: QBO throttling or an outage, a stuck queue, or failing tasks."
    }
    syncs_pending = {
      title    = "stripe-qbo-sync: syncs pending"
      window   = "600s"
      duration = "0s"
      doc      = "More syncs than the threshold have waited longer than the lag threshold. See `analyst_pending_syncs` and the queue's depth; tasks keep retrying for days, so a transient cause heals by itself once it ends."
    }
    success_rate_low = {
      title    = "stripe-qbo-sync: success rate"
      window   = "600s"
      duration = "0s"
      doc      = "The share of sync attempts that succeeded over the last day is below the threshold. `analyst_failures_by_reason` groups the failures by reason."
    }
    no_success = {
      title    = "stripe-qbo-sync: no successful sync"
      window   = "600s"
      duration = "0s"
      doc      = "No sync has succeeded for the threshold's hours while syncs wait: QBO or Stripe credentials (invalid_grant), an outage, or the worker failing on every task. Check the worker's logs and `sync_failures`."
    }
  }
}

resource "google_monitoring_alert_policy" "log_metric" {
  for_each = local.alerts

  display_name          = each.value.title
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id
  user_labels           = local.labels

  conditions {
    display_name = "${each.key} > 0"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.sync[each.key].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = each.value.duration

      aggregations {
        alignment_period     = each.value.window
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  # Tasks piling up in the queue mean the worker is not keeping up or keeps failing.
  dynamic "conditions" {
    for_each = each.key == "sync_stuck_tasks" ? [1] : []
    content {
      display_name = "queue depth > ${var.stuck_queue_depth} for 30 minutes"

      condition_threshold {
        filter          = "metric.type=\"cloudtasks.googleapis.com/queue/depth\" AND resource.type=\"cloud_tasks_queue\" AND resource.labels.queue_id=\"${google_cloud_tasks_queue.sync.name}\""
        comparison      = "COMPARISON_GT"
        threshold_value = var.stuck_queue_depth
        duration        = "1800s"

        aggregations {
          alignment_period   = "300s"
          per_series_aligner = "ALIGN_MAX"
        }

        trigger {
          count = 1
        }
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    content   = each.value.doc
    mime_type = "text/markdown"
  }
}

# The health measurements stopped (the function fails or is not scheduled): the lag, pending,
# success-rate and no-success alerts could not fire.
resource "google_monitoring_alert_policy" "health_absent" {
  display_name          = "stripe-qbo-sync: health measurements missing"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id
  user_labels           = local.labels

  conditions {
    display_name = "no sync_health line for 30 minutes"

    condition_absent {
      filter   = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.sync["health_probes"].name}\" AND resource.type=\"cloud_run_revision\""
      duration = "1800s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    content   = "The sync_health function has logged no measurement for 30 minutes: check its Cloud Scheduler job and its logs. Until it runs again the lag, pending, success-rate and no-success alerts cannot fire."
    mime_type = "text/markdown"
  }
}
