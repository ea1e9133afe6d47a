"""Preferences and CompanyInfo of a profile, in full, shaped as Intuit's XSD declares them
(Finance.xsd: Preferences with AccountingInfoPrefs, ProductAndServicesPrefs, SalesFormsPrefs,
EmailMessagesPrefs, VendorAndPurchasesPrefs, TimeTrackingPrefs, TaxPrefs, CurrencyPrefs,
ReportPrefs, OtherPrefs; CompanyInfo). Values are those of a new company with QBO's defaults."""

from __future__ import annotations

from local_emulator.fakes.qbo.company.profile import CompanyProfile, JsonDict, merge


def _message(subject: str) -> JsonDict:
    return {"Subject": subject, "Message": "Thank you for your business."}


def preferences_document(profile: CompanyProfile, terms: dict[str, str]) -> JsonDict:
    """``terms``: Term name -> Id, for the default terms references."""
    net_30 = {"value": terms.get("Net 30", "")} if "Net 30" in terms else None
    base: JsonDict = {
        "AccountingInfoPrefs": {
            "UseAccountNumbers": False, "TrackDepartments": False,
            "DepartmentTerminology": "Location", "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False, "FirstMonthOfFiscalYear": "January",
            "TaxYearMonth": "January", "CustomerTerminology": "Customers",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True, "ForPurchase": True, "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False, "AllowDeposit": False, "AllowDiscount": True,
            "AllowEstimates": True, "ETransactionEnabledStatus": "NotApplicable",
            "ETransactionAttachPDF": False, "ETransactionPaymentEnabled": False,
            "IPNSupportEnabled": False, "AllowServiceDate": True, "AllowShipping": False,
            # AutoApplyCredit: on in a new real company; off in the fake's, as the README
            # recommends. Tests turn it on (Books.auto_apply_credit): the sync handles both.
            "EmailCopyToCompany": False, "AutoApplyCredit": False, "AutoApplyPayments": True,
            "PrintItemWithZeroAmount": True, "UsingPriceLevels": False,
            "UsingProgressInvoicing": False, "UsingSalesOrders": False,
            **({"DefaultTerms": net_30} if net_30 else {}),
        },
        "EmailMessagesPrefs": {
            "InvoiceMessage": _message(f"Invoice from {profile.company_name}"),
            "EstimateMessage": _message(f"Estimate from {profile.company_name}"),
            "SalesReceiptMessage": _message(f"Sales Receipt from {profile.company_name}"),
            "StatementMessage": _message(f"Statement from {profile.company_name}"),
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": False, "BillableExpenseTracking": False, "DefaultMarkup": 0,
        },
        "TimeTrackingPrefs": {
            "UseServices": True, "BillCustomers": False, "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday", "MarkTimeEntriesBillable": False,
        },
        "TaxPrefs": {"UsingSalesTax": False},
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": profile.multicurrency,
            "HomeCurrency": {"value": profile.home_currency},
        },
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {"NameValue": [
            {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""},
            {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
            {"Name": "WarnDuplicateBillNumber", "Value": "false"},
            {"Name": "SignoutInactiveMinutes", "Value": "60"},
        ]},
    }  # fmt: skip
    return merge(base, profile.preferences)


def company_info_document(profile: CompanyProfile) -> JsonDict:
    base: JsonDict = {
        "CompanyName": profile.company_name,
        "LegalName": profile.company_name,
        "CompanyStartDate": "2024-01-01",
        "FiscalYearStartMonth": "January",
        "Country": profile.country,
        "Email": {"Address": "books@example.com"},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "SubscriptionStatus", "Value": "PAID"},
            {"Name": "IsQbdtMigrated", "Value": "false"},
            {"Name": "ItemCategoriesFeature", "Value": "true"},
        ],
    }
    return merge(base, profile.company_info)
