"""BigQueryWarehouse through the real google-cloud-bigquery client against a local REST fake."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from shared.adapters.bigquery_warehouse import BigQueryWarehouse, fits_numeric
from shared.adapters.ddl import load_ddl_statements
from shared.config import Settings
from shared.errors import (
    AuthenticationError,
    NotFoundError,
    PermanentError,
    ThrottledError,
    TransientError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from tests.contract.conftest import PROJECT
from tests.contract.fake_bigquery import FakeBigQuery

DATASET = "stripe_qbo_sync"
EXACT = Decimal("12345678901234.123456789")
DDL = [
    """
    CREATE TABLE IF NOT EXISTS stripe_events (
      event_id STRING NOT NULL OPTIONS (description = 'evt_...'),
      event_type STRING,
      created TIMESTAMP,
      received_at TIMESTAMP NOT NULL,
      livemode BOOL,
      attempt INT64,
      amount NUMERIC,
      arrival_date DATE,
      tags ARRAY<STRING>,
      payload JSON
    )
    PARTITION BY DATE(received_at)
    CLUSTER BY event_type, event_id
    OPTIONS (description = 'raw events, append-only')
    """,
    """
    CREATE OR REPLACE VIEW stripe_events_latest AS
    SELECT * FROM stripe_events
    WHERE TRUE
    QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY received_at DESC) = 1
    """,
]
RECEIVED = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def make_warehouse(client: Any, **overrides: Any) -> BigQueryWarehouse:
    options: dict[str, Any] = {
        "project": PROJECT,
        "dataset": DATASET,
        "timeout_seconds": 10.0,
        "retry_deadline_seconds": 0,
        "client": client,
    }
    options.update(overrides)
    return BigQueryWarehouse(**options)


def event_row(event_id: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id": event_id,
        "event_type": "invoice.paid",
        "created": datetime(2026, 3, 1, 11, 59, tzinfo=UTC),
        "received_at": RECEIVED,
        "livemode": False,
        "attempt": 1,
        "amount": Decimal("10.50"),
        "arrival_date": date(2026, 3, 3),
        "tags": ["webhook"],
        "payload": {"id": event_id, "data": {"object": {"amount_paid": 1050}}},
    }
    row.update(fields)
    return row


@pytest.fixture
def warehouse(bigquery_client: Any) -> BigQueryWarehouse:
    store = make_warehouse(bigquery_client)
    store.apply_ddl(DDL)
    return store


def test_ddl_creates_dataset_tables_and_views_idempotently(
    bigquery_client: Any, warehouse: BigQueryWarehouse
) -> None:
    warehouse.apply_ddl(DDL)

    table = bigquery_client.get_table(f"{PROJECT}.{DATASET}.stripe_events")
    schema = {f.name: (f.field_type, f.mode) for f in table.schema}
    assert schema == {
        "event_id": ("STRING", "REQUIRED"),
        "event_type": ("STRING", "NULLABLE"),
        "created": ("TIMESTAMP", "NULLABLE"),
        "received_at": ("TIMESTAMP", "REQUIRED"),
        "livemode": ("BOOLEAN", "NULLABLE"),
        "attempt": ("INTEGER", "NULLABLE"),
        "amount": ("NUMERIC", "NULLABLE"),
        "arrival_date": ("DATE", "NULLABLE"),
        "tags": ("STRING", "REPEATED"),
        "payload": ("JSON", "NULLABLE"),
    }
    view = bigquery_client.get_table(f"{PROJECT}.{DATASET}.stripe_events_latest")
    assert view.table_type == "VIEW"


def test_existing_dataset_is_not_created_again(
    bigquery_client: Any, warehouse: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    warehouse.apply_ddl(DDL)

    sent = bigquery_fake.requests_to(f"/projects/{PROJECT}/datasets")
    creates = [b for b in sent if b and "datasetReference" in b]
    assert [b["datasetReference"]["datasetId"] for b in creates] == [DATASET]


def test_the_project_ddl_applies_and_its_tables_take_appends(bigquery_client: Any) -> None:
    warehouse = make_warehouse(bigquery_client, dataset="project_ddl")
    warehouse.apply_ddl(load_ddl_statements())
    warehouse.apply_ddl(load_ddl_statements())

    table = bigquery_client.get_table(f"{PROJECT}.project_ddl.stripe_events")
    assert {f.name: f.field_type for f in table.schema}["payload"] == "JSON"
    row = {
        "event_id": "evt_1",
        "event_type": "invoice.paid",
        "received_at": RECEIVED,
        "payload": {"id": "evt_1", "amount": Decimal("10.50")},
    }
    warehouse.append("stripe_events", [row], ["evt_1"])
    (read,) = warehouse.query(
        "SELECT event_id, payload FROM stripe_events_latest WHERE event_id = @id", {"id": "evt_1"}
    )
    assert read == {"event_id": "evt_1", "payload": {"id": "evt_1", "amount": "10.50"}}


def test_append_sends_row_ids_as_insert_ids_and_json_safe_values(
    warehouse: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    warehouse.append("stripe_events", [event_row("evt_1"), event_row("evt_2")], ["evt_1", "evt_2"])

    (body,) = bigquery_fake.requests_to("/tables/stripe_events/insertAll")
    assert [r["insertId"] for r in body["rows"]] == ["evt_1", "evt_2"]
    sent = body["rows"][0]["json"]
    assert sent["amount"] == "10.50"
    assert sent["received_at"] == "2026-03-01T12:00:00.123456+00:00"
    assert sent["arrival_date"] == "2026-03-03"
    assert json.loads(sent["payload"]) == event_row("evt_1")["payload"]


def test_same_row_ids_do_not_duplicate(warehouse: BigQueryWarehouse) -> None:
    warehouse.append("stripe_events", [event_row("evt_1")], ["evt_1@1"])
    warehouse.append("stripe_events", [event_row("evt_1")], ["evt_1@1"])
    warehouse.append("stripe_events", [event_row("evt_1", attempt=2)], ["evt_1@2"])

    rows = warehouse.query("SELECT attempt FROM stripe_events ORDER BY attempt")
    assert rows == [{"attempt": 1}, {"attempt": 2}]


def test_rows_without_ids_still_get_unique_insert_ids(
    warehouse: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    warehouse.append("stripe_events", [event_row("evt_a"), event_row("evt_b")])

    (body,) = bigquery_fake.requests_to("insertAll")
    ids = [r["insertId"] for r in body["rows"]]
    assert all(ids) and len(set(ids)) == 2


def test_large_batches_are_chunked_by_rows_and_bytes(
    bigquery_client: Any, warehouse: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    rows = [event_row(f"evt_{i:04d}") for i in range(1001)]
    warehouse.append("stripe_events", rows, [r["event_id"] for r in rows])

    sizes = [len(b["rows"]) for b in bigquery_fake.requests_to("insertAll")]
    assert sizes == [500, 500, 1]

    small = make_warehouse(bigquery_client, max_bytes_per_insert=2_000)
    small.append("stripe_events", rows[:10], [r["event_id"] for r in rows[:10]])
    later = [len(b["rows"]) for b in bigquery_fake.requests_to("insertAll")][3:]
    assert sum(later) == 10 and len(later) > 1
    assert small.query("SELECT COUNT(*) AS n FROM stripe_events") == [{"n": 1001}]


def test_query_binds_named_parameters_of_every_type(
    warehouse: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    when = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    params: dict[str, Any] = {
        "s": "invoice.paid",
        "b": True,
        "i": 9_007_199_254_740_993,  # above 2**53: must not pass through a float
        "n": EXACT,
        "bn": Decimal("0.12345678901234567"),
        "f": 0.25,
        "ts": when,
        "d": date(2026, 3, 3),
        "none_str": None,
        "none_int": None,
        "ids": ["evt_1", "evt_2"],
        "empty": [],
    }

    (row,) = warehouse.query(
        "SELECT @s AS s, @b AS b, @i AS i, @n AS n, @bn AS bn, @f AS f, @ts AS ts, @d AS d,"
        " @none_str AS none_str, @none_int AS none_int, ARRAY_LENGTH(@ids) AS ids,"
        " ARRAY_LENGTH(@empty) AS empty",
        params,
        param_types={"none_int": "INT64", "empty": "INT64"},
    )

    assert row == {
        "s": "invoice.paid",
        "b": True,
        "i": 9_007_199_254_740_993,
        "n": EXACT,
        "bn": Decimal("0.12345678901234567"),
        "f": 0.25,
        "ts": when,
        "d": date(2026, 3, 3),
        "none_str": None,
        "none_int": None,
        "ids": 2,
        "empty": 0,
    }
    body = bigquery_fake.requests_to("/queries")[-1]
    sent = {p["name"]: p["parameterType"] for p in body["queryParameters"]}
    assert {k: v["type"] for k, v in sent.items()} == {
        "s": "STRING",
        "b": "BOOL",
        "i": "INT64",
        "n": "NUMERIC",
        "bn": "BIGNUMERIC",
        "f": "FLOAT64",
        "ts": "TIMESTAMP",
        "d": "DATE",
        "none_str": "STRING",
        "none_int": "INT64",
        "ids": "ARRAY",
        "empty": "ARRAY",
    }
    assert sent["ids"]["arrayType"] == {"type": "STRING"}
    assert sent["empty"]["arrayType"] == {"type": "INT64"}
    assert body["defaultDataset"] == {"projectId": PROJECT, "datasetId": DATASET}
    assert body["useLegacySql"] is False


def test_parameters_filter_rows(warehouse: BigQueryWarehouse) -> None:
    warehouse.append(
        "stripe_events",
        [event_row("evt_1"), event_row("evt_2", event_type="payout.paid"), event_row("evt_3")],
        ["evt_1", "evt_2", "evt_3"],
    )

    rows = warehouse.query(
        "SELECT event_id FROM stripe_events"
        " WHERE event_type = @type AND event_id IN UNNEST(@ids) AND received_at >= @since"
        " AND arrival_date = @day AND livemode = @live ORDER BY event_id",
        {
            "type": "invoice.paid",
            "ids": ["evt_1", "evt_2", "evt_3"],
            "since": datetime(2026, 3, 1, tzinfo=UTC),
            "day": date(2026, 3, 3),
            "live": False,
        },
    )

    assert rows == [{"event_id": "evt_1"}, {"event_id": "evt_3"}]


def test_numeric_values_survive_exactly(warehouse: BigQueryWarehouse) -> None:
    amounts = [EXACT, Decimal("-0.000000001"), Decimal("99999999999999999999999999999.999999999")]
    rows = [event_row(f"evt_{i}", amount=a) for i, a in enumerate(amounts)]
    warehouse.append("stripe_events", rows, [r["event_id"] for r in rows])

    read = warehouse.query("SELECT amount FROM stripe_events ORDER BY event_id")
    assert [r["amount"] for r in read] == amounts
    (match,) = warehouse.query("SELECT event_id FROM stripe_events WHERE amount = @a", {"a": EXACT})
    assert match == {"event_id": "evt_0"}
    (total,) = warehouse.query(
        "SELECT SUM(amount) AS total FROM stripe_events WHERE event_id IN ('evt_0', 'evt_1')"
    )
    assert total["total"] == Decimal("12345678901234.123456788")


def test_fits_numeric_boundaries() -> None:
    assert fits_numeric(EXACT)
    assert fits_numeric(Decimal("99999999999999999999999999999.999999999"))
    assert not fits_numeric(Decimal("100000000000000000000000000000"))
    assert not fits_numeric(Decimal("0.0000000001"))


def test_json_payload_round_trips(warehouse: BigQueryWarehouse) -> None:
    payload = {
        "id": "evt_json",
        "data": {"object": {"lines": [{"amount": 1050, "currency": "eur"}], "note": "Zürich ✓"}},
        "livemode": False,
        "previous": None,
        "fee": Decimal("0.30"),
    }
    warehouse.append("stripe_events", [event_row("evt_json", payload=payload)], ["evt_json"])

    (row,) = warehouse.query(
        "SELECT payload, JSON_VALUE(payload, '$.data.object.note') AS note"
        " FROM stripe_events_latest WHERE event_id = @id",
        {"id": "evt_json"},
    )
    assert row["payload"] == {**payload, "fee": "0.30"}
    assert row["note"] == "Zürich ✓"


def test_latest_view_reads_the_newest_append(warehouse: BigQueryWarehouse) -> None:
    later = datetime(2026, 3, 2, tzinfo=UTC)
    warehouse.append(
        "stripe_events",
        [event_row("evt_1"), event_row("evt_1", received_at=later, attempt=2)],
        ["evt_1@a", "evt_1@b"],
    )

    rows = warehouse.query("SELECT event_id, attempt, received_at FROM stripe_events_latest")
    assert rows == [{"event_id": "evt_1", "attempt": 2, "received_at": later}]


def test_refused_rows_are_permanent_name_no_values_and_insert_nothing(
    warehouse: BigQueryWarehouse,
) -> None:
    bad = event_row("evt_bad", attempt="SECRET-VALUE-42")
    missing = event_row("evt_missing")
    del missing["received_at"]

    with pytest.raises(ValidationFailedError) as raised:
        warehouse.append("stripe_events", [event_row("evt_ok"), bad, missing])

    message = raised.value.message
    assert "SECRET-VALUE-42" not in message
    assert "refused 2 of 3 rows" in message
    assert "row 1: invalid at attempt" in message
    assert "row 2: invalid at received_at" in message
    assert warehouse.query("SELECT COUNT(*) AS n FROM stripe_events") == [{"n": 0}]


def test_unknown_column_is_permanent(warehouse: BigQueryWarehouse) -> None:
    with pytest.raises(PermanentError, match="no_such_column"):
        warehouse.append("stripe_events", [event_row("evt_1", no_such_column=1)])


def test_unsupported_value_type_is_permanent(warehouse: BigQueryWarehouse) -> None:
    with pytest.raises(PermanentError):
        warehouse.append("stripe_events", [event_row("evt_1", payload={"x": object()})])


def test_missing_table_is_not_found(warehouse: BigQueryWarehouse) -> None:
    with pytest.raises(NotFoundError):
        warehouse.append("no_such_table", [{"a": 1}])
    with pytest.raises(NotFoundError):
        warehouse.query("SELECT * FROM no_such_table")


def test_invalid_sql_is_permanent(warehouse: BigQueryWarehouse) -> None:
    with pytest.raises(PermanentError):
        warehouse.query("SELEC nothing FROM")


def test_missing_parameter_is_permanent(warehouse: BigQueryWarehouse) -> None:
    with pytest.raises(PermanentError):
        warehouse.query("SELECT @absent AS a")


@pytest.mark.parametrize(
    "failure",
    [
        (503, "backendError", UpstreamUnavailableError),
        (500, "internalError", UpstreamUnavailableError),
        (403, "rateLimitExceeded", ThrottledError),
        (429, "rateLimitExceeded", ThrottledError),
        (403, "accessDenied", AuthenticationError),
    ],
)
@pytest.mark.parametrize("path", ["/insertAll", "/queries"])
def test_http_failures_map_to_retry_classes(
    warehouse: BigQueryWarehouse,
    bigquery_fake: FakeBigQuery,
    failure: tuple[int, str, type[Exception]],
    path: str,
) -> None:
    status, reason, error = failure
    bigquery_fake.inject(path, status, reason)

    with pytest.raises(error):
        if path == "/insertAll":
            warehouse.append("stripe_events", [event_row("evt_1")], ["evt_1"])
        else:
            warehouse.query("SELECT 1 AS one")


def test_client_retry_rides_out_a_blip_without_duplicates(
    bigquery_client: Any, warehouse: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    bigquery_fake.inject("/insertAll", 503)
    retrying = make_warehouse(bigquery_client, retry_deadline_seconds=10.0)

    retrying.append("stripe_events", [event_row("evt_1"), event_row("evt_2")])

    assert len(bigquery_fake.requests_to("/insertAll")) == 2
    assert retrying.query("SELECT COUNT(*) AS n FROM stripe_events") == [{"n": 2}]


def test_unreachable_endpoint_is_transient() -> None:
    client = bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint="http://127.0.0.1:1"),
    )
    warehouse = make_warehouse(client, timeout_seconds=2.0)

    with pytest.raises(TransientError):
        warehouse.query("SELECT 1 AS one")
    with pytest.raises(TransientError):
        warehouse.append("stripe_events", [event_row("evt_1")])


def test_argument_mistakes_are_programming_errors(warehouse: BigQueryWarehouse) -> None:
    with pytest.raises(ValueError, match="row ids"):
        warehouse.append("stripe_events", [event_row("evt_1")], ["a", "b"])
    with pytest.raises(ValueError, match="table name"):
        warehouse.append("other_dataset.stripe_events", [event_row("evt_1")])


def test_empty_append_makes_no_request(
    warehouse: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    warehouse.append("stripe_events", [])

    assert bigquery_fake.requests_to("insertAll") == []


def test_client_is_built_lazily_once(
    monkeypatch: pytest.MonkeyPatch, bigquery_client: Any, bigquery_fake: FakeBigQuery
) -> None:
    built: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> Any:
        built.append(kwargs)
        return bigquery_client

    monkeypatch.setattr(bigquery, "Client", factory)
    warehouse = make_warehouse(None)
    assert built == []

    warehouse.apply_ddl(DDL)
    warehouse.query("SELECT 1 AS one")

    assert built == [{"project": PROJECT, "location": "US"}]


def test_from_settings_uses_project_dataset_and_location(bigquery_client: Any) -> None:
    settings = Settings(gcp_project=PROJECT, bq_dataset="from_settings", bq_location="EU")
    warehouse = BigQueryWarehouse.from_settings(settings, client=bigquery_client)

    warehouse.apply_ddl(DDL)

    assert warehouse.default_dataset == f"{PROJECT}.from_settings"
    assert bigquery_client.get_table(f"{PROJECT}.from_settings.stripe_events").num_rows == 0
