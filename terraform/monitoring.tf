# Log-based metrics over the functions' structured logs (shared/logging.py: JSON on stderr, which
# Cloud Logging parses into jsonPayload with the entry's severity), and alert policies on them.

locals {
  # 2nd gen functions log as the Cloud Run revisions of their services.
  function_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for n in values(local.function_names) : "\"${n}\""])})"
  worker_logs   = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.function_names["sync_worker"]}\""

  log_metrics = {
    sync_failed = {
      description = "Syncs recorded FAILED (permanent errors: mapping gaps, validation). Each is in the sync_failures view and replayable after a fix."
      filter      = "${local.worker_logs} AND jsonPayload.outcome=\"FAILED\""
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
      doc      = "A Stripe object could not be posted to QBO and was recorded FAILED. Query the `sync_failures` view in BigQuery for the reason, fix the mapping or the QBO data, then replay the failed links."
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
