"""terraform/ against the code: formatting, validity, consistency with the functions, settings,
secrets, queue and DDL the code defines, least privilege, and a security scan (checkov)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
import sqlglot
from sqlglot import exp

from shared.adapters.ddl import ddl_files, split_statements
from shared.books_settings import BooksSettings
from shared.config import Settings
from shared.logging import ALLOWED_FIELDS
from shared.services.health import HEALTH_MESSAGE, Health
from shared.services.records import Outcome
from tests.contract.terraform_support import (
    RESOURCE_STUB,
    ROOT,
    TERRAFORM_DIR,
    Terraform,
    block,
    checkov_python,
    comments,
    evaluate,
    load_packager,
    load_terraform,
    squash,
    terraform_binary,
)

FUNCTION_ATTRIBUTES = {
    "description", "public", "memory", "cpu", "timeout_seconds", "max_instances", "concurrency",
    "schedule", "secrets", "rotated_secrets", "bq_reads", "bq_appends", "bq_jobs",
    "task_targets",
}  # fmt: skip
PUBLIC_FUNCTIONS = {"stripe_webhook"}

# Settings that production leaves at their defaults. Each needs a reason; every other setting
# must be set by Terraform (the test fails for a new setting until it is classified).
LOCAL_ONLY = {
    "state_dir": "local files; a function instance keeps no state",
    "duckdb_path": "the DuckDB warehouse; production sets SYNC_WAREHOUSE=bigquery",
    "local_secrets_path": "the file secret store; production sets SYNC_SECRETS=secret_manager",
    "local_auth_token": "the local bearer token; production sets SYNC_AUTH_MODE=oidc",
}
PRODUCTION_DEFAULTS = {
    "webhook_tolerance_seconds": "Stripe's recommended 5 minutes",
    "webhook_max_body_bytes": "Stripe events are far smaller than 1 MiB",
    "qbo_minor_version": "the minimum minor version QBO supports",
    "qbo_requests_per_minute": "QBO's documented throttle",
    "qbo_requests_per_second": "QBO's documented throttle",
    "qbo_max_concurrent": "QBO's documented throttle",
    "qbo_timeout_seconds": "below QBO's 120 s request timeout",
    "qbo_time_scale": "1 is real time; only local runs speed QBO's limits up",
    "secret_cache_seconds": "5 minutes: a rolled secret reaches warm instances within them",
    "qbo_batch_requests_per_minute": "Intuit's batch limit per realm and app",
    "qbo_batch_size": "Intuit's recommended maximum payloads per batch",
    "qbo_batch_counting": "the stricter reading of Intuit's limits (each payload counts)",
    "task_coalesce_seconds": "events of one object within 5 s share one task",
    "cutover_date": "none: every document posts; var.extra_env sets SYNC_CUTOVER_DATE",
    "customer_match_policy": "matching existing books; var.extra_env overrides",
    "item_match_policy": "matching existing books; var.extra_env overrides",
    "customer_stripe_id_field": "matching existing books; var.extra_env overrides",
    "item_stripe_id_field": "matching existing books; var.extra_env overrides",
    "backfill_concurrency": "objects one backfill instance syncs at once",
    "backfill_page_size": "Stripe's largest list page",
    # The books file's text reaches the functions as books_toml (var.books_file).
    "books_file": "a path on the operator's machine: Terraform passes its text as books_toml",
    "tenant_id": "the deployment is the default tenant; others are rows of the tenants table",
    "stripe_account": "a connected account is a tenant's (tenants table), not the deployment's",
    "tenant_cache_seconds": "a minute: tenants add and disable reach warm instances within it",
}
PRIVATE_ONLY = {
    "oidc_audience": "the audience a private function accepts is its own URL",
    "oidc_allowed_service_accounts": "a private function accepts its own invoker account only",
}
PRODUCTION_VALUES = {
    "warehouse": "bigquery",
    "task_queue": "cloud_tasks",
    "secrets": "secret_manager",
    "auth_mode": "oidc",
    "stripe_api_base": "https://api.stripe.com",
    "lease_store": "firestore",
}
RETRY_SETTINGS = {
    "max_attempts": "task_max_attempts",
    "max_retry_seconds": "task_max_retry_seconds",
    "min_backoff_seconds": "task_min_backoff_seconds",
    "max_backoff_seconds": "task_max_backoff_seconds",
    "max_doublings": "task_max_doublings",
    "dispatch_deadline_seconds": "task_dispatch_deadline_seconds",
}
CLOUD_TASKS_MAX_DISPATCH_DEADLINE = 1800
SECRET_NAME_FIELD = re.compile(r"_(key|secret|token|id|password|credentials)_name$")
CRON = re.compile(r"^\S+ \S+ \S+ \S+ \S+$")


def env_name(field: str) -> str:
    return f"SYNC_{field.upper()}"


def setting_default(field: str) -> Any:
    return Settings.model_fields[field].default


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return load_terraform()


# A deployment's variables for the offline evaluation of terraform/'s locals.
TFVARS: dict[str, Any] = {
    "project_id": "acme-books",
    "region": "europe-west1",
    "qbo_realm_id": "9130355555555555",
    "tax_rates": {"US-CA": "0.0725"},
    "books_timezone": "America/New_York",
    "extra_env": {
        "SYNC_BOOKS__ACCOUNTS__CLEARING": "Stripe Clearing EU",
        "SYNC_WAREHOUSE": "duckdb",
    },
}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What Terraform itself computes from the locals, offline (resource attributes stubbed)."""
    value = evaluate(
        "{ env = local.function_env, urls = local.function_urls, ddl = local.ddl_script }",
        tmp_path_factory.mktemp("terraform-locals"),
        TFVARS,
        terraform_binary(),
    )
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def functions(tf: Terraform) -> dict[str, dict[str, Any]]:
    catalog = tf.local("functions")
    assert isinstance(catalog, dict)
    return {name: {k: tf.resolve(v) for k, v in fn.items()} for name, fn in catalog.items()}


# --- formatting and validity -------------------------------------------------------------------


def terraform_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if "TF_CLI_CONFIG_FILE" not in env and not (Path.home() / ".terraformrc").exists():
        quiet = tmp_path / "terraformrc"
        quiet.write_text("")
        env["TF_CLI_CONFIG_FILE"] = str(quiet)
    return env


def test_terraform_fmt(tmp_path: Path) -> None:
    completed = subprocess.run(
        [terraform_binary(), "fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        check=False,
        env=terraform_env(tmp_path),
        timeout=60,
    )
    assert completed.returncode == 0, f"run `terraform fmt -recursive terraform`:\n{completed}"


def test_terraform_validate(tmp_path: Path) -> None:
    """Needs the google provider: from the registry, a mirror or a plugin cache in the CLI
    configuration. Without any of them (no network), init fails and the test says so."""
    # A copy, so that init writes its lock file and .terraform/ outside the tree.
    shutil.copytree(TERRAFORM_DIR, tmp_path / "terraform", ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(ROOT / "bigquery_ddl", tmp_path / "bigquery_ddl")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    init = subprocess.run(
        [terraform_binary(), "init", "-backend=false", "-input=false", "-no-color"],
        cwd=tmp_path / "terraform",
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    if init.returncode != 0:
        unreachable = re.search(
            r"could not connect|failed to query available provider|no such host|"
            r"dial tcp|timeout|could not resolve|failed to install provider",
            init.stderr,
            re.IGNORECASE,
        )
        assert unreachable, f"terraform init failed for another reason:\n{init.stderr}"
        pytest.skip(
            "terraform validate needs the hashicorp/google provider, which this machine cannot "
            "download (no registry access); fmt, the HCL consistency checks and checkov still run"
        )
    validate = subprocess.run(
        [terraform_binary(), "validate", "-no-color"],
        cwd=tmp_path / "terraform",
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_variables_and_outputs_are_documented(tf: Terraform) -> None:
    undocumented = [n for n, v in tf.variables.items() if not v.get("description")]
    undocumented += [n for n, o in tf.outputs.items() if not o.get("description")]
    assert not undocumented
    assert "stripe_webhook" in tf.outputs["webhook_url"]["value"]
    assert {"queue_name", "function_service_accounts", "invoker_service_accounts"} <= set(
        tf.outputs
    )


# --- functions ---------------------------------------------------------------------------------


def test_every_function_module_is_deployed_and_nothing_else(
    functions: dict[str, dict[str, Any]],
) -> None:
    modules = load_packager().discover_functions(ROOT)
    assert modules, "functions/ defines no HTTP function"
    assert sorted(functions) == modules, (
        "terraform/functions.tf local.functions must have one entry per functions/<name>.py "
        "that defines an @functions_framework.http function <name>"
    )


def test_function_entries_are_complete_and_sane(functions: dict[str, dict[str, Any]]) -> None:
    for name, fn in functions.items():
        assert set(fn) == FUNCTION_ATTRIBUTES, name
        assert re.fullmatch(r"\d+(Mi|Gi|M|G)", fn["memory"]), name
        assert 1 <= fn["timeout_seconds"] <= 3600, name
        assert fn["max_instances"] >= 1 and fn["concurrency"] >= 1, name
        assert fn["schedule"] == "" or CRON.match(fn["schedule"]), name
        assert isinstance(fn["bq_reads"], list) and isinstance(fn["bq_appends"], list), name
        assert fn["bq_jobs"] == bool(fn["bq_reads"]), f"{name}: queries need jobs, and only they"
    assert {n for n, fn in functions.items() if fn["public"]} == PUBLIC_FUNCTIONS


def test_function_resource_wiring(tf: Terraform) -> None:
    fn = tf.resource("google_cloudfunctions2_function", "fn")
    assert fn["for_each"] == "${local.functions}"
    build = block(fn, "build_config")
    assert build["entry_point"] == "${each.key}"
    assert build["runtime"] == "${var.python_runtime}"
    source = block(block(build, "source"), "storage_source")
    assert source["object"] == "${google_storage_bucket_object.source[each.key].name}"
    service = block(fn, "service_config")
    assert service["environment_variables"] == "${local.function_env[each.key]}"
    assert service["service_account_email"] == "${google_service_account.fn[each.key].email}"
    assert service["timeout_seconds"] == "${each.value.timeout_seconds}"
    assert service["max_instance_count"] == "${each.value.max_instances}"
    assert squash(service["ingress_settings"]) == (
        '${each.value.public?"ALLOW_ALL":var.private_ingress_settings}'
    )
    obj = tf.resource("google_storage_bucket_object", "source")
    assert obj["source"] == "${local.archive_dir}/${each.key}.zip"


def test_runtime_matches_the_python_the_archives_are_tested_on(tf: Terraform) -> None:
    runtime = tf.variables["python_runtime"]["default"]
    assert runtime == f"python{sys.version_info.major}{sys.version_info.minor}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    minimum = pyproject["project"]["requires-python"].removeprefix(">=")
    assert runtime == "python" + minimum.replace(".", "")


# --- settings ----------------------------------------------------------------------------------


def test_classified_settings_exist() -> None:
    fields = set(Settings.model_fields)
    for table in (LOCAL_ONLY, PRODUCTION_DEFAULTS, PRIVATE_ONLY, PRODUCTION_VALUES):
        assert set(table) <= fields, set(table) - fields


def test_every_setting_the_code_reads_is_provided(tf: Terraform) -> None:
    base_env = tf.local("base_env")
    secrets = tf.local("secrets")
    provided = set(base_env) | {env_name(field) for field in secrets.values()}
    # SYNC_BOOKS__TIMEZONE sets a key of the nested books settings
    fields = {k: k.removeprefix("SYNC_").lower().split("__")[0] for k in provided}
    unknown = {k for k, field in fields.items() if field not in Settings.model_fields}
    assert not unknown, f"Terraform sets variables no setting reads: {unknown}"

    exempt = set(LOCAL_ONLY) | set(PRODUCTION_DEFAULTS) | set(PRIVATE_ONLY)
    missing = [f for f in Settings.model_fields if f not in exempt and f not in fields.values()]
    assert not missing, (
        f"settings neither set by terraform/main.tf local.base_env nor classified in this test: "
        f"{missing}"
    )
    assert not {env_name(f) for f in LOCAL_ONLY} & provided

    for field, value in PRODUCTION_VALUES.items():
        assert base_env[env_name(field)] == value, field
    for field, info in Settings.model_fields.items():
        value = base_env.get(env_name(field))
        if get_origin(info.annotation) is Literal and isinstance(value, str) and "${" not in value:
            assert value in get_args(info.annotation), (field, value)

    assert squash(tf.locals["secret_env"]) == squash(
        '${{for id, field in local.secrets : "SYNC_${upper(field)}" => '
        "google_secret_manager_secret.secret[id].secret_id}}"
    )
    assert squash(tf.locals["common_env"]) == "${merge(local.base_env,local.secret_env)}"


def test_private_functions_get_their_audience_and_overrides_cannot_win(tf: Terraform) -> None:
    function_env = squash(tf.locals["function_env"])
    # var.extra_env comes first in merge(): what Terraform derives always wins.
    assert "merge(var.extra_env,local.common_env," in function_env
    assert (
        "fn.public?{}:{SYNC_OIDC_AUDIENCE=local.function_urls[name],"
        "SYNC_OIDC_ALLOWED_SERVICE_ACCOUNTS=google_service_account.invoker[name].email}"
    ) in function_env
    assert {env_name(f) for f in PRIVATE_ONLY} == {
        "SYNC_OIDC_AUDIENCE",
        "SYNC_OIDC_ALLOWED_SERVICE_ACCOUNTS",
    }
    base_env = tf.local("base_env")
    # Tasks carry the OIDC identity of the worker's own invoker, for the worker's URL.
    assert tf.locals["task_target"] == "sync_worker"
    assert base_env["SYNC_TASKS_SERVICE_ACCOUNT"] == (
        "${google_service_account.invoker[local.task_target].email}"
    )
    assert base_env["SYNC_WORKER_URL"] == "${local.function_urls[local.task_target]}"
    assert base_env["SYNC_TASKS_AUDIENCE"] == base_env["SYNC_WORKER_URL"]
    assert "SYNC_OIDC_ALLOWED_SERVICE_ACCOUNTS" not in base_env
    # Every task target's tasks are signed as that target's own invoker.
    assert squash(base_env["SYNC_TASK_INVOKERS"]) == squash(
        "${jsonencode({for target in distinct(flatten([for fn in local.functions : "
        "fn.task_targets])) : local.function_urls[target] => "
        "google_service_account.invoker[target].email})}"
    )


def test_task_targets_are_real_private_functions(
    tf: Terraform, functions: dict[str, dict[str, Any]]
) -> None:
    assert tf.local("base_env")["SYNC_WORKER_URL"] == "${local.function_urls[local.task_target]}"
    target = tf.locals["task_target"]
    assert target in functions and not functions[target]["public"]
    assert functions[target]["schedule"] == ""


def test_defaults_shared_with_the_local_run_agree(tf: Terraform) -> None:
    assert tf.variables["tasks_queue_name"]["default"] == setting_default("tasks_queue_name")
    assert tf.variables["bq_dataset"]["default"] == setting_default("bq_dataset")
    assert tf.variables["bq_location"]["default"] == setting_default("bq_location")
    assert "home_currency" not in tf.variables  # the QBO company's own, read from it
    assert tf.variables["books_timezone"]["default"] == BooksSettings().timezone
    assert tf.variables["stripe_api_version"]["default"] == setting_default("stripe_api_version")


def test_terraform_environment_builds_production_settings(
    evaluated: dict[str, Any], functions: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each function's environment, as Terraform computes it, parsed by the code's Settings."""
    envs: dict[str, dict[str, str]] = evaluated["env"]
    urls: dict[str, str] = evaluated["urls"]
    assert set(envs) == set(functions)
    project, region = TFVARS["project_id"], TFVARS["region"]
    for name, env in envs.items():
        assert urls[name] == (
            f"https://{region}-{project}.cloudfunctions.net/{name.replace('_', '-')}"
        )
        for key in [k for k in os.environ if k.startswith("SYNC_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        for field, value in PRODUCTION_VALUES.items():
            assert getattr(settings, field) == value, (name, field)
        assert settings.gcp_project == project and settings.gcp_location == region
        assert settings.qbo_realm_id == TFVARS["qbo_realm_id"]
        assert settings.qbo_base_url == "https://quickbooks.api.intuit.com/v3"
        assert settings.books.timezone == TFVARS["books_timezone"]
        assert {k: str(v) for k, v in settings.tax_rates.items()} == TFVARS["tax_rates"]
        assert settings.books.accounts.clearing == "Stripe Clearing EU"  # extra_env, nested
        for field in RETRY_SETTINGS.values():
            assert getattr(settings, field) == setting_default(field), (name, field)
        assert settings.worker_url == urls["sync_worker"]
        assert settings.tasks_audience == settings.worker_url
        assert settings.tasks_service_account == RESOURCE_STUB  # the worker's invoker's email
        for field in Settings.model_fields:
            if SECRET_NAME_FIELD.search(field):
                assert getattr(settings, field) == RESOURCE_STUB, "a secret resource's id"
        public = functions[name]["public"]
        assert settings.oidc_audience == ("" if public else urls[name]), name
        # Its own invoker's email (a stub offline; test_one_invoker_per_private_function).
        assert settings.oidc_allowed_service_accounts == ("" if public else RESOURCE_STUB), name
        exempt = set(LOCAL_ONLY) | set(PRODUCTION_DEFAULTS)
        named = {k.removeprefix("SYNC_").lower().split("__")[0] for k in env}
        unset = [f for f in Settings.model_fields if f not in exempt and f not in named]
        assert unset == (
            sorted(PRIVATE_ONLY, key=list(Settings.model_fields).index) if public else []
        ), name


# --- secrets -----------------------------------------------------------------------------------


def test_every_secret_the_code_reads_exists(
    tf: Terraform, functions: dict[str, dict[str, Any]]
) -> None:
    secrets: dict[str, str] = tf.local("secrets")
    # Settings that name a secret: stripe_secret_key_name, qbo_refresh_token_name, ...
    secret_fields = {f for f in Settings.model_fields if SECRET_NAME_FIELD.search(f)}
    assert set(secrets.values()) == secret_fields, "a secret-name setting without its secret"
    for secret_id, field in secrets.items():
        assert setting_default(field) == secret_id, "local and production secret names differ"

    resource = tf.resource("google_secret_manager_secret", "secret")
    assert resource["for_each"] == "${local.secrets}" and resource["secret_id"] == "${each.key}"
    assert "google_secret_manager_secret_version" not in tf.resources, "no secret values in TF"

    for name, fn in functions.items():
        assert set(fn["secrets"]) <= set(secrets), name
        assert set(fn["rotated_secrets"]) <= set(fn["secrets"]), name
        if "qbo-refresh-token" in fn["secrets"]:
            # Intuit rotates the refresh token: whoever uses it must store the new one.
            assert "qbo-refresh-token" in fn["rotated_secrets"], name
    assert functions["stripe_webhook"]["secrets"] == ["stripe-webhook-secret"]
    # Only settlement_poll writes to Stripe: it alone holds the invoicing key, and no read key.
    holders = {name for name, fn in functions.items() if "stripe-invoicing-key" in fn["secrets"]}
    assert holders == {"settlement_poll"}
    assert "stripe-secret-key" not in functions["settlement_poll"]["secrets"]
    assert secrets["stripe-invoicing-key"] == "stripe_invoicing_key_name"


# --- queue -------------------------------------------------------------------------------------


def test_queue_retry_config_is_the_codes(tf: Terraform) -> None:
    retry = tf.local("task_retry")
    assert set(retry) == set(RETRY_SETTINGS)
    for key, field in RETRY_SETTINGS.items():
        assert retry[key] == setting_default(field), key
        assert tf.local("base_env")[env_name(field)] == f"${{tostring(local.task_retry.{key})}}"

    queue = tf.resource("google_cloud_tasks_queue", "sync")
    config = block(queue, "retry_config")
    assert config == {
        "max_attempts": "${local.task_retry.max_attempts}",
        "max_retry_duration": "${local.task_retry.max_retry_seconds}s",
        "min_backoff": "${local.task_retry.min_backoff_seconds}s",
        "max_backoff": "${local.task_retry.max_backoff_seconds}s",
        "max_doublings": "${local.task_retry.max_doublings}",
    }
    assert retry["dispatch_deadline_seconds"] <= CLOUD_TASKS_MAX_DISPATCH_DEADLINE
    # Transient is never final within hours: the horizon is days (Cloud Tasks keeps a task at
    # most 31 days, its retention limit).
    assert 86_400 <= retry["max_retry_seconds"] <= 31 * 86_400


def test_queue_respects_qbo_throttles(tf: Terraform, functions: dict[str, dict[str, Any]]) -> None:
    limits = tf.local("queue_limits")
    per_second = limits["max_dispatches_per_second"]
    assert per_second * 60 <= setting_default("qbo_requests_per_minute")
    assert per_second <= setting_default("qbo_requests_per_second")
    assert limits["max_concurrent_dispatches"] <= setting_default("qbo_max_concurrent")
    assert block(tf.resource("google_cloud_tasks_queue", "sync"), "rate_limits") == {
        "max_dispatches_per_second": "${local.queue_limits.max_dispatches_per_second}",
        "max_concurrent_dispatches": "${local.queue_limits.max_concurrent_dispatches}",
    }

    worker = functions["sync_worker"]
    assert worker["timeout_seconds"] == tf.local("task_retry")["dispatch_deadline_seconds"]
    capacity = worker["max_instances"] * worker["concurrency"]
    assert capacity >= limits["max_concurrent_dispatches"], "the worker must absorb the queue"


# --- scheduler ---------------------------------------------------------------------------------


def test_scheduled_jobs_target_real_private_functions(
    tf: Terraform, functions: dict[str, dict[str, Any]]
) -> None:
    job = tf.resource("google_cloud_scheduler_job", "fn")
    assert squash(job["for_each"]) == ('${{forname,fninlocal.functions:name=>fniffn.schedule!=""}}')
    assert job["schedule"] == "${each.value.schedule}"
    target = block(job, "http_target")
    assert target["uri"] == "${local.function_urls[each.key]}"
    token = block(target, "oidc_token")
    assert token["service_account_email"] == "${google_service_account.invoker[each.key].email}"
    assert token["audience"] == target["uri"]
    for name, fn in functions.items():
        if fn["schedule"]:
            assert not fn["public"], f"{name} is scheduled, so it must be private"
    urls = squash(tf.locals["function_urls"])
    assert "cloudfunctions.net/${local.function_names[name]}" in urls


# --- IAM ---------------------------------------------------------------------------------------


def test_iam_is_additive_and_least_privilege(
    tf: Terraform, functions: dict[str, dict[str, Any]]
) -> None:
    authoritative = [k for k in tf.resources if k.endswith(("_iam_binding", "_iam_policy"))]
    assert not authoritative, "only *_iam_member: never replace grants made outside Terraform"

    assert tf.resource("google_service_account", "fn")["for_each"] == "${local.functions}"
    project_roles = tf.resources["google_project_iam_member"]
    assert set(project_roles) == {
        "builder", "bq_jobs", "lease_user", "tenant_secrets", "tenant_queues"
    }  # fmt: skip
    # Tenants are added without Terraform: their secrets and queues are granted by name
    # pattern, to the functions that use the deployment's own, and nothing wider.
    tenant_secrets = block(project_roles["tenant_secrets"], "condition")["expression"]
    assert "/secrets/tenant-" in tenant_secrets and "endsWith" in tenant_secrets
    assert project_roles["tenant_secrets"]["for_each"] == "${local.tenant_secret_grants}"
    tenant_queues = block(project_roles["tenant_queues"], "condition")["expression"]
    assert "/queues/${var.tasks_queue_name}-" in tenant_queues
    assert project_roles["tenant_queues"]["role"] == "roles/cloudtasks.enqueuer"
    assert project_roles["bq_jobs"]["role"] == "roles/bigquery.jobUser"
    # Firestore roles exist at project level only: the grant is conditioned on the lease
    # database, and held by the worker alone.
    leases = project_roles["lease_user"]
    assert leases["role"] == "roles/datastore.user"
    assert leases["member"] == '${google_service_account.fn["sync_worker"].member}'
    assert (
        "databases/${google_firestore_database.leases.name}"
        in block(leases, "condition")["expression"]
    )
    builder_roles = set(tf.variables["build_service_account_roles"]["default"])
    assert not builder_roles & {"roles/owner", "roles/editor", "roles/iam.serviceAccountUser"}

    invoker = tf.resource("google_cloud_run_v2_service_iam_member", "invoker")
    public = tf.resource("google_cloud_run_v2_service_iam_member", "public")
    assert invoker["for_each"] == "${local.private_functions}"
    assert invoker["member"] == "${google_service_account.invoker[each.key].member}"
    assert squash(public["for_each"]) == "${{forname,fninlocal.functions:name=>fniffn.public}}"
    assert public["member"] == "allUsers"
    assert {invoker["role"], public["role"]} == {"roles/run.invoker"}

    webhook, worker = functions["stripe_webhook"], functions["sync_worker"]
    assert webhook["task_targets"] == ["sync_worker"]
    # The webhook's only query: which tenant holds an event's account (tenants table).
    assert set(webhook["bq_reads"]) == {"tenants", "tenants_current"} and webhook["bq_jobs"]
    assert worker["bq_jobs"] and "sync_links" in worker["bq_appends"]
    acts_as = tf.resource("google_service_account_iam_member", "enqueuer_acts_as_invoker")
    assert acts_as["role"] == "roles/iam.serviceAccountUser"
    assert acts_as["for_each"] == "${local.task_signers}"
    assert acts_as["service_account_id"] == (
        "${google_service_account.invoker[each.value.target].name}"
    )
    assert acts_as["member"] == "${google_service_account.fn[each.value.name].member}"
    private = {name for name, fn in functions.items() if not fn["public"]}
    for fn in functions.values():
        assert set(fn["task_targets"]) <= private
    enqueuer = tf.resource("google_cloud_tasks_queue_iam_member", "enqueuer")
    assert "length(fn.task_targets)>0" in squash(enqueuer["for_each"])


def test_one_invoker_per_private_function(
    tf: Terraform, functions: dict[str, dict[str, Any]]
) -> None:
    """Each private function has an invoker account of its own, the only one it accepts, so a
    token minted for one function (the worker's, which every enqueuer may act as) opens no other."""
    private = squash(tf.locals["private_functions"])
    assert private == "${{forname,fninlocal.functions:name=>fnif!fn.public}}"
    invoker = tf.resource("google_service_account", "invoker")
    assert invoker["for_each"] == "${local.private_functions}"
    assert invoker["account_id"] == "${var.name_prefix}-inv-${local.function_names[each.key]}"
    # Service account ids: 6-30 characters; the longest prefix the variable admits is 8.
    for name in functions:
        if not functions[name]["public"]:
            assert len(f"{'x' * 8}-inv-{name.replace('_', '-')}") <= 30, name
    operators = tf.resource("google_service_account_iam_member", "replay_operator")
    assert operators["service_account_id"] == '${google_service_account.invoker["replay"].name}'
    assert operators["role"] == "roles/iam.serviceAccountOpenIdTokenCreator"


# --- BigQuery ----------------------------------------------------------------------------------


def test_bigquery_access_is_per_table_and_the_dataset_has_explicit_access(tf: Terraform) -> None:
    """No dataset-wide role for any function; reads and appends per table (which tables: checked
    against what the code does in tests/functional/test_table_grants.py); an append-only custom
    role; the dataset's access list names project owners only (no project readers or writers,
    who would otherwise read the raw payloads), plus groups an operator lists."""
    assert "google_bigquery_dataset_iam_member" not in tf.resources
    assert "google_bigquery_dataset_access" not in tf.resources
    grants = tf.resource("google_bigquery_table_iam_member", "fn")
    assert grants["for_each"] == "${local.table_grants}"
    assert grants["member"] == "${google_service_account.fn[each.value.name].member}"
    assert grants["table_id"] == "${each.value.table}"
    table_grants = squash(tf.locals["table_grants"])
    assert 'role="roles/bigquery.dataViewer"' in table_grants
    assert "role=google_project_iam_custom_role.bq_appender.id" in table_grants
    assert "forname,fninlocal.functions:[fortableinfn.bq_reads" in table_grants
    assert "forname,fninlocal.functions:[fortableinfn.bq_appends" in table_grants
    appender = tf.resource("google_project_iam_custom_role", "bq_appender")
    assert appender["permissions"] == ["bigquery.tables.updateData"]

    dataset = tf.resource("google_bigquery_dataset", "sync")
    access = dataset["access"]
    assert access == [{"role": "OWNER", "special_group": "projectOwners"}], access
    readers = dataset["dynamic"][0]["access"]
    assert readers["for_each"] == "${toset(var.bq_dataset_readers)}"
    assert readers["content"][0] == {"role": "READER", "group_by_email": "${access.value}"}


def test_terraform_runs_every_ddl_file_in_order(tf: Terraform) -> None:
    numbered = ddl_files()
    assert numbered, "bigquery_ddl/ is empty"
    assert all(re.fullmatch(r"\d{3}_.+\.sql", p.name) for p in numbered), (
        "DDL files need three-digit numbers: Terraform orders them lexically"
    )
    assert sorted(p.name for p in numbered) == [p.name for p in numbered]
    assert tf.locals["ddl_dir"] == "${path.module}/../bigquery_ddl"
    assert '"[0-9][0-9][0-9]_*.sql"' in tf.locals["ddl_files"]
    job = tf.resource("google_bigquery_job", "ddl")
    query = block(job, "query")
    assert query["query"] == "${local.ddl_script}"
    assert block(query, "default_dataset")["dataset_id"] == "${google_bigquery_dataset.sync.id}"
    assert "sha256(local.ddl_script)" in job["job_id"], "a changed DDL must run as a new job"


def test_views_reference_qualified_tables_in_bigquery(evaluated: dict[str, Any]) -> None:
    """BigQuery ignores the default dataset inside a view's body, so Terraform qualifies the
    DDL's own tables and views there; checked on the script Terraform computes."""
    script: str = evaluated["ddl"]
    views = 0
    for statement in split_statements(script):
        tree = sqlglot.parse_one(statement, dialect="bigquery")
        if not (isinstance(tree, exp.Create) and tree.kind == "VIEW"):
            continue
        views += 1
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        tables = [t for t in tree.expression.find_all(exp.Table) if t.name not in ctes]
        unqualified = [t.name for t in tables if not t.db]
        assert not unqualified, f"{tree.this.sql()} reads unqualified {unqualified}"
        assert {t.catalog for t in tables} == {TFVARS["project_id"]}
    assert views, "the DDL defines no view"
    for path in ddl_files():
        assert f"-- {path.name}\n" in script, f"{path.name} is not in the DDL script"


# --- monitoring --------------------------------------------------------------------------------


def test_alerts_cover_what_the_requirements_name(tf: Terraform) -> None:
    """Sync lag, pending syncs, success rate, FAILED after retries, no success while syncs
    wait, the webhook at ERROR (and stuck tasks, findings); thresholds are variables. Whether
    each filter fires on the lines the code writes: tests/contract/test_alert_filters.py."""
    metrics = tf.locals["log_metrics"]
    alerts = tf.locals["alerts"]
    expected = {"sync_failed", "sync_stuck_tasks", "reconciliation_findings", "webhook_errors",
                "sync_lag", "syncs_pending", "success_rate_low", "no_success"}  # fmt: skip
    assert set(alerts) == expected and set(metrics) == expected | {"health_probes"}
    thresholds = {
        "sync_lag": "${var.alert_sync_lag_minutes}",
        "syncs_pending": "${var.alert_pending_syncs}",
        "success_rate_low": "${var.alert_min_success_rate}",
        "no_success": "${var.alert_no_success_hours*60}",
    }
    for name, variable in thresholds.items():
        assert variable in squash(metrics[name]["filter"]), name
        assert squash(variable).removeprefix("${var.").split("*")[0].rstrip("}") in tf.variables
    defaults = {k: tf.variables[k]["default"] for k in tf.variables if k.startswith("alert_")}
    assert defaults == {"alert_email": "", "alert_sync_lag_minutes": 10, "alert_pending_syncs": 5,
                        "alert_min_success_rate": 0.95, "alert_no_success_hours": 24}  # fmt: skip
    assert tf.local("base_env")["SYNC_HEALTH_LAG_MINUTES"] == (
        "${tostring(var.alert_sync_lag_minutes)}"
    )
    health_fields = set(Health.__dataclass_fields__)
    for name in ("sync_lag", "syncs_pending", "success_rate_low", "no_success"):
        used = set(re.findall(r"jsonPayload\.(\w+)", metrics[name]["filter"])) - {"message"}
        assert used <= health_fields and used <= ALLOWED_FIELDS, name
    assert 'jsonPayload.message="sync health"' in tf.locals["health_logs"]
    assert HEALTH_MESSAGE == "sync health"
    assert "severity>=ERROR" in metrics["webhook_errors"]["filter"]
    absent = tf.resource("google_monitoring_alert_policy", "health_absent")
    assert "health_probes" in block(absent, "conditions")["condition_absent"][0]["filter"]
    failed, stuck = metrics["sync_failed"]["filter"], metrics["sync_stuck_tasks"]["filter"]
    assert 'jsonPayload.outcome="FAILED"' in failed
    assert "RETRY" in stuck and "jsonPayload.attempt>=" in stuck
    assert "jsonPayload.findings" in metrics["reconciliation_findings"]["filter"]
    # The fields and values the filters match are ones the code logs.
    assert {"FAILED", "RETRY"} <= set(get_args(Outcome))
    assert {"outcome", "attempt", "findings", "object_type"} <= ALLOWED_FIELDS
    policy = tf.resource("google_monitoring_alert_policy", "log_metric")
    assert policy["for_each"] == "${local.alerts}"
    assert "google_monitoring_notification_channel.email" in policy["notification_channels"]
    channel = tf.resource("google_monitoring_notification_channel", "email")
    assert channel["labels"] == {"email_address": "${var.alert_email}"}
    assert squash(channel["count"]) == '${var.alert_email==""?0:1}'


# --- security scan -----------------------------------------------------------------------------


def test_checkov_finds_no_unjustified_failure() -> None:
    """checkov without a Prisma key reports no severities, so every failed check blocks unless
    it is skipped in place with `#checkov:skip=CKV_...:<justification>`."""
    completed = subprocess.run(
        [
            checkov_python(),
            "-m",
            "checkov.main",
            "-d",
            str(TERRAFORM_DIR),
            "--framework",
            "terraform",
            "--compact",
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert completed.stdout.strip(), completed.stderr
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    terraform_reports = [r for r in reports if r.get("check_type") == "terraform"]
    assert terraform_reports, completed.stdout[:2000]
    for result in terraform_reports:
        summary = result["summary"]
        assert summary["parsing_errors"] == 0, summary
        assert summary["resource_count"] > 0
        failed = [
            f"{c['check_id']} {c['resource']}: {c['check_name']}"
            for c in result["results"]["failed_checks"]
        ]
        assert not failed, "checkov failures (fix, or skip in place with a justification):\n" + (
            "\n".join(failed)
        )
        for skipped in result["results"]["skipped_checks"]:
            reason = (skipped["check_result"].get("suppress_comment") or "").strip()
            assert len(reason) >= 40, f"{skipped['check_id']} is skipped without a justification"
    assert completed.returncode == 0, completed.stderr[-2000:]


def test_checkov_skips_in_the_code_carry_reasons(tf: Terraform) -> None:
    for kind, named in tf.resources.items():
        for name, body in named.items():
            for comment in comments(body):
                if comment.startswith("checkov:skip="):
                    check, _, reason = comment.removeprefix("checkov:skip=").partition(":")
                    assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", check), (kind, name, comment)
                    assert len(reason.strip()) >= 40, f"{kind}.{name}: justify skipping {check}"
