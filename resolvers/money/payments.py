"""Collect or register a payment (`customerPaymentCollect`): its three options."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry

from resolvers.auth import mutation
from resolvers.billing import invoice_payments
from resolvers.context import Context, Info, now
from resolvers.money import money
from resolvers.money.idempotency import Outcome, once
from resolvers.money.sales import (
    blocked_problem,
    card_of,
    charge,
    errors_of,
    problems_outcome,
    refuse_blocked,
    sale_decline,
    usable,
)
from schema.common import Problems, UserErrorCode
from schema.money.transactions import (
    CustomerPaymentCollectInput,
    CustomerPaymentCollectPayload,
    PaymentDecline,
    PaymentDeclineCode,
    PaymentLink,
    PaymentOption,
)
from store.activity import timeline
from store.db import Doc, OrgDb
from store.ids import new_id
from store.money import payment_links, transactions
from store.wallet import payment_instruments as pi

MAX_LINK_HOURS = 720


async def _collect(ctx: Context, inp: CustomerPaymentCollectInput) -> Outcome:
    org, problems, t = ctx.org, Problems(), now()
    currency = inp.currency.value
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    amount = money.to_minor(problems, ["amount"], inp.amount, currency)
    description = money.text(problems, ["description"], inp.description)
    option = inp.option
    if option != PaymentOption.PAID_OUTSIDE and inp.paid_outside is not None:
        problems.add(["paidOutside"], "is only for the PAID_OUTSIDE option", UserErrorCode.INVALID)
    if option != PaymentOption.HOSTED_FORM and inp.link_expires_in_hours is not None:
        problems.add(["linkExpiresInHours"], "is only for the HOSTED_FORM option", UserErrorCode.INVALID)
    if option != PaymentOption.PROCESS_WITH_INSTRUMENT and inp.payment_instrument_id is not None:
        problems.add(
            ["paymentInstrumentId"], "is only for the PROCESS_WITH_INSTRUMENT option", UserErrorCode.INVALID
        )
    account = None
    chosen_account = str(inp.gateway_account_id) if inp.gateway_account_id else None
    if option == PaymentOption.PROCESS_WITH_INSTRUMENT:
        pass  # routed once the instrument is known (its sticky gateway account)
    elif option == PaymentOption.PAID_OUTSIDE:
        if inp.gateway_account_id is not None:
            problems.add(
                ["gatewayAccountId"], "a payment made outside uses no gateway account", UserErrorCode.INVALID
            )
    else:
        account = await money.route_account(org, problems, currency, chosen_account)
    invoice = None
    if inp.invoice_id is not None:  # billing: the payment is for an invoice
        hosted = option == PaymentOption.HOSTED_FORM
        invoice = await invoice_payments.check(org, problems, str(inp.invoice_id), customer, currency, amount, hosted)
    if option == PaymentOption.PAID_OUTSIDE:
        outcome = await _paid_outside(ctx, problems, inp, customer, amount, currency, description, t)
    elif option == PaymentOption.HOSTED_FORM:
        outcome = await _hosted_form(ctx, problems, inp, customer, account, amount, currency, description, t)
    else:
        outcome = await _with_instrument(ctx, problems, inp, customer, chosen_account, amount, currency, description, t)
    if invoice is not None and outcome.get("transactionId"):
        await invoice_payments.apply(ctx, invoice["id"], outcome["transactionId"])
    return outcome


async def _paid_outside(
    ctx: Context,
    problems: Problems,
    inp: CustomerPaymentCollectInput,
    customer: Doc | None,
    amount: int,
    currency: str,
    description: str | None,
    t: datetime,
) -> Outcome:
    details = inp.paid_outside
    method = details.method.name if details else "OTHER"
    reference = money.text(problems, ["paidOutside", "reference"], details.reference if details else None)
    paid_time = details.processed_time if details and details.processed_time else t
    if paid_time > t:
        problems.add(["paidOutside", "processedTime"], "is in the future", UserErrorCode.DATE_IN_FUTURE)
    if problems or customer is None:
        return problems_outcome(problems)
    doc = transactions.new_doc(
        txn_id=new_id("txn"),
        customer_id=customer["id"],
        website_id=customer["websiteId"],
        type="SALE",
        status="COMPLETED",
        result="APPROVED",
        amount_minor=amount,
        currency=currency,
        now=t,
        settlement_time=paid_time,
        description=description,
        method=method,
        reference=reference,
        isProcessedOutside=True,
        processedTime=paid_time,
    )
    await transactions.insert(ctx.org, doc)
    await money.count_sale(ctx.org, customer["id"], amount, currency, t, ctx.settings)
    await timeline.record(
        ctx.org,
        customer["id"],
        "PAYMENT_APPROVED",
        ctx.actor(),
        t,
        {"transactionId": doc["id"], "amountMinor": amount, "currency": currency},
        f"Payment registered (paid outside, {method.replace('_', ' ').lower()})",
    )
    return {"changed": True, "transactionId": doc["id"], "errors": []}


async def _hosted_form(
    ctx: Context,
    problems: Problems,
    inp: CustomerPaymentCollectInput,
    customer: Doc | None,
    account: Doc | None,
    amount: int,
    currency: str,
    description: str | None,
    t: datetime,
) -> Outcome:
    given = inp.link_expires_in_hours
    hours = given if given is not None else ctx.settings.payment_link_hours
    if given is not None and not 1 <= given <= MAX_LINK_HOURS:
        problems.add(["linkExpiresInHours"], f"must be between 1 and {MAX_LINK_HOURS}", UserErrorCode.INVALID)
    if problems or customer is None or account is None:
        return problems_outcome(problems)
    link_id = new_id("plink")
    doc = {
        "id": link_id,
        "customerId": customer["id"],
        "websiteId": customer["websiteId"],
        "amountMinor": amount,
        "currency": currency,
        "description": description,
        "gatewayAccountId": account["id"],
        "status": "OPEN",
        "tokenHash": money.token_hash(money.link_token(ctx.settings, link_id)),
        "expiresTime": t + timedelta(hours=hours),
        "transactionIds": [],
        "createdTime": t,
        "updatedTime": t,
        "revision": 1,
    }
    await payment_links.insert(ctx.org, doc)
    await timeline.record(
        ctx.org,
        customer["id"],
        "PAYMENT_LINK_CREATED",
        ctx.actor(),
        t,
        {"paymentLinkId": link_id, "amountMinor": amount, "currency": currency},
        "Hosted payment link made",
    )
    return {"changed": True, "paymentLinkId": link_id, "errors": []}


async def _pick_instrument(org: OrgDb, problems: Problems, chosen: str | None, customer: Doc) -> Doc | None:
    """The chosen instrument, else the customer's default; None (with a problem) when there is none usable."""
    path: list[str | int] = ["paymentInstrumentId"]
    iid = chosen or customer.get("defaultPaymentInstrumentId")
    if iid is None:
        problems.add(
            path, "the customer has no default payment instrument; choose one", UserErrorCode.REQUIRED
        )
        return None
    if chosen is not None and not money.check_id(problems, path, chosen, "PaymentInstrument", "inst"):
        return None
    inst = await pi.get(org, iid)
    if inst is None or inst["customerId"] != customer["id"]:
        problems.add(path, f"the customer has no payment instrument {iid}", UserErrorCode.NOT_FOUND)
        return None
    return inst if usable(problems, path, inst, now()) else None


async def _with_instrument(
    ctx: Context,
    problems: Problems,
    inp: CustomerPaymentCollectInput,
    customer: Doc | None,
    chosen_account: str | None,
    amount: int,
    currency: str,
    description: str | None,
    t: datetime,
) -> Outcome:
    org = ctx.org
    chosen = str(inp.payment_instrument_id) if inp.payment_instrument_id is not None else None
    inst = await _pick_instrument(org, problems, chosen, customer) if customer is not None else None
    if inst is not None:
        account = await money.route_for_instrument(org, problems, currency, chosen_account, inst)
    else:
        account = await money.route_account(org, problems, currency, chosen_account)
    if problems or customer is None or account is None or inst is None:
        return problems_outcome(problems)
    types = await money.blocked_types(
        org, money.merge_attributes(money.customer_attributes(customer), money.instrument_attributes(inst)), t
    )
    if types:
        await refuse_blocked(org, ctx.actor(), customer, types, amount, currency, t)
        blocked_problem(problems, types)
        return problems_outcome(problems)
    attempts = [await _charge_instrument(ctx, customer, account, inst, amount, currency, description, t)]
    if attempts[-1]["result"] == "DECLINED":
        for backup in await _backups(org, customer, inst, t):
            backup_account = await money.route_for_instrument(org, Problems(), currency, chosen_account, backup)
            attempts.append(await _charge_instrument(
                ctx, customer, backup_account or account, backup, amount, currency, description, t
            ))
            if attempts[-1]["result"] != "DECLINED":
                break
    return problems_outcome(
        problems, changed=True, transactionId=attempts[-1]["id"], attemptIds=[a["id"] for a in attempts],
        decline=sale_decline(attempts[-1]),
    )


async def _charge_instrument(
    ctx: Context,
    customer: Doc,
    account: Doc,
    inst: Doc,
    amount: int,
    currency: str,
    description: str | None,
    t: datetime,
) -> Doc:
    doc = await charge(
        ctx.org,
        ctx.settings,
        ctx.actor(),
        customer,
        account,
        amount,
        currency,
        card_of(inst),
        description,
        t,
        {"paymentInstrumentId": inst["id"], "method": inst["method"]},
    )
    if doc["result"] == "APPROVED":
        await pi.activate(ctx.org, inst["id"], t)  # a first approved payment makes the instrument ACTIVE
    return doc


async def _backups(org: OrgDb, customer: Doc, primary: Doc, t: datetime) -> list[Doc]:
    """The customer's other instruments allowed as backup, usable and not blocklisted, oldest first."""
    out = []
    for inst in (await pi.by_customers(org, [customer["id"]]))[0]:
        if inst["id"] == primary["id"] or not inst.get("useAsBackup") or not usable(Problems(), [], inst, t):
            continue
        if await money.blocked_types(org, money.instrument_attributes(inst), t):
            continue
        out.append(inst)
    return out


async def render_collect(ctx: Context, outcome: Outcome) -> CustomerPaymentCollectPayload:
    txn = None
    if outcome.get("transactionId"):
        txn = await ctx.loaders.transaction_by_id.load(outcome["transactionId"])
    link = None
    if outcome.get("paymentLinkId"):
        doc = await payment_links.get(ctx.org, outcome["paymentLinkId"])
        link = PaymentLink.from_doc(doc) if doc else None
    attempts = [
        t for t in await ctx.loaders.transaction_by_id.load_many(outcome.get("attemptIds") or []) if t
    ]
    decline = outcome.get("decline")
    return CustomerPaymentCollectPayload(
        transaction=txn, attempts=attempts, payment_link=link, user_errors=errors_of(outcome),
        decline=PaymentDecline(code=PaymentDeclineCode[decline["code"]], message=decline["message"])
        if decline else None,
    )


@strawberry.type
class PaymentMutations:
    @mutation(
        "Collects or registers a payment: the guide's *Collect payment* with its three options "
        "(charge a stored "
        "instrument, register a payment made outside, or make a hosted payment form link). Exactly once per "
        "`idempotencyKey`."
    )
    async def customer_payment_collect(
        self, info: Info, input: CustomerPaymentCollectInput
    ) -> CustomerPaymentCollectPayload:
        ctx = info.context
        problems = Problems()
        key = money.idempotency_key(problems, input.idempotency_key)
        if problems:
            return CustomerPaymentCollectPayload(
                transaction=None, attempts=[], payment_link=None, user_errors=problems.errors
            )
        outcome = await once(ctx, "customerPaymentCollect", key, input, lambda: _collect(ctx, input))
        money.forget(ctx.loaders.customer_by_id, str(input.customer_id))
        return await render_collect(ctx, outcome)
