"""Use case: attach a settlement's statement PDF to its QBO invoice, once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from shared.domain.idempotency import qbo_request_id_from
from shared.ports import JsonDict
from shared.statements.attachable import attachable_from_statement, attachable_query_for_invoice
from shared.statements.store import StatementStore


class AttachmentUploader(Protocol):
    """What the QBO gateway needs for this: a query and the multipart ``/upload`` endpoint."""

    def query(self, statement: str) -> list[JsonDict]: ...

    def upload(
        self, attachable: JsonDict, filename: str, content: bytes, request_id: str
    ) -> JsonDict:
        """POST /upload (see shared.statements.attachable.upload_body_from_statement)."""
        ...


def attach_statement(
    stripe_invoice: Mapping[str, Any],
    qbo_invoice_id: str,
    store: StatementStore,
    qbo: AttachmentUploader,
) -> str | None:
    """The Attachable id of the invoice's statement; None when the invoice has no settlement.

    Idempotent: an attachment of the same file name already on the QBO invoice is reused (heal
    by lookup), and the upload carries a requestid derived from the Stripe invoice id.
    """
    statement = store.pdf_for_invoice(stripe_invoice)
    if statement is None:
        return None
    for existing in qbo.query(attachable_query_for_invoice(qbo_invoice_id)):
        if existing.get("FileName") == statement.filename:
            return str(existing["Id"])
    attachable = attachable_from_statement(
        qbo_invoice_id,
        statement.filename,
        note=f"Success fee statement, settlement {stripe_invoice['metadata']['settlement_id']}",
    )
    request_id = qbo_request_id_from("attach-statement", str(stripe_invoice["id"]))
    created = qbo.upload(attachable, statement.filename, statement.content, request_id)
    document = created.get("Attachable", created)
    return str(document["Id"])
