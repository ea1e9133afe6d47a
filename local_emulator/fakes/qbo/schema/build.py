"""Build the fake QBO's schema table from Intuit's XSD (beside the repository, never inside it).

    python -m local_emulator.fakes.qbo.schema.build [--xsd DIR] [--out FILE] [--check]

Reads ``../shared/reference/qbo/schema/*.xsd`` (Intuit's QuickBooks-V3-Java-SDK schema, Apache-2.0)
and writes ``xsd_facts.json``: per complex type reachable from the entities the fake serves, each
element's JSON type, cardinality, enumeration, QBO string maximum and read-only mark, with
inheritance flattened. The fake reads only that table at run time; the XSD never enters the repo.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

XS = "{http://www.w3.org/2001/XMLSchema}"
REPO = Path(__file__).resolve().parents[4]
XSD_BESIDE_REPO = Path("shared", "reference", "qbo", "schema")  # i.e. ../shared/reference/...
DEFAULT_OUT = Path(__file__).resolve().parent / "xsd_facts.json"
FILES = ("IntuitBaseTypes.xsd", "IntuitNamesTypes.xsd", "Finance.xsd", "IntuitRestServiceDef.xsd")
# The entities the fake serves (writes and reads); every type they reach is in the table.
ENTITIES = (
    "Account", "Attachable", "Bill", "Class", "CompanyCurrency", "CompanyInfo", "CreditMemo",
    "Customer", "Department", "Deposit", "Employee", "Estimate", "ExchangeRate", "Invoice",
    "Item", "JournalEntry", "Payment", "PaymentMethod", "Preferences", "Purchase",
    "RefundReceipt", "SalesReceipt", "TaxAgency", "TaxCode", "TaxRate", "Term", "Transfer",
    "Vendor", "VendorCredit",
)  # fmt: skip
SCALARS = {
    "string": "string", "anyURI": "string", "base64Binary": "string", "token": "string",
    "normalizedString": "string", "decimal": "decimal", "double": "decimal", "float": "decimal",
    "boolean": "boolean", "date": "date", "dateTime": "datetime", "time": "string",
    "int": "integer", "integer": "integer", "long": "integer", "short": "integer",
    "positiveInteger": "integer", "nonNegativeInteger": "integer", "byte": "integer",
}  # fmt: skip
# xs:string elements whose values QBO checks against an enumeration that the XSD names only in
# prose: Account.AccountSubType ("AccountSubTypeEnum specificies QBO on detail type", Finance.xsd).
# LinkedTxn.TxnType is typed xs:string; real records name the linked transaction by its entity
# name ("Payment", "Deposit", "SalesReceipt": Airbyte's sandbox Invoice and Deposit records), which
# objectNameEnumType lists, or by a TxnTypeEnum name: it takes the union of both.
DOCUMENTED_ENUMS = {
    ("Account", "AccountSubType"): "AccountSubTypeEnum",
    ("LinkedTxn", "TxnType"): "LinkedTxnTypeEnum",
}
COMBINED_ENUMS = {"LinkedTxnTypeEnum": ("objectNameEnumType", "TxnTypeEnum")}
KEYS = ("Product", "Description", "Filterable", "Sortable", "InputType", "ValidRange", "Required",
        "ValidationRules", "I18n", "Descripton", "Business Rules")  # fmt: skip
LINE_KEY = re.compile(r"^\s*(" + "|".join(re.escape(k) for k in KEYS) + r")\s*:")
PRODUCT_PREFIX = re.compile(r"^\s*(?:[A-Za-z ]+:)?\s*(QBW|QBO|ALL)\s*:", re.IGNORECASE)
MAX_LENGTH = re.compile(
    r"max(?:imum)?\.?\s*length(?:\s+for\s+\w[\w ]*?)?\s*(?::|is)?\s*(\d+)", re.IGNORECASE
)
VALID_MAX = re.compile(r"\bmax\s*=\s*(\d+)", re.IGNORECASE)
READ_ONLY = re.compile(
    r"InputType:\s*(?:(?:ALL|QBO):\s*)?ReadOnly|\bread[- ]only\b|\(ReadOnly\)|\(Readonly\)"
    r"|output only",
    re.IGNORECASE,
)


def xsd_folder() -> Path | None:
    """``../shared/reference/qbo/schema`` beside the repository (a git worktree nested deeper,
    such as ../wt/<branch>, finds it beside an ancestor); None where it is absent, as in CI."""
    for folder in REPO.parents:
        candidate = folder / XSD_BESIDE_REPO
        if (candidate / "Finance.xsd").is_file():
            return candidate
    return None


@dataclass
class Doc:
    """The QBO-relevant facts of one element's documentation."""

    max_length: int | None = None
    read_only: bool = False


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        if LINE_KEY.match(raw) or not lines:
            lines.append(raw.strip())
        else:
            lines[-1] += " " + raw.strip()
    return lines


def read_doc(element: ET.Element) -> Doc:
    """Facts for QBO (or ALL products): QBW-only sentences are left out. ``Product:`` scopes the
    Description that follows it; a keyed line (``InputType: QBO: ReadOnly``) names its own
    product, or holds for every product the element is documented for. ("Non QB-writable" in
    "QuickBooks Notes" is about QuickBooks Desktop: Payment.TotalAmt is written in QBO.)"""
    text = "\n".join((d.text or "") for d in element.iter(f"{XS}documentation"))
    lines = _logical_lines(text)
    products = {
        line.split(":", 1)[1].strip().upper() for line in lines if line.startswith("Product:")
    }
    documented_for_qbo = not products or bool(products & {"QBO", "ALL"})
    doc, product = Doc(), "ALL"
    for line in lines:
        if line.startswith("Product:"):
            product = line.split(":", 1)[1].strip().upper() or "ALL"
            continue
        prefix = PRODUCT_PREFIX.match(line)
        keyed = LINE_KEY.match(line)
        if prefix:
            applies = prefix.group(1).upper() in ("QBO", "ALL")
        elif keyed is None or keyed.group(1) == "Description":
            applies = product in ("QBO", "ALL")
        else:
            applies = documented_for_qbo
        if not applies:
            continue
        found = MAX_LENGTH.search(line) or (
            VALID_MAX.search(line) if line.startswith("ValidRange") else None
        )
        if found and doc.max_length is None:
            doc.max_length = int(found.group(1))
        doc.read_only = doc.read_only or bool(READ_ONLY.search(line))
    return doc


@dataclass
class Schema:
    complex: dict[str, ET.Element] = field(default_factory=dict)
    simple: dict[str, ET.Element] = field(default_factory=dict)
    groups: dict[str, ET.Element] = field(default_factory=dict)
    top: dict[str, str] = field(default_factory=dict)  # top-level element -> its type

    @classmethod
    def load(cls, folder: Path) -> Schema:
        schema = cls()
        for name in FILES:
            root = ET.parse(folder / name).getroot()  # noqa: S314 - local vendor files
            for node in root:
                kind, key = node.tag.removeprefix(XS), node.get("name")
                if key is None:
                    continue
                if kind == "complexType":
                    schema.complex[key] = node
                elif kind == "simpleType":
                    schema.simple[key] = node
                elif kind == "group":
                    schema.groups[key] = node
                elif kind == "element" and node.get("type"):
                    schema.top[key] = str(node.get("type"))
        return schema

    def scalar(self, type_name: str) -> tuple[str, str | None]:
        """(JSON kind, XSD enumeration name or None) of a simple type."""
        local = type_name.removeprefix("xs:")
        if local in SCALARS:
            return SCALARS[local], None
        node = self.simple[local]
        restriction = node.find(f"{XS}restriction")
        base = str(restriction.get("base")) if restriction is not None else "xs:string"
        kind, _ = self.scalar(base)
        has_values = restriction is not None and restriction.find(f"{XS}enumeration") is not None
        return kind, (local if has_values else None)

    def enum_values(self, name: str) -> list[str]:
        if name in COMBINED_ENUMS:
            values = (v for part in COMBINED_ENUMS[name] for v in self.enum_values(part))
            return list(dict.fromkeys(values))
        node = self.simple[name]
        return [str(e.get("value")) for e in node.iter(f"{XS}enumeration")]


def _elements(
    schema: Schema, node: ET.Element, many: bool = False
) -> list[tuple[ET.Element, bool]]:
    """Element declarations of a content model, in order, with whether each repeats."""
    out: list[tuple[ET.Element, bool]] = []
    for child in node:
        tag = child.tag.removeprefix(XS)
        repeats = many or child.get("maxOccurs", "1") not in ("0", "1")
        if tag == "element":
            out.append((child, repeats))
        elif tag in ("sequence", "choice", "all"):
            out.extend(_elements(schema, child, repeats))
        elif tag == "group" and child.get("ref"):
            out.extend(_elements(schema, schema.groups[str(child.get("ref"))], repeats))
    return out


def flatten(schema: Schema, name: str) -> tuple[str | None, dict[str, Any]]:
    """(base, fields) of a complex type with its ancestors' elements first; ``value`` stands
    for simple content (a reference's id), attributes become plain fields as in QBO JSON."""
    node = schema.complex[name]
    fields: dict[str, Any] = {}
    content = node.find(f"{XS}complexContent") or node.find(f"{XS}simpleContent")
    body, base = node, None
    if content is not None:
        extension = content.find(f"{XS}extension")
        if extension is None:
            extension = content.find(f"{XS}restriction")
        assert extension is not None, name
        base = str(extension.get("base")).removeprefix("xs:")
        body = extension
        if base in schema.complex:
            fields.update(flatten(schema, base)[1])
        elif content.tag == f"{XS}simpleContent":
            kind, enum = schema.scalar(base)
            fields["value"] = {"type": kind, **({"enum": enum} if enum else {})}
    for element, many in _elements(schema, body):
        fields[str(element.get("name"))] = describe(schema, name, element, many)
    for attribute in body.iter(f"{XS}attribute"):
        kind, enum = schema.scalar(str(attribute.get("type", "xs:string")))
        fields[str(attribute.get("name"))] = {"type": kind, **({"enum": enum} if enum else {})}
    if name == "IntuitEntity":
        fields["MetaData"]["read_only"] = True  # "set by Data Services and read only"
        fields["status"]["read_only"] = True  # "Output only field"
        # "sparse" is documented "Output only" too, yet a sparse update sends "sparse": true
        # (Intuit API reference, "Sparse update"): it stays writable here.
    return base, fields


def describe(schema: Schema, owner: str, element: ET.Element, many: bool) -> dict[str, Any]:
    type_name = str(element.get("type", "xs:string"))
    local = type_name.removeprefix("xs:")
    doc = read_doc(element)
    spec: dict[str, Any] = {}
    if local in schema.complex:
        spec["type"] = local
    else:
        kind, enum = schema.scalar(type_name)
        spec["type"] = kind
        documented = DOCUMENTED_ENUMS.get((owner, str(element.get("name"))))
        if enum:
            spec["enum"] = enum
        elif documented:
            spec["documented_enum"] = documented
        if kind == "string" and doc.max_length:
            spec["max"] = doc.max_length
    if many:
        spec["many"] = True
    if doc.read_only:
        spec["read_only"] = True
    return spec


def build(folder: Path) -> dict[str, Any]:
    schema = Schema.load(folder)
    types: dict[str, Any] = {}
    enums: set[str] = set()
    pending = [schema.top[entity] for entity in ENTITIES]
    while pending:
        name = pending.pop()
        if name in types or name not in schema.complex:
            continue
        _, fields = flatten(schema, name)
        types[name] = fields
        for spec in fields.values():
            pending.append(spec["type"])
            enums.update(filter(None, (spec.get("enum"), spec.get("documented_enum"))))
    return {
        "source": (
            "Built by local_emulator/fakes/qbo/schema/build.py from Intuit's XSD "
            "(intuit/QuickBooks-V3-Java-SDK ipp-v3-java-data/src/main/xsd, Apache-2.0; "
            "copy in ../shared/reference/qbo/schema). Facts only: names, types, "
            "cardinality, enumerations, QBO string maxima and read-only marks."
        ),
        "entities": {entity: schema.top[entity] for entity in ENTITIES},
        "types": {name: types[name] for name in sorted(types)},
        "enums": {name: schema.enum_values(name) for name in sorted(enums)},
    }


def render(table: dict[str, Any]) -> str:
    """One line per type and per enumeration: small diffs, readable in review."""
    parts = ['{\n"source": ' + json.dumps(table["source"]) + ",\n"]
    parts.append('"entities": ' + json.dumps(table["entities"], sort_keys=True) + ",\n")
    for key in ("types", "enums"):
        items = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in table[key].items()]
        closing = "}\n}\n" if key == "enums" else "},\n"
        parts.append(f'"{key}": {{\n' + ",\n".join(items) + "\n" + closing)
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--xsd", type=Path, default=xsd_folder())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    if args.xsd is None:
        parser.error(f"no {XSD_BESIDE_REPO} beside the repository; pass --xsd")
    text = render(build(args.xsd))
    if args.check:
        same = args.out.read_text(encoding="utf-8") == text
        print("schema table is current" if same else f"{args.out} is out of date; rebuild it")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
