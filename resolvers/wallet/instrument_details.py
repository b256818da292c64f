"""Checks of payment instrument details (card, bank account, other method, billing address) that
return what may be stored. Card numbers and CVVs are dropped here: only brand, BIN, last 4, expiry and
an HMAC fingerprint come out, and no message repeats the number. Pure functions: no I/O."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn
from stdnum.us import rtn

from resolvers import validation as v
from resolvers.validation import Path
from resolvers.wallet import cards
from schema.common import Problems, UserErrorCode
from store.wallet import payment_instruments as pi

MAX_YEARS_AHEAD = 20


def expiry(problems: Problems, path: Path, month: int, year: int, t: datetime) -> None:
    if not 1 <= month <= 12:
        problems.add([*path, "expMonth"], "must be a month, 1-12", UserErrorCode.INVALID)
    if not 1000 <= year <= 9999:
        problems.add([*path, "expYear"], "must be a 4-digit year", UserErrorCode.INVALID)
    elif year > t.year + MAX_YEARS_AHEAD:
        problems.add([*path, "expYear"], f"is more than {MAX_YEARS_AHEAD} years ahead", UserErrorCode.INVALID)
    elif 1 <= month <= 12 and pi.card_expired(month, year, t):
        problems.add(
            [*path, "expYear"], f"the card expired in {month:02d}/{year}", UserErrorCode.CARD_EXPIRED
        )


def card(problems: Problems, path: Path, inp: Any, secret: str, org_id: str, t: datetime) -> dict[str, Any]:
    """Checks a card and returns what may be kept of it. Messages never repeat the number or CVV."""
    number = cards.digits(inp.number)
    brand = None
    if not number.isdigit() or not 12 <= len(number) <= 19:
        problems.add(
            [*path, "number"], "a card number has 12 to 19 digits", UserErrorCode.INVALID_CARD_NUMBER
        )
    elif not luhn.is_valid(number):
        problems.add(
            [*path, "number"], "is not a valid card number (check digit)", UserErrorCode.INVALID_CARD_NUMBER
        )
    else:
        brand = cards.card_brand(number)
        if brand is None:
            problems.add(
                [*path, "number"],
                "is not the number of a supported card brand",
                UserErrorCode.INVALID_CARD_NUMBER,
            )
    expiry(problems, path, inp.exp_month, inp.exp_year, t)
    if inp.cvv is not None:
        size = 4 if brand == "AMERICAN_EXPRESS" else 3
        if not (inp.cvv.isdigit() and len(inp.cvv) == size):
            problems.add([*path, "cvv"], f"must be {size} digits", UserErrorCode.INVALID_CVV)
    if brand is None:
        return {}
    return {
        "fingerprint": pi.fingerprint(secret, org_id, "card", number),
        "summary": f"{cards.BRAND_NAMES[brand]} •••• {number[-4:]}",
        "card": {
            "brand": brand,
            "bin": number[:6],
            "last4": number[-4:],
            "expMonth": inp.exp_month,
            "expYear": inp.exp_year,
        },
    }


def bank_account(problems: Problems, path: Path, inp: Any, secret: str, org_id: str) -> dict[str, Any]:
    holder = v.text(problems, [*path, "accountHolder"], inp.account_holder, 255, required=True)
    bank_name = v.text(problems, [*path, "bankName"], inp.bank_name, 255)
    out: dict[str, Any] = {
        "accountHolder": holder,
        "accountNumberType": inp.account_number_type.value,
        "routingNumber": None,
        "bic": None,
        "accountType": inp.account_type.value,
        "bankName": bank_name,
        "country": None,
    }
    number = re.sub(r"[\s\-]", "", inp.account_number).upper()
    if inp.account_number_type.value == "IBAN":
        try:
            iban = IBAN(number)
        except SchwiftyException:
            problems.add([*path, "accountNumber"], "is not a valid IBAN", UserErrorCode.INVALID_BANK_ACCOUNT)
            return {}
        number = iban.compact
        out["country"] = iban.country_code
        if inp.bic:
            try:
                out["bic"] = str(BIC(inp.bic.strip()))
            except SchwiftyException:
                problems.add(
                    [*path, "bic"], f"{inp.bic!r} is not a valid BIC", UserErrorCode.INVALID_BANK_ACCOUNT
                )
        else:
            out["bic"] = str(iban.bic) if iban.bic else None
        if out["bankName"] is None:
            out["bankName"] = iban.bank_name
    else:
        if not number.isdigit() or not 4 <= len(number) <= 17:
            problems.add(
                [*path, "accountNumber"],
                "a BBAN account number has 4 to 17 digits",
                UserErrorCode.INVALID_BANK_ACCOUNT,
            )
        routing = re.sub(r"\s", "", inp.routing_number or "")
        if not routing:
            problems.add([*path, "routingNumber"], "is required for a BBAN account", UserErrorCode.REQUIRED)
        elif not rtn.is_valid(routing):
            problems.add(
                [*path, "routingNumber"],
                f"{routing!r} is not a valid ABA routing number",
                UserErrorCode.INVALID_BANK_ACCOUNT,
            )
        out["routingNumber"] = routing
        number = f"{routing}:{number}"
    out["last4"] = number[-4:]
    name = out["bankName"] or "Bank account"
    return {
        "fingerprint": pi.fingerprint(secret, org_id, "bank", number),
        "summary": f"{name} •••• {number[-4:]}",
        "bankAccount": out,
    }


def other(problems: Problems, path: Path, inp: Any, secret: str, org_id: str) -> dict[str, Any]:
    method = v.text(problems, [*path, "methodName"], inp.method_name, 50, required=True)
    ref = v.text(problems, [*path, "accountReference"], inp.account_reference, 255)
    fp = pi.fingerprint(secret, org_id, f"other:{(method or '').lower()}", ref) if ref else None
    return {
        "fingerprint": fp,
        "summary": f"{method} {ref}" if ref else str(method),
        "other": {"methodName": method, "accountReference": ref},
    }


def billing_address(problems: Problems, path: Path, inp: Any) -> dict[str, Any] | None:
    out = {
        "firstName": v.text(problems, [*path, "firstName"], inp.first_name, 45),
        "lastName": v.text(problems, [*path, "lastName"], inp.last_name, 45),
        "organization": v.text(problems, [*path, "organization"], inp.organization, 255),
        **(v.address(problems, path, inp) or {}),
    }
    out = {k: val for k, val in out.items() if val is not None}
    return out or None


def customer_billing_address(customer: dict[str, Any]) -> dict[str, Any] | None:
    out = {
        "firstName": customer.get("firstName"),
        "lastName": customer.get("lastName"),
        "organization": customer.get("organization"),
        **(customer.get("address") or {}),
    }
    out = {k: val for k, val in out.items() if val is not None}
    return out or None
