"""The committed schema table (``xsd_facts.json``, built from Intuit's XSD by ``build.py``)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

SCALARS = frozenset({"string", "decimal", "boolean", "date", "datetime", "integer"})


@dataclass(frozen=True)
class Element:
    """One element of a complex type, as the XSD declares it for QBO."""

    name: str
    type: str  # a scalar kind (SCALARS) or the name of a complex type
    many: bool = False
    enum: str | None = None  # an XSD enumeration: Jackson refuses other values (2010)
    documented_enum: str | None = None  # named in prose: QBO's business check refuses (2170)
    max: int | None = None  # QBO's documented maximum length of a string
    read_only: bool = False

    @property
    def scalar(self) -> bool:
        return self.type in SCALARS


@dataclass(frozen=True)
class SchemaTable:
    entities: dict[str, str]  # entity name -> its complex type
    types: dict[str, dict[str, Element]]
    enums: dict[str, tuple[str, ...]]
    source: str

    def entity_type(self, entity: str) -> str | None:
        return self.entities.get(entity)

    def elements(self, type_name: str) -> dict[str, Element]:
        return self.types[type_name]

    def is_open(self, type_name: str) -> bool:
        """IntuitAnyType (``xs:any``): extension elements of any shape."""
        return type_name == "IntuitAnyType"


def _element(name: str, spec: dict[str, Any]) -> Element:
    return Element(name=name, **spec)


@functools.cache
def schema_table() -> SchemaTable:
    """Loaded once per process from the package (no file beside the repository is read)."""
    text = resources.files(__package__).joinpath("xsd_facts.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    return SchemaTable(
        entities=dict(raw["entities"]),
        types={
            name: {key: _element(key, spec) for key, spec in fields.items()}
            for name, fields in raw["types"].items()
        },
        enums={name: tuple(values) for name, values in raw["enums"].items()},
        source=str(raw["source"]),
    )
