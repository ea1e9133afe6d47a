"""The default chart of accounts a new fake company starts with."""

from __future__ import annotations

DEFAULT_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    # (Name, AccountType, AccountSubType)
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Checking", "Bank", "Checking"),
    ("Sales", "Income", "SalesOfProductIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"),
)
