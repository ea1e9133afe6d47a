"""QBO Fault responses as the real service shapes them, raised inside the fake as QboFault."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape


class QboFault(Exception):  # noqa: N818 - QBO calls it a Fault
    """One Fault document: HTTP status, fault type and one or more errors."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        *,
        element: str = "",
        status: int = 400,
        fault_type: str = "ValidationFault",
        rule: str = "",
    ) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type
        self.rule = rule  # the request-schema rule that refused (counted), "" for others

    def fault(self) -> dict[str, Any]:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def stale_object() -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and another user were working on the same thing. "
        "The other user finished before you did, so your work was not saved.",
    )


def not_found(entity: str, entity_id: str) -> QboFault:
    return QboFault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. "
        f"({entity} Id={entity_id})",
    )


def required_missing(field: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {field} is missing in the request",
        element=field,
    )


def string_length(field: str, maximum: int, supplied: int) -> QboFault:
    return QboFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. "
        f"Min:0 Max:{maximum} supplied length:{supplied}",
        element=field,
    )


def invalid_reference(field: str, value: str) -> QboFault:
    return QboFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {field} with Id {value} does not exist or is inactive",
        element=field,
    )


def invalid_value(field: str, value: str) -> QboFault:
    return QboFault(
        "2010", "Request has invalid or unsupported property",
        f"Property Name:{field} specified is unsupported or invalid: {value}", element=field,
    )  # fmt: skip


def invalid_number(field: str) -> QboFault:
    return QboFault(
        "2070",
        "Invalid number format",
        f"The value of {field} is not a valid number",
        element=field,
    )


def duplicate_name(entity_id: str) -> QboFault:
    return QboFault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Id={entity_id}",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return QboFault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}",
    )


def business_rule(detail: str) -> QboFault:
    return QboFault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
    )


def amount_mismatch(supplied: str) -> QboFault:
    return QboFault(
        "6070",
        "Amount is not equal to UnitPrice * Qty",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
    )


def precision(field: str, value: str, currency: str, places: int) -> QboFault:
    return QboFault(
        "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: {field} {value} has more decimal places than "
        f"{currency} allows ({places})",
        element=field,
    )  # fmt: skip


def currency_mismatch(detail: str, element: str = "CurrencyRef") -> QboFault:
    return QboFault(
        "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}", element=element,
    )  # fmt: skip


def cannot_link(txn_id: str) -> QboFault:
    return QboFault(
        "620", "Transaction Cannot Be Linked",
        f"TxnID {txn_id} cannot be linked: it belongs to another customer or is not open",
    )  # fmt: skip


def invalid_query(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryParserError: {detail}")


def unsupported(detail: str) -> QboFault:
    return QboFault("500", "Unsupported Operation", detail)


def operation_unsupported(operation: str) -> QboFault:
    """An operation the entity does not support, e.g. ``?operation=void`` on a CreditMemo or a
    Purchase. Shape as a sandbox answered it (HTTP 400, ValidationFault, code 500, element
    Operation), quoted verbatim in a public project's capability notes; Intuit's SDK issue
    QuickBooks-V3-PHP-SDK#133 confirms CreditMemo void is not supported in QBO."""
    return QboFault(
        "500", "Unsupported Operation", f"Operation {operation} is not supported.",
        element="Operation",
    )  # fmt: skip


def cdc_too_old(changed_since: str) -> QboFault:
    """CDC asked for more than its 30-day look-back. The Detail is a real answer's, verbatim
    (Wish-Org/QuickBooksSharp#19); its code and element are not shown there and are taken from
    the same "Operation ... is not supported" family (``operation_unsupported``)."""
    return QboFault(
        "500", "Unsupported Operation",
        f"Operation cdc with changedSince date {changed_since} which is older than fixed days "
        "is not supported.",
        element="changedSince",
    )  # fmt: skip


def throttled(status: int = 429) -> QboFault:
    """3001 ThrottleExceeded, HTTP 429 or, in the older form, 403 (quickbooks-ruby fixtures
    too_many_requests_error.xml and throttle_exceeded_error.xml)."""
    return QboFault(
        "3001",
        f"message=ThrottleExceeded; errorCode=003001; statusCode={status}",
        "The request limit was reached.  Try again later",
        status=status,
        fault_type="SERVICE",
    )


def fault_xml(fault: QboFault, time: str) -> str:
    """The Fault as an XML IntuitResponse, the body QBO throttles with whatever was accepted."""
    error = (
        f'<Error code="{fault.code}"><Message>{escape(fault.message)}</Message>'
        f"<Detail>{escape(fault.detail)}</Detail></Error>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{escape(time)}" xmlns="http://schema.intuit.com/finance/v3">'
        f'<Fault type="{escape(fault.fault_type)}">{error}</Fault></IntuitResponse>'
    )


def system_fault(status: int = 500) -> QboFault:
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        status=status,
        fault_type="SystemFault",
    )


def authentication_failed(detail: str) -> QboFault:
    return QboFault(
        "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        status=401,
        fault_type="AuthenticationFault",
    )


def authorization_failed(detail: str) -> QboFault:
    return QboFault(
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        detail,
        status=403,
        fault_type="AuthorizationFault",
    )
