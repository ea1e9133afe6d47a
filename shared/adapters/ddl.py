"""The warehouse DDL: numbered BigQuery-dialect files in bigquery_ddl/, split into statements."""

from __future__ import annotations

import re
from pathlib import Path

from sqlglot import TokenType
from sqlglot.dialects.bigquery import BigQuery

# shared/adapters/ddl.py -> the repository root is two levels above the package directory.
DEFAULT_DDL_DIR = Path(__file__).resolve().parents[2] / "bigquery_ddl"

_NUMBERED = re.compile(r"^(\d+)_.+\.sql$")


def ddl_files(directory: Path | None = None) -> list[Path]:
    """The numbered ``NNN_name.sql`` files of ``directory``, in the order they must run."""
    root = directory or DEFAULT_DDL_DIR
    numbered = [(m, p) for p in root.iterdir() if p.is_file() and (m := _NUMBERED.match(p.name))]
    return [p for m, p in sorted(numbered, key=lambda mp: (int(mp[0].group(1)), mp[1].name))]


def split_statements(sql: str) -> list[str]:
    """Split a script on top-level semicolons (not those inside strings or comments)."""
    tokens = BigQuery().tokenize(sql)
    statements: list[str] = []
    start: int | None = None
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                statements.append(sql[start : token.start].strip())
            start = None
        elif start is None:
            # Comments are not tokens: a statement starts at its first token, without them.
            start = token.start
    if start is not None:
        statements.append(sql[start:].strip())
    return [s for s in statements if s]


def load_ddl_statements(directory: Path | None = None) -> list[str]:
    """Every DDL statement, in file-number order then file order."""
    statements: list[str] = []
    for path in ddl_files(directory):
        statements.extend(split_statements(path.read_text(encoding="utf-8")))
    return statements
