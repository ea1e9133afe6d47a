"""StripeBilling over StripeClient: the settlement flow's invoice writes, idempotent by key."""

from __future__ import annotations

from shared.ports import JsonDict

from .stripe_common import StripeAdapter, stripe_errors, to_dict

SETTLEMENT_METADATA_KEY = "settlement_id"


class StripeApiBilling(StripeAdapter):
    """Each write sends ``Idempotency-Key``: a retry with the same key replays the first answer.

    Runs with the invoicing key, the only Stripe key that may write; every other function reads
    with the read key (``stripe_secret_key_name``)."""

    key_setting = "stripe_invoicing_key_name"

    def create_invoice_item(self, params: JsonDict, idempotency_key: str) -> JsonDict:
        with stripe_errors("create invoice item"):
            item = self._v1.invoice_items.create(params, {"idempotency_key": idempotency_key})
            return to_dict(item)

    def create_invoice(self, params: JsonDict, idempotency_key: str) -> JsonDict:
        with stripe_errors("create invoice"):
            return to_dict(self._v1.invoices.create(params, {"idempotency_key": idempotency_key}))

    def finalize_invoice(self, invoice_id: str, idempotency_key: str) -> JsonDict:
        with stripe_errors(f"finalize {invoice_id}"):
            options = {"idempotency_key": idempotency_key}
            return to_dict(self._v1.invoices.finalize_invoice(invoice_id, None, options))

    def send_invoice(self, invoice_id: str, idempotency_key: str) -> JsonDict:
        with stripe_errors(f"send {invoice_id}"):
            options = {"idempotency_key": idempotency_key}
            return to_dict(self._v1.invoices.send_invoice(invoice_id, None, options))

    def retrieve_invoice(self, invoice_id: str) -> JsonDict:
        with stripe_errors(f"retrieve invoice {invoice_id}"):
            return to_dict(self._v1.invoices.retrieve(invoice_id))

    def list_invoices(
        self, customer: str, metadata_settlement_id: str | None = None
    ) -> list[JsonDict]:
        with stripe_errors(f"list invoices of {customer}"):
            page = self._v1.invoices.list({"customer": customer, "limit": 100})
            invoices = [to_dict(item) for item in page.auto_paging_iter()]
        if metadata_settlement_id is None:
            return invoices
        return [
            invoice
            for invoice in invoices
            if (invoice.get("metadata") or {}).get(SETTLEMENT_METADATA_KEY)
            == metadata_settlement_id
        ]
