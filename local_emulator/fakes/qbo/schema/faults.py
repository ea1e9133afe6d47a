"""The Faults the request-schema check answers with, shaped as QBO shapes them.

QBO parses JSON bodies with Jackson into classes generated from its XSD; what Jackson refuses
comes back as 2010 "Request has invalid or unsupported property" with Jackson's own text after
"Property Name:" and before " specified is unsupported or invalid". Seen in real answers:
- unknown element: routablehq/python-quickbooks#299 and #80 ('Unrecognized field "Amount" (class
  com.intuit.schema.finance.v3.SalesItemLineDetail), not marked as ignorable (18 known
  properties: ...)');
- enumeration: routablehq/python-quickbooks#145 ('Can not deserialize value of type
  com.intuit.schema.finance.v3.LineDetailTypeEnum from String "SubtotalLineDetail": value not one
  of declared Enum instance names: [...]');
- wrong value: mcohen01/node-quickbooks#39 ('Can not construct instance of java.m...').
Business checks answer 2170 (Invalid Enumeration), 2040 (invalid characters), 2050 (length),
2020 (required) and 6000 (business rule), as Intuit's error pages and blog list them.
"""

from __future__ import annotations

from collections.abc import Iterable

from local_emulator.fakes.qbo.errors import QboFault

INVALID_PROPERTY = "Request has invalid or unsupported property"
JAVA_PACKAGE = "com.intuit.schema.finance.v3"
JAVA_SCALARS = {
    "string": "java.lang.String", "decimal": "java.math.BigDecimal",
    "boolean": "java.lang.Boolean", "integer": "java.lang.Integer", "date": "java.util.Date",
    "datetime": "java.util.Date",
}  # fmt: skip


def _jackson(rule: str, text: str, element: str = "") -> QboFault:
    detail = f"Property Name:{text} specified is unsupported or invalid"
    return QboFault("2010", INVALID_PROPERTY, detail, element=element, rule=rule)


def java_type(type_name: str, many: bool = False) -> str:
    if many:
        return "java.util.ArrayList"
    return JAVA_SCALARS.get(type_name, f"{JAVA_PACKAGE}.{type_name}")


def unknown_element(name: str, owner: str, known: Iterable[str]) -> QboFault:
    names = sorted(known)
    listed = ", ".join(f'"{n}"' for n in names)
    return _jackson(
        "unknown_element",
        f'Unrecognized field "{name}" (class {JAVA_PACKAGE}.{owner}), not marked as ignorable '
        f"({len(names)} known properties: {listed}])\n",
    )


def wrong_shape(field: str, expected: str, token: str) -> QboFault:
    return _jackson(
        "shape", f"Can not deserialize instance of {expected} out of {token} token", field
    )


def not_a_value(field: str, expected: str, text: str, why: str, rule: str = "shape") -> QboFault:
    return _jackson(
        rule, f"Can not construct instance of {expected} from String value '{text}': {why}", field
    )


def not_in_enum(field: str, enum: str, value: str, values: Iterable[str]) -> QboFault:
    return _jackson(
        "enumeration",
        f'Can not deserialize value of type {JAVA_PACKAGE}.{enum} from String "{value}": value '
        f"not one of declared Enum instance names: [{', '.join(values)}]\n ",
        field,
    )


def invalid_enumeration(field: str, value: str) -> QboFault:
    """2170, as Intuit's "Top QuickBooks Online API errors" (2017) lists it."""
    return QboFault(
        "2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element=field,
        rule="enumeration",
    )  # fmt: skip


def read_only(field: str) -> QboFault:
    """QBO itself ignores a read-only element on create; the fake refuses one that carries a
    value, so that a sync believing it sets what QBO computes is caught (stricter than QBO)."""
    return _jackson("read_only", f"{field} is read only and cannot be set on create", field)


def too_long(field: str, maximum: int, supplied: int) -> QboFault:
    return QboFault(
        "2050", "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. "
        f"Min:0 Max:{maximum} supplied length:{supplied}",
        element=field, rule="max_length",
    )  # fmt: skip


def required(field: str) -> QboFault:
    return QboFault(
        "2020", "Required param missing, need to supply the required value for the API",
        f"Required parameter {field} is missing in the request", element=field, rule="required",
    )  # fmt: skip


def invalid_characters(field: str, value: str) -> QboFault:
    """2040 for ``:``, tab or newline in a name (the colon separates sub-customers and sub-items
    in FullyQualifiedName). Message and Detail as a real answer shows them (StackOverflow 24529982:
    'ERROR CODE:2040, ERROR MESSAGE:Invalid String. The String may contain unsupported or illegal
    chars, ERROR DETAIL:Element contains invalid characters. Rob:Barnett:Company')."""
    return QboFault(
        "2040", "Invalid String. The String may contain unsupported or illegal chars",
        f"Element contains invalid characters. {value}", element=field, rule="invalid_chars",
    )  # fmt: skip


def detail_type(entity: str, detail: str) -> QboFault:
    return QboFault(
        "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: a {entity} line cannot be a {detail}",
        element="Line.DetailType", rule="detail_type",
    )  # fmt: skip


def exponent(field: str) -> QboFault:
    """A decimal in exponent notation (``1.65E+3``): refused by the fake, stricter than QBO's
    Jackson, so that the sync keeps to plain digits (the handbook's wire rule)."""
    return _jackson(
        "decimal_exponent",
        "Can not construct instance of java.math.BigDecimal from a number in exponent notation "
        "(the fake QBO takes plain digits only)",
        field,
    )
