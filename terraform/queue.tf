locals {
  # Must equal the task_* defaults of shared/config.py (checked by tests/contract). Cloud Tasks
  # applies the queue's retry config; the settings mirror it for the local queue and the logs.
  # Cloud Tasks gives a task up only when both max_attempts and max_retry_duration are reached:
  # 20 attempts take about two hours at this backoff, then retries every 10 minutes continue
  # until 3 days have passed since the first attempt (Stripe's own webhook horizon). The worker
  # records its last attempt FAILED (exhausted) and catch-up re-drives it.
  task_retry = {
    max_attempts              = 20
    max_retry_seconds         = 259200
    min_backoff_seconds       = 1
    max_backoff_seconds       = 600
    max_doublings             = 8
    dispatch_deadline_seconds = 300
  }

  # QBO allows 500 requests per minute and 10 concurrent requests per realm. 8 dispatches per
  # second is 480 tasks a minute, under the per-minute limit even when every task makes a single
  # call; tasks that make several calls can still meet a 429, which the worker maps to a
  # transient error and the queue retries with backoff.
  queue_limits = {
    max_dispatches_per_second = 8
    max_concurrent_dispatches = 10
  }
}

resource "google_cloud_tasks_queue" "sync" {
  name     = var.tasks_queue_name
  location = var.region

  rate_limits {
    max_dispatches_per_second = local.queue_limits.max_dispatches_per_second
    max_concurrent_dispatches = local.queue_limits.max_concurrent_dispatches
  }

  retry_config {
    max_attempts       = local.task_retry.max_attempts
    max_retry_duration = "${local.task_retry.max_retry_seconds}s"
    min_backoff        = "${local.task_retry.min_backoff_seconds}s"
    max_backoff        = "${local.task_retry.max_backoff_seconds}s"
    max_doublings      = local.task_retry.max_doublings
  }

  stackdriver_logging_config {
    sampling_ratio = var.tasks_log_sampling_ratio
  }

  depends_on = [google_project_service.enabled]
}
