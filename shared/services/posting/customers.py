"""Customers: one QBO customer per Stripe customer and currency, kept up to date."""

from __future__ import annotations

from shared.domain.idempotency import payload_hash, qbo_request_id_from
from shared.domain.mapping import CurrencyTerms, qbo_customer_from_stripe_customer
from shared.domain.money import normalize_currency
from shared.domain.qbo_models import Ref
from shared.domain.stripe_models import StripeCustomer
from shared.services.existing_books import Wanted
from shared.services.posting.matching import adopt_existing, adopted
from shared.services.posting.work import SyncResult, Work
from shared.services.qbo_lookup import find_all


def customer_key(terms: CurrencyTerms | None) -> str:
    return (
        f"Customer:{terms.currency.upper()}" if terms is not None and terms.foreign else "Customer"
    )


def ensure_customer(
    work: Work,
    customer_id: str,
    terms: CurrencyTerms | None = None,
    fetched: StripeCustomer | None = None,
) -> Ref:
    """The QBO customer for this Stripe customer in this currency; created on first use."""
    key = customer_key(terms)
    linked = work.done(customer_id, key)
    if linked is not None:
        return Ref(value=linked)
    customer = fetched or StripeCustomer.model_validate(
        work.deps.stripe.retrieve("customer", customer_id)
    )
    currency = (terms.currency if terms else work.deps.references.home_currency()).upper()
    wanted = Wanted(customer.id, email=customer.email, name=customer.name, currency=currency)
    existing = adopt_existing(work, customer.id, "customer", key, lambda b: b.customer(wanted))
    if existing is not None:
        return Ref(value=existing)
    document = qbo_customer_from_stripe_customer(customer, terms)
    qbo_id = work.ensure(
        customer.id,
        "customer",
        key,
        "Customer",
        build=document.to_qbo,
        lookup=lambda: find_all(work.deps.qbo, "Customer", "DisplayName", document.DisplayName),
    )
    return Ref(value=qbo_id)


def sync_customer(work: Work) -> SyncResult:
    """The customer's QBO record, and the adjustments made by hand to its credit balance."""
    # imported here: the balance needs credit notes, which need invoices, which need customers
    from shared.services.posting.customer_balance import post_balance_adjustments

    customer = StripeCustomer.model_validate(
        work.deps.stripe.retrieve("customer", work.request.object_id)
    )
    if customer.deleted:
        return SyncResult("SKIPPED", "Customer", reason="deleted in Stripe: kept in the books")
    work.hold("customer", customer.id)
    result = update_customer(work, customer)
    before = len(work.links)
    if post_balance_adjustments(work, customer.id) and len(work.links) > before:
        return SyncResult("COMPLETED", "Customer", result.qbo_entity_id, reason=result.reason)
    return result


def update_customer(work: Work, customer: StripeCustomer) -> SyncResult:
    """Create the customer in the currency it bills in (or adopt one the books hold), or bring
    the one we created up to date."""
    deps, customer_id = work.deps, customer.id
    # In the currency it bills in (a customer in another currency needs no home-currency twin)
    home = normalize_currency(deps.references.home_currency())
    terms = (
        CurrencyTerms(normalize_currency(customer.currency), home) if customer.currency else None
    )
    key = customer_key(terms)
    existing = work.current(customer_id, key)
    if existing is None or not existing.completed or not existing.qbo_entity_id:
        ref = ensure_customer(work, customer_id, terms, fetched=customer)
        return SyncResult("COMPLETED", "Customer", ref.value)
    body = qbo_customer_from_stripe_customer(customer, terms).to_qbo()
    if adopted(work, customer_id, key):
        return SyncResult(
            "SKIPPED", "Customer", existing.qbo_entity_id, reason="an existing customer, kept as is"
        )
    digest = payload_hash(body)
    if digest == existing.payload_hash:
        return SyncResult("SKIPPED", "Customer", existing.qbo_entity_id, reason="unchanged")
    work.writing(customer_id, key)
    current = deps.qbo.read("Customer", existing.qbo_entity_id)
    update = {
        **body,
        "Id": existing.qbo_entity_id,
        "SyncToken": current["SyncToken"],
        "sparse": True,
    }
    update.pop("CurrencyRef", None)  # fixed once the customer has documents
    # The SyncToken is part of the requestid: a change back to an earlier name is a new request,
    # never QBO's replay of the first one; a retry of a lost answer is the same request.
    request_id = qbo_request_id_from(f"cus-upd-{current['SyncToken']}-{digest[:8]}", customer_id)
    deps.qbo.update("Customer", update, request_id)
    work.record(customer_id, "customer", key, existing.qbo_entity_id, payload_hash=digest)
    return SyncResult("COMPLETED", "Customer", existing.qbo_entity_id, reason="updated")
