"""`/ExternalApi/v2/ref/...`: the account's reference lists a connection's defaults for new
customers come from (Cin7 documents them in its Apiary blueprint): payment terms
(`PaymentTermList`, one `IsDefault`), tax rules (`TaxRuleList`) and the chart of accounts
(`AccountsList`, plural as Cin7 spells it; the receivable account is the one whose
SystemAccount is "DEBTORS"). Read-only here; each answer is `{"Total", "Page", <list>}`
paged by Page/Limit like the customer list."""

import uuid

from sandboxes.cin7 import seed
from sandboxes.cin7.state import Cin7State
from sandboxes.kit.web import Request

_NAMESPACE = uuid.UUID("6f1c8a52-0d5e-4c1e-9b7a-3c2f1e0d9a11")


def _id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _page(app: Cin7State, request: Request, key: str, items: list[dict]) -> tuple[int, dict]:
    try:
        page = max(1, int(app.arg(request, "Page") or 1))
        limit = max(1, min(int(app.arg(request, "Limit") or 100), app.knobs.max_limit))
    except ValueError:
        raise app.error(400, "Page and Limit must be whole numbers.") from None
    chosen = items[(page - 1) * limit : page * limit]
    return 200, {"Total": len(items), "Page": page, key: chosen}


def payment_terms(app: Cin7State, request: Request) -> tuple[int, dict]:
    items = [
        {
            "ID": _id("paymentterm", name),
            "Name": name,
            "Duration": int(name.split()[0]) if name[0].isdigit() else 0,
            "Method": "number of days",
            "IsActive": True,
            "IsDefault": name == seed.DEFAULT_PAYMENT_TERM,
        }
        for name in seed.PAYMENT_TERMS
    ]
    return _page(app, request, "PaymentTermList", items)


def tax_rules(app: Cin7State, request: Request) -> tuple[int, dict]:
    items = [
        {
            "ID": _id("tax", name),
            "Name": name,
            "Account": "820",
            "IsActive": True,
            "TaxInclusive": False,
            "TaxPercent": 0 if "Exempt" in name or "Free" in name else 8,
            "IsTaxForSale": True,
            "IsTaxForPurchase": name == "Sales Tax",
            "Components": [],
        }
        for name in seed.TAX_RULES
    ]
    return _page(app, request, "TaxRuleList", items)


def accounts(app: Cin7State, request: Request) -> tuple[int, dict]:
    items = [
        {
            "Code": code,
            "Status": "ACTIVE",
            "Name": name,
            "Type": kind,
            "Description": None,
            "Class": account_class,
            "SystemAccount": system,
            "BankAccountNumber": None,
            "BankAccountId": None,
            "ForPayments": kind == "BANK",
            "DisplayName": f"{code}: {name}",
            "OldCode": None,
        }
        for code, name, account_class, kind, system in seed.ACCOUNTS
    ]
    return _page(app, request, "AccountsList", items)
