output "webhook_url" {
  description = "Register this URL as the Stripe webhook endpoint (see the README's deployment guide for the events to enable)."
  value       = google_cloudfunctions2_function.fn["stripe_webhook"].url
}

output "function_urls" {
  description = "URL of every function."
  value       = { for name, fn in google_cloudfunctions2_function.fn : name => fn.url }
}

output "queue_name" {
  description = "Full resource name of the Cloud Tasks queue of sync work."
  value       = google_cloud_tasks_queue.sync.id
}

output "function_service_accounts" {
  description = "Runtime service account of every function."
  value       = { for name, sa in google_service_account.fn : name => sa.email }
}

output "invoker_service_accounts" {
  description = "Invoker service account of every private function: the only identity whose OIDC tokens that function accepts (Cloud Tasks uses sync_worker's, Cloud Scheduler each scheduled function's); grant them nothing else."
  value       = { for name, sa in google_service_account.invoker : name => sa.email }
}

output "build_service_account" {
  description = "Service account Cloud Build uses to build the functions."
  value       = google_service_account.builder.email
}

output "bigquery_dataset" {
  description = "BigQuery dataset of the archive, links, sync log and views."
  value       = google_bigquery_dataset.sync.id
}

output "secret_ids" {
  description = "Secret Manager secrets to add versions to (values are never in Terraform)."
  value       = [for s in google_secret_manager_secret.secret : s.id]
}

output "source_bucket" {
  description = "Bucket of the uploaded function source archives."
  value       = google_storage_bucket.sources.name
}
