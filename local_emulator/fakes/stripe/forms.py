"""Decode Stripe's nested bracket form encoding (``a[b][0][c]=v``) into dicts and lists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_APPEND = ""


def _split_key(key: str) -> list[str]:
    head, bracket, _ = key.partition("[")
    if not bracket:
        return [key]
    rest = key[len(head) :]
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        return [key]  # not well formed: keep the raw key, the handler will reject it
    return [head, *segments]


def _insert(target: dict[str, Any], path: list[str], value: str) -> None:
    node: dict[str, Any] = target
    for i, segment in enumerate(path):
        last = i == len(path) - 1
        key = segment
        if segment == _APPEND:
            key = str(len(node))  # "x[]=a&x[]=b": number in arrival order
        if last:
            node[key] = value
            return
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child


def _listify(value: Any, *, keep_dict: bool = False) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v, keep_dict=k == "metadata") for k, v in value.items()}
    if converted and not keep_dict and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def decode_form(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested params from ordered key/value pairs; all leaves stay strings."""
    result: dict[str, Any] = {}
    for key, value in items:
        _insert(result, _split_key(key), value)
    return {k: _listify(v, keep_dict=k == "metadata") for k, v in result.items()}
