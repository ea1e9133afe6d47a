"""The fake QBO's query language: parser, filters, paging, response shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo, QboFault
from local_emulator.fakes.qbo.query import parse_query
from shared.adapters.clock import ManualClock


@pytest.fixture
def fake() -> FakeQbo:
    fake = FakeQbo(clock=ManualClock())
    for name in ("Alpha", "Beta", "Gamma's", "Delta"):
        fake.create("Customer", {"DisplayName": name, "CompanyName": name.upper()})
    return fake


def test_parse_full_statement() -> None:
    query = parse_query(
        "SELECT * FROM Invoice WHERE DocNumber = 'X-1' AND TotalAmt >= 10.5 "
        "ORDERBY TxnDate DESC STARTPOSITION 3 MAXRESULTS 2000"
    )
    assert query.entity == "Invoice"
    assert [(c.field, c.op, c.values) for c in query.conditions] == [
        ("DocNumber", "=", ("X-1",)),
        ("TotalAmt", ">=", (Decimal("10.5"),)),
    ]
    assert query.order_by == [("TxnDate", True)]
    assert (query.start_position, query.max_results) == (3, 1000)


def test_parse_count_in_like_and_escapes() -> None:
    query = parse_query(
        "select count(*) from Customer where Id in ('1', '2') and DisplayName like 'G%'"
    )
    assert query.count
    assert query.conditions[0].values == ("1", "2")
    assert parse_query(r"select * from Customer where DisplayName = 'Gamma\'s'").conditions[
        0
    ].values == ("Gamma's",)


@pytest.mark.parametrize(
    "text",
    [
        "select from Customer",
        "select * Customer",
        "select * from Customer where",
        "select * from Customer where DisplayName 'x'",
        "select * from Customer startposition 0",
        "select * from Customer maxresults x",
        "select * from Customer where Id in ('1'",
        "delete from Customer",
    ],
)
def test_invalid_queries_are_4001(text: str) -> None:
    with pytest.raises(QboFault) as excinfo:
        parse_query(text)
    assert excinfo.value.code == "4001"


def test_query_filters_and_shapes(fake: FakeQbo) -> None:
    response = fake.query("select * from Customer where DisplayName = 'beta'")["QueryResponse"]
    assert [c["DisplayName"] for c in response["Customer"]] == ["Beta"]
    assert response["startPosition"] == 1 and response["maxResults"] == 1
    hits = fake.query("select * from customer where Id in ('1', '3')")["QueryResponse"]["Customer"]
    assert [c["Id"] for c in hits] == ["1", "3"]
    assert (
        fake.query("select * from Customer where DisplayName like 'G%'")["QueryResponse"][
            "Customer"
        ][0]["DisplayName"]
        == "Gamma's"
    )
    assert fake.query("select count(*) from Customer")["QueryResponse"] == {"totalCount": 4}
    assert fake.query("select * from Customer where DisplayName = 'none'") == {"QueryResponse": {}}


def test_query_paging_order_and_projection(fake: FakeQbo) -> None:
    page = fake.query(
        "select * from Customer orderby DisplayName desc startposition 2 maxresults 2"
    )
    assert [c["DisplayName"] for c in page["QueryResponse"]["Customer"]] == ["Delta", "Beta"]
    projected = fake.query("select DisplayName from Customer where Id = '1'")["QueryResponse"]
    assert set(projected["Customer"][0]) == {"DisplayName", "Id", "SyncToken", "domain", "sparse"}


def test_query_refs_compare_by_value(fake: FakeQbo) -> None:
    income = fake.books.account_by_subtype("SalesOfProductIncome")
    fake.create("Item", {"Name": "I", "IncomeAccountRef": {"value": income}})
    hits = fake.query("select * from Item where IncomeAccountRef = '" + income + "'")  # noqa: S608
    assert len(hits["QueryResponse"]["Item"]) == 1


def test_unknown_entity_is_refused(fake: FakeQbo) -> None:
    with pytest.raises(QboFault) as excinfo:
        fake.query("select * from Widget")
    assert excinfo.value.code == "4001"


class _Client:
    """Stands in for python-quickbooks' QuickBooks client: its query text goes to the fake."""

    def __init__(self, fake: FakeQbo) -> None:
        self.fake = fake
        self.sent: list[str] = []

    def query(self, select: str) -> dict[str, Any]:
        self.sent.append(select)
        return self.fake.query(select)


def test_every_form_python_quickbooks_sends(fake: FakeQbo) -> None:
    """quickbooks/mixins.py ListMixin: all() (with "SELECT *, Sku" for Item and ORDER BY),
    filter(), choose() (IN), where() (ORDERBY, STARTPOSITION, MAXRESULTS) and count()."""
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.item import Item

    client = _Client(fake)
    income = fake.books.account_by_subtype("SalesOfProductIncome")
    fake.create("Item", {"Name": "Thing", "IncomeAccountRef": {"value": income}})
    assert [i.Name for i in Item.all(order_by="Name", max_results=10, qb=client)] == ["Thing"]
    assert client.sent[-1] == "SELECT *, Sku FROM Item ORDER BY Name MAXRESULTS 10"
    assert len(Customer.all(start_position=2, max_results=2, qb=client)) == 2
    assert [c.DisplayName for c in Customer.filter(DisplayName="Gamma's", qb=client)] == ["Gamma's"]
    assert len(Customer.choose(["1", "2"], qb=client)) == 2
    found = Customer.where(
        "DisplayName LIKE '%a' AND Active = true",
        order_by="DisplayName DESC",
        start_position=1,
        max_results=5,
        qb=client,
    )
    assert [c.DisplayName for c in found] == ["Delta", "Beta", "Alpha"]
    assert Customer.count("Id > '1'", qb=client) == 3
    assert client.sent[-1] == "SELECT COUNT(*) FROM Customer WHERE Id > '1'"
