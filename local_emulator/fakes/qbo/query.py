"""The QBO query language: SELECT */count(*)/fields FROM entity, WHERE conditions joined by AND
(=, <, >, <=, >=, IN, LIKE), ORDERBY (or ORDER BY) ASC/DESC, STARTPOSITION and MAXRESULTS."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from local_emulator.fakes.qbo.books import id_order
from local_emulator.fakes.qbo.errors import QboFault, invalid_query

MAX_RESULTS_LIMIT = 1000
DEFAULT_MAX_RESULTS = 100

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|=|<|>)"
    r"|(?P<punct>[(),*])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # = != < > <= >= in like
    values: tuple[Any, ...]


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list[str] | None = None  # None: every field
    conditions: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise invalid_query(f"unexpected text at position {pos}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            value = value[1:-1].replace("\\'", "'")
        out.append((kind, value))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise invalid_query("unexpected end of query")
        self.i += 1
        return tok

    def keyword(self, *words: str) -> str | None:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() in words:
            self.i += 1
            return tok[1].lower()
        return None

    def expect(self, word: str) -> None:
        if self.keyword(word) is None:
            raise invalid_query(f"expected {word.upper()}")

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value
        if kind == "num":
            return Decimal(value)
        if kind == "word" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid_query(f"expected a value, got {value!r}")

    def integer(self) -> int:
        kind, value = self.take()
        if kind != "num" or "." in value:
            raise invalid_query(f"expected an integer, got {value!r}")
        return int(value)

    def parse(self) -> Query:
        self.expect("select")
        count, fields = False, None
        if self.peek() == ("punct", "*"):
            self.take()
            # "SELECT *, Sku FROM Item": every field and then some (python-quickbooks'
            # Item.all() sends it, quickbooks/mixins.py ListMixin.all); the extras add nothing.
            while self.peek() == ("punct", ","):
                self.take()
                if self.take()[0] != "word":
                    raise invalid_query("expected a field name after ','")
        elif self.keyword("count"):
            for expected in ("(", "*", ")"):
                if self.take() != ("punct", expected):
                    raise invalid_query("malformed count(*)")
            count = True
        else:
            fields = [self.take()[1]]
            while self.peek() == ("punct", ","):
                self.take()
                fields.append(self.take()[1])
        self.expect("from")
        kind, entity = self.take()
        if kind != "word":
            raise invalid_query("expected an entity name after FROM")
        query = Query(entity=entity, count=count, fields=fields)
        if self.keyword("where"):
            query.conditions.append(self.condition())
            while self.keyword("and"):
                query.conditions.append(self.condition())
        if self.keyword("orderby", "order"):
            self.keyword("by")
            while True:
                name = self.take()[1]
                desc = self.keyword("asc", "desc") == "desc"
                query.order_by.append((name, desc))
                if self.peek() != ("punct", ","):
                    break
                self.take()
        while self.peek() is not None:
            word = self.keyword("startposition", "maxresults")
            if word is None:
                raise invalid_query(f"unexpected {self.take()[1]!r}")
            value = self.integer()
            if value < 1:
                raise invalid_query(f"value {value} is too small. Min allowed value is 1")
            if word == "startposition":
                query.start_position = value
            else:
                query.max_results = min(value, MAX_RESULTS_LIMIT)
        return query

    def condition(self) -> Condition:
        kind, name = self.take()
        if kind != "word":
            raise invalid_query(f"expected a field name, got {name!r}")
        if self.keyword("in"):
            if self.take() != ("punct", "("):
                raise invalid_query("expected ( after IN")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.literal())
            if self.take() != ("punct", ")"):
                raise invalid_query("expected ) after IN list")
            return Condition(name, "in", tuple(values))
        if self.keyword("like"):
            return Condition(name, "like", (self.literal(),))
        op_kind, op = self.take()
        if op_kind != "op":
            raise invalid_query(f"expected an operator after {name}")
        return Condition(name, op, (self.literal(),))


def parse_query(text: str) -> Query:
    """Parse a QBO query; QboFault 4001 when it is not valid."""
    return _Parser(text).parse()


def field_value(doc: dict[str, Any], path: str) -> Any:
    """A (dotted) field of a document; a reference compares by its value."""
    current: Any = doc
    for part in path.split("."):
        if isinstance(current, list):  # AttachableRef.EntityRef.value: the first reference
            current = current[0] if current else None
        if not isinstance(current, dict):
            return None
        key = next((k for k in current if k.lower() == part.lower()), None)
        current = current.get(key) if key is not None else None
    if isinstance(current, dict) and "value" in current:
        return current["value"]
    return current


def _compare(actual: Any, expected: Any) -> int | None:
    if actual is None:
        return None
    if isinstance(actual, bool) or isinstance(expected, bool):
        left, right = str(actual).lower(), str(expected).lower()
    else:
        try:
            left_num, right_num = Decimal(str(actual)), Decimal(str(expected))
        except InvalidOperation:
            left, right = str(actual).lower(), str(expected).lower()
        else:
            return (left_num > right_num) - (left_num < right_num)
    return (left > right) - (left < right)


def matches(doc: dict[str, Any], condition: Condition) -> bool:
    actual = field_value(doc, condition.field)
    if condition.op == "in":
        return any(_compare(actual, v) == 0 for v in condition.values)
    if condition.op == "like":
        pattern = re.escape(str(condition.values[0]).lower()).replace("%", ".*")
        return actual is not None and re.fullmatch(pattern, str(actual).lower()) is not None
    result = _compare(actual, condition.values[0])
    if result is None:
        return False
    return {
        "=": result == 0,
        "!=": result != 0,
        "<": result < 0,
        ">": result > 0,
        "<=": result <= 0,
        ">=": result >= 0,
    }[condition.op]


def run_query(query: Query, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter and order (default by Id); paging is left to the caller."""
    hits = [d for d in docs if all(matches(d, c) for c in query.conditions)]
    hits.sort(key=lambda d: id_order(d.get("Id", "0")))
    for name, desc in reversed(query.order_by):
        hits.sort(key=functools.partial(_doc_sort_key, name), reverse=desc)
    return hits


def _doc_sort_key(name: str, doc: dict[str, Any]) -> tuple[int, Any]:
    return _sort_key(field_value(doc, name))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    try:
        return (1, Decimal(str(value)))
    except InvalidOperation:
        return (2, str(value).lower())


__all__ = ["Condition", "QboFault", "Query", "field_value", "matches", "parse_query", "run_query"]
