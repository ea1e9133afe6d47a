"""Warehouse on BigQuery: typed named-parameter queries and streaming inserts with insertIds."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exceptions

from shared.errors import (
    AuthenticationError,
    NotFoundError,
    PermanentError,
    SyncError,
    ThrottledError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from shared.ports import Row

if TYPE_CHECKING:
    from shared.config import Settings

MAX_ROWS_PER_INSERT = 500
MAX_BYTES_PER_INSERT = 9_000_000  # the API refuses requests over 10 MB
_ROW_OVERHEAD_BYTES = 64  # {"insertId": ..., "json": ...} around each row
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,1023}")
_THROTTLE_REASONS = frozenset({"rateLimitExceeded", "quotaExceeded"})
_TRANSIENT_REASONS = frozenset({"backendError", "internalError", "badGateway"})
_LISTED_ROW_ERRORS = 5
_NUMERIC_MAX_SCALE = 9
_NUMERIC_MAX_INTEGER_DIGITS = 29


class BigQueryWarehouse:
    """BigQuery through google-cloud-bigquery; SQL names tables unqualified (default dataset)."""

    def __init__(
        self,
        *,
        project: str,
        dataset: str,
        location: str = "US",
        timeout_seconds: float = 60.0,
        retry_deadline_seconds: float = 30.0,
        max_rows_per_insert: int = MAX_ROWS_PER_INSERT,
        max_bytes_per_insert: int = MAX_BYTES_PER_INSERT,
        client: Any | None = None,
    ) -> None:
        self._project = project
        self._dataset = dataset
        self._location = location
        self._timeout = timeout_seconds
        self._retry_deadline = retry_deadline_seconds
        self._max_rows = max_rows_per_insert
        self._max_bytes = max_bytes_per_insert
        self._client = client
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, client: Any | None = None) -> BigQueryWarehouse:
        return cls(
            project=settings.gcp_project,
            dataset=settings.bq_dataset,
            location=settings.bq_location,
            client=client,
        )

    @property
    def default_dataset(self) -> str:
        return f"{self._project}.{self._dataset}"

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.cloud import bigquery

                self._client = bigquery.Client(project=self._project, location=self._location)
            return self._client

    def _retries(self) -> tuple[Any, Any]:
        """Bounded RPC and job retries: Cloud Tasks retries the whole task after that."""
        if self._retry_deadline <= 0:
            return None, None
        from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY

        return (
            DEFAULT_RETRY.with_timeout(self._retry_deadline),
            DEFAULT_JOB_RETRY.with_timeout(self._retry_deadline),
        )

    # --- reads ----------------------------------------------------------------------------------

    def query(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        param_types: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Run GoogleSQL with ``@name`` parameters; ``param_types`` types None and empty lists."""
        from google.cloud import bigquery

        job_config = bigquery.QueryJobConfig(
            default_dataset=self.default_dataset,
            query_parameters=query_parameters(params or {}, param_types or {}),
        )
        retry, job_retry = self._retries()
        try:
            rows = self._get_client().query_and_wait(
                sql,
                job_config=job_config,
                location=self._location,
                api_timeout=self._timeout,
                retry=retry,
                job_retry=job_retry,
            )
            return [dict(row.items()) for row in rows]
        except Exception as exc:
            raise translate_error(exc, "query") from None

    def apply_ddl(self, statements: Sequence[str]) -> None:
        """Create the dataset if needed, then run each DDL statement in order."""
        self.ensure_dataset()
        for statement in statements:
            self.query(statement)

    def ensure_dataset(self) -> None:
        """Create the dataset unless it exists (a reader of an existing one needs no create)."""
        from google.cloud import bigquery

        client = self._get_client()
        retry, _ = self._retries()
        try:
            client.get_dataset(self.default_dataset, retry=retry, timeout=self._timeout)
            return
        except gexc.NotFound:
            pass
        except Exception as exc:
            raise translate_error(exc, "get dataset") from None
        dataset = bigquery.Dataset(self.default_dataset)
        dataset.location = self._location
        try:
            client.create_dataset(dataset, exists_ok=True, retry=retry, timeout=self._timeout)
        except Exception as exc:
            raise translate_error(exc, "create dataset") from None

    # --- writes ---------------------------------------------------------------------------------

    def append(self, table: str, rows: Sequence[Row], row_ids: Sequence[str] | None = None) -> None:
        if not _TABLE_NAME.fullmatch(table):
            raise ValueError(f"not a table name: {table!r}")
        if row_ids is not None and len(row_ids) != len(rows):
            raise ValueError(f"{len(rows)} rows but {len(row_ids)} row ids")
        if not rows:
            return
        encoded = [_encode_row(table, row) for row in rows]
        ids: list[str | None] = list(row_ids) if row_ids is not None else [None] * len(rows)
        for start, end in _chunks(encoded, ids, self._max_rows, self._max_bytes):
            self._insert(table, encoded[start:end], ids[start:end], offset=start)

    def _insert(
        self, table: str, rows: list[dict[str, Any]], ids: list[str | None], offset: int
    ) -> None:
        from google.cloud.bigquery import AutoRowIDs

        retry, _ = self._retries()
        # Without caller ids, the client still gives every row a UUID insertId, so the client's
        # own retries of this request do not duplicate rows.
        insert_ids: Any = AutoRowIDs.GENERATE_UUID if all(i is None for i in ids) else ids
        try:
            errors = self._get_client().insert_rows_json(
                f"{self.default_dataset}.{table}",
                rows,
                row_ids=insert_ids,
                retry=retry,
                timeout=self._timeout,
            )
        except Exception as exc:
            raise translate_error(exc, f"insert into {table}") from None
        if errors:
            raise _insert_errors(table, errors, offset, len(rows))


# --- parameters ----------------------------------------------------------------------------------


def query_parameters(params: Mapping[str, Any], types: Mapping[str, str]) -> list[Any]:
    """google-cloud-bigquery parameters with types inferred from the Python values."""
    from google.cloud import bigquery

    built: list[Any] = []
    for name, value in params.items():
        hint = types.get(name)
        if isinstance(value, list | tuple):
            element = hint or _array_element_type(name, value)
            built.append(bigquery.ArrayQueryParameter(name, element, list(value)))
        else:
            kind = hint or ("STRING" if value is None else scalar_type(name, value))
            built.append(bigquery.ScalarQueryParameter(name, kind, value))
    return built


def scalar_type(name: str, value: Any) -> str:  # noqa: PLR0911 - one branch per type
    """The GoogleSQL type of a Python value (bool before int: bool is an int)."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, Decimal):
        return "NUMERIC" if fits_numeric(value) else "BIGNUMERIC"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, datetime):
        return "TIMESTAMP"
    if isinstance(value, date):
        return "DATE"
    if isinstance(value, time):
        return "TIME"
    if isinstance(value, bytes):
        return "BYTES"
    raise ValidationFailedError(
        f"query parameter {name!r}: unsupported type {type(value).__name__}", code="bq_param"
    )


def fits_numeric(value: Decimal) -> bool:
    """True if BigQuery NUMERIC (precision 38, scale 9) holds ``value`` exactly."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return False
    scale = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    return scale <= _NUMERIC_MAX_SCALE and integer_digits <= _NUMERIC_MAX_INTEGER_DIGITS


def _array_element_type(name: str, values: Sequence[Any]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "STRING"
    kinds = {scalar_type(name, v) for v in present}
    if kinds == {"NUMERIC", "BIGNUMERIC"}:
        return "BIGNUMERIC"
    if len(kinds) != 1:
        raise ValidationFailedError(
            f"query parameter {name!r}: mixed element types {sorted(kinds)}", code="bq_param"
        )
    return kinds.pop()


# --- rows ----------------------------------------------------------------------------------------


def _encode_row(table: str, row: Row) -> dict[str, Any]:
    try:
        return {str(k): _json_value(v) for k, v in row.items()}
    except TypeError as exc:
        raise ValidationFailedError(f"row for {table}: {exc}", code="bq_row_type") from None


def _json_value(value: Any) -> Any:  # noqa: PLR0911 - one branch per type
    """A value as insertAll's JSON wants it: exact decimals as strings, dicts as JSON text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("non-finite Decimal")
        return format(value, "f")
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"unsupported value type {type(value).__name__}")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"unsupported value type {type(value).__name__} in a JSON column")


def _chunks(
    rows: list[dict[str, Any]], ids: list[str | None], max_rows: int, max_bytes: int
) -> list[tuple[int, int]]:
    """[start, end) ranges of at most ``max_rows`` rows and about ``max_bytes`` bytes each."""
    ranges: list[tuple[int, int]] = []
    start, size = 0, 0
    for index, row in enumerate(rows):
        row_bytes = len(json.dumps(row).encode("utf-8")) + len(ids[index] or "")
        row_bytes += _ROW_OVERHEAD_BYTES
        if index > start and (index - start >= max_rows or size + row_bytes > max_bytes):
            ranges.append((start, index))
            start, size = index, 0
        size += row_bytes
    ranges.append((start, len(rows)))
    return ranges


def _insert_errors(
    table: str, errors: Sequence[Mapping[str, Any]], offset: int, sent: int
) -> PermanentError:
    """One error for a refused insert: row positions, reasons and fields, never values."""
    details: list[str] = []
    refused = 0
    for entry in errors:
        problems = [e for e in entry.get("errors", []) if e.get("reason") != "stopped"]
        if not problems:
            continue
        refused += 1
        if len(details) < _LISTED_ROW_ERRORS:
            described = ", ".join(
                f"{e.get('reason', '?')} at {e.get('location') or '(row)'}" for e in problems
            )
            details.append(f"row {offset + int(entry.get('index', 0))}: {described}")
    return ValidationFailedError(
        f"insert into {table} refused {refused} of {sent} rows; " + "; ".join(details),
        code="bq_insert_invalid",
    )


# --- errors --------------------------------------------------------------------------------------


def translate_error(exc: Exception, action: str) -> SyncError:  # noqa: PLR0911
    """Map a client or transport error to our retry classes, naming no data values."""
    kind = type(exc).__name__
    if isinstance(exc, SyncError):
        return exc
    if isinstance(exc, gexc.RetryError | requests.RequestException | ConnectionError):
        return UpstreamUnavailableError(f"BigQuery {action}: {kind}", code="bq_unavailable")
    if isinstance(exc, auth_exceptions.TransportError):
        return UpstreamUnavailableError(f"BigQuery {action}: {kind}", code="bq_unavailable")
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return AuthenticationError(f"BigQuery {action}: credentials refused", code="bq_auth")
    if not isinstance(exc, gexc.GoogleAPICallError):
        return PermanentError(f"BigQuery {action} failed: {kind}", code="bq_error")
    reasons = {str(e.get("reason")) for e in (exc.errors or []) if isinstance(e, Mapping)}
    message = _short(exc.message)
    if isinstance(exc, gexc.TooManyRequests) or reasons & _THROTTLE_REASONS:
        return ThrottledError(f"BigQuery {action} throttled: {message}", code="bq_throttled")
    if isinstance(exc, gexc.ServerError) or reasons & _TRANSIENT_REASONS:
        return UpstreamUnavailableError(
            f"BigQuery {action} unavailable ({kind})", code="bq_unavailable"
        )
    if isinstance(exc, gexc.NotFound):
        return NotFoundError(f"BigQuery {action}: {message}", code="bq_not_found")
    if isinstance(exc, gexc.Unauthorized | gexc.Forbidden):
        return AuthenticationError(f"BigQuery {action} refused: {message}", code="bq_auth")
    if isinstance(exc, gexc.BadRequest):
        return ValidationFailedError(f"BigQuery {action} invalid: {message}", code="bq_invalid")
    return PermanentError(f"BigQuery {action} failed ({kind}): {message}", code="bq_error")


def _short(message: str, limit: int = 300) -> str:
    first = (message or "").splitlines()[0] if message else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."
