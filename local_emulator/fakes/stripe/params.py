"""Typed reads of decoded form params, failing the way Stripe does (400, naming the param)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import invalid

JsonDict = dict[str, Any]


def reject_unknown(params: JsonDict, allowed: Iterable[str]) -> None:
    known = set(allowed) | {"expand"}
    for name in params:
        if name not in known:
            raise invalid(f"Received unknown parameter: {name}", param=name)


def opt_str(params: JsonDict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {name}", param=name)
    return value


def req_str(params: JsonDict, name: str) -> str:
    value = opt_str(params, name)
    if not value:
        raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return value


def opt_int(params: JsonDict, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param=name) from None


def opt_bool(params: JsonDict, name: str) -> bool | None:
    value = params.get(name)
    if value is None:
        return None
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise invalid(f"Invalid boolean: {value}", param=name)


def merged_metadata(current: dict[str, str] | None, update: Any) -> dict[str, str]:
    """Stripe merges metadata keys; an empty string unsets a key, or all of them."""
    result = dict(current or {})
    if update is None:
        return result
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise invalid("Invalid object", param="metadata")
    for key, value in update.items():
        if len(str(key)) > 40:
            raise invalid("Metadata keys can have up to 40 characters", param=f"metadata[{key}]")
        if value == "":
            result.pop(key, None)
        elif len(str(value)) > 500:
            raise invalid("Metadata values can have up to 500 characters", param=f"metadata[{key}]")
        else:
            result[str(key)] = str(value)
    if len(result) > 50:
        raise invalid("You can have at most 50 metadata keys", param="metadata")
    return result


def expand_list(params: JsonDict) -> list[str]:
    value = params.get("expand")
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise invalid("Invalid array", param="expand")
