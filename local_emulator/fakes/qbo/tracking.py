"""Classes and locations on sales forms: a line's ClassRef, a document's ClassRef and
DepartmentRef, each only where the company tracks it (Preferences.AccountingInfoPrefs:
ClassTrackingPerTxnLine, ClassTrackingPerTxn, TrackDepartments; Finance.xsd
CompanyAccountingPrefs, SalesItemLineDetail.ClassRef, Transaction.DepartmentRef).

What QBO does with a reference the company does not track is UNCONFIRMED: the fake refuses it
(stricter), so the sync must send only what the company tracks."""

from __future__ import annotations

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.books import Books, JsonDict, ref_value


def _tracked(books: Books, name: str, field: str) -> None:
    if books.preference("AccountingInfoPrefs", name) is not True:
        raise errors.business_rule(
            f"{field} needs {name} on in the company's settings (AccountingInfoPrefs)"
        )


def check_tracking(doc: JsonDict, lines: list[JsonDict], books: Books) -> None:
    """Refuse a class or location the company does not track, or one that is not active."""
    for line in lines:
        detail = line["SalesItemLineDetail"]
        if ref_value(detail, "ClassRef") is not None:
            _tracked(books, "ClassTrackingPerTxnLine", "ClassRef")
            books.require_ref(detail, "ClassRef", "Class")
    if ref_value(doc, "ClassRef") is not None:
        _tracked(books, "ClassTrackingPerTxn", "ClassRef")
        books.require_ref(doc, "ClassRef", "Class")
    if ref_value(doc, "DepartmentRef") is not None:
        _tracked(books, "TrackDepartments", "DepartmentRef")
        books.require_ref(doc, "DepartmentRef", "Department")
