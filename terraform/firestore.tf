# Firestore holds the sync's leases: one short document per Stripe object family being written
# (shared/adapters/firestore_leases.py). A database of its own, so the project's default one (if
# any) is left alone; a TTL policy on purge_at deletes documents a week after their last use.
resource "google_firestore_database" "leases" {
  name        = "${var.name_prefix}-leases"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  # Leases are worth nothing after a few minutes: no point-in-time recovery, no delete guard.
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = "DELETE"

  depends_on = [google_project_service.enabled]
}

resource "google_firestore_field" "lease_purge" {
  database   = google_firestore_database.leases.name
  collection = local.lease_collection
  field      = "purge_at"

  ttl_config {}

  # The field is never queried: no single-field indexes to keep.
  index_config {}
}

# Only the worker takes leases, and only in this database.
resource "google_project_iam_member" "lease_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.fn["sync_worker"].member

  condition {
    title       = "leases-database-only"
    description = "Firestore access limited to the sync's lease database."
    expression  = "resource.name.startsWith(\"projects/${var.project_id}/databases/${google_firestore_database.leases.name}\")"
  }
}
