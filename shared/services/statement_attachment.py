"""Use case: attach a settlement's statement PDF to its QBO invoice, once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from shared.domain.idempotency import qbo_request_id_from
from shared.ports import JsonDict
from shared.statements.attachable import attachable_query_for_invoice
from shared.statements.store import StatementStore


class AttachmentUploader(Protocol):
    """What this needs of the QBO gateway: a query and the multipart ``/upload`` endpoint."""

    def query(self, statement: str) -> list[JsonDict]: ...

    def attach(
        self, entity: str, entity_id: str, file_name: str, content: bytes, request_id: str
    ) -> JsonDict:
        """Upload a file as an Attachable linked to the entity; the Attachable."""
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
    request_id = qbo_request_id_from("attach-statement", str(stripe_invoice["id"]))
    created = qbo.attach(
        "Invoice", qbo_invoice_id, statement.filename, statement.content, request_id
    )
    document = created.get("Attachable", created)
    return str(document["Id"])
