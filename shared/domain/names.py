"""Names QBO accepts, each keeping the Stripe id it came from.

QBO refuses ``:`` (the sub-customer and sub-item separator in FullyQualifiedName), tab and newline
in Customer.DisplayName and Item.Name with error 2040, and limits their length (DisplayName 500,
CompanyName 100, Item.Name 100: Intuit API reference; Item.Name also Finance.xsd). A Stripe name
can hold any of them, so the sync cleans the human part and keeps the id whole at the end.
"""

from __future__ import annotations

import re

DISPLAY_NAME_MAX = 100  # ours: well under QBO's 500, so that names stay readable in lists
COMPANY_NAME_MAX = 100
ITEM_NAME_MAX = 100
_WHITESPACE = re.compile(r"\s+")


def clean_name(text: str) -> str:
    """``text`` without what QBO refuses in a name: ``:`` becomes ``-``, any run of whitespace
    (tabs and newlines included) one space."""
    return _WHITESPACE.sub(" ", text.replace(":", "-")).strip()


def name_with_id(text: str, suffix: str, maximum: int) -> str:
    """``clean(text)`` cut to fit, then ``suffix`` (which carries the Stripe id) whole."""
    base = clean_name(text)
    if not base:
        return suffix.strip()
    return f"{base[: max(maximum - len(suffix), 0)].rstrip()}{suffix}"


def limited_name(text: str, maximum: int) -> str:
    return clean_name(text)[:maximum].rstrip()
