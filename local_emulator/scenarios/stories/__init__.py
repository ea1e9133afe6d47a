"""The scripted stories behind the scenario library, one module per Stripe object family.

Importing this package registers every story in ``SCENARIOS`` (name to builder).
"""

from local_emulator.scenarios.stories import (
    charges,
    credit_notes,
    currencies,
    customers,
    delivery,
    disputes,
    invoices,
    payments,
    products,
)
from local_emulator.scenarios.stories.registry import SCENARIOS, Builder

__all__ = [
    "SCENARIOS",
    "Builder",
    "charges",
    "credit_notes",
    "currencies",
    "customers",
    "delivery",
    "disputes",
    "invoices",
    "payments",
    "products",
]
