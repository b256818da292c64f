"""Payment instrument mutations: add (also inside `customerCreate`), set default, backup flag,
deactivate, expiry, billing address, sticky gateway.

Card numbers and CVVs are checked here and dropped: only brand, BIN, last 4, expiry and an HMAC
fingerprint reach the store. No message, log line or event ever contains the number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import INPUT, Context, Info, forget, now
from resolvers.money import money
from resolvers.validation import Path
from resolvers.wallet.instrument_details import bank_account, billing_address, card, customer_billing_address, expiry, other
from schema.common import Problems, UserError, UserErrorCode
from schema.customers.customers import Customer
from schema.wallet.payment_instruments import (
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
from store.activity import timeline
from store.customers import customers
from store.errors import NotFound, RevisionConflict
from store.ids import new_id, type_of_id
from store.money import gateway_accounts
from store.wallet import payment_instruments as pi


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
        return None
    ctx.touched_customers.add(doc["customerId"])
    if doc["status"] == "DEACTIVATED":
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
        account_id = v.text(Problems(), [], input.sticky_gateway_account_id, 50)
        if account_id is not None:
            problems = Problems()
            if money.check_id(problems, ["stickyGatewayAccountId"], account_id, "GatewayAccount", "gwa"):
                if await gateway_accounts.get(info.context.org, account_id) is None:
                    problems.add(["stickyGatewayAccountId"], f"no gateway account {account_id} in this organization",
                                 UserErrorCode.NOT_FOUND)
            if problems:
                return PaymentInstrumentStickyGatewayUpdatePayload(payment_instrument=None,
                                                                   user_errors=problems.errors)
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
