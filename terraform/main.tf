provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  labels = merge({ app = "stripe-qbo-sync", managed-by = "terraform" }, var.labels)

  lease_collection = "sync_leases"

  archive_dir = coalesce(var.source_archive_dir, "${path.module}/../out/functions")

  qbo_endpoints = {
    production = {
      base_url      = "https://quickbooks.api.intuit.com/v3"
      discovery_url = "https://developer.api.intuit.com/.well-known/openid_configuration"
    }
    sandbox = {
      base_url      = "https://sandbox-quickbooks.api.intuit.com/v3"
      discovery_url = "https://developer.api.intuit.com/.well-known/openid_sandbox_configuration"
    }
  }

  # Settings (SYNC_<FIELD>) every function gets; see shared/config.py. The consistency test
  # (tests/contract/test_terraform.py) fails when a setting the code reads is missing here.
  base_env = {
    SYNC_GCP_PROJECT           = var.project_id
    SYNC_GCP_LOCATION          = var.region
    SYNC_WAREHOUSE             = "bigquery"
    SYNC_BQ_DATASET            = google_bigquery_dataset.sync.dataset_id
    SYNC_BQ_LOCATION           = var.bq_location
    SYNC_TASK_QUEUE            = "cloud_tasks"
    SYNC_TASKS_QUEUE_NAME      = google_cloud_tasks_queue.sync.name
    SYNC_WORKER_URL            = local.function_urls[local.task_target]
    SYNC_TASKS_SERVICE_ACCOUNT = google_service_account.invoker[local.task_target].email
    SYNC_TASKS_AUDIENCE        = local.function_urls[local.task_target]
    # Each task is signed as the invoker of the function it targets (its URL -> the account).
    SYNC_TASK_INVOKERS = jsonencode({
      for target in distinct(flatten([for fn in local.functions : fn.task_targets])) :
      local.function_urls[target] => google_service_account.invoker[target].email
    })
    SYNC_TASK_MAX_ATTEMPTS              = tostring(local.task_retry.max_attempts)
    SYNC_TASK_MAX_RETRY_SECONDS         = tostring(local.task_retry.max_retry_seconds)
    SYNC_TASK_MIN_BACKOFF_SECONDS       = tostring(local.task_retry.min_backoff_seconds)
    SYNC_TASK_MAX_BACKOFF_SECONDS       = tostring(local.task_retry.max_backoff_seconds)
    SYNC_TASK_MAX_DOUBLINGS             = tostring(local.task_retry.max_doublings)
    SYNC_TASK_DISPATCH_DEADLINE_SECONDS = tostring(local.task_retry.dispatch_deadline_seconds)
    SYNC_SECRETS                        = "secret_manager"
    SYNC_STRIPE_API_BASE                = "https://api.stripe.com"
    SYNC_STRIPE_API_VERSION             = var.stripe_api_version
    SYNC_QBO_BASE_URL                   = local.qbo_endpoints[var.qbo_environment].base_url
    SYNC_QBO_DISCOVERY_URL              = local.qbo_endpoints[var.qbo_environment].discovery_url
    SYNC_QBO_REALM_ID                   = var.qbo_realm_id
    SYNC_BOOKS__TIMEZONE                = var.books_timezone
    # The books file (accounts, items, tax and product mapping), its text: README "The books file"
    SYNC_BOOKS_TOML         = var.books_file == null ? "" : file(var.books_file)
    SYNC_TAX_RATES          = jsonencode(var.tax_rates)
    SYNC_AUTH_MODE          = "oidc"
    SYNC_LOG_LEVEL          = var.log_level
    SYNC_LEASE_STORE        = "firestore"
    SYNC_LEASE_COLLECTION   = local.lease_collection
    SYNC_FIRESTORE_DATABASE = google_firestore_database.leases.name
    # Longer than a worker request may run, so a live holder never loses its lease.
    SYNC_LEASE_TTL_SECONDS    = tostring(local.task_retry.dispatch_deadline_seconds + 60)
    SYNC_LEASE_SETTLE_SECONDS = "60"
    # A sync pending this long counts as lagging in the health line (the lag alert's threshold).
    SYNC_HEALTH_LAG_MINUTES = tostring(var.alert_sync_lag_minutes)
    # A backfill continues itself through a task to its own URL, a minute before its timeout.
    SYNC_BACKFILL_URL           = local.function_urls["backfill"]
    SYNC_BACKFILL_SLICE_SECONDS = tostring(local.functions["backfill"].timeout_seconds - 60)
  }
  secret_env = {
    for id, field in local.secrets : "SYNC_${upper(field)}" => google_secret_manager_secret.secret[id].secret_id
  }
  common_env = merge(local.base_env, local.secret_env)

  # Private functions check the OIDC token's audience against their own URL and its account
  # against their own invoker. The URL is the deterministic one of a 2nd gen function, so no
  # function depends on its own attributes.
  function_env = {
    for name, fn in local.functions : name => merge(
      var.extra_env,
      local.common_env,
      fn.public ? {} : {
        SYNC_OIDC_AUDIENCE                 = local.function_urls[name]
        SYNC_OIDC_ALLOWED_SERVICE_ACCOUNTS = google_service_account.invoker[name].email
      },
    )
  }
}

resource "google_project_service" "enabled" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "cloudtasks.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])

  service            = each.key
  disable_on_destroy = false
}
