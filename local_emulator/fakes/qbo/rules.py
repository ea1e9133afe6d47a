"""The rule interface every entity type implements, and the shared name-list rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from local_emulator.fakes.qbo import currency, errors
from local_emulator.fakes.qbo.books import CLASSIFICATION, Books, JsonDict, ref_value

ZERO = Decimal("0.00")
# Account types that may be kept in a foreign currency; income and expense are always home.
FOREIGN_CAPABLE = frozenset(
    {"Bank", "Accounts Receivable", "Accounts Payable", "Credit Card", "Other Current Asset",
     "Other Current Liability", "Other Asset", "Long Term Liability"}
)  # fmt: skip


def currency_of(doc: JsonDict, books: Books, old: JsonDict | None, what: str) -> str:
    """The entity's CurrencyRef (default home), which cannot change once it has been used."""
    given = ref_value(doc, "CurrencyRef")
    code = currency.code(given) if given is not None else None
    if code is None:
        code = (ref_value(old, "CurrencyRef") if old else None) or books.home
    if code != books.home and not books.multicurrency:
        raise errors.currency_mismatch(
            f"the company does not use multiple currencies; {code} cannot be used"
        )
    if old is not None and code != (ref_value(old, "CurrencyRef") or books.home):
        entity_id = str(old["Id"])
        used = (what == "customer" and books.customer_has_transactions(entity_id)) or (
            what == "account" and books.has_postings(entity_id)
        )
        if used:
            raise errors.currency_mismatch(
                f"the currency of a {what} with transactions cannot be changed"
            )
    doc["CurrencyRef"] = currency.ref(code)
    return code


class EntityRule:
    """How one entity type is validated, derived and booked.

    The engine calls ``prepare`` (validate; fill computed fields) with the ledger effects of the
    previous version already undone, then ``apply`` for the stored result.
    """

    entity: ClassVar[str] = ""
    deletable: ClassVar[bool] = False
    # How QBO voids this entity: "operation" (``?operation=void``: Invoice), "include"
    # (``?operation=update&include=void`` with a sparse body: Payment, SalesReceipt), or None.
    void_form: ClassVar[str | None] = None
    creatable: ClassVar[bool] = True  # False: the API only reads it (TaxCode, CompanyInfo, ...)
    updatable: ClassVar[bool] = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        """Book the stored document's effects (ledger postings, links)."""

    def unapply(self, doc: JsonDict, books: Books) -> None:
        """Undo ``apply`` (before an update, a void or a delete)."""
        books.unpost((self.entity, str(doc["Id"])))

    def check_change(self, doc: JsonDict, books: Books) -> None:
        """Refuse any update, void or delete of ``doc`` (a deposited payment: 6540)."""

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        raise errors.unsupported(f"Operation void is not supported for {self.entity}")

    def check_delete(self, doc: JsonDict, books: Books) -> None:
        if not self.deletable:
            raise errors.unsupported(
                f"Operation delete is not supported for {self.entity}; make it inactive instead"
            )


class NameRule(EntityRule):
    """A list entity with a unique name (case-insensitive) within a namespace of entity types."""

    name_field: ClassVar[str] = "Name"
    namespace: ClassVar[tuple[str, ...]] = ()

    def display_name(self, doc: JsonDict) -> str:
        value = doc.get(self.name_field)
        if not isinstance(value, str) or not value.strip():
            raise errors.required_missing(self.name_field)
        return value

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        name = self.display_name(doc).strip()
        doc[self.name_field] = name
        doc.setdefault("Active", True)
        if doc["Active"] is not False:
            own_id = str(old["Id"]) if old else None
            for other_type in self.namespace or (self.entity,):
                field = NAME_FIELDS.get(other_type, "Name")
                for other in books.lookup(other_type, field, name):
                    same = other_type == self.entity and str(other["Id"]) == own_id
                    if not same and other.get("Active") is not False:
                        raise errors.duplicate_name(str(other["Id"]))
        doc["FullyQualifiedName"] = name
        return doc


NAME_FIELDS = {"Customer": "DisplayName", "Vendor": "DisplayName", "Employee": "DisplayName"}
PARTIES = ("Customer", "Vendor", "Employee")


class PartyRule(NameRule):
    """Customer, Vendor, Employee: DisplayName unique across all three (6240)."""

    name_field = "DisplayName"
    namespace = PARTIES

    def display_name(self, doc: JsonDict) -> str:
        value = doc.get("DisplayName")
        if not (isinstance(value, str) and value.strip()):
            parts = [doc.get(k) for k in ("GivenName", "MiddleName", "FamilyName")]
            value = " ".join(p for p in parts if isinstance(p, str) and p) or doc.get("CompanyName")
        if not isinstance(value, str) or not value.strip():
            raise errors.required_missing("DisplayName")
        if len(value) > 500:
            raise errors.string_length("DisplayName", 500, len(value))
        return value

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        doc.setdefault("PrintOnCheckName", doc["DisplayName"])
        currency_of(doc, books, old, self.entity.lower())
        return doc


class CustomerRule(PartyRule):
    entity = "Customer"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        doc.setdefault("Job", False)
        doc.setdefault("BillWithParent", False)
        doc.setdefault("Taxable", False)
        balance = old.get("Balance", ZERO) if old else ZERO
        doc["Balance"] = balance
        doc["BalanceWithJobs"] = balance
        return doc


class VendorRule(PartyRule):
    entity = "Vendor"


class EmployeeRule(PartyRule):
    entity = "Employee"


class ItemRule(NameRule):
    entity = "Item"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        doc.setdefault("Type", "Service")
        if doc["Type"] in ("Service", "NonInventory"):
            books.require_ref(doc, "IncomeAccountRef", "Account")
        else:
            books.require_ref(doc, "IncomeAccountRef", "Account", required=False)
        doc.setdefault("UnitPrice", 0)
        doc.setdefault("TrackQtyOnHand", False)
        return doc


SUBTYPE_TYPES = {
    "AccountsReceivable": "Accounts Receivable",
    "UndepositedFunds": "Other Current Asset",
    "Checking": "Bank",
    "Savings": "Bank",
    "SalesOfProductIncome": "Income",
    "ServiceFeeIncome": "Income",
    "DiscountsRefundsGiven": "Income",
    "SalesTaxPayable": "Other Current Liability",
    "BadDebts": "Expense",
    "BankCharges": "Expense",
}


class AccountRule(NameRule):
    entity = "Account"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        if len(doc["Name"]) > 100:
            raise errors.string_length("Name", 100, len(doc["Name"]))
        account_type = doc.get("AccountType") or SUBTYPE_TYPES.get(str(doc.get("AccountSubType")))
        if not account_type:
            raise errors.required_missing("AccountType")
        if account_type not in CLASSIFICATION:
            raise errors.QboFault(
                "2170", "Invalid Enumeration", f"Invalid AccountType {account_type}",
                element="AccountType",
            )  # fmt: skip
        doc["AccountType"] = account_type
        doc["Classification"] = CLASSIFICATION[account_type]
        doc.setdefault("SubAccount", False)
        code = currency_of(doc, books, old, "account")
        if code != books.home and account_type not in FOREIGN_CAPABLE:
            raise errors.currency_mismatch(
                f"an account of type {account_type} is kept in the home currency {books.home}"
            )
        balance: Any = old.get("CurrentBalance", ZERO) if old else ZERO
        doc["CurrentBalance"] = balance
        doc["CurrentBalanceWithSubAccounts"] = balance
        return doc
