# One Cloud Scheduler job per function with a schedule, calling it with an OIDC token of that
# function's own invoker service account.
resource "google_cloud_scheduler_job" "fn" {
  for_each = { for name, fn in local.functions : name => fn if fn.schedule != "" }

  name             = "${var.name_prefix}-${local.function_names[each.key]}"
  region           = var.region
  description      = "Runs ${each.key} on its schedule."
  schedule         = each.value.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "${min(each.value.timeout_seconds, 1800)}s"

  # A missed run is caught up by the next one; no retries that could overlap it.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = local.function_urls[each.key]
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.invoker[each.key].email
      audience              = local.function_urls[each.key]
    }
  }

  depends_on = [google_project_service.enabled, google_cloud_run_v2_service_iam_member.invoker]
}
