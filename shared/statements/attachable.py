"""QBO attachment of a statement: how to find what an invoice has attached already."""

from __future__ import annotations


def attachable_query_for_invoice(qbo_invoice_id: str) -> str:
    """Finds what is attached to a QBO invoice already (check before uploading again)."""
    if not qbo_invoice_id.isdigit():
        raise ValueError("QBO entity ids are digits")
    # A QBO query, not SQL; the id is digits only.
    return f"select * from Attachable where AttachableRef.EntityRef.value = '{qbo_invoice_id}'"  # noqa: S608
