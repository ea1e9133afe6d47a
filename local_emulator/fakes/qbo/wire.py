"""The fake QBO's own JSON reading and writing, apart from the sync's serializer on purpose.

A serialization bug on the sync's side must not hide behind the same code on the fake's side
(handbook: the fakes never share parsing or serialization with production adapters). So the fake
reads numbers with their literal text in view: a number written in exponent notation is kept as
an ``ExponentDecimal`` for the schema check to refuse, and NaN/Infinity are not JSON at all
(Jackson, which QBO parses with, refuses them as non-standard tokens).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from functools import singledispatch
from typing import Any


class ExponentDecimal(Decimal):
    """A JSON number that arrived in exponent notation (``1.65E+3``)."""

    __slots__ = ()


def _number(text: str) -> Decimal:
    if "e" in text or "E" in text:
        return ExponentDecimal(text)
    return Decimal(text)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def parse(raw: str | bytes) -> Any:
    """JSON text -> Python: every non-integer number a Decimal, never a float."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return json.loads(text, parse_float=_number, parse_constant=_not_json)


def render(value: Any) -> str:
    """Python -> JSON text; a Decimal is written as a plain JSON number (``1650.00``)."""
    return "".join(_tokens(value))


@singledispatch
def _tokens(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        yield from _object(value)
    elif isinstance(value, list | tuple):
        yield from _array(value)
    else:
        raise TypeError(f"the fake QBO cannot write {type(value).__name__} as JSON")


@_tokens.register(str)
@_tokens.register(bool)
@_tokens.register(int)
@_tokens.register(type(None))
def _scalar(value: str | bool | int | None) -> Iterator[str]:
    yield json.dumps(value, ensure_ascii=False)


@_tokens.register(Decimal)
def _decimal(value: Decimal) -> Iterator[str]:
    if not value.is_finite():
        raise ValueError("the fake QBO never writes NaN or Infinity")
    yield f"{value:f}"


@_tokens.register(float)
def _float(value: float) -> Iterator[str]:
    raise TypeError("the fake QBO keeps amounts as Decimal; a float slipped in")


@_tokens.register(date)
def _date(value: date) -> Iterator[str]:  # a datetime is a date too
    yield json.dumps(value.isoformat())


def _object(value: Mapping[Any, Any]) -> Iterator[str]:
    yield "{"
    first = True
    for key, item in value.items():
        yield "" if first else ","
        first = False
        yield json.dumps(str(key), ensure_ascii=False) + ":"
        yield from _tokens(item)
    yield "}"


def _array(value: list[Any] | tuple[Any, ...]) -> Iterator[str]:
    yield "["
    for index, item in enumerate(value):
        if index:
            yield ","
        yield from _tokens(item)
    yield "]"


__all__ = ["ExponentDecimal", "parse", "render"]
