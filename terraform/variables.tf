variable "project_id" {
  description = "Google Cloud project that hosts the sync (functions, queue, dataset, secrets)."
  type        = string
}

variable "region" {
  description = "Region of the functions, the Cloud Tasks queue and the Cloud Scheduler jobs."
  type        = string
  default     = "us-central1"
}

variable "name_prefix" {
  description = "Short prefix of service account ids, job ids and the source bucket (letters, digits, hyphens)."
  type        = string
  default     = "sqs"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,7}$", var.name_prefix))
    error_message = "name_prefix must be 2-8 characters: a lowercase letter, then lowercase letters, digits or hyphens (service account ids are limited to 30 characters)."
  }
}

variable "source_archive_dir" {
  description = "Directory holding <function>.zip built by `python terraform/package_functions.py --out DIR`. Null: ../out/functions relative to this module."
  type        = string
  default     = null
}

variable "python_runtime" {
  description = "Cloud Functions runtime of every function; keep it in step with requires-python in pyproject.toml."
  type        = string
  default     = "python311"
}

variable "bq_dataset" {
  description = "BigQuery dataset of the event archive, link tables, sync log, ledger tables and views."
  type        = string
  default     = "stripe_qbo_sync"
}

variable "bq_location" {
  description = "BigQuery location of the dataset and of the DDL job (multi-region such as US or EU, or a region)."
  type        = string
  default     = "US"
}

variable "bq_kms_key_name" {
  description = "Cloud KMS key (projects/.../cryptoKeys/...) to encrypt the dataset's tables with; the BigQuery service agent needs Encrypter/Decrypter on it. Null: Google-managed encryption."
  type        = string
  default     = null
}

variable "bq_dataset_readers" {
  description = "Google groups (emails) that may read the whole dataset, raw event payloads included (e.g. the finance engineers on call). Empty: nobody beyond project owners and the functions' own table grants."
  type        = list(string)
  default     = []
}

variable "firestore_location" {
  description = "Location of the Firestore database of leases (a multi-region such as nam5 or eur3, or a region)."
  type        = string
  default     = "nam5"
}

variable "tasks_queue_name" {
  description = "Cloud Tasks queue of sync work. A deleted queue's name cannot be reused for about a week."
  type        = string
  default     = "qbo-sync"
}

variable "tasks_log_sampling_ratio" {
  description = "Fraction of Cloud Tasks dispatch attempts written to Cloud Logging (0 to 1)."
  type        = number
  default     = 1.0

  validation {
    condition     = var.tasks_log_sampling_ratio >= 0 && var.tasks_log_sampling_ratio <= 1
    error_message = "tasks_log_sampling_ratio must be between 0 and 1."
  }
}

variable "qbo_environment" {
  description = "QuickBooks Online environment: production or sandbox (sets the API base URL and the OpenID discovery document)."
  type        = string
  default     = "production"

  validation {
    condition     = contains(["production", "sandbox"], var.qbo_environment)
    error_message = "qbo_environment must be production or sandbox."
  }
}

variable "qbo_realm_id" {
  description = "QBO company id (realm id) the books are kept in; shown by the OAuth bootstrap."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+$", var.qbo_realm_id))
    error_message = "qbo_realm_id is the numeric QuickBooks company id."
  }
}

variable "books_timezone" {
  description = "Time zone of the QBO company (IANA name): transaction dates are its calendar dates."
  type        = string
  default     = "UTC"
}

variable "stripe_api_version" {
  description = "The Stripe API version the code is written for, sent as Stripe-Version on every request. Change it only together with the code (shared/config.py STRIPE_API_VERSION); the webhook endpoint should use the same version."
  type        = string
  default     = "2026-10-28.endive"

  validation {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}\\.[a-z]+$", var.stripe_api_version))
    error_message = "stripe_api_version is a dated Stripe version such as 2026-10-28.endive."
  }
}

variable "books_file" {
  description = "Path of the books file (TOML: accounts, items, tax mapping, product mapping; README \"The books file\"). Its text reaches every function as SYNC_BOOKS_TOML; null: the defaults. The home currency is the QBO company's own."
  type        = string
  default     = null
}

variable "tax_rates" {
  description = "Sales tax rate per tax jurisdiction of a settlement, as decimal strings, e.g. { \"US-CA\" = \"0.0725\" }. A settlement in a jurisdiction not listed is recorded FAILED, never taxed at a guessed rate."
  type        = map(string)

  validation {
    condition     = alltrue([for rate in values(var.tax_rates) : can(regex("^0(\\.[0-9]+)?$", rate))])
    error_message = "tax_rates values are decimal strings between 0 and 1, e.g. \"0.0725\"."
  }
}

variable "log_level" {
  description = "Log level of every function (DEBUG, INFO, WARNING, ERROR)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "extra_env" {
  description = "Further SYNC_* settings for every function, e.g. a QBO account name (SYNC_BOOKS__ACCOUNTS__CLEARING). Settings Terraform derives (project, queue, secrets, URLs) cannot be overridden."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.extra_env) : can(regex("^SYNC_[A-Z0-9_]+$", k))])
    error_message = "extra_env keys must be SYNC_ settings (SYNC_<FIELD_UPPER>)."
  }
}

variable "private_ingress_settings" {
  description = "Ingress of the private functions. ALLOW_INTERNAL_ONLY admits Cloud Tasks and Cloud Scheduler of this project; use ALLOW_ALL to call them from outside (IAM still applies)."
  type        = string
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB", "ALLOW_ALL"], var.private_ingress_settings)
    error_message = "private_ingress_settings must be ALLOW_INTERNAL_ONLY, ALLOW_INTERNAL_AND_GCLB or ALLOW_ALL."
  }
}

variable "build_service_account_roles" {
  description = "Project roles of the service account Cloud Build uses to build the functions (Cloud Run Builder is the documented minimum for function builds)."
  type        = list(string)
  default     = ["roles/run.builder"]
}

variable "replay_operators" {
  description = "Members (user:, group:, serviceAccount:) who may call the replay function by hand: they may mint ID tokens of its invoker account, the only identity it accepts."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.replay_operators : can(regex("^(user|group|serviceAccount):", m))])
    error_message = "replay_operators are IAM members such as user:ana@example.com or group:finance-ops@example.com."
  }
}

variable "alert_email" {
  description = "Email address alerted on failed syncs, stuck tasks and reconciliation findings. Empty: the policies exist but notify nobody."
  type        = string
  default     = ""
}

variable "alert_sync_lag_minutes" {
  description = "Alert when the oldest pending sync has waited longer than this many minutes; a sync pending this long also counts toward alert_pending_syncs."
  type        = number
  default     = 10

  validation {
    condition     = var.alert_sync_lag_minutes >= 1 && floor(var.alert_sync_lag_minutes) == var.alert_sync_lag_minutes
    error_message = "alert_sync_lag_minutes is a whole number of minutes, at least 1."
  }
}

variable "alert_pending_syncs" {
  description = "Alert when more than this many syncs have been pending for alert_sync_lag_minutes or longer."
  type        = number
  default     = 5
}

variable "alert_min_success_rate" {
  description = "Alert when fewer than this share (0 to 1) of the sync attempts that finished in the last 24 hours succeeded."
  type        = number
  default     = 0.95

  validation {
    condition     = var.alert_min_success_rate > 0 && var.alert_min_success_rate <= 1
    error_message = "alert_min_success_rate is a share between 0 and 1, e.g. 0.95."
  }
}

variable "alert_no_success_hours" {
  description = "Alert when no sync has succeeded for this many hours while syncs are pending."
  type        = number
  default     = 24
}

variable "stuck_task_attempts" {
  description = "A task still retrying at this attempt counts as stuck (attempt 10 comes about 9 minutes after the first at the default retry config)."
  type        = number
  default     = 10
}

variable "stuck_queue_depth" {
  description = "Alert when more tasks than this wait in the queue for 30 minutes."
  type        = number
  default     = 500
}

variable "labels" {
  description = "Labels added to every labelled resource."
  type        = map(string)
  default     = {}
}

variable "tenant_analysts" {
  description = "Tenant id -> members (\"group:acme-finance@example.com\") who may read that tenant's rows and no other's (BigQuery row access policies on every table with tenant_id). Empty: no row policies; adding a tenant never needs an entry here."
  type        = map(list(string))
  default     = {}
}
