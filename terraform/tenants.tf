# Tenants (issue 14): a tenant is a row of the tenants table (`stripe-qbo-sync tenants add`),
# never a deployment. What a new tenant needs from Google Cloud is granted here once, by name
# pattern, so that adding one changes no Terraform:
# - its secrets, named tenant-<id>-<name> in Secret Manager (shared/tenancy/model.py), are read
#   by the functions that read the deployment's secret of the same name, and a rotated QBO
#   refresh token is written back by the functions that rotate the deployment's;
# - an analyst's view can be limited to one tenant: row access policies on every table that
#   carries tenant_id, for the groups in var.tenant_analysts (adding an analyst is an IAM change,
#   applied here; the sync of the tenant does not wait for it).

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # The deployment's secret -> the suffix of each tenant's own (the Intuit app's client id and
  # secret are the deployment's alone, shared by every tenant; the invoicing key too).
  tenant_secret_suffixes = {
    "stripe-secret-key"     = "-stripe-secret-key"
    "stripe-webhook-secret" = "-stripe-webhook-secret"
    "qbo-refresh-token"     = "-qbo-refresh-token"
  }
  tenant_secret_grants = merge(
    {
      for pair in flatten([
        for name, fn in local.functions : [
          for secret in fn.secrets : { name = name, secret = secret }
          if contains(keys(local.tenant_secret_suffixes), secret)
        ]
      ]) : "${pair.name}/${pair.secret}/accessor" => merge(pair, { role = "roles/secretmanager.secretAccessor" })
    },
    {
      for pair in flatten([
        for name, fn in local.functions : [
          for secret in fn.rotated_secrets : { name = name, secret = secret }
          if contains(keys(local.tenant_secret_suffixes), secret)
        ]
      ]) : "${pair.name}/${pair.secret}/adder" => merge(pair, { role = "roles/secretmanager.secretVersionAdder" })
    },
  )

  # Tables with a tenant_id column (shared/tenancy/scope.py TENANT_TABLES; a test holds the two
  # lists together). Rows from before tenants have none: they are the default tenant's.
  tenant_tables = [
    "stripe_events", "sync_links", "sync_log", "sync_runs", "payout_reconciliations",
    "reconciliation_findings", "ar_balances", "reconcile_runs",
  ]
  tenant_policies = length(var.tenant_analysts) == 0 ? {} : merge(
    {
      for table in local.tenant_tables : "${table}/all" => {
        table     = table
        policy_id = "all_tenants"
        predicate = "TRUE"
        grantees  = []
      }
    },
    {
      for pair in setproduct(local.tenant_tables, keys(var.tenant_analysts)) :
      "${pair[0]}/${pair[1]}" => {
        table     = pair[0]
        policy_id = "tenant_${replace(pair[1], "-", "_")}"
        predicate = "COALESCE(tenant_id, 'default') = '${pair[1]}'"
        grantees  = var.tenant_analysts[pair[1]]
      }
    },
  )
  tenant_analyst_tables = length(var.tenant_analysts) == 0 ? {} : {
    for pair in setproduct(local.tenant_tables, distinct(flatten(values(var.tenant_analysts)))) :
    "${pair[0]}/${pair[1]}" => { table = pair[0], member = pair[1] }
  }
}

# Tenant secrets by name pattern, for the functions that read (or rotate) the deployment's.
resource "google_project_iam_member" "tenant_secrets" {
  for_each = local.tenant_secret_grants

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.fn[each.value.name].member

  condition {
    title       = "tenant ${each.value.secret}"
    description = "Every tenant's own ${each.value.secret} (tenant-<id>${local.tenant_secret_suffixes[each.value.secret]}), created when the tenant is added."
    # Secret Manager names resources by project number in IAM conditions.
    expression = "resource.name.startsWith(\"projects/${data.google_project.this.number}/secrets/tenant-\") && (resource.name.endsWith(\"${local.tenant_secret_suffixes[each.value.secret]}\") || resource.name.extract(\"/secrets/{name}/versions/\").endsWith(\"${local.tenant_secret_suffixes[each.value.secret]}\"))"
  }
}

# One tenant's analysts see that tenant's rows only (row-level security applies through the
# views too); the functions and the whole-dataset readers keep all rows.
resource "google_bigquery_row_access_policy" "tenant" {
  for_each = local.tenant_policies

  dataset_id       = google_bigquery_dataset.sync.dataset_id
  table_id         = each.value.table
  policy_id        = each.value.policy_id
  filter_predicate = each.value.predicate
  # Once a table has a row access policy, whoever no policy names sees no rows: the functions
  # and the whole-dataset readers keep every row (the all_tenants policy).
  grantees = each.value.policy_id != "all_tenants" ? each.value.grantees : concat(
    [for sa in google_service_account.fn : sa.member],
    [for group in var.bq_dataset_readers : "group:${group}"],
  )

  depends_on = [google_bigquery_job.ddl]
}

resource "google_bigquery_table_iam_member" "tenant_analyst" {
  for_each = local.tenant_analyst_tables

  dataset_id = google_bigquery_dataset.sync.dataset_id
  table_id   = each.value.table
  role       = "roles/bigquery.dataViewer"
  member     = each.value.member

  depends_on = [google_bigquery_job.ddl]
}

# Each tenant's own Cloud Tasks queue (tasks_queue_name-<tenant id>), created when the tenant is
# added (`tenants add` prints the command: a copy of this deployment's queue and its limits).
# The functions that enqueue on the deployment's queue may enqueue on every tenant's.
resource "google_project_iam_member" "tenant_queues" {
  for_each = { for name, fn in local.functions : name => fn if length(fn.task_targets) > 0 }

  project = var.project_id
  role    = "roles/cloudtasks.enqueuer"
  member  = google_service_account.fn[each.key].member

  condition {
    title       = "tenant queues"
    description = "The queues of tenants, ${var.tasks_queue_name}-<tenant id>, created when a tenant is added."
    expression  = "resource.name.startsWith(\"projects/${var.project_id}/locations/${var.region}/queues/${var.tasks_queue_name}-\")"
  }
}
