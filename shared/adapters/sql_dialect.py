"""BigQuery SQL to DuckDB SQL through sqlglot: the SQL is written once, in BigQuery dialect."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shared.errors import PermanentError

# BigQuery NUMERIC is DECIMAL(38, 9); DuckDB's bare DECIMAL would be DECIMAL(18, 3).
NUMERIC_PRECISION = 38
NUMERIC_SCALE = 9
# DuckDB decimals stop at 38 digits: BIGNUMERIC (76.76 digits) maps to the widest DuckDB decimal.
DUCKDB_MAX_PRECISION = 38

# BigQuery-only table and column properties that DuckDB has no counterpart for.
_DROPPED_PROPERTIES = (exp.PartitionedByProperty, exp.ClusterProperty, exp.Property)


class SqlTranslationError(PermanentError):
    """The SQL does not parse as BigQuery, or cannot be expressed in DuckDB."""

    default_code = "sql_translation"


@dataclass(frozen=True)
class DuckDbStatement:
    """One translated statement and the named parameters (``$name``) it uses."""

    sql: str
    params: tuple[str, ...]


def to_duckdb(sql: str) -> str:
    """Translate BigQuery SQL (one or more statements) to DuckDB SQL."""
    return ";\n".join(statement.sql for statement in to_duckdb_statements(sql))


@lru_cache(maxsize=2048)
def to_duckdb_statements(sql: str) -> tuple[DuckDbStatement, ...]:
    """Translate BigQuery SQL statement by statement; cached, so each text is parsed once."""
    try:
        parsed = sqlglot.parse(sql, read="bigquery")
    except SqlglotError as exc:
        raise SqlTranslationError(f"cannot parse BigQuery SQL: {exc}") from exc
    statements: list[DuckDbStatement] = []
    for parsed_tree in parsed:
        if parsed_tree is None:
            continue
        tree = parsed_tree.transform(_rewrite_node)
        _drop_bigquery_properties(tree)
        params = tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Parameter)))
        try:
            text = tree.sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)
        except SqlglotError as exc:
            raise SqlTranslationError(f"cannot express in DuckDB: {exc}") from exc
        statements.append(DuckDbStatement(sql=text, params=params))
    return tuple(statements)


def _rewrite_node(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DataType):
        return _map_type(node)
    return node


def _map_type(node: exp.DataType) -> exp.DataType:
    if node.this == exp.DataType.Type.DECIMAL and not node.expressions:
        return _decimal(NUMERIC_PRECISION, NUMERIC_SCALE)
    if node.this == exp.DataType.Type.BIGDECIMAL:
        if not node.expressions:
            return _decimal(DUCKDB_MAX_PRECISION, NUMERIC_SCALE)
        values = [int(param.name) for param in node.expressions]
        precision = min(values[0], DUCKDB_MAX_PRECISION)
        scale = min(values[1], precision) if len(values) > 1 else 0
        return _decimal(precision, scale)
    return node


def _decimal(precision: int, scale: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({precision}, {scale})")


def _drop_bigquery_properties(tree: exp.Expression) -> None:
    # PARTITION BY, CLUSTER BY and OPTIONS(...) on tables, views and columns.
    for properties in list(tree.find_all(exp.Properties)):
        for prop in list(properties.expressions):
            if type(prop) in _DROPPED_PROPERTIES:
                prop.pop()
        if not properties.expressions:
            parent = properties.parent
            if isinstance(parent, exp.ColumnConstraint):
                parent.pop()
            else:
                properties.pop()
