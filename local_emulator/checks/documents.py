"""Exactly once: every document the families expect is in QBO once (voided where Stripe voided
it), in its currency, for its amount; no marked document is in QBO that nobody expects, and no
transaction is there without a marker."""

from __future__ import annotations

from local_emulator.checks.books import (
    Expected,
    JsonDict,
    QboIndex,
    Violation,
    amount_of,
    currency_of,
    zeroed,
)


def check_documents(
    expected: list[Expected], qbo: QboIndex, doc_numbers: dict[str, str]
) -> list[Violation]:
    """``doc_numbers``: QBO DocNumber -> Stripe invoice id, to find a voided invoice whose void
    replaced its note (and with it the marker)."""
    out: list[Violation] = []
    wanted = {(e.kind, e.stripe_id): e for e in expected}
    claimed: set[int] = set()
    for exp in expected:
        found = qbo.found(exp.kind, exp.stripe_id, exp.entity)
        if exp.kind == "invoice" and exp.voided and not found:
            found = [
                d
                for entity, d in qbo.unmarked
                if entity == "Invoice" and doc_numbers.get(str(d.get("DocNumber"))) == exp.stripe_id
            ]
        claimed.update(id(d) for d in found)
        out.extend(_check_one(exp, found, qbo.home))
    for (kind, sid), marked in qbo.marked.items():
        if kind == "customer":
            continue  # customers are one per currency: the customers family checks them
        for entity, doc in marked:
            want = wanted.get((kind, sid))
            if want is None:
                detail = f"{entity} {doc.get('Id')} for a {kind} that should have none"
                out.append(Violation("unexpected", sid, detail))
            elif want.entity != entity:
                detail = f"{entity} {doc.get('Id')} for {kind}; expected a {want.entity}"
                out.append(Violation("unexpected", sid, detail))
    for entity, doc in qbo.unmarked:
        if id(doc) not in claimed and not zeroed(doc):
            detail = f"{entity} {doc.get('Id')} carries no Stripe marker"
            out.append(Violation("unattributed", "-", detail))
    return out


def _check_one(exp: Expected, found: list[JsonDict], home: str) -> list[Violation]:
    sid, what = exp.stripe_id, f"{exp.entity} for {exp.kind}"
    if exp.many:
        return [v for doc in found for v in _currency(exp, doc, home)]
    if len(found) > 1:
        ids = ", ".join(str(d.get("Id")) for d in found)
        return [Violation("duplicate", sid, f"{len(found)} QBO {what} (Ids {ids})")]
    if exp.voided:
        if found and not zeroed(found[0]):
            return [Violation("not_voided", sid, f"QBO {what} {found[0].get('Id')} is not void")]
        if not found and exp.kind == "invoice":
            return [Violation("missing", sid, f"no QBO {what} (voided)")]
        return []
    if not found:
        return [] if exp.optional else [Violation("missing", sid, f"no QBO {what}")]
    doc = found[0]
    out = _currency(exp, doc, home)
    if exp.amount is not None and amount_of(doc.get("TotalAmt")) != exp.amount:
        rule = "invoice_total" if exp.kind == "invoice" else "amount"
        detail = f"QBO {what} TotalAmt {amount_of(doc.get('TotalAmt'))}, Stripe {exp.amount}"
        out.append(Violation(rule, sid, detail))
    return out


def _currency(exp: Expected, doc: JsonDict, home: str) -> list[Violation]:
    if not exp.currency or currency_of(doc, home) == exp.currency.upper():
        return []
    detail = f"QBO {exp.entity} for {exp.kind} in {currency_of(doc, home)}, Stripe in " + (
        exp.currency.upper()
    )
    return [Violation("currency", exp.stripe_id, detail)]
