"""Sales tax on a sales form (Invoice, SalesReceipt, CreditMemo, RefundReceipt) as the company's
tax model has QBO check and compute it (``company.profile.TaxSetup``).

- global (ca, uk, au): every item line names an active tax code, else the 6000 Fault "Make sure
  all your transactions have a <GST/HST|VAT|GST> rate before you save" (real bodies:
  activepieces#8539 for Canada, intuit/quickbooks-online-mcp-server#94 for the UK). Tax is
  each line's net Amount times each sales rate of its code, rounded per line (or per document)
  and summed per rate. ``GlobalTaxCalculation`` TaxInclusive keeps Line.Amount net and the gross
  in TaxInclusiveAmt (ruckus/quickbooks-ruby#346, #569; Finance.xsd).
- us: lines say TAX or NON (missing: NON); the document's one code is TxnTaxDetail.TxnTaxCodeRef
  ("US tax model can have just a single tax code for the entire transaction", Finance.xsd).
- us-ast: a line without a code is TAX (since 2018-08-10, Intuit blog 2018-03-28); without a
  code the engine takes the company address's; an explicit TotalTax is honoured and prorated
  over that code's rates (Intuit blog 2017-12-11) when the company lets apps override
  (``Books.partner_tax_override``: AllowPartnerTaxOverride, which the API cannot read).
- A supplied TaxLine keeps its Amount; QBO records the difference from its own figure in
  OverrideDeltaAmount (Finance.xsd TaxLineDetail). A rate no line's code carries, a rate listed
  twice, or a TotalTax that is not the sum of the tax lines is refused with the only known tax
  Fault, 6000 "...encountered an error while calculating tax" (ruckus/quickbooks-ruby#369,
  #426; that these inputs trigger it is UNCONFIRMED). A TaxLine without DetailType is refused
  (ruckus/quickbooks-ruby#529).
- Rounding is half up (UNCONFIRMED). Discount lines in a global company are refused: QBO spreads
  them over the lines' codes in a way the fake does not model (stricter than QBO; the sync
  sends discounts as negative lines carrying the code).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from local_emulator.fakes.qbo import currency, errors
from local_emulator.fakes.qbo.books import Books, JsonDict, id_order, money, ref_value, stored

PSEUDO_CODES = ("TAX", "NON")


@dataclass
class RateTotal:
    """One sales rate on one document: what it applies to and QBO's own figure."""

    rate_id: str
    percent: Decimal
    net: Decimal = Decimal(0)
    computed: Decimal = Decimal(0)


def tax_calculation() -> errors.QboFault:
    return errors.business_rule(
        "We're sorry, QuickBooks encountered an error while calculating tax. Try reselecting "
        "the tax rate or reentering the product/service item and saving the form again."
    )


def missing_code(word: str) -> errors.QboFault:
    return errors.business_rule(
        f"Make sure all your transactions have a {word} rate before you save."
    )


def _round(value: Decimal, code: str) -> Decimal:
    return value.quantize(currency.quantum(code), rounding=ROUND_HALF_UP)


def apply_tax(doc: JsonDict, books: Books, lines: list[JsonDict], discounts: Decimal) -> Decimal:
    """Check the lines' codes and ``TxnTaxDetail``; store QBO's TxnTaxDetail; the TotalTax."""
    code = str(doc["CurrencyRef"]["value"])
    supplied = doc.get("TxnTaxDetail") or {}
    if not isinstance(supplied, dict):
        raise errors.invalid_value("TxnTaxDetail", str(supplied))
    setup = books.tax
    if setup.model == "global" and books.using_sales_tax():
        if discounts:
            raise errors.business_rule("a discount line cannot be combined with tax codes here")
        totals = _global_totals(doc, books, lines, code)
        detail = _kept(totals, supplied, books, code, keep=True)
    else:
        ast = setup.model == "us-ast"
        totals, txn_code = _us_totals(doc, books, lines, supplied, code, ast=ast)
        if txn_code is None:
            if money(supplied.get("TotalTax", 0), "TotalTax", code):
                raise tax_calculation()  # tax with no code to record it under
            doc["TxnTaxDetail"] = {"TotalTax": Decimal(0) * currency.quantum(code)}
            return Decimal(0)
        keep = not ast or (
            books.partner_tax_override and supplied.get("UseAutomatedSalesTax") is not True
        )
        detail = _prorated(totals, supplied, code, keep=keep)
        detail["TxnTaxCodeRef"] = {"value": txn_code}
    doc["TxnTaxDetail"] = detail
    return stored(detail["TotalTax"])


def _sales_rates(books: Books, code_id: str, field: str, day: str) -> list[tuple[str, Decimal]]:
    """(TaxRate Id, percent on ``day``) of an active code's sales rates, on the amount only."""
    code = books.get("TaxCode", code_id)
    if code is None or code.get("Active") is False:
        raise errors.invalid_reference(field, code_id)
    out: list[tuple[str, Decimal]] = []
    for detail in (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []:
        rate_id = ref_value(detail, "TaxRateRef") or ""
        if detail.get("TaxTypeApplicable", "TaxOnAmount") != "TaxOnAmount":
            raise errors.business_rule("the fake computes tax on the amount only")
        out.append((rate_id, effective_percent(books.get("TaxRate", rate_id) or {}, day)))
    return out


def effective_percent(rate: JsonDict, day: str) -> Decimal:
    """RateValue, or the EffectiveTaxRate whose period holds ``day`` (a rate that changed)."""
    for period in rate.get("EffectiveTaxRate") or []:
        start = str(period.get("EffectiveDate") or "")[:10]
        end = str(period.get("EndDate") or "")[:10]
        if start <= day and (not end or day <= end):
            return stored(period.get("RateValue"))
    return stored(rate.get("RateValue"))


def _global_totals(
    doc: JsonDict, books: Books, lines: list[JsonDict], code: str
) -> dict[str, RateTotal]:
    day, per_line = str(doc["TxnDate"]), books.tax.rounding == "line"
    inclusive = doc.get("GlobalTaxCalculation") == "TaxInclusive"
    totals: dict[str, RateTotal] = {}
    for line in lines:
        detail = line["SalesItemLineDetail"]
        code_id = ref_value(detail, "TaxCodeRef")
        if code_id is None:
            raise missing_code(books.tax.missing_code)
        amount, line_tax = stored(line["Amount"]), Decimal(0)
        rates = _sales_rates(books, code_id, "TaxCodeRef", day)
        for rate_id, percent in rates:
            total = totals.setdefault(rate_id, RateTotal(rate_id, percent))
            total.net += amount
            tax = _round(amount * percent / 100, code)
            total.computed += tax if per_line else 0
            line_tax += tax
        gross = detail.get("TaxInclusiveAmt")
        if inclusive and gross is not None:
            off = abs(money(gross, "TaxInclusiveAmt", code) - amount - line_tax)
            if off > currency.quantum(code) * max(1, len(rates)):
                raise tax_calculation()
    if not per_line:
        for total in totals.values():
            total.computed = _round(total.net * total.percent / 100, code)
    return totals


def _kept(
    totals: dict[str, RateTotal], supplied: JsonDict, books: Books, code: str, *, keep: bool
) -> JsonDict:
    """QBO's figures per rate, a supplied TaxLine's Amount kept in their place."""
    given: dict[str, Decimal] = {}
    for line in supplied.get("TaxLine") or []:
        if line.get("DetailType") != "TaxLineDetail":
            raise errors.required_missing("TxnTaxDetail.TaxLine.DetailType")
        rate_id = ref_value(line.get("TaxLineDetail") or {}, "TaxRateRef")
        if rate_id is None:
            raise errors.required_missing("TaxRateRef")
        if books.get("TaxRate", rate_id) is None:
            raise errors.invalid_reference("TaxRateRef", rate_id)
        if rate_id not in totals or rate_id in given:
            raise tax_calculation()
        given[rate_id] = money(line.get("Amount", 0), "TxnTaxDetail.TaxLine.Amount", code)
    amounts = {r: given.get(r, t.computed) if keep else t.computed for r, t in totals.items()}
    return _detail(totals, amounts, supplied, code, check_total=keep)


def _detail(
    totals: dict[str, RateTotal],
    amounts: dict[str, Decimal],
    supplied: JsonDict,
    code: str,
    *,
    check_total: bool,
) -> JsonDict:
    lines: list[JsonDict] = []
    for rate_id in sorted(totals, key=id_order):
        total, amount = totals[rate_id], amounts[rate_id]
        detail: JsonDict = {"TaxRateRef": {"value": rate_id}, "PercentBased": True,
                            "TaxPercent": total.percent, "NetAmountTaxable": total.net}  # fmt: skip
        if amount != total.computed:
            detail["OverrideDeltaAmount"] = amount - total.computed
        lines.append({"Amount": amount, "DetailType": "TaxLineDetail", "TaxLineDetail": detail})
    total_tax = sum((stored(line["Amount"]) for line in lines), _round(Decimal(0), code))
    given = supplied.get("TotalTax")
    if check_total and given is not None and money(given, "TotalTax", code) != total_tax:
        raise tax_calculation()
    return {"TotalTax": total_tax, "TaxLine": lines}


def _us_totals(
    doc: JsonDict,
    books: Books,
    lines: list[JsonDict],
    supplied: JsonDict,
    code: str,
    *,
    ast: bool,
) -> tuple[dict[str, RateTotal], str | None]:
    """Per rate of the document's code, on its taxable lines, rounded per document."""
    taxable = Decimal(0)
    for line in lines:
        detail = line["SalesItemLineDetail"]
        line_code = ref_value(detail, "TaxCodeRef") or ("TAX" if ast else "NON")
        if line_code not in PSEUDO_CODES:
            raise errors.invalid_reference("TaxCodeRef", line_code)
        detail["TaxCodeRef"] = {"value": line_code}
        if line_code == "TAX":
            taxable += stored(line["Amount"])
    txn_code = ref_value(supplied, "TxnTaxCodeRef") or (books.tax.ast_code if ast else None)
    if txn_code is None:
        return {}, None
    if txn_code in PSEUDO_CODES:
        raise errors.invalid_reference("TxnTaxCodeRef", txn_code)
    totals: dict[str, RateTotal] = {}
    for rate_id, percent in _sales_rates(books, txn_code, "TxnTaxCodeRef", str(doc["TxnDate"])):
        computed = _round(taxable * percent / 100, code)
        totals[rate_id] = RateTotal(rate_id, percent, taxable, computed)
    return totals, txn_code


def _prorated(
    totals: dict[str, RateTotal], supplied: JsonDict, code: str, *, keep: bool
) -> JsonDict:
    """A supplied TotalTax spread over the code's rates by their own figures (largest
    remainder), or QBO's figures when there is none or it is not kept."""
    amounts = {r: t.computed for r, t in totals.items()}
    if keep and "TotalTax" in supplied and totals:
        wanted = money(supplied["TotalTax"], "TotalTax", code)
        weights = {r: t.computed or t.percent for r, t in totals.items()}
        whole = sum(weights.values(), Decimal(0)) or Decimal(1)
        amounts = {r: _round(wanted * w / whole, code) for r, w in weights.items()}
        residual = wanted - sum(amounts.values(), Decimal(0))
        largest = max(sorted(weights, key=id_order), key=lambda r: weights[r])
        amounts[largest] += residual
    return _detail(totals, amounts, supplied, code, check_total=False)


def tax_postings(doc: JsonDict, books: Books) -> list[tuple[str, Decimal]]:
    """(liability account, tax) per tax line: each rate's agency's sales account."""
    detail = doc.get("TxnTaxDetail") or {}
    out: list[tuple[str, Decimal]] = []
    for line in detail.get("TaxLine") or []:
        amount = stored(line.get("Amount"))
        rate = books.get("TaxRate", ref_value(line.get("TaxLineDetail") or {}, "TaxRateRef") or "")
        agency = books.get("TaxAgency", ref_value(rate or {}, "AgencyRef") or "") or {}
        account = ref_value(agency, "TaxTrackedOnSalesAccountRef")
        if amount:
            out.append((account or books.account_by_subtype("SalesTaxPayable"), amount))
    if not detail.get("TaxLine") and stored(detail.get("TotalTax")):
        out.append((books.account_by_subtype("SalesTaxPayable"), stored(detail["TotalTax"])))
    return out
