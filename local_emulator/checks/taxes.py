"""Tax per document: the tax QBO records on each sales form equals the tax Stripe charged for
it, in total and (where QBO names rates on documents) per rate percentage; and a company that
wants a tax code on every line has one on every line.

Expectations come from Stripe's figures only (never the sync's mapping): an invoice's or a credit
note's tax is the sum of its lines' and its shipping's tax entries; a part of a sale (a refund,
the part of a credit note kept as credit or paid back outside Stripe, an uncollectible invoice
written off) carries each Stripe rate's tax in proportion, rounded half-even (README, "Sales tax
per company"); a sale Stripe has no tax data for (a charge without an invoice) carries none.
QBO's tax is TxnTaxDetail.TotalTax, and, in a company on manual US sales tax, its lines on the
tax item. The company's tax model is read from its own Preferences and CompanyInfo in the state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from local_emulator.checks.books import (
    JsonDict,
    QboIndex,
    StripeBooks,
    Violation,
    amount_of,
    money,
    ref,
)
from local_emulator.checks.family import Context, no_bookings, no_documents, no_movements

SALES_FORMS = ("Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt")
TAX_ITEM = "Stripe sales tax"
Taxes = dict[str, int]  # Stripe tax rate id -> minor units


def tax_model(state: JsonDict) -> str:
    """us (manual, or no sales tax), us-ast, or global: what QBO asks of a sales form."""
    prefs = (state.get("Preferences") or [{}])[0]
    info = (state.get("CompanyInfo") or [{}])[0]
    tax = prefs.get("TaxPrefs") or {}
    if tax.get("PartnerTaxEnabled") is True:
        return "us-ast"
    country = str(info.get("Country") or "US").upper()
    return "global" if country not in ("US", "USA") and tax.get("UsingSalesTax") else "us"


def _entries(doc: JsonDict) -> Iterable[JsonDict]:
    lines = doc.get("lines") or {}
    for line in lines.get("data") or [] if isinstance(lines, dict) else []:
        yield from line.get("taxes") or []
    yield from (doc.get("shipping_cost") or {}).get("taxes") or []


def taxes_of(doc: JsonDict) -> Taxes:
    """Stripe rate id -> the tax of a whole invoice or credit note (lines and shipping)."""
    out: Taxes = defaultdict(int)
    for entry in _entries(doc):
        rate = (entry.get("tax_rate_details") or {}).get("tax_rate") or ref(entry.get("rate"))
        out[str(rate)] += int(entry.get("amount") or 0)
    return dict(out)


def _share(taxes: Taxes, amount: int, total: int) -> Taxes:
    if total <= 0:
        return {}
    return {
        rate: int((Decimal(amount * tax) / Decimal(total)).quantize(Decimal(1), ROUND_HALF_EVEN))
        for rate, tax in taxes.items()
    }


def _credited(note: JsonDict) -> int:
    refunded = sum(int(r.get("amount_refunded") or 0) for r in note.get("refunds") or [])
    return (
        int(note.get("post_payment_amount") or 0)
        - refunded
        - int(note.get("out_of_band_amount") or 0)
    )


def _off_stripe(note: JsonDict) -> int:
    reported = sum(
        int(r.get("amount_refunded") or 0)
        for r in note.get("refunds") or []
        if r.get("type") == "payment_record_refund"
    )
    return reported + int(note.get("out_of_band_amount") or 0)


def _note_total(note: JsonDict) -> int:
    total = note.get("total")
    return int(total if total is not None else note.get("amount") or 0)


def _refund_source(stripe: StripeBooks, refund: JsonDict) -> tuple[JsonDict, int] | None:
    """The taxed sale a refund gives back part of: the credit note naming it, else the invoice
    its charge paid."""
    for note in stripe.of("credit_note"):
        if any(ref(r.get("refund")) == refund["id"] for r in note.get("refunds") or []):
            return note, _note_total(note)
    charge = ref(refund.get("charge"))
    intent = ref(refund.get("payment_intent"))
    for payment in stripe.of("invoice_payment"):
        paid = payment.get("payment") or {}
        ids = {ref(paid.get("charge")), ref(paid.get("payment_intent"))} - {""}
        if ids & {charge, intent}:
            invoice = stripe.get("invoice", ref(payment.get("invoice")))
            if invoice is not None:
                return invoice, int(invoice["total"])
    return None


def expected_taxes(stripe: StripeBooks, kind: str, stripe_id: str) -> Taxes | None:
    """What Stripe charged for one document's source (None: not a taxed document we judge)."""
    if kind == "invoice":
        invoice = stripe.get("invoice", stripe_id)
        return taxes_of(invoice) if invoice and invoice.get("status") != "void" else None
    if kind in ("credit_note", "credit_note_refund"):
        note = stripe.get("credit_note", stripe_id)
        if note is None or note.get("status") == "void":
            return None
        whole = taxes_of(note)
        if kind == "credit_note_refund":
            return _share(whole, _off_stripe(note), _note_total(note))
        before = int(note.get("pre_payment_amount") or 0) or (
            _note_total(note) if note.get("type") == "pre_payment" else 0
        )
        return whole if before > 0 else _share(whole, _credited(note), _note_total(note))
    if kind in ("refund", "refund_reversal"):
        refund = stripe.get("refund", stripe_id)
        source = _refund_source(stripe, refund) if refund else None
        if refund is None or source is None:
            return {}
        return _share(taxes_of(source[0]), int(refund["amount"]), source[1])
    if kind == "invoice_writeoff":
        invoice = stripe.get("invoice", stripe_id)
        if invoice is None:
            return None
        return _share(taxes_of(invoice), int(invoice["amount_remaining"]), int(invoice["total"]))
    return {}


def _percent(stripe: StripeBooks, rate_id: str, doc: JsonDict) -> Decimal:
    rate = stripe.get("tax_rate", rate_id)
    if rate is None:  # shipping's entries carry the rate object
        for entry in _entries(doc):
            if ref(entry.get("rate")) == rate_id and isinstance(entry.get("rate"), dict):
                rate = entry["rate"]
    rate = rate or {}
    value = rate.get("effective_percentage")
    return Decimal(str(value if value is not None else rate.get("percentage") or 0))


def _qbo_tax(doc: JsonDict, model: str, tax_items: set[str]) -> Decimal:
    """TotalTax; in a US company on manual sales tax also its lines on the tax item (the sync's
    way there, beside QBO's own sales tax a company may use)."""
    recorded = amount_of((doc.get("TxnTaxDetail") or {}).get("TotalTax"))
    if model != "us":
        return recorded
    return recorded + sum(
        (
            amount_of(line.get("Amount"))
            for line in doc.get("Line") or []
            if str(((line.get("SalesItemLineDetail") or {}).get("ItemRef") or {}).get("value"))
            in tax_items
        ),
        Decimal(0),
    )


def check_document(
    ctx: Context, entity: str, marker: tuple[str, str], doc: JsonDict, model: str
) -> list[Violation]:
    """The tax rules for one QBO sales form of one Stripe source (``marker``: kind, id)."""
    kind, stripe_id = marker
    qbo: QboIndex = ctx.qbo
    out: list[Violation] = []
    currency = str((doc.get("CurrencyRef") or {}).get("value") or qbo.home)
    if model == "global":
        for line in doc.get("Line") or []:
            detail = line.get("SalesItemLineDetail")
            if isinstance(detail, dict) and not detail.get("TaxCodeRef"):
                what = f"QBO {entity} {doc.get('Id')} line {line.get('LineNum')} has no tax code"
                out.append(Violation("tax_code_missing", stripe_id, what))
    expected = expected_taxes(ctx.stripe, kind, stripe_id)
    if expected is None or amount_of(doc.get("TotalAmt")) == 0:
        return out  # void: nothing to judge
    tax_items = {str(i["Id"]) for i in qbo.docs("Item") if i.get("Name") == TAX_ITEM}
    want, got = money(sum(expected.values()), currency), _qbo_tax(doc, model, tax_items)
    if want != got:
        detail = f"QBO {entity} {doc.get('Id')} records tax {got}, Stripe charged {want}"
        out.append(Violation("tax_total", stripe_id, detail))
    if model == "global":
        source = _source(ctx.stripe, kind, stripe_id)
        stripe_by: dict[Decimal, int] = defaultdict(int)
        for rate, amount in expected.items():
            stripe_by[_percent(ctx.stripe, rate, source).normalize()] += amount
        qbo_by: dict[Decimal, Decimal] = defaultdict(Decimal)
        for line in (doc.get("TxnTaxDetail") or {}).get("TaxLine") or []:
            percent = amount_of((line.get("TaxLineDetail") or {}).get("TaxPercent"))
            qbo_by[percent.normalize()] += amount_of(line.get("Amount"))
        wanted = {p: money(a, currency) for p, a in stripe_by.items() if a}
        held = {p: a for p, a in qbo_by.items() if a}
        if wanted != held:
            detail = (
                f"QBO {entity} {doc.get('Id')} tax by rate {_show(held)}, Stripe {_show(wanted)}"
            )
            out.append(Violation("tax_by_rate", stripe_id, detail))
    return out


def _source(stripe: StripeBooks, kind: str, stripe_id: str) -> JsonDict:
    for object_type in ("invoice", "credit_note"):
        found = stripe.get(object_type, stripe_id)
        if found is not None:
            return found
    refund = stripe.get("refund", stripe_id)
    source = _refund_source(stripe, refund) if refund else None
    return source[0] if source else {}


def _show(values: dict[Decimal, Any]) -> str:
    return ", ".join(f"{p:f}%: {a}" for p, a in sorted(values.items())) or "none"


def check(ctx: Context) -> list[Violation]:
    model = tax_model(ctx.qbo.state)
    out: list[Violation] = []
    for (kind, stripe_id), found in sorted(ctx.qbo.marked.items()):
        for entity, doc in found:
            if entity in SALES_FORMS:
                out.extend(check_document(ctx, entity, (kind, stripe_id), doc, model))
    return out


expected_documents = no_documents
booked_at_event = no_bookings
clearing_movements = no_movements  # tax moves no money through clearing
