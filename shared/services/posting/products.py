"""Products as QBO items, created on first use; a product Stripe will not let us read never keeps
an invoice out of QBO: its lines go on the default item, and the link says why."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.domain.names import ITEM_NAME_MAX, name_with_id
from shared.domain.qbo_models import QboItem, Ref
from shared.domain.stripe_payments import StripeProduct
from shared.errors import NotFoundError, PermissionDeniedError
from shared.services.existing_books import Wanted
from shared.services.posting.matching import adopt_existing
from shared.services.posting.work import SyncResult, Work
from shared.services.qbo_lookup import find_all

PRODUCT_UNREADABLE = "product_unreadable"


@dataclass
class ProductItems:
    """The items of an invoice's products, and why any product fell back to the default item."""

    items: dict[str, Ref] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)  # product id -> why

    @property
    def detail(self) -> tuple[str, str] | None:
        """(code, text) for the invoice's link, when some lines are on the default item."""
        if not self.fallbacks:
            return None
        reasons = "; ".join(f"{pid}: {why}" for pid, why in sorted(self.fallbacks.items()))
        return PRODUCT_UNREADABLE, f"lines posted on the default item ({reasons})"[:500]


def _unreadable(work: Work, product_id: str, why: str) -> None:
    default = work.deps.references.default_item()
    work.note(product_id, "product", "Item", default.value, code=PRODUCT_UNREADABLE, why=why)


def ensure_product_item(work: Work, product_id: str) -> Ref | str:
    """The product's QBO item, or the reason it cannot have one (deleted, or not readable)."""
    linked = work.done(product_id, "Item")
    if linked is not None:
        return Ref(value=linked)
    try:
        raw = work.deps.stripe.retrieve("product", product_id)
    except NotFoundError:
        return "deleted in Stripe (resource_missing)"
    except PermissionDeniedError as denied:
        return f"the Stripe key may not read products ({denied.code})"
    product = StripeProduct.model_validate(raw)
    if product.deleted:
        return "deleted in Stripe"
    wanted = Wanted(product.id, name=product.name)
    existing = adopt_existing(work, product.id, "product", "Item", lambda b: b.item(wanted))
    if existing is not None:
        return Ref(value=existing)
    name = name_with_id(product.name, f" [{product.id}]", ITEM_NAME_MAX)
    item = QboItem(
        Name=name,
        IncomeAccountRef=work.deps.references.account("income"),
        Description=f"Stripe product {product.id}",
    )
    return Ref(
        value=work.ensure(
            product.id,
            "product",
            "Item",
            "Item",
            build=item.to_qbo,
            lookup=lambda: find_all(work.deps.qbo, "Item", "Name", name),
        )
    )


def product_items(work: Work, product_ids: set[str]) -> ProductItems:
    """Items for every product named by the lines; unreadable ones are noted, not fatal."""
    found = ProductItems()
    for product_id in sorted(product_ids):
        item = ensure_product_item(work, product_id)
        if isinstance(item, Ref):
            found.items[product_id] = item
        else:
            found.fallbacks[product_id] = item
            _unreadable(work, product_id, f"posted on the default item: {item}")
    return found


def sync_product(work: Work) -> SyncResult:
    """A product as its QBO item (a backfill lists products; invoices create theirs on use)."""
    work.hold("product", work.request.object_id)
    item = ensure_product_item(work, work.request.object_id)
    if isinstance(item, Ref):
        return SyncResult("COMPLETED", "Item", item.value)
    return SyncResult("SKIPPED", "Item", reason=f"product {item}")
