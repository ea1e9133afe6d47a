"""The committed schema table is what build.py makes of Intuit's XSD, when the XSD is at hand."""

from __future__ import annotations

import pytest

from local_emulator.fakes.qbo.schema.build import DEFAULT_OUT, build, render, xsd_folder
from local_emulator.fakes.qbo.schema.table import schema_table


def test_committed_table_matches_the_xsd() -> None:
    folder = xsd_folder()
    if folder is None:
        pytest.skip(
            "Intuit's XSD is not beside the repository (../shared/reference/qbo/schema); "
            "a clean clone, as in CI, has only the committed table"
        )
    assert DEFAULT_OUT.read_text(encoding="utf-8") == render(build(folder)), (
        "xsd_facts.json is out of date: python -m local_emulator.fakes.qbo.schema.build"
    )


def test_table_facts_the_rules_rely_on() -> None:
    table = schema_table()
    invoice = table.elements(table.entities["Invoice"])
    assert invoice["DocNumber"].max == 21  # "The maximum length for DocNumber is 21"
    assert invoice["Line"].many and invoice["Line"].type == "Line"
    assert invoice["Balance"].read_only and not invoice["TotalAmt"].read_only
    assert table.elements("Line")["DetailType"].enum == "LineDetailTypeEnum"
    assert "SubTotalLineDetail" in table.enums["LineDetailTypeEnum"]
    account = table.elements("Account")
    assert account["AccountSubType"].documented_enum == "AccountSubTypeEnum"
    assert "UndepositedFunds" in table.enums["AccountSubTypeEnum"]
    assert table.elements("Payment")["TotalAmt"].type == "decimal"  # written in QBO
    assert table.elements("ReferenceType").keys() == {"value", "name", "type"}
    assert "Intuit" in table.source
