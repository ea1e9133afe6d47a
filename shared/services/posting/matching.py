"""Adopting what the books hold already: a Stripe customer or product matched to an existing QBO
customer or item (shared/services/existing_books.py) is linked to it instead of creating one.

The adoption is recorded twice: the role's own link (``Customer``, ``Item``...), which every
posting uses, and ``<role>:matched``, which says the entry was found, not written by us: its
name is never rewritten, and an undo unlinks it without touching it.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.services.existing_books import ExistingBooks
from shared.services.posting.work import Work

MATCHED = ":matched"


def adopted(work: Work, stripe_id: str, entity_key: str) -> bool:
    """Whether this role's QBO entry was adopted from the existing books."""
    return work.done(stripe_id, entity_key + MATCHED) is not None


def adopt_existing(
    work: Work,
    stripe_id: str,
    stripe_type: str,
    entity_key: str,
    find: Callable[[ExistingBooks], str | None],
) -> str | None:
    """The existing QBO entry this role adopts (now linked), or None: create one.

    AmbiguousMatchError (permanent: FAILED, naming the candidates) when several fit.
    """
    books = work.deps.existing
    if books is None:
        return None
    qbo_id = find(books)
    if qbo_id is None:
        return None
    work.record(stripe_id, stripe_type, entity_key, qbo_id)
    work.record(stripe_id, stripe_type, entity_key + MATCHED, qbo_id)
    return qbo_id
