"""Checks per entity that the XSD cannot express: required elements on create, which line kinds
each entity takes, and what a name may hold. Each rule cites where it comes from."""

from __future__ import annotations

from typing import Any

from local_emulator.fakes.qbo.schema import faults

JsonDict = dict[str, Any]

# Required on create (Intuit API reference, "Create an <entity>": the request body's required
# elements; Account.Name also "Required: ALL" in Finance.xsd). Checked after the XSD check, before
# the engine's business rules, so a missing element is always a 2020.
REQUIRED_ON_CREATE: dict[str, tuple[str, ...]] = {
    "Account": ("Name",),
    "Item": ("Name",),
    "Invoice": ("CustomerRef", "Line"),
    "CreditMemo": ("CustomerRef", "Line"),
    "SalesReceipt": ("Line",),
    "RefundReceipt": ("Line", "DepositToAccountRef"),
    "Payment": ("CustomerRef", "TotalAmt"),
    "Deposit": ("DepositToAccountRef", "Line"),
    "JournalEntry": ("Line",),
    "Purchase": ("AccountRef", "PaymentType", "Line"),
    "Transfer": ("FromAccountRef", "ToAccountRef", "Amount"),
}
# Line.Amount: "Required for BillPayment, Check, Estimate, Invoice, JournalEntry, Payment,
# SalesReceipt" (Finance.xsd, Line/Amount), except where QBO computes it: a SubTotalLine, and a
# DiscountLine with PercentBased true (Intuit API reference, DiscountLineDetail.DiscountPercent).
LINE_AMOUNT_REQUIRED = frozenset({"Estimate", "Invoice", "JournalEntry", "Payment", "SalesReceipt"})

# The line kinds each entity takes (Intuit API reference, the Line element of each entity: a sales
# form takes SalesItemLine, GroupLine, DescriptionOnlyLine, DiscountLine, SubTotalLine; a Deposit
# DepositLine; a JournalEntry JournalEntryLine (and DescriptionOnly); an expense
# AccountBasedExpenseLine or ItemBasedExpenseLine). Payment lines carry no DetailType at all.
_SALES = frozenset(
    {"SalesItemLineDetail", "GroupLineDetail", "DescriptionOnly", "DiscountLineDetail",
     "SubTotalLineDetail"}
)  # fmt: skip
_EXPENSE = frozenset({"AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"})
LINE_KINDS: dict[str, frozenset[str]] = {
    "Invoice": _SALES,
    "CreditMemo": _SALES,
    "SalesReceipt": _SALES,
    "RefundReceipt": _SALES,
    "Estimate": _SALES,
    "Deposit": frozenset({"DepositLineDetail"}),
    "JournalEntry": frozenset({"JournalEntryLineDetail", "DescriptionOnly"}),
    "Purchase": _EXPENSE,
    "Bill": _EXPENSE,
    "VendorCredit": _EXPENSE,
    "Payment": frozenset(),
}
# Lines that link another transaction may leave DetailType out: a Payment's lines, and a
# Deposit's lines that take a payment out of Undeposited Funds (real sandbox Deposits, Airbyte's
# QBO records; quickbooks-ruby spec/fixtures/deposit.xml).
LINKED_WITHOUT_KIND = frozenset({"Payment", "Deposit"})

# Names: ":" separates parent and child in FullyQualifiedName ("The customer name must not contain
# a colon (:)", IntuitNamesTypes.xsd, Customer); tab and newline are refused as well (Intuit API
# reference, Customer.DisplayName and Item.Name). All three answer 2040.
NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "Customer": ("DisplayName",),
    "Vendor": ("DisplayName",),
    "Employee": ("DisplayName",),
    "Item": ("Name",),
}
FORBIDDEN_IN_NAMES = (":", "\t", "\n", "\r")
# Maxima the XSD leaves out (Intuit API reference, Customer/Vendor/Employee): DisplayName 500,
# CompanyName 100, PrintOnCheckName 110. Item.Name (100) and Account.Name (100) are in the XSD.
NAME_MAXIMA: dict[str, int] = {"DisplayName": 500, "CompanyName": 100, "PrintOnCheckName": 110}
PARTIES = frozenset({"Customer", "Vendor", "Employee"})


def check_entity(entity: str, body: JsonDict, *, create: bool) -> None:
    """Raise the QboFault for the first broken rule; ``body`` is already XSD-checked."""
    if create:
        for name in REQUIRED_ON_CREATE.get(entity, ()):
            if body.get(name) in (None, "", []):
                raise faults.required(name)
    _check_names(entity, body)
    kinds = LINE_KINDS.get(entity)
    if kinds is not None:
        for line in body.get("Line") or []:
            _check_line(entity, kinds, line)


def _check_names(entity: str, body: JsonDict) -> None:
    for field in NAME_FIELDS.get(entity, ()):
        value = body.get(field)
        if isinstance(value, str) and any(c in value for c in FORBIDDEN_IN_NAMES):
            raise faults.invalid_characters(field, value)
    if entity in PARTIES:
        for field, maximum in NAME_MAXIMA.items():
            value = body.get(field)
            if isinstance(value, str) and len(value) > maximum:
                raise faults.too_long(field, maximum, len(value))


def _check_line(entity: str, kinds: frozenset[str], line: JsonDict) -> None:
    kind = line.get("DetailType")
    percent = (line.get("DiscountLineDetail") or {}).get("PercentBased") is True
    computed = kind == "SubTotalLineDetail" or (kind == "DiscountLineDetail" and percent)
    if "Amount" not in line and entity in LINE_AMOUNT_REQUIRED and not computed:
        raise faults.required("Line.Amount")
    if kind is None:
        if line.get("LinkedTxn") and entity in LINKED_WITHOUT_KIND:
            return
        raise faults.required("Line.DetailType")
    if kind not in kinds:
        raise faults.detail_type(entity, str(kind))
    own = "DescriptionLineDetail" if kind == "DescriptionOnly" else kind
    others = [k for k in line if k.endswith("LineDetail") and k != own]
    if others:
        raise faults.detail_type(entity, f"{kind} carrying {others[0]}")
