"""QBO attachment of a statement: the Attachable metadata and the multipart upload body."""

from __future__ import annotations

import hashlib
import json
from typing import Any

PDF_CONTENT_TYPE = "application/pdf"


def attachable_from_statement(
    qbo_invoice_id: str, filename: str, *, note: str = ""
) -> dict[str, Any]:
    """The Attachable that links a statement to a QBO invoice and sends it with the invoice."""
    attachable: dict[str, Any] = {
        "AttachableRef": [
            {"EntityRef": {"type": "Invoice", "value": qbo_invoice_id}, "IncludeOnSend": True}
        ],
        "FileName": filename,
        "ContentType": PDF_CONTENT_TYPE,
    }
    if note:
        attachable["Note"] = note[:2000]
    return attachable


def attachable_query_for_invoice(qbo_invoice_id: str) -> str:
    """Finds what is attached to a QBO invoice already (check before uploading again)."""
    if not qbo_invoice_id.isdigit():
        raise ValueError("QBO entity ids are digits")
    # A QBO query, not SQL; the id is digits only.
    return f"select * from Attachable where AttachableRef.EntityRef.value = '{qbo_invoice_id}'"  # noqa: S608


def upload_body_from_statement(
    attachable: dict[str, Any], filename: str, content: bytes
) -> tuple[str, bytes]:
    """``(Content-Type header, body)`` for ``POST /v3/company/<realm>/upload``.

    Two parts, as QBO's upload endpoint expects: ``file_metadata_01`` (the Attachable as JSON)
    and ``file_content_01`` (the PDF). The boundary derives from the content: same input, same
    bytes.
    """
    boundary = "statement-" + hashlib.sha256(content).hexdigest()[:32]
    safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "")
    metadata = json.dumps(attachable, sort_keys=True).encode()
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="file_metadata_01"\r\n',
            b"Content-Type: application/json\r\n\r\n",
            metadata,
            f"\r\n--{boundary}\r\n".encode(),
            (
                'Content-Disposition: form-data; name="file_content_01"; '
                f'filename="{safe_name}"\r\n'
            ).encode(),
            f"Content-Type: {PDF_CONTENT_TYPE}\r\n\r\n".encode(),
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return f"multipart/form-data; boundary={boundary}", body
