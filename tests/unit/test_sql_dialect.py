"""BigQuery to DuckDB translation: parameters, types, QUALIFY, JSON functions, DDL stripping."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shared.adapters.ddl import load_ddl_statements, split_statements
from shared.adapters.sql_dialect import SqlTranslationError, to_duckdb, to_duckdb_statements


def test_named_parameters_become_dollar_parameters() -> None:
    [statement] = to_duckdb_statements(
        "SELECT * FROM sync_links WHERE stripe_object_id = @id AND attempt > @n AND event_id = @id"
    )
    assert "$id" in statement.sql
    assert "$n" in statement.sql
    assert "@" not in statement.sql
    assert statement.params == ("id", "n")


def test_numeric_is_decimal_38_9_and_explicit_precision_is_kept() -> None:
    sql = to_duckdb("SELECT CAST(a AS NUMERIC), CAST(b AS NUMERIC(10, 2)), SAFE_CAST(c AS NUMERIC)")
    assert sql.count("DECIMAL(38, 9)") == 2
    assert "DECIMAL(10, 2)" in sql
    assert "TRY_CAST" in sql


def test_bignumeric_is_capped_at_duckdb_widest_decimal() -> None:
    sql = to_duckdb("SELECT CAST(a AS BIGNUMERIC), CAST(b AS BIGNUMERIC(50, 20))")
    assert "DECIMAL(38, 9)" in sql
    assert "DECIMAL(38, 20)" in sql


def test_scalar_types_are_mapped() -> None:
    sql = to_duckdb(
        "CREATE TABLE IF NOT EXISTS t (a STRING, b INT64, c BOOL, d TIMESTAMP, e JSON, f DATE)"
    )
    assert "a TEXT" in sql
    assert "b BIGINT" in sql
    assert "c BOOLEAN" in sql
    assert "d TIMESTAMPTZ" in sql
    assert "e JSON" in sql
    assert "f DATE" in sql


def test_partition_cluster_and_options_are_dropped() -> None:
    sql = to_duckdb(
        "CREATE TABLE IF NOT EXISTS t ("
        "  a STRING NOT NULL OPTIONS (description = 'x'), ts TIMESTAMP OPTIONS (description = 'y')"
        ") PARTITION BY DATE(ts) CLUSTER BY a OPTIONS (description = 'z')"
    )
    assert sql == "CREATE TABLE IF NOT EXISTS t (a TEXT NOT NULL, ts TIMESTAMPTZ)"


def test_create_or_replace_view_with_qualify() -> None:
    sql = to_duckdb(
        "CREATE OR REPLACE VIEW v OPTIONS (description = 'latest') AS SELECT * FROM t WHERE TRUE "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY recorded_at DESC) = 1"
    )
    assert sql.startswith("CREATE OR REPLACE VIEW v AS SELECT")
    assert "QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY recorded_at DESC) = 1" in sql
    assert "OPTIONS" not in sql


def test_json_functions_run_on_duckdb() -> None:
    sql = to_duckdb(
        "SELECT JSON_VALUE(p, '$.data.object.id') AS object_id, "
        "JSON_QUERY(p, '$.data.object') AS object, "
        "CAST(JSON_VALUE(p, '$.data.object.amount_due') AS INT64) AS amount "
        "FROM (SELECT PARSE_JSON(@payload) AS p)"
    )
    con = duckdb.connect()
    row = con.execute(sql, {"payload": '{"data": {"object": {"id": "in_1", "amount_due": 1250}}}'})
    object_id, obj, amount = row.fetchone() or ()
    assert object_id == "in_1"
    assert '"amount_due"' in obj
    assert amount == 1250


def test_timestamp_functions_run_on_duckdb() -> None:
    sql = to_duckdb(
        "SELECT TIMESTAMP_SUB(TIMESTAMP '2026-01-02 00:00:00+00', INTERVAL 1 DAY) < @cut AS ok"
    )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    assert con.execute(sql, {"cut": "2026-01-01 00:00:01+00"}).fetchone() == (True,)


def test_several_statements_are_translated_one_by_one() -> None:
    statements = to_duckdb_statements("SELECT @a; SELECT 2")
    assert [s.sql for s in statements] == ["SELECT $a", "SELECT 2"]
    assert to_duckdb("SELECT @a; SELECT 2") == "SELECT $a;\nSELECT 2"


def test_translations_are_cached() -> None:
    text = "SELECT 'cache probe' AS x"
    before = to_duckdb_statements.cache_info().hits
    to_duckdb(text)
    to_duckdb(text)
    assert to_duckdb_statements.cache_info().hits >= before + 1


def test_unparsable_sql_is_a_permanent_error() -> None:
    with pytest.raises(SqlTranslationError):
        to_duckdb("SELECT FROM WHERE (")


def test_split_statements_ignores_semicolons_in_strings_and_comments() -> None:
    script = "-- a; comment\nSELECT 'a;b' AS x;\n/* ; */\nSELECT 2;\n\n-- trailing only\n"
    assert split_statements(script) == ["SELECT 'a;b' AS x", "SELECT 2"]


def test_ddl_files_load_in_number_order(tmp_path: Path) -> None:
    (tmp_path / "010_b.sql").write_text("SELECT 10;", encoding="utf-8")
    (tmp_path / "002_a.sql").write_text("SELECT 2; SELECT 3;", encoding="utf-8")
    (tmp_path / "notes.sql").write_text("SELECT 99;", encoding="utf-8")
    assert load_ddl_statements(tmp_path) == ["SELECT 2", "SELECT 3", "SELECT 10"]


def test_repository_ddl_translates_and_creates_the_core_tables() -> None:
    statements = load_ddl_statements()
    assert statements
    text = "\n".join(statements)
    for name in ("stripe_events", "sync_links", "sync_log"):
        assert f"CREATE TABLE IF NOT EXISTS {name}" in text
    for view in ("stripe_events_latest", "sync_links_current", "sync_failures"):
        assert f"CREATE OR REPLACE VIEW {view}" in text
    for statement in statements:
        translated = to_duckdb(statement)
        assert "PARTITION BY DATE" not in translated
        assert "CLUSTER BY" not in translated
