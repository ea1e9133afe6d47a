"""The fake QBO's request schema: Intuit's XSD as a committed table of facts, checked on every
request body (always on), with the refusals counted by rule."""

from __future__ import annotations

from typing import Any

from local_emulator.fakes.qbo.schema.check import check_body
from local_emulator.fakes.qbo.schema.entities import check_entity


def check_request(entity: str, body: dict[str, Any], *, create: bool) -> dict[str, Any]:
    """The body as QBO reads it; a QboFault whose ``rule`` names what it broke, otherwise."""
    cleaned = check_body(entity, body, create=create)
    check_entity(entity, cleaned, create=create)
    return cleaned


__all__ = ["check_request"]
