"""Attachable: notes and files attached to other entities (files arrive through /upload)."""

from __future__ import annotations

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.books import Books, JsonDict
from local_emulator.fakes.qbo.registry import canonical
from local_emulator.fakes.qbo.rules import EntityRule


class AttachableRule(EntityRule):
    """Each AttachableRef must name an existing entity; a file or a note is required."""

    entity = "Attachable"
    deletable = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        refs = doc.get("AttachableRef") or []
        if not isinstance(refs, list):
            raise errors.required_missing("AttachableRef")
        for ref in refs:
            entity_ref = dict(ref.get("EntityRef") or {}) if isinstance(ref, dict) else {}
            entity = canonical(str(entity_ref.get("type", "")))
            value = str(entity_ref.get("value", ""))
            if entity is None or books.get(entity, value) is None:
                raise errors.invalid_reference("AttachableRef.EntityRef", value)
        if not doc.get("FileName") and not doc.get("Note"):
            raise errors.required_missing("FileName")
        return doc

    def check_delete(self, doc: JsonDict, books: Books) -> None:
        return None
