"""Quotes: create and edit (DRAFT only), issue, recall to draft, cancel, reject, accept (creating,
changing or reactivating the order; with the PAYMENT condition only once the quote's invoice is paid in
full). An ISSUED quote past its expiration time reads EXPIRED and can no longer be accepted; the
`billing.quote_expiry` job also marks it EXPIRED at that time. CHANGE and REACTIVATION acceptance (with
proration) is resolvers/billing/quote_orders.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import strawberry

from resolvers.auth import mutation
from resolvers.billing import coupons as coupon_service
from resolvers.billing import invoicing, ordering, pricing, quote_orders
from resolvers.billing.quote_jobs import QUOTE_EXPIRY, job_key
from resolvers.context import Context, Info, context_method, now
from resolvers.loaders import forget
from resolvers.money import money
from resolvers.pagination import LazyCursorEdge, decode_cursor
from resolvers.validation import text
from schema.billing.orders import OrderCreateInput, OrderItemInput, OrderType
from schema.billing.quotes import (
    Quote,
    QuoteAcceptInput,
    QuoteActionInput,
    QuoteArg,
    QuoteCreateInput,
    QuoteItemInput,
    QuotePayload,
    QuoteUpdateInput,
)
from schema.common import ClientError, Connection, Edge, Problems, UserErrorCode
from store import jobs
from store.activity import timeline
from store.billing import catalog, orders, quotes
from store.customers import websites
from store.db import Doc, OrgDb
from store.ids import new_id

MAX_ITEMS = 20
CHANGEABLE, REACTIVATABLE = quote_orders.CHANGEABLE, quote_orders.REACTIVATABLE


def quote_status(doc: Doc, t: datetime) -> str:
    if doc["status"] == "ISSUED" and doc.get("expirationTime") is not None and doc["expirationTime"] <= t:
        return "EXPIRED"
    return str(doc["status"])


def to_quote(doc: Doc, t: datetime) -> Quote:
    return Quote.from_doc(doc, quote_status(doc, t))


# ---------------------------------------------------------------------------------------------- input


async def _items(org: OrgDb, problems: Problems, items: list[QuoteItemInput]) -> tuple[list[Doc], str, str]:
    """Priced lines, the currency and the order type (ONE_TIME when every plan is one-time)."""
    plans = await catalog.get_many(org, catalog.PLANS, [str(i.plan_id) for i in items])
    kinds = {p["type"] for p in plans if p}
    order_type = "ONE_TIME" if kinds == {"ONE_TIME"} else "SUBSCRIPTION"
    wanted = [OrderItemInput(plan_id=i.plan_id, quantity=i.quantity) for i in items]
    effective = await ordering.effective_items(org, problems, ["items"], wanted, order_type)
    shape = ordering._consistency(problems, effective)
    currency = shape[0] if shape else "USD"
    lines = []
    for item in effective:
        plan = item["plan"]
        try:
            amount = 0 if plan.get("meteredBilling") else pricing.line_minor(plan["pricing"], item["quantity"], currency)
        except pricing.QuantityOutOfRange:
            amount = 0
        rec = plan.get("recurringInterval")
        lines.append({"planId": plan["id"], "name": plan["name"], "quantity": item["quantity"], "amountMinor": amount,
                      "recurring": f"every {rec['length']} {rec['unit']}" if rec else None,
                      "period": [rec["unit"], rec["length"]] if rec else None})
    return lines, currency, order_type


def _same_period(problems: Problems, order: Doc, lines: list[Doc]) -> None:
    """A CHANGE keeps the order's renewal time: the new items bill every period of the same length."""
    unit, length, _ = invoicing.order_period(order)
    for li in lines:
        if li.get("period") and not pricing.same_length((unit, length), (li["period"][0], li["period"][1])):
            problems.add(["items"], f"the order bills every {length} {unit}", UserErrorCode.PERIOD_MISMATCH)
            return


def _url(problems: Problems, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2000:
        problems.add(["redirectUrl"], f"{value!r} is not an http(s) URL", UserErrorCode.INVALID_URL)
    return value.strip()


def _conditions(values: list[Any] | None) -> list[str]:
    return sorted({v.name for v in values}) if values else ["CUSTOMER"]


def _prorated(problems: Problems, value: bool | None, kind: str) -> bool:
    """CHANGE quotes prorate unless told not to; the others have nothing to prorate."""
    if value is not None and kind != "CHANGE":
        problems.add(["prorated"], "only a CHANGE quote is prorated", UserErrorCode.INVALID)
    return kind == "CHANGE" and value is not False


def _signature(problems: Problems, value: Any) -> Doc:
    if value is None:
        return {"showSignatureLine": False, "signatoryName": None}
    name = text(problems, ["signature", "signatoryName"], value.signatory_name, 255)
    if name and not value.show_signature_line:
        problems.add(["signature", "signatoryName"], "a signatory name needs the signature line", UserErrorCode.INVALID)
    return {"showSignatureLine": value.show_signature_line, "signatoryName": name}


async def _coupons(org: OrgDb, problems: Problems, ids: list[Any] | None) -> list[str]:
    found = [str(i) for i in ids or ()]
    if len(found) > coupon_service.MAX_COUPONS:
        problems.add(["couponIds"], f"at most {coupon_service.MAX_COUPONS} coupons", UserErrorCode.TOO_MANY)
    for i, (cid, doc) in enumerate(zip(found, await org[coupon_service.coupons.COUPONS].by_ids(found), strict=True)):
        if doc is None:
            problems.add(["couponIds", i], f"no coupon {cid} in this organization", UserErrorCode.NOT_FOUND)
    return found


async def _target_order(org: OrgDb, problems: Problems, kind: str, order_id: Any, customer_id: str | None) -> Doc | None:
    if kind == "CREATION":
        if order_id is not None:
            problems.add(["orderId"], "a CREATION quote makes its own order", UserErrorCode.INVALID)
        return None
    if order_id is None:
        problems.add(["orderId"], f"a {kind} quote needs the order", UserErrorCode.REQUIRED)
        return None
    if not money.check_id(problems, ["orderId"], str(order_id), "Order", "ord"):
        return None
    doc = await orders.get(org, str(order_id))
    if doc is None or (customer_id is not None and doc["customerId"] != customer_id):
        problems.add(["orderId"], f"the customer has no order {order_id}", UserErrorCode.NOT_FOUND)
        return None
    allowed = CHANGEABLE if kind == "CHANGE" else REACTIVATABLE
    if doc["orderType"] != "SUBSCRIPTION" or doc["status"] not in allowed:
        problems.add(["orderId"], f"a {kind} quote needs a subscription that is {' or '.join(allowed)}",
                     UserErrorCode.INVALID_STATUS)
    return doc


async def _load(ctx: Context, problems: Problems, quote_id: str, expected: int | None = None) -> Doc | None:
    if not money.check_id(problems, ["quoteId"], quote_id, "Quote", "qt"):
        return None
    doc = await quotes.get(ctx.org, quote_id)
    if doc is None:
        problems.add(["quoteId"], f"no quote {quote_id} in this organization", UserErrorCode.NOT_FOUND)
    elif expected is not None and expected != doc["revision"]:
        problems.add(["expectedRevision"], f"the quote is at revision {doc['revision']}", UserErrorCode.REVISION_CONFLICT)
    return doc


def _status(problems: Problems, doc: Doc, allowed: tuple[str, ...], what: str, t: datetime) -> None:
    status = quote_status(doc, t)
    if status not in allowed or (doc.get("acceptance") and what != "accepted"):
        shown = "being accepted" if doc.get("acceptance") and status in allowed else status
        problems.add(["quoteId"], f"a {shown} quote cannot be {what} (only {', '.join(allowed)})",
                     UserErrorCode.INVALID_STATUS)


async def _record(ctx: Context, doc: Doc, kind: str, message: str, t: datetime, actor: dict[str, Any] | None = None) -> None:
    await timeline.record(ctx.org, doc["customerId"], kind, actor or ctx.actor(), t,
                          {"quoteId": doc["id"], "amountMinor": doc["subtotalMinor"], "currency": doc["currency"]},
                          message)


def _done(ctx: Context, doc: Doc | None, problems: Problems, t: datetime) -> QuotePayload:
    if doc is None:
        if not problems:
            problems.add(["quoteId"], "the quote changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
        return QuotePayload(quote=None, user_errors=problems.errors)
    forget(ctx.loaders.quote_by_id, doc["id"])
    return QuotePayload(quote=to_quote(doc, t), user_errors=[])


# ---------------------------------------------------------------------------------------------- acceptance


async def _void_pending(ctx: Context, order: Doc | None, t: datetime) -> None:
    """A PAYMENT quote whose charge failed leaves no order behind: the pending order and its invoice are voided."""
    if order is None:
        return
    await invoicing.void_invoice(ctx.org, ctx.actor(), order["initialInvoiceId"], t)
    await orders.transition(ctx.org, order["id"], {"status": "PENDING"}, {"status": "VOIDED", "voidTime": t}, t)


async def accept(ctx: Context, quote_id: str, instrument_id: str | None, key: str, actor: dict[str, Any],
                 t: datetime) -> tuple[Doc | None, Problems]:
    """The three steps of store/billing/quotes.py; the quote afterwards and the problems."""
    problems = Problems()
    doc = await quotes.get(ctx.org, quote_id)
    if doc is None:
        problems.add(["quoteId"], f"no quote {quote_id} in this organization", UserErrorCode.NOT_FOUND)
        return None, problems
    if doc["status"] == "ACCEPTED" and (doc.get("acceptedKey") == key):
        return doc, problems
    if (doc.get("acceptance") or {}).get("key") != key:
        _status(problems, doc, ("ISSUED",), "accepted", t)
        if doc.get("acceptance"):
            problems.add(["quoteId"], "another acceptance of this quote is under way", UserErrorCode.INVALID_STATUS)
        if problems:
            return None, problems
        # the ids of what acceptance may write are chosen here, so a retry writes the same ones
        claim = {"key": key, "time": t, "invoiceId": new_id("in"), "creditMemoId": new_id("crmm")}
        claimed = await quotes.transition(ctx.org, quote_id, {"status": "ISSUED", "acceptance": None, "revision": doc["revision"]},
                                          {"acceptance": claim}, t)
        if claimed is None:
            problems.add(["quoteId"], "the quote changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
            return None, problems
        doc = claimed
    fields: Doc = {"status": "ACCEPTED", "acceptedTime": t, "acceptance": None, "acceptedKey": key}
    if doc["type"] == "CREATION":
        payment = "PAYMENT" in doc["acceptanceConditions"]
        inp = OrderCreateInput(
            customer_id=doc["customerId"], website_id=doc["websiteId"], order_type=OrderType[doc["orderType"]],
            items=[OrderItemInput(plan_id=i["planId"], quantity=i["quantity"]) for i in doc["items"]],
            autopay=doc["autopay"] or payment,
            payment_instrument_id=strawberry.ID(instrument_id) if instrument_id else None, coupon_ids=doc.get("couponIds") or None,
            idempotency_key=f"quote:{quote_id}:{key}")
        order, inv, _, made = await ordering.create(ctx, inp, inp.idempotency_key)
        if order is None or (payment and (inv is None or inv["status"] != "PAID")):
            if payment and order is not None and not made:
                made.add(["paymentInstrumentId"], "the quote needs its first invoice paid in full; no usable payment "
                         "instrument charged it", UserErrorCode.INSTRUMENT_NOT_USABLE)
            await _void_pending(ctx, order, t)
            await quotes.transition(ctx.org, quote_id, {"acceptance.key": key}, {"acceptance": None}, t)
            return None, made
        fields.update(orderId=order["id"], invoiceId=inv["id"] if inv else None)
    else:
        order = await orders.get(ctx.org, doc["orderId"])
        done = None
        if order is None:
            problems.add(["orderId"], f"the customer has no order {doc['orderId']}", UserErrorCode.NOT_FOUND)
        else:
            done, problems = await quote_orders.apply(ctx, doc, order, instrument_id, actor)
        if done is None:
            await quotes.transition(ctx.org, quote_id, {"acceptance.key": key}, {"acceptance": None}, t)
            return None, problems
        fields.update(done)
        forget(ctx.loaders.order_by_id, doc["orderId"])
    after = await quotes.transition(ctx.org, quote_id, {"acceptance.key": key}, fields, t)
    if after is None:  # a concurrent resumer finished it
        after = await quotes.get(ctx.org, quote_id)
    else:
        await _record(ctx, after, "QUOTE_ACCEPTED", "Quote accepted", t, actor)
    return after, problems


async def reject(ctx: Context, quote_id: str, actor: dict[str, Any], t: datetime) -> tuple[Doc | None, Problems]:
    problems = Problems()
    doc = await quotes.get(ctx.org, quote_id)
    if doc is None:
        problems.add(["quoteId"], f"no quote {quote_id} in this organization", UserErrorCode.NOT_FOUND)
        return None, problems
    _status(problems, doc, ("ISSUED",), "rejected", t)
    if problems:
        return None, problems
    after = await quotes.transition(ctx.org, quote_id, {"status": "ISSUED", "acceptance": None, "revision": doc["revision"]},
                                    {"status": "REJECTED", "rejectedTime": t}, t)
    if after is not None:
        await _record(ctx, after, "QUOTE_REJECTED", "Quote rejected", t, actor)
    return after, problems


# ---------------------------------------------------------------------------------------------- api


@context_method
async def quotes_connection(ctx: Context, customer_id: str, first: int, after: str | None) -> Connection[Quote]:
    position = None
    if after:
        value, last_id = decode_cursor(after, "QUOTE_CREATED")
        if not isinstance(value, datetime):
            raise ClientError(f"`after` is not a cursor of this list: {after!r}")
        position = (value, last_id)
    docs, more = await quotes.page(ctx.org, str(customer_id), position, first)
    t = ctx.loaders.now
    edges: list[Edge[Quote]] = [LazyCursorEdge(to_quote(d, t), "QUOTE_CREATED", d["createdTime"], d["id"]) for d in docs]

    async def total() -> int:
        return await quotes.count(ctx.org, str(customer_id))

    return Connection.build(edges, after=after, has_next=more, count=total)


@strawberry.type
class QuoteQueries:
    @strawberry.field(description="One quote; null when there is none in this organization.")
    async def quote(self, info: Info, id: QuoteArg) -> Quote | None:
        return await info.context.loaders.quote_by_id.load(str(id))


@strawberry.type
class QuoteMutations:
    @mutation("Creates a DRAFT quote (the guide's *Create a quote*).")
    async def quote_create(self, info: Info, input: QuoteCreateInput) -> QuotePayload:
        ctx, problems, t = info.context, Problems(), now()
        customer = await money.load_customer(ctx.org, problems, ["customerId"], str(input.customer_id))
        website_id = str(input.website_id) if input.website_id else (customer or {}).get("websiteId")
        if input.website_id is not None and not (await websites.get_many(ctx.org, [website_id or ""]))[0]:
            problems.add(["websiteId"], f"no website {website_id} in this organization", UserErrorCode.NOT_FOUND)
        kind = input.type.name
        order = await _target_order(ctx.org, problems, kind, input.order_id, (customer or {}).get("id"))
        if not 1 <= len(input.items) <= MAX_ITEMS:
            problems.add(["items"], f"give 1–{MAX_ITEMS} items", UserErrorCode.INVALID)
        lines, currency, order_type = await _items(ctx.org, problems, input.items)
        if order is not None and currency != order["currency"]:
            problems.add(["items"], f"the order is in {order['currency']}", UserErrorCode.CURRENCY_MISMATCH)
        if kind != "CREATION" and order_type != "SUBSCRIPTION":
            problems.add(["items"], "a subscription's quote takes subscription plans", UserErrorCode.ORDER_TYPE_MISMATCH)
        if kind == "CHANGE" and order is not None:
            _same_period(problems, order, lines)
        if input.expiration_time is not None and input.expiration_time <= t:
            problems.add(["expirationTime"], "lies in the past", UserErrorCode.DATE_IN_PAST)
        doc: Doc = {
            "id": (qid := new_id("qt")), "tokenHash": money.token_hash(money.link_token(ctx.settings, qid)),
            "customerId": (customer or {}).get("id"), "websiteId": website_id, "type": kind,
            "orderId": order["id"] if order else None, "orderType": order_type, "status": "DRAFT",
            "currency": currency, "items": lines, "subtotalMinor": sum(li["amountMinor"] for li in lines),
            "couponIds": await _coupons(ctx.org, problems, input.coupon_ids), "autopay": input.autopay,
            "acceptanceConditions": _conditions(input.acceptance_conditions),
            "prorated": _prorated(problems, input.prorated, kind), "creditMemoId": None,
            "paymentTerms": text(problems, ["paymentTerms"], input.payment_terms, 5000),
            "signature": _signature(problems, input.signature), "redirectUrl": _url(problems, input.redirect_url),
            "expirationTime": input.expiration_time, "invoiceId": None, "acceptance": None, "issuedTime": None,
            "acceptedTime": None, "rejectedTime": None, "canceledTime": None, "revision": 1, "createdTime": t,
            "updatedTime": t,
        }
        if problems or customer is None:
            return QuotePayload(quote=None, user_errors=problems.errors)
        await quotes.insert(ctx.org, doc)
        await _record(ctx, doc, "QUOTE_CREATED", "Quote created", t)
        return _done(ctx, doc, problems, t)

    @mutation("Edits a DRAFT quote (recall an issued one first).")
    async def quote_update(self, info: Info, input: QuoteUpdateInput) -> QuotePayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.quote_id), input.expected_revision)
        if doc is None:
            return QuotePayload(quote=None, user_errors=problems.errors)
        _status(problems, doc, ("DRAFT",), "edited", t)
        fields: Doc = {}
        if input.items is not None:
            if not 1 <= len(input.items) <= MAX_ITEMS:
                problems.add(["items"], f"give 1–{MAX_ITEMS} items", UserErrorCode.INVALID)
            lines, currency, order_type = await _items(ctx.org, problems, input.items)
            fields.update(items=lines, currency=currency, orderType=order_type,
                          subtotalMinor=sum(li["amountMinor"] for li in lines))
            order = await orders.get(ctx.org, doc["orderId"]) if doc.get("orderId") and doc["type"] != "CREATION" else None
            if order is not None:
                if currency != order["currency"]:
                    problems.add(["items"], f"the order is in {order['currency']}", UserErrorCode.CURRENCY_MISMATCH)
                if doc["type"] == "CHANGE":
                    _same_period(problems, order, lines)
        if input.expiration_time is not None:
            value = input.expiration_time.value
            if value is not None and value <= t:
                problems.add(["expirationTime"], "lies in the past", UserErrorCode.DATE_IN_PAST)
            fields["expirationTime"] = value
        if input.redirect_url is not None:
            fields["redirectUrl"] = _url(problems, input.redirect_url.value)
        if input.coupon_ids is not None:
            fields["couponIds"] = await _coupons(ctx.org, problems, input.coupon_ids)
        if input.autopay is not None:
            fields["autopay"] = input.autopay
        if input.acceptance_conditions is not None:
            fields["acceptanceConditions"] = _conditions(input.acceptance_conditions)
        if input.prorated is not None:
            fields["prorated"] = _prorated(problems, input.prorated, doc["type"])
        if input.payment_terms is not None:
            fields["paymentTerms"] = text(problems, ["paymentTerms"], input.payment_terms.value, 5000)
        if input.signature is not None:
            fields["signature"] = _signature(problems, input.signature)
        if not problems and all(doc.get(k) == v for k, v in fields.items()):
            problems.add(None, "the input changes nothing", UserErrorCode.NOTHING_TO_CHANGE)
        if problems:
            return QuotePayload(quote=None, user_errors=problems.errors)
        after = await quotes.transition(ctx.org, doc["id"], {"status": "DRAFT", "revision": doc["revision"]}, fields, t)
        if after is not None:
            await _record(ctx, after, "QUOTE_UPDATED", "Quote edited", t)
        return _done(ctx, after, problems, t)

    @mutation("Issues a DRAFT quote: the customer may accept or reject it until its expiration time "
              "(default: one month from now).")
    async def quote_issue(self, info: Info, input: QuoteActionInput) -> QuotePayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.quote_id), input.expected_revision)
        if doc is not None:
            _status(problems, doc, ("DRAFT",), "issued", t)
            if doc.get("expirationTime") is not None and doc["expirationTime"] <= t:
                problems.add(["quoteId"], "its expiration time has passed; edit it first", UserErrorCode.DATE_IN_PAST)
        if problems or doc is None:
            return QuotePayload(quote=None, user_errors=problems.errors)
        expires = doc.get("expirationTime") or pricing.add_period(t, "MONTH", 1)
        after = await quotes.transition(ctx.org, doc["id"], {"status": "DRAFT", "revision": doc["revision"]},
                                        {"status": "ISSUED", "issuedTime": t, "expirationTime": expires}, t)
        if after is not None:
            await _record(ctx, after, "QUOTE_ISSUED", "Quote issued", t)
            await jobs.schedule(ctx.org, QUOTE_EXPIRY, job_key(after["id"], t), expires, t,
                                {"quoteId": after["id"], "issuedTime": t})
        return _done(ctx, after, problems, t)

    @mutation("Recalls an ISSUED quote back to DRAFT (editable again; the customer can no longer accept it).")
    async def quote_recall(self, info: Info, input: QuoteActionInput) -> QuotePayload:
        return await _move(info.context, input, ("ISSUED",), "recalled", {"status": "DRAFT"}, "QUOTE_RECALLED",
                           "Quote recalled to draft")

    @mutation("Cancels a DRAFT or ISSUED quote (final).")
    async def quote_cancel(self, info: Info, input: QuoteActionInput) -> QuotePayload:
        return await _move(info.context, input, ("DRAFT", "ISSUED"), "canceled", {"status": "CANCELED"},
                           "QUOTE_CANCELED", "Quote canceled", "canceledTime")

    @mutation("Rejects an ISSUED quote for the customer (final).")
    async def quote_reject(self, info: Info, input: QuoteActionInput) -> QuotePayload:
        ctx, t = info.context, now()
        problems = Problems()
        doc = await _load(ctx, problems, str(input.quote_id), input.expected_revision)
        if problems or doc is None:
            return QuotePayload(quote=None, user_errors=problems.errors)
        after, problems = await reject(ctx, doc["id"], ctx.actor(), t)
        return _done(ctx, after, problems, t)

    @mutation("Accepts an ISSUED quote for the customer: CREATION makes the order (redeeming its coupons), CHANGE "
              "replaces the subscription's items, REACTIVATION reactivates it. With the PAYMENT condition the order's "
              "first invoice must be paid in full by the charge, else nothing is accepted (the pending order is voided).")
    async def quote_accept(self, info: Info, input: QuoteAcceptInput) -> QuotePayload:
        ctx, t = info.context, now()
        problems = Problems()
        key = money.idempotency_key(problems, input.idempotency_key)
        doc = await _load(ctx, problems, str(input.quote_id))
        iid = str(input.payment_instrument_id) if input.payment_instrument_id is not None else None
        if iid is not None:
            money.check_id(problems, ["paymentInstrumentId"], iid, "PaymentInstrument", "inst")
        if problems or doc is None:
            return QuotePayload(quote=None, user_errors=problems.errors)
        after, problems = await accept(ctx, doc["id"], iid, key, ctx.actor(), t)
        forget(ctx.loaders.customer_by_id, doc["customerId"])
        return _done(ctx, after, problems, t)


async def _move(ctx: Context, inp: QuoteActionInput, allowed: tuple[str, ...], what: str, fields: Doc, kind: str,
                message: str, stamp: str | None = None) -> QuotePayload:
    problems, t = Problems(), now()
    doc = await _load(ctx, problems, str(inp.quote_id), inp.expected_revision)
    if doc is not None:
        _status(problems, doc, allowed, what, t)
    if problems or doc is None:
        return QuotePayload(quote=None, user_errors=problems.errors)
    change = {**fields, **({stamp: t} if stamp else {})}
    after = await quotes.transition(ctx.org, doc["id"], {"status": {"$in": list(allowed)}, "acceptance": None,
                                                         "revision": doc["revision"]}, change, t)
    if after is not None:
        await _record(ctx, after, kind, message, t)
    return _done(ctx, after, problems, t)


