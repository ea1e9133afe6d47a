# Secret Manager secrets, without values (see the README's deployment guide for adding the first versions). Keyed by
# secret id; the value is the setting (shared/config.py) that carries the id to the code.
locals {
  secrets = {
    "stripe-secret-key"     = "stripe_secret_key_name"
    "stripe-invoicing-key"  = "stripe_invoicing_key_name"
    "stripe-webhook-secret" = "stripe_webhook_secret_name"
    "qbo-client-id"         = "qbo_client_id_name"
    "qbo-client-secret"     = "qbo_client_secret_name"
    "qbo-refresh-token"     = "qbo_refresh_token_name"
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each = local.secrets

  secret_id = each.key
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}
