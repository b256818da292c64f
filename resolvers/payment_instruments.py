"""Payment instrument mutations: add (also inside `customerCreate`), set default, backup flag,
deactivate, expiry, billing address, sticky gateway.

Card numbers and CVVs are checked here and dropped: only brand, BIN, last 4, expiry and an HMAC
fingerprint reach the store. No message, log line or event ever contains the number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn
from stdnum.us import rtn

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import Context, forget, now
from schema.common import Problems, UserError, UserErrorCode
from schema.customers import Customer
from schema.payment_instruments import (
    PaymentInstrument,
    PaymentInstrumentAddInput,
    PaymentInstrumentAddPayload,
    PaymentInstrumentBackupSetInput,
    PaymentInstrumentBackupSetPayload,
    PaymentInstrumentBillingAddressUpdateInput,
    PaymentInstrumentBillingAddressUpdatePayload,
    PaymentInstrumentDeactivateInput,
    PaymentInstrumentDeactivatePayload,
    PaymentInstrumentDetailsInput,
    PaymentInstrumentExpiryUpdateInput,
    PaymentInstrumentExpiryUpdatePayload,
    PaymentInstrumentSetDefaultInput,
    PaymentInstrumentSetDefaultPayload,
    PaymentInstrumentStickyGatewayUpdateInput,
    PaymentInstrumentStickyGatewayUpdatePayload,
)
from store import customers, timeline
from store import payment_instruments as pi
from store.errors import NotFound, RevisionConflict
from store.ids import new_id, type_of_id

Info = strawberry.Info[Context, None]
INPUT = strawberry.argument(description="Everything the mutation needs; see the input type.")
Path = list[str | int]

# (brand, prefix length, lowest prefix, highest prefix, allowed lengths); first match wins.
BIN_RANGES: list[tuple[str, int, int, int, range]] = [
    ("AMERICAN_EXPRESS", 2, 34, 34, range(15, 16)),
    ("AMERICAN_EXPRESS", 2, 37, 37, range(15, 16)),
    ("DINERS_CLUB", 3, 300, 305, range(14, 20)),
    ("DINERS_CLUB", 2, 36, 36, range(14, 20)),
    ("DINERS_CLUB", 2, 38, 39, range(14, 20)),
    ("JCB", 4, 3528, 3589, range(16, 20)),
    ("VISA", 1, 4, 4, range(13, 20)),
    ("MASTERCARD", 2, 51, 55, range(16, 17)),
    ("MASTERCARD", 4, 2221, 2720, range(16, 17)),
    ("DISCOVER", 4, 6011, 6011, range(16, 20)),
    ("DISCOVER", 3, 644, 649, range(16, 20)),
    ("DISCOVER", 2, 65, 65, range(16, 20)),
    ("UNIONPAY", 2, 62, 62, range(16, 20)),
    ("MAESTRO", 4, 6304, 6304, range(12, 20)),
    ("MAESTRO", 2, 50, 50, range(12, 20)),
    ("MAESTRO", 2, 56, 58, range(12, 20)),
    ("MAESTRO", 2, 67, 67, range(12, 20)),
]
BRAND_NAMES = {
    "VISA": "Visa",
    "MASTERCARD": "Mastercard",
    "AMERICAN_EXPRESS": "American Express",
    "DISCOVER": "Discover",
    "JCB": "JCB",
    "DINERS_CLUB": "Diners Club",
    "UNIONPAY": "UnionPay",
    "MAESTRO": "Maestro",
}
MAX_YEARS_AHEAD = 20


def card_brand(number: str) -> str | None:
    for brand, size, low, high, lengths in BIN_RANGES:
        if low <= int(number[:size]) <= high and len(number) in lengths:
            return brand
    return None


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
    number = re.sub(r"[\s\-]", "", inp.number)
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
        brand = card_brand(number)
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
        "summary": f"{BRAND_NAMES[brand]} •••• {number[-4:]}",
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


def prepare(
    ctx: Context, problems: Problems, path: Path, inp: Any, customer: dict[str, Any], t: datetime
) -> dict[str, Any] | None:
    """Checks an instrument input (`PaymentInstrumentAddInput` or `...DetailsInput`) into a document
    for `customer`; None when refused (problems added)."""
    given = [name for name in ("card", "bank_account", "other") if getattr(inp, name) is not None]
    if len(given) != 1:
        problems.add(
            path or None,
            "give exactly one of `card`, `bankAccount`, `other`",
            UserErrorCode.EXACTLY_ONE_REQUIRED,
        )
        return None
    secret = ctx.settings.card_fingerprint_secret.get_secret_value()
    org_id = ctx.principal.organization_id
    kind = given[0]
    if kind == "card":
        details, method, status = (
            card(problems, [*path, "card"], inp.card, secret, org_id, t),
            "PAYMENT_CARD",
            "INACTIVE",
        )
    elif kind == "bank_account":
        details = bank_account(problems, [*path, "bankAccount"], inp.bank_account, secret, org_id)
        method, status = "BANK_ACCOUNT", "ACTIVE"
    else:
        details, method, status = (
            other(problems, [*path, "other"], inp.other, secret, org_id),
            "OTHER",
            "ACTIVE",
        )
    address = (
        billing_address(problems, [*path, "billingAddress"], inp.billing_address)
        if inp.billing_address is not None
        else customer_billing_address(customer)
    )
    if problems:
        return None
    return {
        "id": new_id("inst"),
        "customerId": customer["id"],
        "method": method,
        "status": status,
        "useAsBackup": inp.use_as_backup,
        "billingAddress": address,
        "stickyGatewayAccountId": None,
        "card": None,
        "bankAccount": None,
        "other": None,
        **details,
        "createdTime": t,
        "updatedTime": t,
        "deactivatedTime": None,
        "revision": 1,
    }


async def store_new(ctx: Context, doc: dict[str, Any], t: datetime) -> None:
    """Stores a prepared instrument and records it on the customer's timeline."""
    await pi.insert(ctx.org, doc)
    await timeline.record(
        ctx.org,
        doc["customerId"],
        "PAYMENT_INSTRUMENT_ADDED",
        ctx.actor(),
        t,
        {"paymentInstrumentId": doc["id"], "summary": doc["summary"]},
        f"Added {doc['summary']}",
    )
    forget(ctx.loaders.payment_instruments_by_customer_id, doc["customerId"])


async def _customer(ctx: Context, problems: Problems, path: Path, cid: str) -> dict[str, Any] | None:
    kind = type_of_id(cid)
    if kind is not None and kind != "Customer":
        problems.add(path, f"{cid} is a {kind} id, not a Customer id", UserErrorCode.WRONG_ID_TYPE)
        return None
    doc = await customers.get(ctx.org, cid)
    if doc is None:
        problems.add(path, f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND)
    return doc


async def _instrument(ctx: Context, problems: Problems, path: Path, iid: str) -> dict[str, Any] | None:
    kind = type_of_id(iid)
    if kind != "PaymentInstrument":
        what = f"a {kind} id" if kind else "not a PaymentInstrument id"
        problems.add(path, f"{iid} is {what}; expected `inst_…`", UserErrorCode.WRONG_ID_TYPE)
        return None
    doc = await pi.get(ctx.org, iid)
    if doc is None:
        problems.add(path, f"no payment instrument {iid} in this organization", UserErrorCode.NOT_FOUND)
    elif doc["status"] == "DEACTIVATED":
        problems.add(path, f"payment instrument {iid} is deactivated", UserErrorCode.INSTRUMENT_DEACTIVATED)
    return doc


async def _edit(
    ctx: Context,
    iid: str,
    expected_revision: int | None,
    name: str,
    changes: Callable[[Problems, dict[str, Any]], dict[str, Any]],
) -> tuple[PaymentInstrument | None, list[UserError]]:
    """Checks and applies one edit of a live instrument; records PAYMENT_INSTRUMENT_UPDATED."""
    problems = Problems()
    doc = await _instrument(ctx, problems, ["id"], iid)
    if doc is None or problems:
        return None, problems.errors
    if expected_revision is not None and expected_revision != doc["revision"]:
        problems.add(
            ["expectedRevision"],
            f"the instrument is at revision {doc['revision']}, not {expected_revision}",
            UserErrorCode.REVISION_CONFLICT,
        )
    set_fields = changes(problems, doc)
    if problems:
        return None, problems.errors
    set_fields = {k: val for k, val in set_fields.items() if doc.get(k) != val}
    t = now()
    if not set_fields:
        return PaymentInstrument.from_doc(doc, t), []
    try:
        updated = await pi.update(ctx.org, iid, revision=expected_revision, set_fields=set_fields, now=t)
    except pi.Deactivated:
        problems.add(["id"], f"payment instrument {iid} is deactivated", UserErrorCode.INSTRUMENT_DEACTIVATED)
        return None, problems.errors
    except RevisionConflict as exc:
        problems.add(
            ["expectedRevision"],
            f"the instrument changed meanwhile (now revision {exc.current}); read it and retry",
            UserErrorCode.REVISION_CONFLICT,
        )
        return None, problems.errors
    except NotFound:
        problems.add(["id"], f"no payment instrument {iid} in this organization", UserErrorCode.NOT_FOUND)
        return None, problems.errors
    await timeline.record(
        ctx.org,
        doc["customerId"],
        "PAYMENT_INSTRUMENT_UPDATED",
        ctx.actor(),
        t,
        {"paymentInstrumentId": iid, "changedFields": [name]},
        f"Changed {name} of {doc['summary']}",
    )
    forget(ctx.loaders.payment_instrument_by_id, iid)
    forget(ctx.loaders.payment_instruments_by_customer_id, doc["customerId"])
    return PaymentInstrument.from_doc(updated, t), []


async def make_default(
    ctx: Context, customer_id: str, inst: dict[str, Any], t: datetime
) -> dict[str, Any] | None:
    """Sets the customer's default and records it; undoes it if the instrument was deactivated meanwhile."""
    customer = await pi.set_default(ctx.org, customer_id, inst["id"], t)
    if customer is None:
        return None
    await timeline.insert(
        ctx.org,
        timeline.event_doc(
            customer_id,
            customer["timelineSeq"],
            "DEFAULT_PAYMENT_INSTRUMENT_CHANGED",
            ctx.actor(),
            t,
            {"paymentInstrumentId": inst["id"]},
            f"Default payment instrument: {inst['summary']}",
        ),
    )
    current = await pi.get(ctx.org, inst["id"])
    if current is None or current["status"] == "DEACTIVATED":
        await pi.clear_default(ctx.org, customer_id, inst["id"], t)
        customer = await customers.get(ctx.org, customer_id)
    forget(ctx.loaders.customer_by_id, customer_id)
    return customer


@strawberry.type
class PaymentInstrumentMutations:
    @mutation(
        "Adds a card, bank account or other method to a customer (*Add a payment instrument*). "
        "Becomes the default when `makeDefault` or when the customer has none."
    )
    async def payment_instrument_add(
        self, info: Info, input: Annotated[PaymentInstrumentAddInput, INPUT]
    ) -> PaymentInstrumentAddPayload:
        ctx = info.context
        problems = Problems()
        t = now()
        cid = str(input.customer_id)
        customer = await _customer(ctx, problems, ["customerId"], cid)
        doc = prepare(ctx, problems, [], input, customer or {"id": cid}, t)
        if (
            customer is not None
            and not problems
            and await pi.count_for_customer(ctx.org, cid) >= pi.MAX_PER_CUSTOMER
        ):
            problems.add(
                ["customerId"],
                f"the customer has {pi.MAX_PER_CUSTOMER} instruments, the limit",
                UserErrorCode.TOO_MANY,
            )
        if problems or doc is None or customer is None:
            return PaymentInstrumentAddPayload(payment_instrument=None, user_errors=problems.errors)
        await store_new(ctx, doc, t)
        if input.make_default or not customer.get("defaultPaymentInstrumentId"):
            await make_default(ctx, cid, doc, t)
        ctx.touched_customers.add(cid)
        return PaymentInstrumentAddPayload(
            payment_instrument=PaymentInstrument.from_doc(doc, t), user_errors=[]
        )

    @mutation(
        "Makes an instrument its customer's default (*Set as primary*); not a deactivated or expired one."
    )
    async def payment_instrument_set_default(
        self, info: Info, input: Annotated[PaymentInstrumentSetDefaultInput, INPUT]
    ) -> PaymentInstrumentSetDefaultPayload:
        ctx = info.context
        problems = Problems()
        iid = str(input.id)
        t = now()
        doc = await _instrument(ctx, problems, ["id"], iid)
        if doc is not None and not problems and pi.effective_status(doc, t) == "EXPIRED":
            problems.add(
                ["id"],
                f"{doc['summary']} has expired; update its expiry first",
                UserErrorCode.INSTRUMENT_EXPIRED,
            )
        if doc is None or problems:
            return PaymentInstrumentSetDefaultPayload(
                payment_instrument=None, customer=None, user_errors=problems.errors
            )
        customer = await customers.get(ctx.org, doc["customerId"])
        if customer is not None and customer.get("defaultPaymentInstrumentId") != iid:
            customer = await make_default(ctx, doc["customerId"], doc, t)
        ctx.touched_customers.add(doc["customerId"])
        return PaymentInstrumentSetDefaultPayload(
            payment_instrument=PaymentInstrument.from_doc(doc, t),
            customer=Customer.from_doc(customer) if customer else None,
            user_errors=[],
        )

    @mutation("Sets or clears *Use as backup*: may the instrument be used when the primary one is declined.")
    async def payment_instrument_backup_set(
        self, info: Info, input: Annotated[PaymentInstrumentBackupSetInput, INPUT]
    ) -> PaymentInstrumentBackupSetPayload:
        inst, errors = await _edit(
            info.context,
            str(input.id),
            input.expected_revision,
            "useAsBackup",
            lambda p, d: {"useAsBackup": input.use_as_backup},
        )
        return PaymentInstrumentBackupSetPayload(payment_instrument=inst, user_errors=errors)

    @mutation("Changes a card's expiry date (*Update exp*); the new date may not be in the past.")
    async def payment_instrument_expiry_update(
        self, info: Info, input: Annotated[PaymentInstrumentExpiryUpdateInput, INPUT]
    ) -> PaymentInstrumentExpiryUpdatePayload:
        def changes(problems: Problems, doc: dict[str, Any]) -> dict[str, Any]:
            if not doc.get("card"):
                problems.add(["id"], "only payment cards have an expiry date", UserErrorCode.NOT_A_CARD)
                return {}
            expiry(problems, [], input.exp_month, input.exp_year, now())
            return {"card.expMonth": input.exp_month, "card.expYear": input.exp_year}

        inst, errors = await _edit(info.context, str(input.id), input.expected_revision, "expiry", changes)
        return PaymentInstrumentExpiryUpdatePayload(payment_instrument=inst, user_errors=errors)

    @mutation("Replaces an instrument's billing name and address (*Edit address*).")
    async def payment_instrument_billing_address_update(
        self, info: Info, input: Annotated[PaymentInstrumentBillingAddressUpdateInput, INPUT]
    ) -> PaymentInstrumentBillingAddressUpdatePayload:
        inst, errors = await _edit(
            info.context,
            str(input.id),
            input.expected_revision,
            "billingAddress",
            lambda p, d: {"billingAddress": billing_address(p, ["billingAddress"], input.billing_address)},
        )
        return PaymentInstrumentBillingAddressUpdatePayload(payment_instrument=inst, user_errors=errors)

    @mutation("Sets or clears (null) the gateway account future payments with this instrument go to.")
    async def payment_instrument_sticky_gateway_update(
        self, info: Info, input: Annotated[PaymentInstrumentStickyGatewayUpdateInput, INPUT]
    ) -> PaymentInstrumentStickyGatewayUpdatePayload:
        inst, errors = await _edit(
            info.context,
            str(input.id),
            input.expected_revision,
            "stickyGatewayAccountId",
            lambda p, d: {
                "stickyGatewayAccountId": v.text(
                    p, ["stickyGatewayAccountId"], input.sticky_gateway_account_id, 50
                )
            },
        )
        return PaymentInstrumentStickyGatewayUpdatePayload(payment_instrument=inst, user_errors=errors)

    @mutation(
        "Deactivates an instrument: final (no reactivation, no payments). "
        "Clears it as the customer's default."
    )
    async def payment_instrument_deactivate(
        self, info: Info, input: Annotated[PaymentInstrumentDeactivateInput, INPUT]
    ) -> PaymentInstrumentDeactivatePayload:
        ctx = info.context
        problems = Problems()
        iid = str(input.id)
        doc = await _instrument(ctx, problems, ["id"], iid)
        if doc is not None and not problems and input.expected_revision not in (None, doc["revision"]):
            problems.add(
                ["expectedRevision"],
                f"the instrument is at revision {doc['revision']}",
                UserErrorCode.REVISION_CONFLICT,
            )
        if doc is None or problems:
            return PaymentInstrumentDeactivatePayload(payment_instrument=None, user_errors=problems.errors)
        t = now()
        try:
            updated = await pi.deactivate(ctx.org, iid, revision=input.expected_revision, now=t)
        except pi.Deactivated:
            problems.add(
                ["id"], f"payment instrument {iid} is deactivated", UserErrorCode.INSTRUMENT_DEACTIVATED
            )
            return PaymentInstrumentDeactivatePayload(payment_instrument=None, user_errors=problems.errors)
        except (RevisionConflict, NotFound):
            problems.add(
                ["expectedRevision"], "the instrument changed meanwhile", UserErrorCode.REVISION_CONFLICT
            )
            return PaymentInstrumentDeactivatePayload(payment_instrument=None, user_errors=problems.errors)
        cid = doc["customerId"]
        was_default = await pi.clear_default(ctx.org, cid, iid, t)
        await timeline.record(
            ctx.org,
            cid,
            "PAYMENT_INSTRUMENT_DEACTIVATED",
            ctx.actor(),
            t,
            {"paymentInstrumentId": iid, "wasDefault": was_default},
            f"Deactivated {doc['summary']}",
        )
        forget(ctx.loaders.payment_instrument_by_id, iid)
        forget(ctx.loaders.customer_by_id, cid)
        forget(ctx.loaders.payment_instruments_by_customer_id, cid)
        ctx.touched_customers.add(cid)
        return PaymentInstrumentDeactivatePayload(
            payment_instrument=PaymentInstrument.from_doc(updated, t), user_errors=[]
        )


def hook_customer_create(
    ctx: Context,
    problems: Problems,
    inp: PaymentInstrumentDetailsInput | None,
    customer: dict[str, Any],
    t: datetime,
) -> dict[str, Any] | None:
    """`customerCreate`'s default instrument: checked with the rest of the form, stored after the customer."""
    if inp is None:
        return None
    doc = prepare(ctx, problems, ["defaultPaymentInstrument"], inp, customer, t)
    if doc is not None:
        customer["defaultPaymentInstrumentId"] = doc["id"]
    return doc
