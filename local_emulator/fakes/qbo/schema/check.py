"""Every request body against the XSD table: unknown elements, shapes, enumerations, string
maxima, read-only elements on create, and decimals as plain JSON numbers.

What passes comes back normalized as QBO's Jackson reads it: JSON null and ``""`` in a
non-string element are absent (python-quickbooks sends ``"TotalAmt": ""`` and ``"DueDate": ""``
in every new Invoice, and real QBO takes them), ``"true"``/``"false"`` are booleans, and a
read-only element is dropped (QBO computes it), so the engine's rules see what QBO would see.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from local_emulator.fakes.qbo.schema import faults
from local_emulator.fakes.qbo.schema.table import Element, SchemaTable, schema_table
from local_emulator.fakes.qbo.wire import ExponentDecimal

JsonDict = dict[str, Any]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[+-]\d{2}:\d{2}|Z)?$")
DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:[+-]\d{2}:\d{2}|Z)?$"
)
_DROP = object()


def token(value: Any) -> str:
    """Jackson's name for the JSON token a value arrived as."""
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, Decimal):
        return "VALUE_NUMBER_FLOAT"
    return "VALUE_STRING"


def _unset(value: Any) -> bool:
    """What python-quickbooks sends for an element it leaves at its default."""
    return value in (None, "", False, 0, {}, [])


class _Walker:
    def __init__(self, table: SchemaTable, create: bool) -> None:
        self.table = table
        self.create = create

    def object(self, type_name: str, value: JsonDict, path: str) -> JsonDict:
        if self.table.is_open(type_name):
            return value
        elements = self.table.elements(type_name)
        out: JsonDict = {}
        for key, item in value.items():
            element = elements.get(key)
            if element is None:
                raise faults.unknown_element(key, type_name, elements)
            cleaned = self.element(element, item, f"{path}{key}")
            if cleaned is not _DROP:
                out[key] = cleaned
        return out

    def element(self, element: Element, item: Any, path: str) -> Any:
        if item is None:
            return _DROP
        if element.read_only:
            if self.create and not _unset(item):
                raise faults.read_only(path)
            return _DROP  # QBO ignores a read-only element and computes it itself
        if not element.many:
            return self.one(element, item, path)
        if not isinstance(item, list):
            raise faults.wrong_shape(path, faults.java_type(element.type, many=True), token(item))
        values = (self.one(element, x, path) for x in item if x is not None)
        return [v for v in values if v is not _DROP]

    def one(self, element: Element, item: Any, path: str) -> Any:
        if not element.scalar:
            if not isinstance(item, dict):
                raise faults.wrong_shape(path, faults.java_type(element.type), token(item))
            return self.object(element.type, item, f"{path}.")
        if isinstance(item, dict | list):
            raise faults.wrong_shape(path, faults.java_type(element.type), token(item))
        if element.type == "string":
            return self.string(element, item, path)
        if item == "" and isinstance(item, str):
            return _DROP  # Jackson reads "" as null for a non-string element
        return SCALAR_CHECKS[element.type](item, path)

    def string(self, element: Element, item: Any, path: str) -> Any:
        if not isinstance(item, str):
            return item  # Jackson writes a number or a boolean into a String as its text
        if element.max is not None and len(item) > element.max:
            raise faults.too_long(path, element.max, len(item))
        if item and element.enum and item not in self.table.enums[element.enum]:
            raise faults.not_in_enum(path, element.enum, item, self.table.enums[element.enum])
        documented = element.documented_enum
        if item and documented and item not in self.table.enums[documented]:
            raise faults.invalid_enumeration(path, item)
        return item


def _decimal(item: Any, path: str) -> Any:
    if isinstance(item, bool):
        raise faults.wrong_shape(path, "java.math.BigDecimal", token(item))
    if isinstance(item, str):
        raise faults.not_a_value(
            path, "java.math.BigDecimal", item,
            "not a valid representation (the fake QBO takes decimals as JSON numbers only)",
            rule="decimal_as_string",
        )  # fmt: skip
    if isinstance(item, ExponentDecimal):
        raise faults.exponent(path)
    return item


def _boolean(item: Any, path: str) -> bool:
    if isinstance(item, bool):
        return item
    if isinstance(item, str) and item.lower() in ("true", "false"):
        return item.lower() == "true"
    raise faults.wrong_shape(path, "java.lang.Boolean", token(item))


def _integer(item: Any, path: str) -> int:
    if isinstance(item, int) and not isinstance(item, bool):
        return item
    if isinstance(item, str) and item.lstrip("-").isdigit():
        return int(item)
    raise faults.wrong_shape(path, "java.lang.Integer", token(item))


def _date(item: Any, path: str) -> Any:
    if isinstance(item, str) and DATE.match(item):
        return item
    raise faults.not_a_value(path, "java.util.Date", str(item), "not a valid date (yyyy-MM-dd)")


def _datetime(item: Any, path: str) -> Any:
    if isinstance(item, str) and DATETIME.match(item):
        return item
    raise faults.not_a_value(path, "java.util.Date", str(item), "not a valid ISO 8601 time")


SCALAR_CHECKS = {
    "decimal": _decimal, "boolean": _boolean, "integer": _integer, "date": _date,
    "datetime": _datetime,
}  # fmt: skip


def check_body(entity: str, body: JsonDict, *, create: bool) -> JsonDict:
    """The body as QBO reads it, or a QboFault (with its ``rule``) for the first violation."""
    table = schema_table()
    type_name = table.entity_type(entity)
    if type_name is None:
        return body
    return _Walker(table, create).object(type_name, body, "")
