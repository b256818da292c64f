"""Payouts (`payoutSend`: a CREDIT transaction, request ID unique per organization, never refundable)
and payout requests made on a customer's behalf (`payoutRequestCreate`, `payoutRequestCancel`,
`payoutRequest`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from resolvers.auth import mutation
from resolvers.context import Context, Info, now
from resolvers.money import money
from resolvers.money.gateway import CardRef
from resolvers.money.idempotency import Outcome, once
from resolvers.money.sales import blocked_problem, card_of, errors_of, problems_outcome, refuse_blocked, usable
from schema.common import ClientError, Problems, UserErrorCode
from schema.money.payouts import (
    PayoutRequest,
    PayoutRequestCancelInput,
    PayoutRequestCancelPayload,
    PayoutRequestCreateInput,
    PayoutRequestCreatePayload,
    PayoutSendInput,
    PayoutSendPayload,
)
from store.activity import timeline
from store.db import Doc, OrgDb
from store.ids import new_id, type_of_id
from store.money import payouts, transactions
from store.wallet import payment_instruments as pi

DEFAULT_HOURS = 24
MAX_HOURS = 720
OPEN_STATUSES = ["PENDING", "READY"]
PAYOUT_METHODS = ("PAYMENT_CARD", "BANK_ACCOUNT")


def payout_request(ctx: Context, doc: Doc) -> PayoutRequest:
    return PayoutRequest.from_doc(doc)


async def _send(ctx: Context, inp: PayoutSendInput) -> Outcome:
    org, problems, t = ctx.org, Problems(), now()
    currency = inp.currency.value
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    amount = money.to_minor(problems, ["amount"], inp.amount, currency)
    description = money.text(problems, ["description"], inp.description)
    request_id = inp.request_id.strip()
    if not money.REQUEST_ID_RE.fullmatch(request_id):
        problems.add(["requestId"], "must be 1-50 letters, digits, `-` or `_`", UserErrorCode.INVALID)
    account = await money.route_account(
        org, problems, currency, str(inp.gateway_account_id) if inp.gateway_account_id else None
    )
    request = None
    if inp.payout_request_id is not None:
        rid = str(inp.payout_request_id)
        if money.check_id(problems, ["payoutRequestId"], rid, "PayoutRequest", "pout_req"):
            request = await payouts.get_request(org, rid)
            if request is None:
                problems.add(
                    ["payoutRequestId"],
                    f"no payout request {rid} in this organization",
                    UserErrorCode.NOT_FOUND,
                )
            elif request["status"] not in OPEN_STATUSES:
                problems.add(
                    ["payoutRequestId"],
                    f"the payout request is {request['status']}",
                    UserErrorCode.INVALID_STATUS,
                )
            elif (request["customerId"], request["amountMinor"], request["currency"]) != (
                str(inp.customer_id),
                amount,
                currency,
            ):
                problems.add(
                    ["payoutRequestId"],
                    "the payout request is for another customer, amount or currency",
                    UserErrorCode.INVALID,
                )
    if problems or customer is None or account is None:
        return problems_outcome(problems)
    used = await payouts.get_request_id(org, request_id)
    if used is not None:
        return await _sent_before(org, problems, used, customer, amount, currency)
    request_card = bool(request and request.get("cardLast4"))
    instrument = None if request_card else await _payout_instrument(org, customer, t)
    if not request_card and instrument is None:
        problems.add(
            ["customerId"],
            "the customer has no active payment card or bank account to receive a payout"
            + (" and the payout request has no card yet" if request else "")
            + "; add one first",
            UserErrorCode.NO_PAYOUT_DESTINATION,
        )
        return problems_outcome(problems)
    attributes = money.customer_attributes(customer)
    if instrument is not None:
        attributes = money.merge_attributes(attributes, money.instrument_attributes(instrument))
    types = await money.blocked_types(org, attributes, t)
    if types:
        await refuse_blocked(org, ctx.actor(), customer, types, amount, currency, t, "Payout")
        blocked_problem(problems, types, "payout")
        return problems_outcome(problems)
    txn_id = new_id("txn")
    existing = await payouts.claim_request_id(org, request_id, txn_id, t)
    if existing is not None:
        return await _sent_before(org, problems, existing, customer, amount, currency)
    card = (
        CardRef(last4=request["cardLast4"], bin=request.get("cardBin"), brand=request.get("cardBrand"))
        if request and request.get("cardLast4")
        else card_of(instrument)
        if instrument
        else None
    )
    answer = await money.gateway_for(ctx.settings, account["gatewayName"]).credit(
        amount_minor=amount, currency=currency, card=card, now=t
    )
    doc = transactions.new_doc(
        txn_id=txn_id,
        customer_id=customer["id"],
        website_id=customer["websiteId"],
        type="CREDIT",
        status="COMPLETED",
        result=answer.result,
        amount_minor=amount,
        currency=currency,
        now=t,
        settlement_time=answer.settlement_time,
        description=description,
        requestId=request_id,
        payoutRequestId=request["id"] if request else None,
        paymentInstrumentId=instrument["id"] if instrument else None,
        method=instrument["method"] if instrument else "PAYMENT_CARD" if card else "OTHER",
        last4=card.last4 if card else None,
        bin=card.bin if card else None,
        brand=card.brand if card else None,
        **money.gateway_fields(account, answer),
    )
    await transactions.insert(org, doc)
    await timeline.record(
        org,
        customer["id"],
        "PAYOUT_SENT",
        ctx.actor(),
        t,
        {"transactionId": txn_id, "amountMinor": amount, "currency": currency, "requestId": request_id},
        f"Payout sent (request ID {request_id})",
    )
    if request is not None and answer.approved:
        moved = await payouts.move_request(
            org, request["id"], OPEN_STATUSES, {"status": "FULFILLED", "transactionId": txn_id}, t
        )
        if moved is not None:
            await timeline.record(
                org,
                customer["id"],
                "PAYOUT_REQUEST_CHANGED",
                ctx.actor(),
                t,
                {"payoutRequestId": request["id"], "status": "FULFILLED"},
                "Payout request fulfilled",
            )
    return {"changed": True, "transactionId": txn_id, "errors": []}


async def _sent_before(
    org: OrgDb, problems: Problems, claim: Doc, customer: Doc, amount: int, currency: str
) -> Outcome:
    """A request ID used before: the same payout asked for again gets the earlier one (nothing is paid
    now, no error); used for another customer, amount or currency it is ALREADY_EXISTS."""
    earlier = await transactions.get(org, claim["transactionId"])
    if earlier is not None and (earlier["customerId"], earlier["amountMinor"], earlier["currency"]) == (
        customer["id"], amount, currency
    ):
        return {"changed": False, "transactionId": earlier["id"], "alreadySent": True, "errors": []}
    problems.add(
        ["requestId"],
        f"request ID {claim['requestId']} was used for another payout ({claim['transactionId']}: another "
        "customer, amount or currency); nothing was paid",
        UserErrorCode.ALREADY_EXISTS,
    )
    return problems_outcome(problems)


async def _payout_instrument(org: OrgDb, customer: Doc, t: datetime) -> Doc | None:
    """Where the money goes: the customer's default instrument when it is a usable card or bank account,
    else their first other usable one; None when there is none (the payout is refused)."""
    candidates = (await pi.by_customers(org, [customer["id"]]))[0]
    default = customer.get("defaultPaymentInstrumentId")
    candidates.sort(key=lambda inst: inst["id"] != default)
    for inst in candidates:
        if inst.get("method") in PAYOUT_METHODS and usable(Problems(), [], inst, t):
            return inst
    return None


@strawberry.type
class PayoutQueries:
    @strawberry.field(description="One payout request by id; null when there is none in this organization.")
    async def payout_request(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Payout request id.")]
    ) -> PayoutRequest | None:
        if type_of_id(str(id)) != "PayoutRequest":
            raise ClientError(f"{id} is not a PayoutRequest id; expected `pout_req_…`")
        return await info.context.loaders.payout_request_by_id.load(str(id))


@strawberry.type
class PayoutMutations:
    @mutation(
        "Sends a payout to the customer: the guide's *Send a payout*. Creates a CREDIT transaction, "
        "which can never "
        "be refunded or reversed. The same request ID again returns the earlier payout (`alreadySent`) and pays "
        "nothing; used for another customer, amount or currency it is ALREADY_EXISTS. "
        "Exactly once per "
        "`idempotencyKey`."
    )
    async def payout_send(self, info: Info, input: PayoutSendInput) -> PayoutSendPayload:
        ctx = info.context
        problems = Problems()
        key = money.idempotency_key(problems, input.idempotency_key)
        if problems:
            return PayoutSendPayload(transaction=None, user_errors=problems.errors)
        outcome = await once(ctx, "payoutSend", key, input, lambda: _send(ctx, input))
        txn = (
            await ctx.loaders.transaction_by_id.load(outcome["transactionId"])
            if outcome.get("transactionId")
            else None
        )
        return PayoutSendPayload(
            transaction=txn, already_sent=bool(outcome.get("alreadySent")), user_errors=errors_of(outcome)
        )

    @mutation(
        "Makes a payout request on the customer's behalf (the guide's *Request a payout*), with a "
        "page to share: the "
        "customer confirms there with the card to be paid to (status READY); `payoutSend` with "
        "`payoutRequestId` "
        "fulfils it."
    )
    async def payout_request_create(
        self, info: Info, input: PayoutRequestCreateInput
    ) -> PayoutRequestCreatePayload:
        ctx = info.context
        org, problems, t = ctx.org, Problems(), now()
        currency = input.currency.value
        customer = await money.load_customer(org, problems, ["customerId"], str(input.customer_id))
        amount = money.to_minor(problems, ["amount"], input.amount, currency)
        description = money.text(problems, ["description"], input.description)
        hours = input.expires_in_hours if input.expires_in_hours is not None else DEFAULT_HOURS
        if not 1 <= hours <= MAX_HOURS:
            problems.add(["expiresInHours"], f"must be between 1 and {MAX_HOURS}", UserErrorCode.INVALID)
        if problems or customer is None:
            return PayoutRequestCreatePayload(payout_request=None, user_errors=problems.errors)
        rid = new_id("pout_req")
        doc = {
            "id": rid,
            "customerId": customer["id"],
            "websiteId": customer["websiteId"],
            "amountMinor": amount,
            "currency": currency,
            "description": description,
            "status": "PENDING",
            "tokenHash": money.token_hash(money.link_token(ctx.settings, rid)),
            "expiresTime": t + timedelta(hours=hours),
            "transactionId": None,
            "createdTime": t,
            "updatedTime": t,
            "revision": 1,
        }
        await payouts.insert_request(org, doc)
        await timeline.record(
            org,
            customer["id"],
            "PAYOUT_REQUEST_CREATED",
            ctx.actor(),
            t,
            {"payoutRequestId": rid, "amountMinor": amount, "currency": currency},
            "Payout requested",
        )
        return PayoutRequestCreatePayload(payout_request=payout_request(ctx, doc), user_errors=[])

    @mutation("Cancels a payout request that is not fulfilled yet; its page then takes no confirmation.")
    async def payout_request_cancel(
        self, info: Info, input: PayoutRequestCancelInput
    ) -> PayoutRequestCancelPayload:
        ctx = info.context
        org, problems, t = ctx.org, Problems(), now()
        rid = str(input.id)
        reason = money.text(problems, ["reason"], input.reason)
        if not money.check_id(problems, ["id"], rid, "PayoutRequest", "pout_req") or problems:
            return PayoutRequestCancelPayload(payout_request=None, user_errors=problems.errors)
        doc = await payouts.get_request(org, rid)
        if doc is None:
            problems.add(["id"], f"no payout request {rid} in this organization", UserErrorCode.NOT_FOUND)
            return PayoutRequestCancelPayload(payout_request=None, user_errors=problems.errors)
        moved = await payouts.move_request(
            org, rid, OPEN_STATUSES, {"status": "CANCELED", "cancellationReason": reason}, t
        )
        if moved is None:
            current = await payouts.get_request(org, rid) or doc
            problems.add(["id"], f"the payout request is {current['status']}", UserErrorCode.INVALID_STATUS)
            return PayoutRequestCancelPayload(
                payout_request=payout_request(ctx, current), user_errors=problems.errors
            )
        await timeline.record(
            org,
            doc["customerId"],
            "PAYOUT_REQUEST_CHANGED",
            ctx.actor(),
            t,
            {"payoutRequestId": rid, "status": "CANCELED"},
            "Payout request canceled",
        )
        return PayoutRequestCancelPayload(payout_request=payout_request(ctx, moved), user_errors=[])
