"""Name lists in the fake QBO answer queries with active entries unless the query asks about
Active (as Intuit answered in intuit/QuickBooks-V3-Java-SDK#19)."""

from __future__ import annotations

from local_emulator.fakes.qbo import FakeQbo


def names(fake: FakeQbo, text: str) -> list[str]:
    rows = fake.query(text)["QueryResponse"].get("Customer", [])
    return sorted(str(row["DisplayName"]) for row in rows)


def test_inactive_customers_answer_only_a_query_about_active() -> None:
    fake = FakeQbo()
    fake.create("Customer", {"DisplayName": "Kept"})
    gone = fake.create("Customer", {"DisplayName": "Gone"})["Customer"]
    fake.update("Customer", {"Id": gone["Id"], "SyncToken": gone["SyncToken"],
                             "Active": False, "sparse": True})  # fmt: skip
    assert names(fake, "select * from Customer") == ["Kept"]
    assert names(fake, "select * from Customer where DisplayName = 'Gone'") == []
    assert names(fake, "select * from Customer where Active = false") == ["Gone"]
    assert names(fake, "select * from Customer where Active in (true, false)") == ["Gone", "Kept"]
    fake.create("Customer", {"DisplayName": "Gone"})  # the name is free again
