"""Which entity types the fake serves, and the rule object for each."""

from __future__ import annotations

from local_emulator.fakes.qbo.banking import (
    DepositRule,
    JournalEntryRule,
    PurchaseRule,
    TransferRule,
)
from local_emulator.fakes.qbo.payments import PaymentRule
from local_emulator.fakes.qbo.rules import (
    AccountRule,
    CustomerRule,
    EmployeeRule,
    EntityRule,
    ItemRule,
    VendorRule,
)
from local_emulator.fakes.qbo.sales import (
    CreditMemoRule,
    InvoiceRule,
    RefundReceiptRule,
    SalesReceiptRule,
)

RULES: dict[str, EntityRule] = {
    rule.entity: rule
    for rule in (
        AccountRule(),
        CustomerRule(),
        VendorRule(),
        EmployeeRule(),
        ItemRule(),
        InvoiceRule(),
        SalesReceiptRule(),
        CreditMemoRule(),
        RefundReceiptRule(),
        PaymentRule(),
        DepositRule(),
        JournalEntryRule(),
        PurchaseRule(),
        TransferRule(),
    )
}


def _register_late() -> None:
    from local_emulator.fakes.qbo.attachments import AttachableRule
    from local_emulator.fakes.qbo.company.reference import REFERENCE_RULES

    register(AttachableRule())
    for rule in REFERENCE_RULES:
        register(rule)


def register(rule: EntityRule) -> None:
    """Plug in another entity type (Bill, VendorCredit, ...)."""
    RULES[rule.entity] = rule


def canonical(name: str) -> str | None:
    """``invoice`` or ``Invoice`` -> ``Invoice``; None when the fake does not serve it."""
    lowered = name.lower()
    return next((entity for entity in RULES if entity.lower() == lowered), None)


_register_late()
