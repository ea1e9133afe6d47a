"""Which balance transactions a payout books.

An automatic payout: the ones Stripe lists under it (``?payout=``), once its
``reconciliation_status`` is ``completed``. A manual payout: Stripe cannot say ("You control the
timing and amount of manual payouts, so Stripe can't identify which transactions are included
in each payout", docs.stripe.com/payouts/reconciliation), so each manual payout books the
balance transactions of its *window*: those in its currency created after the previous manual
payout in that currency (one not canceled) and up to its own creation. The windows of
successive manual payouts do not overlap and leave nothing out, so every fee is booked once,
and the deposit is the payout's amount whatever it holds.
"""

from __future__ import annotations

from shared.domain.mapping_payouts import PAYOUT_MOVEMENTS, StripePayout
from shared.domain.stripe_payments import StripeBalanceTransaction
from shared.ports import JsonDict, StripeGateway

PAGE = 100


def payout_transactions(
    stripe: StripeGateway, payout: StripePayout, *, since: int | None = None
) -> list[StripeBalanceTransaction]:
    """The balance transactions the payout books (its own one included for an automatic
    payout). ``since``: nothing created before it (the cutover's first moment) is booked."""
    if payout.automatic:
        raws = stripe.list_objects("balance_transaction", {"payout": payout.id})
    else:
        raws = [
            raw
            for raw in stripe.list_objects("balance_transaction", manual_window(stripe, payout))
            if str(raw.get("type")) not in PAYOUT_MOVEMENTS
        ]
    txns = [StripeBalanceTransaction.model_validate(raw) for raw in raws]
    if since is not None and not payout.automatic:
        txns = [t for t in txns if t.created >= since]
    return txns


def manual_window(stripe: StripeGateway, payout: StripePayout) -> JsonDict:
    """List filters for a manual payout's window: its currency, created in (previous, own]."""
    created: JsonDict = {"lte": payout.created}
    previous = previous_manual_payout(stripe, payout)
    if previous is not None:
        created["gt"] = int(previous["created"])
    return {"currency": payout.currency.lower(), "created": created}


def previous_manual_payout(stripe: StripeGateway, payout: StripePayout) -> JsonDict | None:
    """The latest manual payout in the same currency created before this one and not canceled
    (a canceled payout posts nothing, so its window belongs to the next one). Payouts are
    listed newest first: usually the first page has it."""
    after: str | None = None
    while True:
        page = stripe.list_page(
            "payout", {"created": {"lt": payout.created}}, starting_after=after, limit=PAGE
        )
        for raw in page.objects:
            if (
                raw.get("automatic") is False
                and str(raw.get("currency")).lower() == payout.currency.lower()
                and raw.get("status") != "canceled"
            ):
                return raw
        if not page.has_more or not page.objects:
            return None
        after = str(page.objects[-1]["id"])
