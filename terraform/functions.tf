# The deployed functions. One entry per functions/<name>.py; adding a function is adding an entry
# (the consistency test requires a 1:1 match with the modules). Every entry has every attribute:
#   public          true: anyone may invoke (Stripe); false: only the invoker service account
#   memory, cpu     instance size; timeout_seconds: request timeout
#   max_instances   upper bound of instances; concurrency: requests per instance
#   schedule        cron (UTC) of its Cloud Scheduler job, "" for none
#   secrets         Secret Manager secrets it reads; rotated_secrets: those it adds versions to
#   bq_reads        tables and views it queries (a view's reader needs the tables behind it too)
#   bq_appends      tables it appends rows to (streaming inserts: no read, update or delete)
#   bq_jobs         may run query jobs
#   task_targets    functions it creates Cloud Tasks for (each task signed as its target's invoker)
locals {
  functions = {
    backfill = {
      description     = "Private HTTP: import a created range of Stripe history into QBO (batches), one slice per call, continued by a task until done."
      public          = false
      memory          = "2Gi"
      cpu             = "1"
      timeout_seconds = 540
      # One backfill at a time: QBO's batch limit is per realm and app, so two would only
      # share it; a continuation that meets a busy instance is retried by Cloud Tasks.
      max_instances   = 1
      concurrency     = 1
      schedule        = ""
      secrets         = ["stripe-secret-key", "qbo-client-id", "qbo-client-secret", "qbo-refresh-token"]
      rotated_secrets = ["qbo-refresh-token"]
      # It posts with the worker's code: the worker's tables, and its runs table.
      bq_reads = [
        "tenants", "tenants_current",
        "ledger_settlements", "ledger_settlements_current", "settlement_credits",
        "settlement_credits_current", "sync_links", "sync_links_current", "sync_runs",
        "sync_runs_current",
      ]
      bq_appends   = ["payout_reconciliations", "sync_links", "sync_log", "sync_runs"]
      bq_jobs      = true
      task_targets = ["backfill"]
    }
    catch_up = {
      description     = "Scheduled hourly: enqueue Stripe events whose delivery failed or that the archive lacks."
      public          = false
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 540
      # One run at a time: overlapping runs are harmless (task names dedupe) but wasteful.
      max_instances   = 1
      concurrency     = 1
      schedule        = "17 * * * *"
      secrets         = ["stripe-secret-key"]
      rotated_secrets = []
      # It also re-drives exhausted transient failures and syncs pending past the retry horizon.
      bq_reads = [
        "tenants", "tenants_current",
        "analyst_pending_syncs", "stripe_events", "stripe_events_latest", "sync_failures",
        "sync_links", "sync_links_current", "sync_log",
      ]
      bq_appends   = ["stripe_events"]
      bq_jobs      = true
      task_targets = ["sync_worker"]
    }
    reconcile = {
      description     = "Scheduled daily: compare Stripe and QBO, record drift as findings."
      public          = false
      memory          = "1Gi"
      cpu             = "1"
      timeout_seconds = 540
      max_instances   = 1
      concurrency     = 1
      schedule        = "30 5 * * *"
      secrets         = ["stripe-secret-key", "qbo-client-id", "qbo-client-secret", "qbo-refresh-token"]
      rotated_secrets = ["qbo-refresh-token"]
      bq_reads = [
        "tenants", "tenants_current",
        "payout_reconciliations",
        "payout_reconciliations_current",
        "sync_links",
        "sync_links_current",
      ]
      bq_appends   = ["ar_balances", "reconcile_runs", "reconciliation_findings"]
      bq_jobs      = true
      task_targets = []
    }
    replay = {
      description     = "Private HTTP: enqueue replays by event ids, time range, object type or every failed link."
      public          = false
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 540
      max_instances   = 2
      concurrency     = 1
      schedule        = ""
      secrets         = ["stripe-secret-key"]
      rotated_secrets = []
      # It archives what it fetches from Stripe's events API, so it appends as well as reads.
      bq_reads = [
        "tenants", "tenants_current",
        "stripe_events",
        "stripe_events_latest",
        "sync_failures",
        "sync_links",
        "sync_links_current",
      ]
      bq_appends   = ["stripe_events", "sync_runs"] # it records its runs
      bq_jobs      = true
      task_targets = ["sync_worker"]
    }
    settlement_poll = {
      description     = "Scheduled: turn completed ledger settlements into sent Stripe invoices, exactly once."
      public          = false
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 300
      # One poll at a time: overlapping polls are safe (idempotency keys) but only add Stripe calls.
      max_instances   = 1
      concurrency     = 1
      schedule        = "*/5 * * * *"
      secrets         = ["stripe-invoicing-key"]
      rotated_secrets = []
      bq_reads = [
        "ledger_settlements",
        "ledger_settlements_current",
        "settlement_credit_applications",
        "settlement_credit_applications_current",
        "settlement_credits",
        "settlement_credits_current",
        "settlement_invoice_links",
        "settlement_invoice_links_current",
      ]
      bq_appends   = ["settlement_credit_applications", "settlement_invoice_links"]
      bq_jobs      = true
      task_targets = []
    }
    stripe_webhook = {
      description     = "Public Stripe webhook: verify the signature, archive the event, enqueue its sync task."
      public          = true
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 60
      max_instances   = 20
      concurrency     = 1
      schedule        = ""
      secrets         = ["stripe-webhook-secret"]
      rotated_secrets = []
      bq_reads = [
      "tenants", "tenants_current", ]
      bq_appends   = ["stripe_events"]
      bq_jobs      = true
      task_targets = ["sync_worker"]
    }
    sync_health = {
      description     = "Scheduled every 5 minutes: measure the sync's health (sync_health view) and log it for the alert policies."
      public          = false
      memory          = "256Mi"
      cpu             = "1"
      timeout_seconds = 120
      max_instances   = 1
      concurrency     = 1
      schedule        = "*/5 * * * *"
      secrets         = []
      rotated_secrets = []
      bq_reads = [
        "analyst_pending_syncs", "stripe_events", "stripe_events_latest", "sync_health",
        "sync_log",
      ]
      bq_appends   = []
      bq_jobs      = true
      task_targets = []
    }
    sync_worker = {
      description = "Cloud Tasks target: sync one Stripe object into QuickBooks Online."
      public      = false
      memory      = "1Gi"
      cpu         = "1"
      # Equal to the tasks' dispatch deadline: Cloud Tasks never abandons a request that the
      # function is still working on, and the function never outlives the deadline.
      timeout_seconds = local.task_retry.dispatch_deadline_seconds
      # With one request per instance this admits exactly the queue's concurrency.
      max_instances   = local.queue_limits.max_concurrent_dispatches
      concurrency     = 1
      schedule        = ""
      secrets         = ["stripe-secret-key", "qbo-client-id", "qbo-client-secret", "qbo-refresh-token"]
      rotated_secrets = ["qbo-refresh-token"]
      bq_reads = [
        "tenants", "tenants_current",
        "ledger_settlements",
        "ledger_settlements_current",
        "settlement_credits",
        "settlement_credits_current",
        "sync_links",
        "sync_links_current",
      ]
      bq_appends   = ["payout_reconciliations", "sync_links", "sync_log"]
      bq_jobs      = true
      task_targets = []
    }
  }

  function_names    = { for name, fn in local.functions : name => replace(name, "_", "-") }
  private_functions = { for name, fn in local.functions : name => fn if !fn.public }
  # The function Cloud Tasks calls: the webhook, catch-up and replay enqueue tasks for it.
  task_target = "sync_worker"
  function_urls = {
    for name, fn in local.functions :
    name => "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.function_names[name]}"
  }
}

resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Only Terraform writes this bucket, and every archive in it is rebuilt bit for bit from a commit by package_functions.py; a usage-log bucket would add a resource to manage without audit value.
  name                        = "${var.project_id}-${var.name_prefix}-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  # Terraform deletes an archive once a new one replaces it; versioning keeps the deleted one
  # for a month, for a rollback or an investigation.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_object" "source" {
  for_each = local.functions

  # The archive is byte-for-byte reproducible, so its MD5 changes only with the code or the
  # pinned dependencies, and only then does the function redeploy.
  name   = "${each.key}/${filemd5("${local.archive_dir}/${each.key}.zip")}.zip"
  bucket = google_storage_bucket.sources.name
  source = "${local.archive_dir}/${each.key}.zip"
}

resource "google_cloudfunctions2_function" "fn" {
  for_each = local.functions

  name        = local.function_names[each.key]
  location    = var.region
  description = each.value.description
  labels      = local.labels

  build_config {
    runtime         = var.python_runtime
    entry_point     = each.key
    service_account = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout_seconds
    min_instance_count               = 0
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    ingress_settings                 = each.value.public ? "ALLOW_ALL" : var.private_ingress_settings
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.fn[each.key].email
    environment_variables            = local.function_env[each.key]
  }

  lifecycle {
    postcondition {
      condition     = self.url == local.function_urls[each.key]
      error_message = "The function URL differs from the URL the settings and OIDC audiences were derived from."
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_secret_manager_secret_iam_member.accessor,
    google_bigquery_job.ddl,
  ]
}
