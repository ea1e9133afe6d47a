"""An in-process fake of the BigQuery REST API v2 on DuckDB: the subset the warehouse uses."""

# Why not bqemulator (PyPI, 1.4.0, tried first): it needs DuckDB's spatial extension downloaded at
# start-up (fails offline), breaks on duckdb 2.0 (insertAll answers 500), stores DDL NUMERIC as
# DECIMAL(18,3) (so 12345678901234.123456789 reads back as ...123), ignores insertId, accepts
# unknown fields and answers 500 for a bad value instead of insertErrors. This fake implements
# exactly those wire behaviours: datasets, tables.get, insertAll (insertId de-duplication,
# per-row insertErrors with "stopped" rows), jobs.query (typed named parameters, int64 timestamps),
# BigQuery's types (NUMERIC = DECIMAL(38, 9), TIMESTAMP in UTC, JSON) and its error bodies.
# GoogleSQL runs on DuckDB through sqlglot: enough for this project's DDL and queries.

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import sqlglot
from sqlglot import exp

_NUMERIC_MAX_INT_DIGITS = 29
_NINE_PLACES = Decimal("0.000000001")
_MICROSECOND = timedelta(microseconds=1)
_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_DUCK_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "NUMERIC": "DECIMAL(38, 9)",
    "BIGNUMERIC": "DECIMAL(38, 18)",  # DuckDB tops out at 38 digits: enough for these tests
    "TIMESTAMP": "TIMESTAMPTZ",
    "DATETIME": "TIMESTAMP",
    "DATE": "DATE",
    "JSON": "JSON",
    "BYTES": "BLOB",
}
_FROM_SQLGLOT = {
    exp.DataType.Type.VARCHAR: "STRING",
    exp.DataType.Type.TEXT: "STRING",
    exp.DataType.Type.BIGINT: "INT64",
    exp.DataType.Type.INT: "INT64",
    exp.DataType.Type.DOUBLE: "FLOAT64",
    exp.DataType.Type.FLOAT: "FLOAT64",
    exp.DataType.Type.BOOLEAN: "BOOL",
    exp.DataType.Type.DECIMAL: "NUMERIC",
    exp.DataType.Type.BIGDECIMAL: "BIGNUMERIC",
    exp.DataType.Type.TIMESTAMPTZ: "TIMESTAMP",
    exp.DataType.Type.TIMESTAMP: "TIMESTAMP",
    exp.DataType.Type.DATETIME: "DATETIME",
    exp.DataType.Type.DATE: "DATE",
    exp.DataType.Type.JSON: "JSON",
    exp.DataType.Type.VARBINARY: "BYTES",
    exp.DataType.Type.BINARY: "BYTES",
}
# REST schemas use the legacy names.
_LEGACY = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN"}


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
                "status": _STATUS.get(self.status, "UNKNOWN"),
            }
        }


@dataclass
class Column:
    name: str
    type: str  # GoogleSQL name: STRING, INT64, ...
    mode: str = "NULLABLE"  # NULLABLE | REQUIRED | REPEATED

    def resource(self) -> dict[str, Any]:
        return {"name": self.name, "type": _LEGACY.get(self.type, self.type), "mode": self.mode}


@dataclass
class Relation:
    columns: list[Column]
    kind: str = "TABLE"
    insert_ids: set[str] = field(default_factory=set)


class FakeBigQuery:
    """One project; datasets are DuckDB schemas. Requests are recorded for wire assertions."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.db = duckdb.connect(":memory:")
        self.db.execute("SET TimeZone = 'UTC'")
        self.lock = threading.RLock()
        self.datasets: set[str] = set()
        self.relations: dict[tuple[str, str], Relation] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self._faults: deque[tuple[str, int, str]] = deque()
        self._server: ThreadingHTTPServer | None = None
        self.endpoint = ""

    # --- test controls ------------------------------------------------------------------------

    def inject(
        self, path_part: str, status: int, reason: str = "backendError", times: int = 1
    ) -> None:
        """The next ``times`` requests whose path contains ``path_part`` answer ``status``."""
        with self.lock:
            self._faults.extend([(path_part, status, reason)] * times)

    def requests_to(self, path_part: str) -> list[Any]:
        with self.lock:
            return [body for _, path, body in self.requests if path_part in path]

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                status, payload = fake.dispatch(method, self.path, body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.db.close()

    # --- routing ------------------------------------------------------------------------------

    def dispatch(self, method: str, raw_path: str, body: Any) -> tuple[int, Any]:
        url = urlsplit(raw_path)
        path = url.path.removeprefix("/bigquery/v2")
        with self.lock:
            self.requests.append((method, path, body))
            fault = next((f for f in self._faults if f[0] in path), None)
            if fault is not None:
                self._faults.remove(fault)
        try:
            if fault is not None:
                raise ApiError(fault[1], fault[2], f"Injected {fault[2]}")
            return self._route(method, path, parse_qs(url.query), body)
        except ApiError as error:
            return error.status, error.body()

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "projects":
            raise ApiError(404, "notFound", f"Unknown path {path}")
        if parts[1] != self.project:
            raise ApiError(404, "notFound", f"Not found: Project {parts[1]}")
        rest = parts[2:]
        with self.lock:
            if rest == ["queries"] and method == "POST":
                return 200, self.jobs_query(body)
            if rest == ["datasets"] and method == "POST":
                return 200, self.create_dataset(body)
            if len(rest) == 2 and rest[0] == "datasets":
                if method == "GET":
                    return 200, self.get_dataset(rest[1])
                if method == "DELETE":
                    self.delete_dataset(rest[1], query.get("deleteContents") == ["true"])
                    return 204, None
            if len(rest) == 4 and rest[0] == "datasets" and rest[2] == "tables" and method == "GET":
                return 200, self.get_table(rest[1], rest[3])
            if len(rest) == 5 and rest[4] == "insertAll" and method == "POST":
                return 200, self.insert_all(rest[1], rest[3], body)
        raise ApiError(404, "notFound", f"Unsupported by the fake: {method} {path}")

    # --- datasets and tables ------------------------------------------------------------------

    def _dataset_resource(self, dataset: str) -> dict[str, Any]:
        return {
            "kind": "bigquery#dataset",
            "id": f"{self.project}:{dataset}",
            "datasetReference": {"projectId": self.project, "datasetId": dataset},
            "location": "US",
        }

    def create_dataset(self, body: dict[str, Any]) -> dict[str, Any]:
        dataset = body["datasetReference"]["datasetId"]
        if dataset in self.datasets:
            raise ApiError(409, "duplicate", f"Already Exists: Dataset {self.project}:{dataset}")
        self.db.execute(f'CREATE SCHEMA "{dataset}"')
        self.datasets.add(dataset)
        return self._dataset_resource(dataset)

    def get_dataset(self, dataset: str) -> dict[str, Any]:
        self._require_dataset(dataset)
        return self._dataset_resource(dataset)

    def delete_dataset(self, dataset: str, contents: bool) -> None:
        self._require_dataset(dataset)
        owned = [key for key in self.relations if key[0] == dataset]
        if owned and not contents:
            raise ApiError(400, "resourceInUse", f"Dataset {dataset} is still in use")
        self.db.execute(f'DROP SCHEMA "{dataset}" CASCADE')
        self.datasets.discard(dataset)
        for key in owned:
            del self.relations[key]

    def _require_dataset(self, dataset: str) -> None:
        if dataset not in self.datasets:
            raise ApiError(404, "notFound", f"Not found: Dataset {self.project}:{dataset}")

    def _relation(self, dataset: str, table: str) -> Relation:
        self._require_dataset(dataset)
        relation = self.relations.get((dataset, table))
        if relation is None:
            raise ApiError(404, "notFound", f"Not found: Table {self.project}:{dataset}.{table}")
        return relation

    def get_table(self, dataset: str, table: str) -> dict[str, Any]:
        relation = self._relation(dataset, table)
        count = f'SELECT COUNT(*) FROM "{dataset}"."{table}"'  # noqa: S608 - names from the catalog
        (rows,) = self.db.execute(count).fetchone() or (0,)
        return {
            "kind": "bigquery#table",
            "id": f"{self.project}:{dataset}.{table}",
            "tableReference": {"projectId": self.project, "datasetId": dataset, "tableId": table},
            "type": relation.kind,
            "schema": {"fields": [c.resource() for c in relation.columns]},
            "numRows": str(rows),
            "location": "US",
        }

    # --- tabledata.insertAll ------------------------------------------------------------------

    def insert_all(self, dataset: str, table: str, body: dict[str, Any]) -> dict[str, Any]:
        relation = self._relation(dataset, table)
        if relation.kind != "TABLE":
            raise ApiError(400, "invalid", f"Cannot insert into view {dataset}.{table}")
        skip_invalid = bool(body.get("skipInvalidRows"))
        ignore_unknown = bool(body.get("ignoreUnknownValues"))
        accepted: list[tuple[str | None, list[Any]]] = []
        errors: list[dict[str, Any]] = []
        for index, row in enumerate(body.get("rows", [])):
            values, problems = _coerce_row(relation.columns, row.get("json", {}), ignore_unknown)
            if problems:
                errors.append({"index": index, "errors": problems})
            else:
                accepted.append((row.get("insertId"), values))
        if errors and not skip_invalid:
            failed = {e["index"] for e in errors}
            stopped = {"reason": "stopped", "location": "", "debugInfo": "", "message": ""}
            errors += [
                {"index": i, "errors": [stopped]}
                for i in range(len(body.get("rows", [])))
                if i not in failed
            ]
            return {"kind": "bigquery#tableDataInsertAllResponse", "insertErrors": errors}
        placeholders = ", ".join("?" for _ in relation.columns)
        fresh: list[list[Any]] = []
        for insert_id, values in accepted:
            if insert_id is not None:
                if insert_id in relation.insert_ids:
                    continue
                relation.insert_ids.add(insert_id)
            fresh.append(values)
        if fresh:
            tuples = ", ".join(f"({placeholders})" for _ in fresh)
            flat = [value for values in fresh for value in values]
            insert = f'INSERT INTO "{dataset}"."{table}" VALUES {tuples}'  # noqa: S608 - ditto
            self.db.execute(insert, flat)
        response: dict[str, Any] = {"kind": "bigquery#tableDataInsertAllResponse"}
        if errors:
            response["insertErrors"] = errors
        return response

    # --- jobs.query -----------------------------------------------------------------------------

    def jobs_query(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("useLegacySql", True):
            raise ApiError(400, "invalid", "Legacy SQL is not supported by the fake")
        default = (body.get("defaultDataset") or {}).get("datasetId")
        params = {p["name"]: p for p in body.get("queryParameters", [])}
        try:
            tree = sqlglot.parse_one(body["query"], read="bigquery")
        except sqlglot.errors.ParseError as error:
            raise ApiError(400, "invalidQuery", f"Syntax error: {error}") from None
        job = {"projectId": self.project, "jobId": f"job_{uuid.uuid4().hex}", "location": "US"}
        response: dict[str, Any] = {
            "kind": "bigquery#queryResponse",
            "jobReference": job,
            "jobComplete": True,
            "totalBytesProcessed": "0",
            "cacheHit": False,
        }
        if isinstance(tree, exp.Create):
            self._create(tree, default)
            response["ddlOperationPerformed"] = "CREATE"
            return response
        cursor = self._cursor(default)
        try:
            sql = _substitute_parameters(tree, params, self.project).sql(dialect="duckdb")
            result = cursor.execute(sql)
            description = result.description or []
            rows = result.fetchall()
        except duckdb.CatalogException as error:
            raise _not_found(error, self.project, default) from None
        except duckdb.Error as error:
            raise ApiError(400, "invalidQuery", str(error).splitlines()[0]) from None
        finally:
            cursor.close()
        columns = [_column_from_duckdb(name, type_) for name, type_, *_ in description]
        response["schema"] = {"fields": [c.resource() for c in columns]}
        response["totalRows"] = str(len(rows))
        response["rows"] = [
            {"f": [{"v": _cell(v, c)} for v, c in zip(row, columns, strict=True)]} for row in rows
        ]
        return response

    def _cursor(self, default: str | None) -> duckdb.DuckDBPyConnection:
        cursor = self.db.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        if default is not None:
            self._require_dataset(default)
            cursor.execute(f"SET schema = '{default}'")
        return cursor

    def _create(self, tree: exp.Create, default: str | None) -> None:
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if not isinstance(target, exp.Table):
            raise ApiError(400, "invalidQuery", "Unsupported CREATE")
        dataset = target.db or default
        if dataset is None:
            raise ApiError(400, "invalid", "Table name missing dataset while no default dataset")
        self._require_dataset(dataset)
        name = f'"{dataset}"."{target.name}"'
        kind = str(tree.args.get("kind") or "").upper()
        exists = (dataset, target.name) in self.relations
        if kind == "TABLE":
            if not isinstance(tree.this, exp.Schema):
                raise ApiError(400, "invalidQuery", "CTAS is unsupported by the fake")
            if exists and tree.args.get("exists"):
                return
            if exists and not tree.args.get("replace"):
                raise ApiError(409, "duplicate", f"Already Exists: Table {dataset}.{target.name}")
            columns = [_column_from_def(d) for d in tree.this.expressions]
            ddl = ", ".join(f'"{c.name}" {_duck_type(c)}' for c in columns)
            self.db.execute(f"CREATE OR REPLACE TABLE {name} ({ddl})")
            self.relations[(dataset, target.name)] = Relation(columns)
        elif kind == "VIEW":
            if exists and tree.args.get("exists"):
                return
            body = tree.expression
            cursor = self._cursor(dataset)
            try:
                select = _substitute_parameters(body, {}, self.project).sql(dialect="duckdb")
                cursor.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
                probe = f"SELECT * FROM {name} LIMIT 0"  # noqa: S608 - names from the catalog
                described = cursor.execute(probe).description or []
            except duckdb.CatalogException as error:
                raise _not_found(error, self.project, dataset) from None
            except duckdb.Error as error:
                raise ApiError(400, "invalidQuery", str(error).splitlines()[0]) from None
            finally:
                cursor.close()
            columns = [_column_from_duckdb(n, t) for n, t, *_ in described]
            self.relations[(dataset, target.name)] = Relation(columns, kind="VIEW")
        else:
            raise ApiError(400, "invalidQuery", f"Unsupported CREATE {kind}")


# --- DDL and type mapping -------------------------------------------------------------------------


def _column_from_def(definition: exp.Expression) -> Column:
    if not isinstance(definition, exp.ColumnDef):
        raise ApiError(400, "invalidQuery", "Unsupported column definition")
    kind = definition.args["kind"]
    mode = "NULLABLE"
    if kind.this == exp.DataType.Type.ARRAY:
        kind, mode = kind.expressions[0], "REPEATED"
    if any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in definition.constraints):
        mode = "REQUIRED"
    bq_type = _FROM_SQLGLOT.get(kind.this)
    if bq_type is None:
        raise ApiError(400, "invalidQuery", f"Type {kind.sql('bigquery')} unsupported by the fake")
    return Column(definition.name, bq_type, mode)


def _duck_type(column: Column) -> str:
    base = _DUCK_TYPES[column.type]
    if column.mode == "REPEATED":
        return f"{base}[]"
    return f"{base} NOT NULL" if column.mode == "REQUIRED" else base


def _column_from_duckdb(name: str, duck_type: Any) -> Column:
    text = str(duck_type).upper()
    mode = "NULLABLE"
    if text.endswith("[]"):
        text, mode = text[:-2], "REPEATED"
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", text)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        bq_type = "NUMERIC" if scale <= 9 and precision - scale <= 29 else "BIGNUMERIC"
    elif text in {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"}:
        bq_type = "INT64"
    elif text in {"DOUBLE", "FLOAT"}:
        bq_type = "FLOAT64"
    elif text == "TIMESTAMP WITH TIME ZONE":
        bq_type = "TIMESTAMP"
    elif text == "TIMESTAMP":
        bq_type = "DATETIME"
    else:
        known = {"VARCHAR": "STRING", "BOOLEAN": "BOOL", "DATE": "DATE", "JSON": "JSON"}
        bq_type = known.get(text, "BYTES" if text == "BLOB" else "")
    if not bq_type:
        raise ApiError(400, "invalidQuery", f"Result type {text} unsupported by the fake")
    return Column(name, bq_type, mode)


# --- parameters -----------------------------------------------------------------------------------


def _substitute_parameters(
    tree: exp.Expression, params: dict[str, dict[str, Any]], project: str
) -> exp.Expression:
    """Bind ``@name`` as typed literals and drop the project from ``project.dataset.table``."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Parameter):
            name = node.name
            if name not in params:
                raise ApiError(400, "invalidQuery", f"Query parameter '{name}' not found")
            return _parameter_literal(params[name])
        if isinstance(node, exp.Table) and node.catalog:
            if node.catalog != project:
                raise ApiError(404, "notFound", f"Not found: Project {node.catalog}")
            node.set("catalog", None)
        if isinstance(node, exp.DataType):
            bq_type = _FROM_SQLGLOT.get(node.this)
            if bq_type in {"NUMERIC", "BIGNUMERIC"} and not node.expressions:
                return exp.DataType.build(_DUCK_TYPES[bq_type], dialect="duckdb")
        return node

    return tree.copy().transform(rewrite)


def _parameter_literal(param: dict[str, Any]) -> exp.Expression:
    ptype = param["parameterType"]
    value = param.get("parameterValue", {})
    if ptype["type"] == "ARRAY":
        element = ptype["arrayType"]["type"]
        items = [
            _scalar_literal(element, v.get("value")) for v in value.get("arrayValues", []) or []
        ]
        duck = _DUCK_TYPES[element] + "[]"
        return exp.cast(exp.Array(expressions=items), exp.DataType.build(duck, dialect="duckdb"))
    return _scalar_literal(ptype["type"], value.get("value"))


def _scalar_literal(bq_type: str, value: Any) -> exp.Expression:
    if bq_type not in _DUCK_TYPES:
        raise ApiError(400, "invalidQuery", f"Parameter type {bq_type} unsupported by the fake")
    duck = exp.DataType.build(_DUCK_TYPES[bq_type], dialect="duckdb")
    if value is None:
        return exp.cast(exp.null(), duck)
    if bq_type == "JSON":
        value = json.loads(value) if isinstance(value, str) else value
        value = json.dumps(value)
    return exp.cast(exp.Literal.string(str(value)), duck)


# --- insertAll row coercion -----------------------------------------------------------------------


def _coerce_row(
    columns: list[Column], row: dict[str, Any], ignore_unknown: bool
) -> tuple[list[Any], list[dict[str, str]]]:
    problems: list[dict[str, str]] = []
    known = {c.name for c in columns}
    for name in row:
        if name not in known and not ignore_unknown:
            problems.append(_invalid(name, f"no such field: {name}."))
    values: list[Any] = []
    for column in columns:
        raw = row.get(column.name)
        if raw is None:
            if column.mode == "REQUIRED":
                problems.append(_invalid(column.name, f"Missing required field: {column.name}."))
            values.append([] if column.mode == "REPEATED" else None)
            continue
        try:
            if column.mode == "REPEATED":
                if not isinstance(raw, list):
                    raise ValueError("Array specified for non-repeated field")
                values.append([_coerce(column.type, item) for item in raw])
            else:
                values.append(_coerce(column.type, raw))
        except (ValueError, TypeError, InvalidOperation, binascii.Error):
            kind = column.type.lower()
            problems.append(_invalid(column.name, f"Cannot convert value to {kind}."))
            values.append(None)
    return values, problems


def _invalid(location: str, message: str) -> dict[str, str]:
    return {"reason": "invalid", "location": location, "debugInfo": "", "message": message}


def _coerce(bq_type: str, raw: Any) -> Any:
    if isinstance(raw, dict | list) and bq_type != "JSON":
        raise TypeError("structured value for a scalar column")
    return _COERCERS[bq_type](raw)


def _to_string(raw: Any) -> str:
    return raw if isinstance(raw, str) else json.dumps(raw)


def _to_int(raw: Any) -> int:
    if isinstance(raw, float) and not raw.is_integer():
        raise ValueError("fractional integer")
    return int(raw)


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if str(raw).lower() in {"true", "false"}:
        return str(raw).lower() == "true"
    raise ValueError("not a bool")


def _to_decimal(raw: Any) -> Decimal:
    number = Decimal(str(raw))
    if not number.is_finite():
        raise ValueError("not finite")
    return number


def _to_numeric(raw: Any) -> Decimal:
    with localcontext(prec=100):
        number = _to_decimal(raw).quantize(_NINE_PLACES, rounding=ROUND_HALF_UP)
    if number.copy_abs() >= Decimal(10) ** _NUMERIC_MAX_INT_DIGITS:
        raise ValueError("out of range")
    return number


def _to_timestamp(raw: Any) -> datetime:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return datetime.fromtimestamp(raw, UTC)
    parsed = datetime.fromisoformat(str(raw).replace(" UTC", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _to_datetime(raw: Any) -> datetime:
    parsed = datetime.fromisoformat(str(raw))
    if parsed.tzinfo is not None:
        raise ValueError("DATETIME has no time zone")
    return parsed


def _to_json(raw: Any) -> str:
    return json.dumps(json.loads(raw) if isinstance(raw, str) else raw)


_COERCERS: dict[str, Any] = {
    "STRING": _to_string,
    "INT64": _to_int,
    "FLOAT64": float,
    "BOOL": _to_bool,
    "NUMERIC": _to_numeric,
    "BIGNUMERIC": _to_decimal,
    "TIMESTAMP": _to_timestamp,
    "DATETIME": _to_datetime,
    "DATE": lambda raw: date.fromisoformat(str(raw)),
    "JSON": _to_json,
    "BYTES": lambda raw: base64.b64decode(str(raw), validate=True),
}


# --- result cells ---------------------------------------------------------------------------------


def _cell(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.mode == "REPEATED":
        scalar = Column(column.name, column.type)
        return [{"v": _cell(item, scalar)} for item in value]
    return _scalar_cell(value, column.type)


def _scalar_cell(value: Any, bq_type: str) -> Any:  # noqa: PLR0911 - one branch per type
    if bq_type == "BOOL":
        return "true" if value else "false"
    if bq_type in {"NUMERIC", "BIGNUMERIC"}:
        with localcontext(prec=100):
            return format(Decimal(value).normalize(), "f")
    if bq_type == "TIMESTAMP":
        micros = (value - datetime(1970, 1, 1, tzinfo=UTC)) // _MICROSECOND
        return str(micros)
    if bq_type == "DATETIME":
        return value.isoformat()
    if bq_type == "DATE":
        return value.isoformat()
    if bq_type == "JSON":
        parsed = json.loads(value) if isinstance(value, str) else value
        return json.dumps(parsed, separators=(",", ":"))
    if bq_type == "FLOAT64":
        return repr(float(value))
    return str(value)


def _not_found(error: duckdb.Error, project: str, dataset: str | None) -> ApiError:
    match = re.search(r"Table with name (\S+) does not exist", str(error))
    if match:
        return ApiError(
            404,
            "notFound",
            f"Not found: Table {project}:{dataset}.{match.group(1)} was not found in location US",
        )
    return ApiError(400, "invalidQuery", str(error).splitlines()[0])
