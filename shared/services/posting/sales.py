"""What each Stripe document sells, as the lines and tax of its QBO sales form (README, "Sales
tax per company" and "The books file"): an invoice's lines on the items and classes the books
file maps them to, a credit note's lines, and a part of either (a refund, the credit a note
leaves on the balance, what a note paid back outside Stripe, a write-off), which carries each
Stripe rate's tax in proportion (``sales_tax.portion``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shared.domain.mapping import date_from_unix
from shared.domain.mapping_tax import (
    LineChoice,
    TaxRules,
    invoice_sale,
    note_sale,
    untaxed_part,
)
from shared.domain.qbo_models import Ref
from shared.domain.sales_tax import Part, TaxedForm, portion, sale_total
from shared.domain.stripe_models import StripeInvoice
from shared.domain.stripe_payments import StripeCreditNote
from shared.domain.stripe_tax import StripeTax
from shared.services.posting.products import ProductItems
from shared.services.posting.taxing import keep_stripes_tax, under_rules
from shared.services.posting.work import Work


def _invoice_taxes(invoice: StripeInvoice) -> list[StripeTax]:
    shipping = invoice.shipping_cost.taxes if invoice.shipping_cost is not None else ()
    return [t for line in invoice.lines for t in line.taxes] + list(shipping)


def _note_taxes(note: StripeCreditNote) -> list[StripeTax]:
    shipping = note.shipping_cost.taxes if note.shipping_cost is not None else ()
    return [t for line in note.lines for t in line.taxes] + list(shipping)


def invoice_day(invoice: StripeInvoice, work: Work) -> date:
    return date_from_unix(
        invoice.status_transitions.finalized_at or invoice.created, work.deps.books.tz
    )


def line_choices(work: Work, invoice: StripeInvoice, products: ProductItems) -> list[LineChoice]:
    """Each line's item (books file: by price, product or metadata; else the product's item,
    else the default item) and its class where the company tracks classes per line."""
    references, books = work.deps.references, work.deps.books
    per_line = references.company().class_per_line
    out: list[LineChoice] = []
    for line in invoice.lines:
        item = products.items.get(line.product_id or "") or references.default_item()
        entry = books.product_mapping(line.price_id, line.product_id, line.metadata)
        class_ref = None
        if entry is not None:
            if entry.item is not None:
                item = references.existing("Item", entry.item)
            elif entry.income_account is not None:
                item = references.income_item(entry.income_account)
            if entry.class_ is not None and per_line:
                class_ref = references.existing("Class", entry.class_)
        out.append(LineChoice(item, class_ref))
    return out


def department_of(work: Work, invoice: StripeInvoice) -> Ref | None:
    """The invoice's location where the company tracks them: the one every mapped line agrees
    on (a document has one location, Finance.xsd Transaction.DepartmentRef), else none."""
    references, books = work.deps.references, work.deps.books
    if not references.company().departments:
        return None
    named = {
        entry.department
        for line in invoice.lines
        if (entry := books.product_mapping(line.price_id, line.product_id, line.metadata))
        and entry.department
    }
    return references.existing("Department", named.pop()) if len(named) == 1 else None


def invoice_parts(
    work: Work, invoice: StripeInvoice, products: ProductItems | None = None
) -> list[Part]:
    """A finalized invoice's parts under the company's tax rules on its day; without
    ``products`` every line is on the default item (for a part of it, whose lines go on an item
    of their own, only the tax of the lines matters)."""
    if products is None:
        choices = [LineChoice(work.deps.references.default_item())] * len(invoice.lines)
    else:
        choices = line_choices(work, invoice, products)
    tz = work.deps.books.tz

    def build(rules: TaxRules) -> list[Part]:
        return invoice_sale(invoice, choices, rules, tz)

    return under_rules(work, invoice_day(invoice, work), _invoice_taxes(invoice), build)


def note_parts(work: Work, note: StripeCreditNote) -> list[Part]:
    """A credit note's parts (its lines on the default item) under the company's rules."""
    day = date_from_unix(note.effective_at or note.created, work.deps.books.tz)
    item = work.deps.references.default_item()

    def build(rules: TaxRules) -> list[Part]:
        return note_sale(note, item, rules)

    return under_rules(work, day, _note_taxes(note), build)


def no_tax_parts(work: Work, amount: int, item: Ref, description: str, day: date) -> list[Part]:
    """A sale Stripe has no tax data for (a charge without an invoice): one untaxed line."""

    def build(rules: TaxRules) -> list[Part]:
        return untaxed_part(amount, item, description, rules)

    return under_rules(work, day, (), build)


def part_of(
    parts: Sequence[Part], amount: int, item: Ref, description: str, total: int | None = None
) -> list[Part]:
    """``amount`` of a sale of ``total`` (default: the parts' sum) on ``item``: a line per tax
    code, each Stripe rate's tax in proportion (``sales_tax.portion``)."""
    return portion(parts, amount, sale_total(parts) if total is None else total, item, description)


def tax_kept(work: Work, stripe_id: str, entity: str) -> bool:
    """Nothing left to check: outside automated sales tax, or QBO was seen keeping Stripe's."""
    model = work.deps.references.company().tax_model
    return model != "us-ast" or work.done(stripe_id, f"{entity}:tax_kept") is not None


def kept_in_qbo(
    work: Work, stripe_id: str, kind: str, entity: str, qbo_id: str, *, form: TaxedForm
) -> None:
    """Under automated sales tax, QBO kept Stripe's tax (``taxing.keep_stripes_tax``), checked
    once per document; a refusal leaves it unchecked, so a replay checks (and fixes) it again."""
    if tax_kept(work, stripe_id, entity):
        return
    detail = form.detail.to_qbo() if form.detail is not None else None
    keep_stripes_tax(work, entity, qbo_id, form.total, detail)
    work.record(stripe_id, kind, f"{entity}:tax_kept", qbo_id)
