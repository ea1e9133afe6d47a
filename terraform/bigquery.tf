resource "google_bigquery_dataset" "sync" {
  #checkov:skip=CKV_GCP_81:A customer-managed key is optional (var.bq_kms_key_name, set when policy requires one); otherwise Google-managed AES-256 applies, and IAM limits the dataset, whose raw events can hold customer contact data, to the sync's own service accounts.
  dataset_id    = var.bq_dataset
  location      = var.bq_location
  description   = "Stripe to QBO sync: event archive, link tables, sync log, ledger tables and views (DDL: bigquery_ddl/)."
  labels        = local.labels
  friendly_name = "stripe-qbo-sync"

  # Explicit access: without it BigQuery adds project readers and writers (every Viewer and
  # Editor of the project), and the raw event payloads can hold customer contact data. Project
  # owners administer the dataset; the functions read and append per table
  # (google_bigquery_table_iam_member.fn in iam.tf), which this list does not touch.
  access {
    role          = "OWNER"
    special_group = "projectOwners"
  }

  dynamic "access" {
    for_each = toset(var.bq_dataset_readers)
    content {
      role           = "READER"
      group_by_email = access.value
    }
  }

  dynamic "default_encryption_configuration" {
    for_each = var.bq_kms_key_name == null ? [] : [var.bq_kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  depends_on = [google_project_service.enabled]
}

locals {
  ddl_dir = "${path.module}/../bigquery_ddl"

  # bigquery_ddl/NNN_*.sql in file-number order (three-digit numbers: lexical order is numeric
  # order), the ledger's tables (1NN) included: the DDL is idempotent, so tables the upstream
  # ledger already created are left as they are.
  ddl_files  = sort(fileset(local.ddl_dir, "[0-9][0-9][0-9]_*.sql"))
  ddl_source = join("\n", [for f in local.ddl_files : "-- ${f}\n${file("${local.ddl_dir}/${f}")}"])

  # Every table and view the DDL creates.
  ddl_object_pattern = "(?i)CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TABLE|VIEW)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([A-Za-z_][A-Za-z0-9_]*)"
  ddl_objects        = distinct(flatten(regexall(local.ddl_object_pattern, local.ddl_source)))

  # The default dataset does not apply inside a view's body, so references to the DDL's own
  # objects after FROM or JOIN are qualified with the dataset; the SQL files stay unqualified
  # (and run unchanged on DuckDB).
  ddl_qualify_pattern = "(?i)\\b(FROM|JOIN)(\\s+)(${join("|", local.ddl_objects)})\\b"
  ddl_script = replace(
    local.ddl_source,
    "/${local.ddl_qualify_pattern}/",
    "$1$2`${var.project_id}.${var.bq_dataset}`.$3",
  )
}

# The DDL runs as one BigQuery script (statements in order) with the dataset as default dataset.
# Jobs are immutable: the id carries the script's hash, so any change runs the new script, which
# is idempotent (CREATE TABLE IF NOT EXISTS, CREATE OR REPLACE VIEW).
resource "google_bigquery_job" "ddl" {
  job_id   = "${replace(var.name_prefix, "-", "_")}_ddl_${substr(sha256(local.ddl_script), 0, 16)}"
  location = var.bq_location
  labels   = local.labels

  query {
    query          = local.ddl_script
    use_legacy_sql = false
    # DDL jobs reject the provider's default dispositions.
    create_disposition = ""
    write_disposition  = ""

    default_dataset {
      dataset_id = google_bigquery_dataset.sync.id
    }
  }
}
