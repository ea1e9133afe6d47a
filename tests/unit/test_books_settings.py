"""The books settings: one model, one set of defaults, from a TOML file under environment
variables, validated with errors that name the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.books_settings import BooksSettings, ProductMapping
from shared.config import Settings

EXAMPLE = """
timezone = "America/Toronto"

[accounts]
clearing = "Stripe Clearing CA"

[items]
default = "Subscriptions"

[[tax.rates]]
stripe_tax_rate = "txr_1PstBC"
qbo_tax_code = "GST/PST BC"

[[tax.rates]]
match = { country = "CA", state = "MB", tax_type = "pst", percentage = "7" }
qbo_tax_code = "PST MB"

[tax.reasons]
zero_rated = "Z"
exempt = "E"
out_of_scope = "Out of scope"
no_tax = "Out of scope"

[[products]]
stripe_product = "prod_consulting"
income_account = "Consulting Income"
class = "Services"
department = "East"

[[products]]
price = "price_hardware"
item = "Hardware"
class = "Products"

[[products]]
metadata = { qbo_line = "training" }
income_account = "Training Income"
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for key in [k for k in os.environ if k.startswith("SYNC_")]:
        monkeypatch.delenv(key)
    return monkeypatch


def test_defaults_live_in_one_model(clean_env: pytest.MonkeyPatch) -> None:
    books = Settings().books
    assert books == BooksSettings()
    assert books.accounts.clearing == "Stripe Clearing"
    assert books.items.default == "Stripe sales"
    assert books.tax.rates == () and books.products == ()
    assert str(books.tz) == "UTC"
    assert "home_currency" not in Settings.model_fields  # the QBO company's own


def test_the_books_file_under_environment_variables(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "books.toml"
    path.write_text(EXAMPLE)
    clean_env.setenv("SYNC_BOOKS_FILE", str(path))
    clean_env.setenv("SYNC_BOOKS__ACCOUNTS__FEES", "Merchant Fees")
    clean_env.setenv("SYNC_BOOKS__TIMEZONE", "America/Vancouver")
    books = Settings().books
    assert books.accounts.clearing == "Stripe Clearing CA"  # the file
    assert books.accounts.fees == "Merchant Fees"  # the environment, beside it
    assert books.accounts.bank == "Operating Bank"  # the default
    assert books.timezone == "America/Vancouver"  # the environment wins
    first, second = books.tax.rates
    assert first.stripe_tax_rate == "txr_1PstBC" and first.qbo_tax_code == "GST/PST BC"
    assert second.match is not None and second.match.percentage == Decimal("7")
    assert books.tax.reasons.exempt == "E"
    consulting = books.product_mapping(None, "prod_consulting", {})
    assert consulting is not None and consulting.class_ == "Services"
    assert Settings(books_toml=EXAMPLE, books_file=None).books.items.default == "Subscriptions"


def test_price_before_product_before_metadata() -> None:
    books = BooksSettings(
        products=(
            ProductMapping(metadata={"qbo_line": "x"}, income_account="A"),
            ProductMapping(stripe_product="prod_1", income_account="B"),
            ProductMapping(price="price_1", income_account="C"),
        )
    )

    def account(price: str | None, product: str | None, meta: dict[str, str]) -> str | None:
        found = books.product_mapping(price, product, meta)
        return found.income_account if found else None

    assert account("price_1", "prod_1", {"qbo_line": "x"}) == "C"
    assert account("price_2", "prod_1", {"qbo_line": "x"}) == "B"
    assert account("price_2", "prod_2", {"qbo_line": "x"}) == "A"
    assert account("price_2", "prod_2", {}) is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[accounts]\nclearnig = 'x'\n", "books.accounts.clearnig"),
        ("[[products]]\nitem = 'x'\n", "books.products.0"),
        ("[[products]]\nprice = 'p'\nstripe_product = 'q'\nitem = 'x'\n", "books.products.0"),
        ("[[products]]\nprice = 'p'\nitem = 'x'\nincome_account = 'y'\n", "books.products.0"),
        ("[[tax.rates]]\nqbo_tax_code = 'GST'\n", "books.tax.rates.0"),
        ("[[tax.rates]]\nmatch = {}\nqbo_tax_code = 'GST'\n", "books.tax.rates.0.match"),
        ("timezone = 'Mars/Olympus'\n", "books.timezone"),
    ],
)
def test_a_bad_books_file_names_the_key(
    text: str, where: str, clean_env: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Settings(books_toml=text)
    paths = {".".join(str(p) for p in e["loc"]) for e in excinfo.value.errors()}
    assert any(p.startswith(where) for p in paths), paths


def test_an_unreadable_books_file_is_a_clear_error(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError, match=r"books_file .*missing\.toml"):
        Settings(books_file=tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[accounts\n")
    with pytest.raises(ValidationError, match=r"broken\.toml"):
        Settings(books_file=broken)
    with pytest.raises(ValidationError, match="not both"):
        Settings(books_file=broken, books_toml="timezone = 'UTC'")


def test_the_readme_books_file_example_is_valid() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The books file", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    books = Settings(books_toml=example, books_file=None).books
    assert books.timezone == "America/Toronto" and books.tax.reasons.no_tax == "Out of scope"
    assert [r.qbo_tax_code for r in books.tax.rates] == ["HST NB", "GST/QST QC"]
    (product,) = books.products
    assert (product.income_account, product.class_) == ("Consulting Income", "Services")
