"""Contracts as files: the request bodies and the task payload are pydantic models, and the
JSON Schemas and the OpenAPI description generated from them are checked in and current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.contracts.generate import openapi, stale
from shared.contracts.models import (
    ReconcileRequestBody,
    ReplayRequestBody,
    SyncTaskPayload,
)
from shared.contracts.registry import FUNCTIONS, schema_models
from shared.errors import BadRequestError
from shared.services.backfill import BACKFILL_TYPES, backfill_request_from_json
from shared.services.replay import replay_request_from_json
from shared.services.task_request import parse_task

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


def test_the_checked_in_files_are_what_the_models_generate() -> None:
    assert stale() == [], "run `make contracts` and commit shared/contracts/"


def test_every_function_is_described_once() -> None:
    modules = {p.stem for p in FUNCTIONS_DIR.glob("*.py") if not p.stem.startswith("_")}
    names = [f.name for f in FUNCTIONS]
    assert sorted(names) == sorted(modules) and len(set(names)) == len(names)
    paths = openapi()["paths"]
    assert set(paths) == {f"/{name}" for name in names}
    assert paths["/stripe_webhook"]["post"]["security"] == []
    for f in FUNCTIONS:
        if f.private:
            assert paths[f"/{f.name}"]["post"]["security"] == [{"oidc": []}]
        if f.body is not None:
            schema = paths[f"/{f.name}"]["post"]["requestBody"]["content"]["application/json"]
            assert schema["schema"]["$ref"].endswith(f.body.__name__)


def test_every_body_has_its_schema_file() -> None:
    bodies = {f.body for f in FUNCTIONS if f.body is not None}
    assert set(schema_models().values()) >= bodies
    expected = {"replay_request", "reconcile_request", "sync_worker_request", "backfill_request"}
    assert expected <= set(schema_models())


def test_replay_body_accepts_what_the_cli_and_callers_send() -> None:
    body = ReplayRequestBody.model_validate(
        {"event_ids": "evt_1, evt_2", "since": 1_767_225_600, "until": "2026-01-31T00:00:00"}
    )
    assert body.event_ids == ["evt_1", "evt_2"]
    assert body.since is not None and body.since.isoformat() == "2026-01-01T00:00:00+00:00"
    assert body.until is not None and body.until.tzinfo is not None  # no offset: UTC meant
    request = replay_request_from_json({"failed": True, "source": None, "run_id": ""})
    assert request.failed and request.source == "archive" and request.run_id is None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"source": "s3"}, "source"),
        ({"object_type": "invoice", "run_id": "bad name!"}, "run_id"),
        ({"object_type": "invoice", "dryrun": True}, "dryrun: Extra inputs are not permitted"),
        ({"since": "yesterday"}, "since"),
        ({"event_ids": [""]}, "event_ids.0"),
    ],
)
def test_replay_body_refuses_with_the_field(body: dict[str, Any], says: str) -> None:
    with pytest.raises(BadRequestError, match="replay request") as refused:
        replay_request_from_json(body)
    assert says in refused.value.message and refused.value.code == "bad_replay"


def test_reconcile_window_needs_an_offset() -> None:
    assert ReconcileRequestBody.model_validate({"since": "2026-01-01T00:00:00+00:00"}).since
    with pytest.raises(ValueError, match="timezone"):
        ReconcileRequestBody.model_validate({"since": "2026-01-01T00:00:00"})


def test_the_task_payload_is_the_model() -> None:
    payload = SyncTaskPayload(object_type="invoice", object_id="in_1", event_id="evt_1").body()
    assert payload == {"object_type": "invoice", "object_id": "in_1", "event_id": "evt_1"}
    request, _ = parse_task(b'{"object_type": "invoice", "object_id": "in_1", "new": 1}', {})
    assert request.object_id == "in_1"  # an unknown field from a newer enqueuer is ignored
    with pytest.raises(BadRequestError, match="task: object_id"):
        parse_task(b'{"object_type": "invoice", "object_id": ""}', {})


def test_backfill_body_accepts_days_times_and_comma_separated_types() -> None:
    request = backfill_request_from_json(
        {"since": "2026-01-01", "until": "2026-01-31", "types": "invoice, customer"}
    )
    assert request.since is not None and request.since.isoformat() == "2026-01-01T00:00:00+00:00"
    assert request.until is not None and request.until.isoformat().startswith("2026-01-31T23:59")
    assert request.types == ("invoice", "customer")
    resumed = backfill_request_from_json({"run_id": "bf_1", "since": None, "types": None})
    assert resumed.run_id == "bf_1" and resumed.types == BACKFILL_TYPES
    assert backfill_request_from_json({"since": 1_767_225_600}).since is not None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-01", "types": "plans"}, "types.0"),
        ({"run_id": "bad name!"}, "run_id"),
        ({"since": "2026-01-01", "dryrun": True}, "dryrun: Extra inputs are not permitted"),
    ],
)
def test_backfill_body_refuses_with_the_field(body: dict[str, Any], says: str) -> None:
    with pytest.raises(BadRequestError, match="backfill request") as refused:
        backfill_request_from_json(body)
    assert says in refused.value.message and refused.value.code == "bad_backfill"
