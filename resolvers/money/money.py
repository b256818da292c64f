"""Shared steps of the money mutations: amount checks, customer and gateway-account lookups, the
customer's maintained aggregates, and the secret tokens of shared links. Pure checks add to `Problems`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from resolvers import validation
from resolvers.money.gateway import GatewayAdapter, SandboxGateway
from resolvers.settings import Settings
from resolvers.validation import Path
from schema.common import Problems, UserErrorCode, currency_exponent, touch
from store.customers import blocklists, customers
from store.db import Doc, OrgDb
from store.ids import type_of_id
from store.money import gateway_accounts

MAX_AMOUNT_MINOR = 10**15  # far beyond any payment, well inside a 64-bit integer
MAX_KEY = 255
REQUEST_ID_RE = re.compile(r"^[\-\w]{1,50}$", re.ASCII)


def to_minor(problems: Problems, path: Path, amount: Decimal, currency: str) -> int:
    """Converts a major-unit decimal to integer minor units exactly; > 0, no more decimals than the "
    "currency."""
    try:
        if not amount.is_finite():
            raise InvalidOperation
        exponent = currency_exponent(currency)
        scaled = amount.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            problems.add(
                path,
                f"{currency} has {exponent} decimals; {amount} has more",
                UserErrorCode.TOO_MANY_DECIMALS,
            )
            return 0
        minor = int(scaled)
    except InvalidOperation:
        problems.add(path, f"{amount} is not an amount", UserErrorCode.INVALID)
        return 0
    if minor <= 0:
        problems.add(path, "must be greater than zero", UserErrorCode.INVALID)
    elif minor > MAX_AMOUNT_MINOR:
        problems.add(path, "is too large", UserErrorCode.INVALID)
    return minor


def idempotency_key(problems: Problems, value: str) -> str:
    key = validation.clean_text(problems, ["idempotencyKey"], value.strip())  # no control characters stored
    if not key:
        problems.add(["idempotencyKey"], "is required", UserErrorCode.REQUIRED)
    elif len(key) > MAX_KEY:
        problems.add(
            ["idempotencyKey"],
            f"is {len(key)} characters long; the limit is {MAX_KEY}",
            UserErrorCode.TOO_LONG,
        )
    return key


def check_id(problems: Problems, path: Path, value: str, expected: str, prefix: str) -> bool:
    kind = type_of_id(value)
    if kind != expected:
        what = f"a {kind} id" if kind else f"not a {expected} id"
        problems.add(path, f"{value} is {what}; expected `{prefix}_…`", UserErrorCode.WRONG_ID_TYPE)
        return False
    return True


async def load_customer(org: OrgDb, problems: Problems, path: Path, customer_id: str) -> Doc | None:
    kind = type_of_id(customer_id)
    if kind is not None and kind != "Customer":
        problems.add(path, f"{customer_id} is a {kind} id, not a Customer id", UserErrorCode.WRONG_ID_TYPE)
        return None
    doc = await customers.get(org, customer_id)
    if doc is None:
        problems.add(path, f"no customer {customer_id} in this organization", UserErrorCode.NOT_FOUND)
    else:
        touch(doc["id"])
    return doc


async def route_account(org: OrgDb, problems: Problems, currency: str, account_id: str | None) -> Doc | None:
    """The gateway account for a payment in `currency`: the chosen one, else the oldest accepting it."""
    if account_id is not None:
        if not check_id(problems, ["gatewayAccountId"], account_id, "GatewayAccount", "gwa"):
            return None
        account = await gateway_accounts.get(org, account_id)
        if account is None:
            problems.add(
                ["gatewayAccountId"],
                f"no gateway account {account_id} in this organization",
                UserErrorCode.NOT_FOUND,
            )
        elif currency not in account["acceptedCurrencies"]:
            problems.add(
                ["currency"],
                f"gateway account {account_id} does not accept {currency} "
                f"(it accepts {', '.join(account['acceptedCurrencies'])})",
                UserErrorCode.CURRENCY_NOT_ACCEPTED,
            )
            return None
        return account
    account = await gateway_accounts.for_currency(org, currency)
    if account is None:
        problems.add(
            ["currency"],
            f"no gateway account of this organization accepts {currency}",
            UserErrorCode.CURRENCY_NOT_ACCEPTED,
        )
    return account


async def route_for_instrument(
    org: OrgDb, problems: Problems, currency: str, account_id: str | None, instrument: Doc
) -> Doc | None:
    """The account for a payment with a stored instrument: the chosen one; else the instrument's sticky
    gateway account when it is active and accepts `currency`; else the oldest accepting it."""
    if account_id is None and instrument.get("stickyGatewayAccountId"):
        sticky = await gateway_accounts.get(org, instrument["stickyGatewayAccountId"])
        if sticky is not None and sticky.get("active", True) and currency in sticky["acceptedCurrencies"]:
            return sticky
    return await route_account(org, problems, currency, account_id)


def gateway_for(settings: Settings, name: str | None = None) -> GatewayAdapter:
    """The adapter of a gateway by name; the sandbox is the only one built in."""
    return SandboxGateway(timedelta(seconds=settings.settlement_delay_seconds))


def gateway_fields(account: Doc, answer: Any) -> Doc:
    return {
        "gatewayAccountId": account["id"],
        "gatewayName": account["gatewayName"],
        "gatewayTransactionId": answer.gateway_transaction_id,
        "gatewayResponse": {"code": answer.code, "message": answer.message},
    }


# Steps other contexts run after a customer's first approved payment (e.g. compliance's purchase AML check).
AFTER_FIRST_PAYMENT: list[Callable[[OrgDb, Settings, Doc, datetime], Awaitable[None]]] = []


async def count_sale(
    org: OrgDb, customer_id: str, amount_minor: int, currency: str, now: datetime, settings: Settings
) -> None:
    """An approved sale: one more payment, paid and net revenue up (moves a lead to the customers segment)."""
    after = await customers.bump_aggregates(
        org,
        customer_id,
        {
            "paymentCount": 1,
            f"revenue.{currency}.amount": amount_minor,
            f"revenue.{currency}.paid": amount_minor,
            f"revenue.{currency}.count": 1,
        },
        {"lastPaymentTime": now},
        now,
    )
    if after is not None and after.get("paymentCount") == 1:
        for step in AFTER_FIRST_PAYMENT:
            await step(org, settings, after, now)


async def count_refund(org: OrgDb, customer_id: str, amount_minor: int, currency: str, now: datetime) -> None:
    """A refund or void: net revenue down."""
    await customers.bump_aggregates(org, customer_id, {f"revenue.{currency}.amount": -amount_minor}, {}, now)


def text(problems: Problems, path: Path, value: str | None, limit: int = 255) -> str | None:
    """A money mutation's free text (descriptions, references, names): the shared hygiene."""
    return validation.text(problems, path, value, limit)


# ---------------------------------------------------------------------------------------------- shared links


def link_token(settings: Settings, entity_id: str) -> str:
    """The secret token of a shared link: an HMAC of the entity id under the server's link secret.

    Unguessable without the secret, never stored (the store keeps only `token_hash`), and derivable
    again, so the merchant can see the link's URL whenever they look at it.
    """
    mac = hmac.new(
        settings.link_secret.get_secret_value().encode(), entity_id.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def forget(loader: Any, key: str) -> None:
    """Drops a cached entry from a request's DataLoader (this strawberry raises KeyError when none "
    "is cached)."""
    try:
        loader.clear(key)
    except KeyError:
        pass


# ---------------------------------------------------------------------------------------------- blocklists


def customer_attributes(customer: Doc) -> dict[str, list[str]]:
    """The blocklist attribute values of a customer (as blocklist entries store them)."""
    emails = list(customer.get("emailsLower") or ())
    country = (customer.get("address") or {}).get("country")
    ip = (customer.get("leadSource") or {}).get("ipAddress")
    return {
        "CUSTOMER_ID": [customer["id"]],
        "EMAIL": emails,
        "EMAIL_DOMAIN": sorted({e.rpartition("@")[2] for e in emails}),
        "COUNTRY": [country] if country else [],
        "IP_ADDRESS": [ip] if ip else [],
    }


def instrument_attributes(instrument: Doc) -> dict[str, list[str]]:
    """The blocklist attribute values of a stored payment instrument."""
    card = instrument.get("card") or {}
    country = (instrument.get("billingAddress") or {}).get("country")
    kind = "PAYMENT_CARD" if instrument.get("method") == "PAYMENT_CARD" else "BANK_ACCOUNT"
    return {
        "FINGERPRINT": [instrument["fingerprint"]] if instrument.get("fingerprint") else [],
        "BIN": [card["bin"]] if card.get("bin") else [],
        kind: [instrument["id"]],
        "COUNTRY": [country] if country else [],
    }


def merge_attributes(*groups: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for group in groups:
        for kind, values in group.items():
            out.setdefault(kind, [])
            out[kind] += [v for v in values if v not in out[kind]]
    return out


async def blocked_types(org: OrgDb, attributes: dict[str, list[str]], now: datetime) -> list[str]:
    """The blocklist types with an entry in force matching these values (sorted; empty: not blocked)."""
    return sorted({e["type"] for e in await blocklists.find_blocked(org, attributes, now)})
