"""The embedded warehouse: DuckDB running the same BigQuery-dialect DDL and SQL as production."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from shared.adapters.ddl import load_ddl_statements
from shared.adapters.sql_dialect import to_duckdb_statements
from shared.errors import PermanentError, SyncError, TransientError

# Errors that may clear on a later try: a file lock held by another process, IO, a write conflict.
_TRANSIENT = (
    duckdb.IOException,
    duckdb.ConnectionException,
    duckdb.InterruptException,
    duckdb.OutOfMemoryException,
    duckdb.TransactionException,
    duckdb.FatalException,
)
_QUOTED_VALUE = re.compile(r"'[^']*'")
_JSON_TYPE = "JSON"
_DECIMAL_PREFIX = "DECIMAL"
# Remembered row ids per table; BigQuery's insertId de-duplication is best-effort and short-lived.
_MAX_REMEMBERED_ROW_IDS = 200_000


class DuckDbWarehouse:
    """A ``Warehouse`` on one DuckDB file (or ``":memory:"``); safe to share between threads.

    Query results: DECIMAL/NUMERIC as ``Decimal``, TIMESTAMP as an aware ``datetime`` in UTC,
    DATETIME as a naive ``datetime``, DATE as ``date``, JSON parsed (objects as dicts, numbers
    with a fraction as ``Decimal``), arrays as lists, structs as dicts.
    """

    def __init__(self, path: str, *, ddl_dir: Path | None = None) -> None:
        self._path = path
        self._ddl_dir = ddl_dir
        # One connection behind a lock: DuckDB connections are not safe for concurrent use.
        self._lock = threading.RLock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._column_types: dict[str, dict[str, str]] = {}
        self._row_ids: dict[str, OrderedDict[str, None]] = {}

    # --- Warehouse ------------------------------------------------------------------------------

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run BigQuery-dialect SQL (``@name`` parameters); the rows of the last statement."""
        statements = to_duckdb_statements(sql)
        values = dict(params or {})
        rows: list[dict[str, Any]] = []
        with self._lock:
            conn = self._connection()
            for statement in statements:
                missing = [name for name in statement.params if name not in values]
                if missing:
                    raise PermanentError(f"missing query parameters: {missing}", code="bad_query")
                bound = {name: _to_duckdb_value(values[name]) for name in statement.params}
                try:
                    cursor = (
                        conn.execute(statement.sql, bound) if bound else conn.execute(statement.sql)
                    )
                    description = cursor.description
                    records = cursor.fetchall() if description else []
                except duckdb.Error as exc:
                    raise _classify(exc, "query failed") from exc
                rows = _to_dicts(description, records) if description else []
                if not statement.sql.startswith(("SELECT", "WITH")):
                    self._column_types.clear()  # DDL may have changed a table appended to later
        return rows

    def append(
        self, table: str, rows: Sequence[Mapping[str, Any]], row_ids: Sequence[str] | None = None
    ) -> None:
        """Insert ``rows`` in one batched INSERT, skipping rows whose id was inserted before."""
        if row_ids is not None and len(row_ids) != len(rows):
            raise PermanentError("row_ids and rows differ in length", code="bad_rows")
        if not rows:
            return
        with self._lock:
            conn = self._connection()
            types = self._table_types(conn, table)
            seen = self._row_ids.setdefault(table, OrderedDict())
            batch: list[Mapping[str, Any]] = []
            batch_ids: dict[str, None] = {}
            for index, row in enumerate(rows):
                if row_ids is not None:
                    row_id = row_ids[index]
                    if row_id in seen or row_id in batch_ids:
                        continue
                    batch_ids[row_id] = None
                batch.append(row)
            if not batch:
                return
            sql, values = _insert_statement(table, batch, types)
            try:
                conn.execute(sql, values)
            except duckdb.Error as exc:
                raise _classify(exc, f"append to {table} failed") from exc
            for row_id in batch_ids:
                seen[row_id] = None
            while len(seen) > _MAX_REMEMBERED_ROW_IDS:
                seen.popitem(last=False)

    # --- lifecycle ------------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Open the database and apply the DDL now rather than on first use."""
        with self._lock:
            self._connection()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                self._column_types.clear()

    # --- internals ------------------------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._conn is not None:
            return self._conn
        try:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            conn = duckdb.connect(self._path)
        except (duckdb.Error, OSError) as exc:
            raise TransientError(
                f"cannot open the DuckDB warehouse: {exc}", code="warehouse_open"
            ) from exc
        try:
            conn.execute("SET TimeZone = 'UTC'")
            for ddl in load_ddl_statements(self._ddl_dir):
                for statement in to_duckdb_statements(ddl):
                    conn.execute(statement.sql)
        except duckdb.Error as exc:
            conn.close()
            raise _classify(exc, "applying the DDL failed") from exc
        self._conn = conn
        return conn

    def _table_types(self, conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
        types = self._column_types.get(table)
        if types is None:
            try:
                described = conn.execute(f"DESCRIBE {_quote_table(table)}").fetchall()
            except duckdb.Error as exc:
                raise _classify(exc, f"unknown table {table}") from exc
            types = {str(name): str(kind).upper() for name, kind, *_ in described}
            self._column_types[table] = types
        return types


def _insert_statement(
    table: str, rows: Sequence[Mapping[str, Any]], types: Mapping[str, str]
) -> tuple[str, list[Any]]:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    unknown = [name for name in columns if name not in types]
    if unknown:
        raise PermanentError(f"no such columns in {table}: {unknown}", code="bad_rows")
    placeholders = "(" + ", ".join("?" for _ in columns) + ")"
    values: list[Any] = []
    for row in rows:
        for name in columns:
            values.append(_column_value(table, name, types[name], row.get(name)))
    column_list = ", ".join(_quote(name) for name in columns)
    # Identifiers are quoted and checked against the table's columns; values are bound.
    sql = f"INSERT INTO {_quote_table(table)} ({column_list}) VALUES "  # noqa: S608
    sql += ", ".join(placeholders for _ in rows)
    return sql, values


def _column_value(table: str, column: str, column_type: str, value: Any) -> Any:
    if value is None:
        return None
    if column_type == _JSON_TYPE:
        # A str is taken as JSON text already (as BigQuery's insert_rows_json does).
        return value if isinstance(value, str) else json.dumps(value, default=_json_default)
    if isinstance(value, float) and column_type.startswith(_DECIMAL_PREFIX):
        raise PermanentError(
            f"float for NUMERIC column {table}.{column}: use Decimal", code="bad_rows"
        )
    return _to_duckdb_value(value)


def _to_duckdb_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, tuple):
        return list(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _to_dicts(description: Sequence[Any], records: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    names = [str(column[0]) for column in description]
    json_columns = {i for i, column in enumerate(description) if str(column[1]) == _JSON_TYPE}
    result: list[dict[str, Any]] = []
    for record in records:
        row: dict[str, Any] = {}
        for i, value in enumerate(record):
            if i in json_columns and isinstance(value, str):
                row[names[i]] = json.loads(value, parse_float=Decimal)
            else:
                row[names[i]] = _from_duckdb_value(value)
        result.append(row)
    return result


def _from_duckdb_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, list):
        return [_from_duckdb_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _from_duckdb_value(item) for key, item in value.items()}
    return value


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _quote_table(table: str) -> str:
    return ".".join(_quote(part) for part in table.split("."))


def _classify(exc: duckdb.Error, what: str) -> SyncError:
    # DuckDB quotes offending values in single quotes: they may be personal data, keep them out.
    detail = _QUOTED_VALUE.sub("'?'", str(exc))
    if isinstance(exc, _TRANSIENT):
        return TransientError(f"{what}: {detail}", code="warehouse_unavailable")
    return PermanentError(f"{what}: {detail}", code="warehouse_rejected")
