"""The tax of the sales forms a sync writes (README, "Sales tax per company"): the rules for the
company's tax model, with the Stripe tax rates a document names (read once per instance) and
the company's tax setup (read again once before a tax mapping gap is reported); the items the
lines point at; and, where automated sales tax could replace Stripe's figure, the check that QBO
kept it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from shared.domain.idempotency import qbo_request_id_from
from shared.domain.mapping import CurrencyTerms
from shared.domain.mapping_tax import TaxRules
from shared.domain.qbo_models import Ref
from shared.domain.sales_tax import FormRefs, Part, TaxedForm, taxed_form
from shared.domain.stripe_tax import StripeTax, rate_ids
from shared.errors import TaxMappingGapError, TaxOverrideRefusedError
from shared.ports import JsonDict
from shared.services.posting.work import Work

T = TypeVar("T")
SALES_FORMS = frozenset({"Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt"})


def tax_rules(
    work: Work, day: date, taxes: Iterable[StripeTax], *, fresh: bool = False
) -> TaxRules:
    """The company's rules on ``day``; a company that codes every line gets its tax setup and
    the Stripe rates ``taxes`` name."""
    references = work.deps.references
    model = references.company().tax_model
    if model != "global":
        return TaxRules(model, day, work.deps.books.tax)
    return TaxRules(
        model,
        day,
        work.deps.books.tax,
        references.company_reader.tax_book(fresh=fresh),
        work.deps.tax_rates.read(work.deps.stripe, rate_ids(taxes)),
    )


def under_rules(
    work: Work, day: date, taxes: Iterable[StripeTax], build: Callable[[TaxRules], T]
) -> T:
    """``build`` under the company's rules; a tax mapping gap is tried once more with the tax
    setup read afresh (a code an accountant just added in QBO is then found)."""
    named = list(taxes)
    try:
        return build(tax_rules(work, day, named))
    except TaxMappingGapError:
        return build(tax_rules(work, day, named, fresh=True))


def _ast_code(work: Work) -> Ref | None:
    """us-ast: the code the books file names for Stripe's tax (None: the one AST assigns)."""
    name = work.deps.books.tax.ast_tax_code
    if not name:
        return None
    code = work.deps.references.company_reader.tax_book().code(name)
    if code is None:
        raise TaxMappingGapError(
            f"[tax] ast_tax_code names QBO tax code {name!r}, which the company has not"
        )
    return Ref(value=code.id)


def form_refs(work: Work, parts: Iterable[Part], item: Ref | None = None) -> FormRefs:
    """The items and accounts the parts' lines need, and nothing more (each found or created
    on first use)."""
    references, items = work.deps.references, work.deps.books.items
    kinds = {p.kind for p in parts}
    model = references.company().tax_model
    return FormRefs(
        item=item,
        tax_item=references.item(items.tax, "tax") if model == "us" else None,
        discount_account=references.account("discounts") if "discount" in kinds else None,
        discount_item=(
            references.item(items.discounts, "discounts")
            if "discount" in kinds and model == "global"
            else None
        ),
        credits_item=(
            references.item(items.billing_credits, "discounts") if "credits" in kinds else None
        ),
        shipping_item=references.item(items.shipping) if "shipping" in kinds else None,
    )


def taxed(
    work: Work, parts: list[Part], terms: CurrencyTerms, *, total: Decimal | None = None
) -> TaxedForm:
    """The lines and tax of a sales form of ``parts`` under the company's tax model."""
    model = work.deps.references.company().tax_model
    refs = form_refs(work, parts)
    ast = _ast_code(work) if model == "us-ast" else None
    return taxed_form(parts, model, refs, terms, total=total, ast_code=ast)


def keep_stripes_tax(
    work: Work, entity: str, qbo_id: str, expected: Decimal, detail: JsonDict | None
) -> None:
    """Automated sales tax honours an app's TotalTax only when the company lets apps override
    it (a setting the API cannot read): read the document back; if QBO computed its own, send
    Stripe's again once (a replay after the setting is turned on fixes it in place), and if QBO
    still keeps its own, the document is FAILED naming the setting."""
    if work.deps.references.company().tax_model != "us-ast" or detail is None:
        return
    document = work.deps.qbo.read(entity, qbo_id)
    if Decimal(str(document.get("TotalAmt"))) == expected:
        return
    token = str(document["SyncToken"])
    update = {"Id": qbo_id, "SyncToken": token, "sparse": True, "TxnTaxDetail": detail}
    work.writing(qbo_id, f"{entity}:tax")
    answer = work.deps.qbo.update(
        entity, update, qbo_request_id_from(f"tax-{entity.lower()}-{token}", qbo_id)
    )
    if Decimal(str(answer.get("TotalAmt"))) != expected:
        raise TaxOverrideRefusedError(
            f"QBO {entity} {qbo_id} totals {answer.get('TotalAmt')}, Stripe {expected}: QBO's "
            "automated sales tax replaced the tax Stripe charged. Turn on the company's setting "
            "that lets apps override automated sales tax (Taxes > Sales tax settings), then "
            "replay this object"
        )
