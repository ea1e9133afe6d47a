"""The fake QBO's request-schema check: one test per rule, each with QBO's Fault code and shape,
and what QBO accepts (python-quickbooks' own default bodies) accepted."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo
from local_emulator.fakes.qbo.wire import parse
from shared.adapters.clock import ManualClock

INVALID_PROPERTY = "Request has invalid or unsupported property"
JACKSON_END = " specified is unsupported or invalid"


@pytest.fixture
def fake() -> FakeQbo:
    return FakeQbo(clock=ManualClock())


@pytest.fixture
def customer(fake: FakeQbo) -> str:
    return str(fake.create("Customer", {"DisplayName": "Schema Co"})["Customer"]["Id"])


@pytest.fixture
def item(fake: FakeQbo) -> str:
    income = fake.books.account_by_subtype("SalesOfProductIncome")
    body = {"Name": "Widget", "IncomeAccountRef": {"value": income}}
    return str(fake.create("Item", body)["Item"]["Id"])


def invoice(customer: str, item: str, **extra: Any) -> dict[str, Any]:
    line = {
        "Amount": Decimal("10.00"),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item}},
    }
    return {"CustomerRef": {"value": customer}, "Line": [line], **extra}


def refused(fake: FakeQbo, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """The Fault answered over the request path, and that it was counted by its rule."""
    before = fake.request_counts()
    status, text = fake.respond(None, lambda: fake.create(entity, body))
    answer = parse(text)
    assert status == 400 and "Fault" in answer, answer
    (error,) = answer["Fault"]["Error"]
    assert answer["Fault"]["type"] == "ValidationFault"
    after = fake.request_counts()
    rules = {k: v - before.get(k, 0) for k, v in after.items() if k.startswith("schema_refused.")}
    error["rules"] = {k.removeprefix("schema_refused."): v for k, v in rules.items() if v}
    return dict(error)


def jackson(error: dict[str, Any]) -> str:
    """The Jackson text between QBO's "Property Name:" and " specified is unsupported..."."""
    assert error["code"] == "2010" and error["Message"] == INVALID_PROPERTY
    detail = str(error["Detail"])
    assert detail.startswith("Property Name:") and detail.endswith(JACKSON_END)
    return detail.removeprefix("Property Name:").removesuffix(JACKSON_END)


def test_unknown_element(fake: FakeQbo, customer: str, item: str) -> None:
    body = invoice(customer, item)
    body["Line"][0]["SalesItemLineDetail"]["Amount"] = Decimal("1.00")  # python-quickbooks#299
    error = refused(fake, "Invoice", body)
    text = jackson(error)
    assert text.startswith(
        'Unrecognized field "Amount" (class com.intuit.schema.finance.v3.SalesItemLineDetail), '
        "not marked as ignorable ("
    )
    assert '"ItemRef"' in text and '"UnitPrice"' in text
    assert error["rules"] == {"unknown_element": 1}


@pytest.mark.parametrize(
    "case",
    [
        ("Line", {"Amount": 1}, "java.util.ArrayList out of START_OBJECT token"),
        ("CustomerRef", "1", "com.intuit.schema.finance.v3.ReferenceType out of VALUE_STRING"),
        ("TxnDate", ["2026-01-01"], "java.util.Date out of START_ARRAY token"),
        ("PrivateNote", {"text": "x"}, "java.lang.String out of START_OBJECT token"),
    ],
)
def test_wrong_shape(fake: FakeQbo, customer: str, item: str, case: tuple[str, Any, str]) -> None:
    field, value, expected = case
    body = invoice(customer, item)
    body[field] = value
    error = refused(fake, "Invoice", body)
    assert jackson(error).startswith("Can not deserialize instance of " + expected)
    assert error["rules"] == {"shape": 1}


@pytest.mark.parametrize(
    "case",
    [
        ("Invoice", lambda b: b["Line"][0].update(DetailType="SubtotalLineDetail"),
         "LineDetailTypeEnum", "SubtotalLineDetail"),
        ("Invoice", lambda b: b.update(GlobalTaxCalculation="TaxExclusive"),
         "GlobalTaxCalculationEnum", "TaxExclusive"),
        ("JournalEntry", None, "PostingTypeEnum", "debit"),
        ("Account", None, "AccountTypeEnum", "Asset"),
    ],
)  # fmt: skip
def test_enumeration_typed_in_the_xsd(
    fake: FakeQbo, customer: str, item: str, case: tuple[str, Any, str, str]
) -> None:
    """python-quickbooks#145: 'Can not deserialize value of type ...LineDetailTypeEnum from
    String "SubtotalLineDetail": value not one of declared Enum instance names: [...]'."""
    entity, edit, enum, value = case
    if entity == "Invoice":
        body = invoice(customer, item)
        edit(body)
    elif entity == "JournalEntry":
        detail = {"PostingType": value, "AccountRef": {"value": "1"}}
        line = {
            "Amount": 1,
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": detail,
        }
        body = {"Line": [line]}
    else:
        body = {"Name": "Assets", "AccountType": value}
    error = refused(fake, entity, body)
    text = jackson(error)
    assert text.startswith(
        f"Can not deserialize value of type com.intuit.schema.finance.v3.{enum} from String "
        f'"{value}": value not one of declared Enum instance names: ['
    )
    assert error["rules"] == {"enumeration": 1}


def test_enumeration_documented_in_prose(fake: FakeQbo, customer: str) -> None:
    """AccountSubType and LinkedTxn.TxnType are strings in the XSD: QBO's business check answers
    2170 Invalid Enumeration (Intuit's 2017 list of frequent errors)."""
    error = refused(fake, "Account", {"Name": "X", "AccountType": "Bank", "AccountSubType": "Cash"})
    assert (error["code"], error["Message"]) == ("2170", "Invalid Enumeration")
    assert error["Detail"] == "Invalid Enumeration : Cash"
    payment = {
        "CustomerRef": {"value": customer},
        "TotalAmt": 1,
        "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": "1", "TxnType": "Invoyce"}]}],
    }
    assert refused(fake, "Payment", payment)["rules"] == {"enumeration": 1}


def test_read_only_elements_on_create(fake: FakeQbo, customer: str, item: str) -> None:
    error = refused(fake, "Invoice", invoice(customer, item, Balance=Decimal("5.00")))
    assert jackson(error) == "Balance is read only and cannot be set on create"
    assert error["rules"] == {"read_only": 1}
    meta = {"CreateTime": "2026-01-01T00:00:00-08:00"}
    assert refused(fake, "Invoice", invoice(customer, item, MetaData=meta))["rules"] == {
        "read_only": 1
    }


def test_read_only_defaults_are_accepted_and_ignored(
    fake: FakeQbo, customer: str, item: str
) -> None:
    """python-quickbooks sends ``"Balance": 0, "HomeBalance": 0`` in every new Invoice."""
    created = fake.create("Invoice", invoice(customer, item, Balance=0, HomeBalance=0))["Invoice"]
    assert created["Balance"] == Decimal("10.00")


@pytest.mark.parametrize(
    ("entity", "field"),
    [("Invoice", "CustomerRef"), ("Invoice", "Line"), ("Payment", "TotalAmt"),
     ("Deposit", "DepositToAccountRef"), ("Account", "Name")],
)  # fmt: skip
def test_required_elements(
    fake: FakeQbo, customer: str, item: str, entity: str, field: str
) -> None:
    bodies = {
        "Invoice": invoice(customer, item),
        "Payment": {"CustomerRef": {"value": customer}, "TotalAmt": 1, "Line": []},
        "Deposit": {"DepositToAccountRef": {"value": "3"}, "Line": [{"Amount": 1}]},
        "Account": {"Name": "N", "AccountType": "Bank"},
    }
    body = bodies[entity]
    body.pop(field)
    error = refused(fake, entity, body)
    assert error["code"] == "2020"
    assert error["Message"] == (
        "Required param missing, need to supply the required value for the API"
    )
    assert error["Detail"] == f"Required parameter {field} is missing in the request"
    assert error["rules"] == {"required": 1}


def test_line_amount_is_required_except_where_qbo_computes_it(
    fake: FakeQbo, customer: str, item: str
) -> None:
    body = invoice(customer, item)
    del body["Line"][0]["Amount"]
    assert refused(fake, "Invoice", body)["Detail"].endswith(
        "Line.Amount is missing in the request"
    )
    body = invoice(customer, item)
    body["Line"].append({"DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    assert fake.create("Invoice", body)["Invoice"]["TotalAmt"] == Decimal("10.00")


@pytest.mark.parametrize(
    "case",
    [("Invoice", "DocNumber", 21), ("Item", "Name", 100), ("Customer", "DisplayName", 500),
     ("Customer", "CompanyName", 100), ("Account", "Name", 100)],
)  # fmt: skip
def test_string_maxima(fake: FakeQbo, customer: str, item: str, case: tuple[str, str, int]) -> None:
    entity, field, maximum = case
    bodies: dict[str, dict[str, Any]] = {
        "Invoice": invoice(customer, item),
        "Item": {"IncomeAccountRef": {"value": "4"}},
        "Customer": {"DisplayName": "Long"},
        "Account": {"AccountType": "Bank"},
    }
    body = {**bodies[entity], field: "x" * (maximum + 1)}
    error = refused(fake, entity, body)
    assert error["code"] == "2050" and error["element"] == field
    assert error["Detail"] == (
        "String length specified does not match the supported length. "
        f"Min:0 Max:{maximum} supplied length:{maximum + 1}"
    )
    assert error["rules"] == {"max_length": 1}
    body[field] = "x" * maximum
    fake.create(entity, body)  # the maximum itself is fine


@pytest.mark.parametrize("text", ["12.50", "1.65E+3", "abc"])
def test_decimals_sent_as_json_strings(fake: FakeQbo, customer: str, item: str, text: str) -> None:
    body = invoice(customer, item)
    body["Line"][0]["SalesItemLineDetail"]["UnitPrice"] = text
    error = refused(fake, "Invoice", body)
    assert jackson(error).startswith(
        f"Can not construct instance of java.math.BigDecimal from String value '{text}'"
    )
    assert error["rules"] == {"decimal_as_string": 1}


def test_decimals_in_exponent_notation(fake: FakeQbo, customer: str, item: str) -> None:
    raw = json.dumps(invoice(customer, item), default=str).replace('"10.00"', "1.0E+1")
    error = refused(fake, "Invoice", parse(raw))
    assert jackson(error).startswith(
        "Can not construct instance of java.math.BigDecimal from a number in exponent notation"
    )
    assert error["rules"] == {"decimal_exponent": 1}
    plain = parse(raw.replace("1.0E+1", "10.00"))
    assert fake.create("Invoice", plain)["Invoice"]["TotalAmt"] == Decimal("10.00")


@pytest.mark.parametrize(
    ("entity", "kind"),
    [("Invoice", "DepositLineDetail"), ("Deposit", "SalesItemLineDetail"),
     ("JournalEntry", "DiscountLineDetail")],
)  # fmt: skip
def test_line_kinds_per_entity(fake: FakeQbo, entity: str, kind: str) -> None:
    body = {
        "CustomerRef": {"value": "1"},
        "DepositToAccountRef": {"value": "3"},
        "Line": [{"Amount": 1, "DetailType": kind, kind: {}}],
    }
    if entity != "Invoice":
        body.pop("CustomerRef")
    if entity != "Deposit":
        body.pop("DepositToAccountRef")
    error = refused(fake, entity, body)
    assert (error["code"], error["element"]) == ("6000", "Line.DetailType")
    assert error["Message"] == (
        "A business validation error has occurred while processing your request"
    )
    assert error["rules"] == {"detail_type": 1}


@pytest.mark.parametrize("name", ["Parent:Child", "Tab\there", "New\nline"])
@pytest.mark.parametrize(("entity", "field"), [("Customer", "DisplayName"), ("Item", "Name")])
def test_names_refuse_colon_tab_and_newline(
    fake: FakeQbo, entity: str, field: str, name: str
) -> None:
    """2040, as QBO answers it (StackOverflow 24529982: 'Invalid String. The String may contain
    unsupported or illegal chars ... Element contains invalid characters. Rob:Barnett:Company')."""
    body = {field: name, "IncomeAccountRef": {"value": "4"}} if entity == "Item" else {field: name}
    error = refused(fake, entity, body)
    assert (error["code"], error["element"]) == ("2040", field)
    assert error["Message"] == "Invalid String. The String may contain unsupported or illegal chars"
    assert error["Detail"] == f"Element contains invalid characters. {name}"
    assert error["rules"] == {"invalid_chars": 1}


def test_refusals_in_a_batch_are_counted_by_rule(fake: FakeQbo) -> None:
    body = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "A:B"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Fine"}},
        ]
    }
    answer = fake.batch(body)["BatchItemResponse"]
    assert answer[0]["Fault"]["Error"][0]["code"] == "2040"
    assert answer[1]["Customer"]["DisplayName"] == "Fine"
    assert fake.request_counts()["schema_refused.invalid_chars"] == 1


def test_what_python_quickbooks_sends_by_default_is_accepted(
    fake: FakeQbo, customer: str, item: str
) -> None:
    """Its objects' to_json(): empty strings for dates and amounts, SyncToken 0, read-only
    elements at zero, booleans, domain and sparse (quickbooks/objects, python-quickbooks)."""
    from quickbooks.objects.account import Account
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice
    from quickbooks.objects.item import Item

    new_customer = Customer()
    new_customer.DisplayName = "Default Co"
    new_account = Account()
    new_account.Name, new_account.AccountType = "Default Bank", "Bank"
    new_item = Item()
    new_item.Name, new_item.Type = "Default item", "Service"
    new_item.IncomeAccountRef = {"value": fake.books.account_by_subtype("SalesOfProductIncome")}
    line = SalesItemLine()
    line.Amount = 5
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = {"value": item}
    line.SalesItemLineDetail.UnitPrice, line.SalesItemLineDetail.Qty = 5, 1
    new_invoice = Invoice()
    new_invoice.CustomerRef = {"value": customer}
    new_invoice.Line = [line]
    for entity, obj in (("Customer", new_customer), ("Account", new_account),
                        ("Item", new_item), ("Invoice", new_invoice)):  # fmt: skip
        body: dict[str, Any] = parse(obj.to_json())
        status, text = fake.respond(None, partial(fake.create, entity, body))
        assert status == 200, text
    assert "schema_refused" not in fake.request_counts()
