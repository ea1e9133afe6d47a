# One runtime service account per function, holding only what that function uses; one invoker
# account per private function, whose OIDC tokens Cloud Tasks or Cloud Scheduler present to that
# function alone (a token that may invoke one function is refused by every other); and a build
# account for Cloud Build.

resource "google_service_account" "fn" {
  for_each = local.functions

  account_id   = "${var.name_prefix}-${local.function_names[each.key]}"
  display_name = "stripe-qbo-sync ${each.key}"
  description  = "Runtime identity of the ${each.key} function."
}

resource "google_service_account" "invoker" {
  for_each = local.private_functions

  # At most 8 + 5 + 15 characters: within the 30 service account ids may have.
  account_id   = "${var.name_prefix}-inv-${local.function_names[each.key]}"
  display_name = "stripe-qbo-sync invoker of ${each.key}"
  description  = "OIDC identity of the calls to the ${each.key} function (Cloud Tasks or Cloud Scheduler); it may invoke that function and nothing else."
}

resource "google_service_account" "builder" {
  account_id   = "${var.name_prefix}-builder"
  display_name = "stripe-qbo-sync builder"
  description  = "Cloud Build identity that builds the functions from their source archives."
}

resource "google_project_iam_member" "builder" {
  for_each = toset(var.build_service_account_roles)

  project = var.project_id
  role    = each.key
  member  = google_service_account.builder.member
}

locals {
  secret_grants = merge(
    {
      for pair in flatten([
        for name, fn in local.functions : [for secret in fn.secrets : { name = name, secret = secret }]
      ]) : "${pair.name}/${pair.secret}/accessor" => merge(pair, { role = "roles/secretmanager.secretAccessor" })
    },
    {
      for pair in flatten([
        for name, fn in local.functions : [for secret in fn.rotated_secrets : { name = name, secret = secret }]
      ]) : "${pair.name}/${pair.secret}/adder" => merge(pair, { role = "roles/secretmanager.secretVersionAdder" })
    },
  )
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.secret_grants

  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = each.value.role
  member    = google_service_account.fn[each.value.name].member
}

# BigQuery access per table, never dataset-wide: each function reads the tables and views it
# queries (roles/bigquery.dataViewer on each) and appends to the tables it writes with a role that
# can do nothing else. BigQuery has no predefined append-only role (dataEditor also reads, updates
# and deletes), hence the custom one: tabledata.insertAll needs bigquery.tables.updateData alone.
resource "google_project_iam_custom_role" "bq_appender" {
  role_id     = "${replace(var.name_prefix, "-", "_")}_bq_appender"
  title       = "stripe-qbo-sync table appender"
  description = "Append rows to a BigQuery table by streaming insert; no read, update, delete or schema change."
  permissions = ["bigquery.tables.updateData"]
}

locals {
  table_grants = merge(
    {
      for pair in flatten([
        for name, fn in local.functions : [for table in fn.bq_reads : { name = name, table = table }]
      ]) : "${pair.name}/${pair.table}/read" => merge(pair, { role = "roles/bigquery.dataViewer" })
    },
    {
      for pair in flatten([
        for name, fn in local.functions : [for table in fn.bq_appends : { name = name, table = table }]
      ]) : "${pair.name}/${pair.table}/append" => merge(pair, { role = google_project_iam_custom_role.bq_appender.id })
    },
  )
}

resource "google_bigquery_table_iam_member" "fn" {
  for_each = local.table_grants

  project    = var.project_id
  dataset_id = google_bigquery_dataset.sync.dataset_id
  table_id   = each.value.table
  role       = each.value.role
  member     = google_service_account.fn[each.value.name].member

  # The tables and views exist once the DDL has run.
  depends_on = [google_bigquery_job.ddl]
}

# Query jobs are billed to and run in the project: jobUser exists only at project level.
resource "google_project_iam_member" "bq_jobs" {
  for_each = { for name, fn in local.functions : name => fn if fn.bq_jobs }

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.fn[each.key].member
}

resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = { for name, fn in local.functions : name => fn if length(fn.task_targets) > 0 }

  name     = google_cloud_tasks_queue.sync.name
  location = google_cloud_tasks_queue.sync.location
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.fn[each.key].member
}

# Creating a task that carries an OIDC token of its target's invoker requires acting as that
# invoker: each enqueuer may act as the invokers of its own targets only.
locals {
  task_signers = {
    for pair in flatten([
      for name, fn in local.functions : [for target in fn.task_targets : { name = name, target = target }]
    ]) : "${pair.name}/${pair.target}" => pair
  }
}

resource "google_service_account_iam_member" "enqueuer_acts_as_invoker" {
  for_each = local.task_signers

  service_account_id = google_service_account.invoker[each.value.target].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.fn[each.value.name].member
}

# A 2nd gen function is served by the Cloud Run service of the same name: invocation is
# authorized by run.invoker on that service.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.private_functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.invoker[each.key].member
}

# Operators who call replay by hand (`stripe-qbo-sync replay --url`) mint its invoker's ID token.
resource "google_service_account_iam_member" "replay_operator" {
  for_each = toset(var.replay_operators)

  service_account_id = google_service_account.invoker["replay"].name
  role               = "roles/iam.serviceAccountOpenIdTokenCreator"
  member             = each.key
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  #checkov:skip=CKV_GCP_102:The Stripe webhook must be reachable by Stripe, which cannot present Google credentials; every request is authenticated by its Stripe-Signature HMAC before anything is stored.
  for_each = { for name, fn in local.functions : name => fn if fn.public }

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
