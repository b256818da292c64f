"""Coupons: `couponCreate`, `couponUpdate`, `couponExpire`, `customerCouponsRedeem`,
`couponRedemptionCancel`, the `coupon`/`coupons` queries, and the discounts they give invoices."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from resolvers.auth import mutation
from resolvers.billing import discounts, invoicing, mailer
from resolvers.context import Context, Info, now
from resolvers.loaders import forget
from resolvers.money import idempotency, money
from resolvers.pagination import LazyCursorEdge, decode_cursor
from resolvers.validation import Path, country, text
from schema.billing.coupons import (
    Coupon,
    CouponArg,
    CouponCreateInput,
    CouponDiscountInput,
    CouponExpireInput,
    CouponPayload,
    CouponRedemption,
    CouponRedemptionCancelInput,
    CouponRedemptionPayload,
    CouponRestrictionsInput,
    CouponUpdateInput,
    CustomerCouponsRedeemInput,
    CustomerCouponsRedeemPayload,
)
from schema.billing.invoices import EmailMessage
from schema.common import ClientError, Connection, Edge, Problems, UserError, UserErrorCode
from store.activity import timeline
from store.billing import catalog, coupons, outbox
from store.customers import customers
from store.db import Doc, OrgDb
from store.ids import PREFIXES, new_id, type_of_id

MAX_COUPONS = 20
MAX_IDS = 1000
CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


# ---------------------------------------------------------------------------------------------- input


def _discount(problems: Problems, path: Path, inp: CouponDiscountInput) -> Doc:
    context = inp.context.name
    if inp.type.name == "FIXED":
        if inp.percent is not None:
            problems.add([*path, "percent"], "a FIXED discount has no percent", UserErrorCode.INVALID)
        if inp.currency is None:
            problems.add([*path, "currency"], "a FIXED discount needs its currency", UserErrorCode.REQUIRED)
        if inp.amount is None:
            problems.add([*path, "amount"], "a FIXED discount needs its amount", UserErrorCode.REQUIRED)
        if inp.currency is None or inp.amount is None:
            return {}
        cur = inp.currency.name
        return {"type": "FIXED", "amountMinor": money.to_minor(problems, [*path, "amount"], inp.amount, cur),
                "currency": cur, "context": context}
    if inp.amount is not None or inp.currency is not None:
        problems.add([*path, "amount"], "a PERCENT discount has no amount or currency", UserErrorCode.INVALID)
    if inp.percent is None:
        problems.add([*path, "percent"], "a PERCENT discount needs its percent", UserErrorCode.REQUIRED)
        return {}
    if not (inp.percent.is_finite() and Decimal("0.01") <= inp.percent <= 100) or inp.percent.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.add([*path, "percent"], "must be between 0.01 and 100, with at most 2 decimals", UserErrorCode.INVALID)
        return {}
    return {"type": "PERCENT", "percent": format(inp.percent.normalize(), "f"), "context": context}


def _count(problems: Problems, path: Path, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 1_000_000_000:
        problems.add(path, "must be between 1 and 1,000,000,000", UserErrorCode.INVALID)
    return value


def _ids(problems: Problems, path: Path, values: list[Any] | None, expected: str, prefix: str,
         limit: int = MAX_IDS) -> list[str] | None:
    if values is None:
        return None
    if not values:
        problems.add(path, "give at least one id (or leave the restriction out)", UserErrorCode.REQUIRED)
    if len(values) > limit:
        problems.add(path, f"at most {limit} ids", UserErrorCode.TOO_MANY)
    out = []
    for i, v in enumerate(values):
        if expected == "Customer" and type_of_id(str(v)) in (None, "Customer"):
            out.append(str(v))
        elif money.check_id(problems, [*path, i], str(v), expected, prefix):
            out.append(str(v))
    return list(dict.fromkeys(out))


async def _exist(org: OrgDb, problems: Problems, path: Path, ids: list[str] | None, collection: str, what: str) -> None:
    if not ids:
        return
    found = await org[collection].by_ids(ids)
    for i, (cid, doc) in enumerate(zip(ids, found, strict=True)):
        if doc is None:
            problems.add([*path, i], f"no {what} {cid} in this organization", UserErrorCode.NOT_FOUND)


async def _restrictions(org: OrgDb, problems: Problems, path: Path, inp: CouponRestrictionsInput | None) -> Doc:
    if inp is None:
        return {}
    r: Doc = {}
    for key, amount in (("minimumOrderAmount", inp.minimum_order_amount), ("maximumOrderAmount", inp.maximum_order_amount)):
        if amount is not None:
            cur = amount.currency.name
            r[key] = {"amountMinor": money.to_minor(problems, [*path, key, "amount"], amount.amount, cur), "currency": cur}
    low, high = r.get("minimumOrderAmount"), r.get("maximumOrderAmount")
    if low and high and (low["currency"] != high["currency"] or low["amountMinor"] > high["amountMinor"]):
        problems.add([*path, "maximumOrderAmount"], "must be in the minimum's currency and not below it",
                     UserErrorCode.INVALID)
    for key, number in (("redemptionsPerCustomer", inp.redemptions_per_customer),
                        ("totalRedemptions", inp.total_redemptions),
                        ("discountsPerRedemption", inp.discounts_per_redemption)):
        if number is not None:
            r[key] = _count(problems, [*path, key], number)
    if inp.paid_by_time is not None:
        r["paidByTime"] = inp.paid_by_time
    if inp.countries is not None:
        if not inp.countries:
            problems.add([*path, "countries"], "give at least one country", UserErrorCode.REQUIRED)
        r["countries"] = sorted({c for i, raw in enumerate(inp.countries)
                                 if (c := country(problems, [*path, "countries", i], raw))})
    if inp.customer_tags is not None:
        tags = [text(problems, [*path, "customerTags", "tags", i], t, 100, required=True) or ""
                for i, t in enumerate(inp.customer_tags.tags)]
        if not tags:
            problems.add([*path, "customerTags", "tags"], "give at least one tag", UserErrorCode.REQUIRED)
        r["customerTags"] = {"tags": [t.lower() for t in tags], "requireAllTags": inp.customer_tags.require_all_tags}
    if inp.customer_ids is not None:
        r["customerIds"] = _ids(problems, [*path, "customerIds"], inp.customer_ids, "Customer", "cus")
        await _exist(org, problems, [*path, "customerIds"], r["customerIds"], customers.COLLECTION, "customer")
    for key, restriction, kind, prefix, coll in (("plans", inp.plans, "Plan", "plan", catalog.PLANS),
                                                 ("products", inp.products, "Product", "prod", catalog.PRODUCTS)):
        if restriction is not None:
            ids = _ids(problems, [*path, key, "ids"], restriction.ids, kind, prefix) or []
            await _exist(org, problems, [*path, key, "ids"], ids, coll, kind.lower())
            if restriction.minimum_quantity < 1:
                problems.add([*path, key, "minimumQuantity"], "must be at least 1", UserErrorCode.INVALID)
            r[key] = {f"{kind.lower()}Ids": ids, "minimumQuantity": restriction.minimum_quantity}
    if inp.subscription_ids is not None:
        r["subscriptionIds"] = _ids(problems, [*path, "subscriptionIds"], inp.subscription_ids, "Order", "ord")
    if inp.invoice_ids is not None:
        r["invoiceIds"] = _ids(problems, [*path, "invoiceIds"], inp.invoice_ids, "Invoice", "in")
    if inp.exclusive:
        r["exclusive"] = True
    if inp.buy_x_get_y is not None:
        bx: Doc = {}
        for side in ("buy", "get"):
            entries = getattr(inp.buy_x_get_y, side)
            if not 1 <= len(entries) <= 20:
                problems.add([*path, "buyXGetY", side], "give 1–20 plans", UserErrorCode.INVALID)
            ids = _ids(problems, [*path, "buyXGetY", side], [e.plan_id for e in entries], "Plan", "plan") or []
            await _exist(org, problems, [*path, "buyXGetY", side], ids, catalog.PLANS, "plan")
            for i, e in enumerate(entries):
                if e.quantity < 1:
                    problems.add([*path, "buyXGetY", side, i, "quantity"], "must be at least 1", UserErrorCode.INVALID)
            bx[side] = [{"planId": str(e.plan_id), "quantity": e.quantity} for e in entries]
        r["buyXGetY"] = bx
    return r


# ---------------------------------------------------------------------------------------------- reads


def to_coupon(doc: Doc, t: datetime) -> Coupon:
    return Coupon.from_doc(doc, discounts.coupon_status(doc, t))


async def _load(ctx: Context, problems: Problems, coupon_id: str, expected: int | None = None) -> Doc | None:
    doc = await coupons.get(ctx.org, coupon_id)
    if doc is None:
        problems.add(["couponId"], f"no coupon {coupon_id} in this organization", UserErrorCode.NOT_FOUND)
    elif expected is not None and expected != doc["revision"]:
        problems.add(["expectedRevision"], f"the coupon is at revision {doc['revision']}", UserErrorCode.REVISION_CONFLICT)
    return doc


def _done(ctx: Context, doc: Doc | None, problems: Problems) -> CouponPayload:
    if doc is None:
        if not problems:
            problems.add(["couponId"], "the coupon changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
        return CouponPayload(coupon=None, user_errors=problems.errors)
    forget(ctx.loaders.coupon_by_id, doc["id"])
    return CouponPayload(coupon=to_coupon(doc, now()), user_errors=[])


@strawberry.type
class CouponQueries:
    @strawberry.field(description="One coupon by its id (redemption code); null when there is none in this organization.")
    async def coupon(self, info: Info, id: CouponArg) -> Coupon | None:
        return await info.context.loaders.coupon_by_id.load(str(id))

    @strawberry.field(description="The organization's coupons, newest first.")
    async def coupons(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1–100.")],
        after: Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")] = None,
    ) -> Connection[Coupon]:
        if not 1 <= first <= 100:
            raise ClientError("`first` must be between 1 and 100")
        ctx = info.context
        position = None
        if after:
            value, last_id = decode_cursor(after, "COUPON_CREATED")
            if not isinstance(value, datetime):
                raise ClientError(f"`after` is not a cursor of this list: {after!r}")
            position = (value, last_id)
        docs, more = await coupons.page(ctx.org, position, first)
        t = now()
        edges: list[Edge[Coupon]] = [LazyCursorEdge(to_coupon(d, t), "COUPON_CREATED", d["createdTime"], d["id"])
                                     for d in docs]

        async def total() -> int:
            return await ctx.org[coupons.COUPONS].count({})

        return Connection.build(edges, after=after, has_next=more, count=total)


# ---------------------------------------------------------------------------------------------- redeem


async def check_redeemable(org: OrgDb, problems: Problems, path: Path, coupon_ids: list[str], customer: Doc,
                           t: datetime) -> list[Doc]:
    """The coupons, each checked to be redeemable now by this customer (every problem reported)."""
    if not coupon_ids:
        problems.add(path, "give at least one coupon", UserErrorCode.REQUIRED)
    if len(coupon_ids) > MAX_COUPONS:
        problems.add(path, f"at most {MAX_COUPONS} coupons", UserErrorCode.TOO_MANY)
    if len(set(coupon_ids)) != len(coupon_ids):
        problems.add(path, "names a coupon twice", UserErrorCode.DUPLICATE)
    found = await coupons.get_many(org, coupon_ids) if coupon_ids else []
    out = []
    for i, (cid, doc) in enumerate(zip(coupon_ids, found, strict=True)):
        if doc is None:
            problems.add([*path, i], f"no coupon {cid} in this organization", UserErrorCode.NOT_FOUND)
            continue
        status = discounts.coupon_status(doc, t)
        paid_by = (doc.get("restrictions") or {}).get("paidByTime")
        why = (f"is {status.lower()}" if status != "ISSUED" else
               "its paid-by time has passed" if paid_by is not None and t > paid_by else
               discounts.customer_problem(doc, customer))
        if why:
            problems.add([*path, i], f"coupon {cid} {why}", UserErrorCode.COUPON_NOT_REDEEMABLE)
        out.append(doc)
    return out


async def redeem(org: OrgDb, actor: dict[str, Any], customer: Doc, found: list[Doc], key: str,
                 problems: Problems, t: datetime) -> list[Doc]:
    """Redeems checked coupons for the customer, each limit claimed with one guarded update. All or
    nothing: when one limit is reached the claims already taken are given back. A retry with the same
    key finds the redemptions it made."""
    made: list[Doc] = []
    claimed: list[tuple[Doc, bool]] = []
    for i, coupon in enumerate(found):
        existing = await coupons.redemption_by_key(org, f"{key}:{coupon['id']}")
        if existing is not None:
            made.append(existing)
            continue
        r = coupon.get("restrictions") or {}
        if not await coupons.claim_customer(org, coupon["id"], customer["id"], r.get("redemptionsPerCustomer")):
            problems.add(["couponIds", i], f"coupon {coupon['id']} was redeemed by this customer as often as it may be",
                         UserErrorCode.REDEMPTION_LIMIT_REACHED)
            break
        if not await coupons.claim_total(org, coupon["id"], r.get("totalRedemptions")):
            await coupons.release_customer(org, coupon["id"], customer["id"])
            problems.add(["couponIds", i], f"coupon {coupon['id']} has no redemptions left",
                         UserErrorCode.REDEMPTION_LIMIT_REACHED)
            break
        claimed.append((coupon, True))
    if problems:
        for coupon, _ in claimed:
            await coupons.release_total(org, coupon["id"])
            await coupons.release_customer(org, coupon["id"], customer["id"])
        return []
    for coupon, _ in claimed:
        doc = {"id": new_id("cpnr"), "redemptionKey": f"{key}:{coupon['id']}", "couponId": coupon["id"],
               "customerId": customer["id"], "status": "ACTIVE", "applicationsCount": 0, "appliedInvoiceIds": [],
               "canceledTime": None, "revision": 1, "createdTime": t, "updatedTime": t}
        inserted = await coupons.insert_redemption(org, doc) or await coupons.redemption_by_key(org, doc["redemptionKey"])
        assert inserted is not None
        made.append(inserted)
        await timeline.record(org, customer["id"], "COUPON_REDEEMED", actor, t,
                              {"couponId": coupon["id"], "redemptionId": inserted["id"]},
                              f"Coupon {coupon['id']} redeemed ({discounts.description(coupon)})")
    return made


async def _email(ctx: Context, customer: Doc, found: list[Doc], t: datetime) -> Doc:
    lines = "\n".join(f"- {c['id']}: {discounts.description(c)}" for c in found)
    body = (f"Hello {customer.get('firstName') or ''} {customer.get('lastName') or ''}".rstrip()
            + f",\n\nthese coupons are now on your account and apply to your eligible orders:\n{lines}\n")
    message = mailer.new_message(customer["email"], "Coupons redeemed", body, t)
    await outbox.insert(ctx.org, message)
    return await mailer.deliver(ctx.org, ctx.settings, message["id"], t) or message


async def redeem_for_customer(ctx: Context, inp: CustomerCouponsRedeemInput) -> CustomerCouponsRedeemPayload:
    problems, t = Problems(), now()
    key = money.idempotency_key(problems, inp.idempotency_key)
    customer = await money.load_customer(ctx.org, problems, ["customerId"], str(inp.customer_id))
    ids = [str(c) for c in inp.coupon_ids]
    found = await check_redeemable(ctx.org, problems, ["couponIds"], ids, customer, t) if customer else []
    if inp.send_email and customer is not None and not customer.get("email"):
        problems.add(["sendEmail"], "the customer has no email address", UserErrorCode.REQUIRED)
    if problems or customer is None:
        return CustomerCouponsRedeemPayload(redemptions=[], email=None, user_errors=problems.errors)

    async def work() -> idempotency.Outcome:
        refused = Problems()
        made = await redeem(ctx.org, ctx.actor(), customer, found, f"redeem:{key}", refused, t)
        if refused:
            return {"changed": False, "errors": [{"field": e.field, "message": e.message, "code": e.code.value}
                                                 for e in refused.errors]}
        email = await _email(ctx, customer, found, t) if inp.send_email else None
        return {"changed": True, "redemptionIds": [m["id"] for m in made], "emailId": email["id"] if email else None}

    outcome = await idempotency.once(ctx, "customerCouponsRedeem", key, inp, work)
    if outcome.get("errors"):
        errors = [UserError(field=e["field"], message=e["message"], code=UserErrorCode(e["code"])) for e in outcome["errors"]]
        return CustomerCouponsRedeemPayload(redemptions=[], email=None, user_errors=errors)
    docs = await coupons.redemptions_many(ctx.org, outcome["redemptionIds"])
    email_doc = await outbox.get(ctx.org, outcome["emailId"]) if outcome.get("emailId") else None
    forget(ctx.loaders.coupon_redemptions_by_customer_id, customer["id"])
    return CustomerCouponsRedeemPayload(
        redemptions=[CouponRedemption.from_doc(d) for d in docs if d], user_errors=[],
        email=EmailMessage.from_doc(email_doc) if email_doc else None,
    )


# ---------------------------------------------------------------------------------------------- discounts


async def discount_invoice(org: OrgDb, customer_id: str, inv: Doc, order: Doc | None, t: datetime) -> Doc:
    """Sets an invoice document's coupon discounts (not written): the customer's active redemptions,
    weighed by `discounts.apply`. Returns the document."""
    customer = await customers.get(org, customer_id)
    redemptions = (await coupons.of_customers(org, [customer_id], active_only=True))[0]
    if customer is None or not redemptions:
        return inv
    found = {c["id"]: c for c in await coupons.get_many(org, list({r["couponId"] for r in redemptions})) if c}
    pairs = [(found[r["couponId"]], r) for r in redemptions if r["couponId"] in found]
    qty = {i["id"]: i["quantity"] for i in (order or {}).get("items") or ()}
    lines = []
    for li in inv["items"]:
        if li["type"] != "DEBIT":
            continue
        q = qty.get(li.get("orderItemId") or "", li["quantity"])
        unit = li["amountMinor"] // q if q else li["amountMinor"]
        lines.append(discounts.Line(li.get("planId"), li.get("productId"), q, li["amountMinor"], unit))
    target = discounts.Target(inv["currency"], lines, inv.get("shippingMinor", 0), customer, t,
                              order_id=(order or {}).get("id"), invoice_id=inv["id"])
    applied = [a for a in discounts.apply(pairs, target) if a.amount_minor > 0]
    inv["discounts"] = [{"couponId": a.coupon_id, "redemptionId": a.redemption_id, "description": a.description,
                         "amountMinor": a.amount_minor} for a in applied]
    total = sum(a.amount_minor for a in applied)
    inv.update(invoicing.totals(inv["items"], inv.get("shippingMinor", 0), inv.get("taxMinor", 0), total))
    return inv


async def mark_applied(org: OrgDb, actor: dict[str, Any], inv: Doc, t: datetime) -> None:
    """Counts each discount of a written invoice on its redemption, once (safe to repeat)."""
    for d in inv.get("discounts") or ():
        if await coupons.mark_applied(org, d["redemptionId"], inv["id"], t):
            await timeline.record(org, inv["customerId"], "COUPON_APPLIED", actor, t,
                                  {"couponId": d["couponId"], "redemptionId": d["redemptionId"], "invoiceId": inv["id"],
                                   "amountMinor": d["amountMinor"], "currency": inv["currency"]},
                                  f"Coupon {d['couponId']} took {invoicing.money_text(d['amountMinor'], inv['currency'])} "
                                  f"off invoice #{inv.get('invoiceNumber')}")


# ---------------------------------------------------------------------------------------------- mutations


@strawberry.type
class CouponMutations:
    @mutation("Creates a coupon: a fixed or percent discount of items, shipping or both, valid from its issued time "
              "to its expired time, with the reference's restrictions.")
    async def coupon_create(self, info: Info, input: CouponCreateInput) -> CouponPayload:
        ctx, problems, t = info.context, Problems(), now()
        cid = new_id("cpn")
        if input.id is not None:
            cid = input.id.strip()
            head = cid.partition("_")[0]
            if not CODE.match(cid):
                problems.add(["id"], "use 1–64 letters, digits, `-` or `_`", UserErrorCode.INVALID)
            elif head in PREFIXES or type_of_id(cid) is not None:
                problems.add(["id"], f"codes starting with `{head}_` are reserved for generated ids", UserErrorCode.RESERVED_ID)
        disc = _discount(problems, ["discount"], input.discount)
        restr = await _restrictions(ctx.org, problems, ["restrictions"], input.restrictions)
        issued = input.issued_time or t
        if input.expired_time is not None and input.expired_time <= issued:
            problems.add(["expiredTime"], "must be after the issued time", UserErrorCode.INVALID)
        label = text(problems, ["description"], input.description, 255)
        if problems:
            return CouponPayload(coupon=None, user_errors=problems.errors)
        doc = {"id": cid, "discount": disc, "restrictions": restr, "issuedTime": issued, "expiredTime": input.expired_time,
               "description": label, "redemptionsCount": 0, "revision": 1, "createdTime": t, "updatedTime": t}
        inserted = await coupons.insert(ctx.org, doc)
        if inserted is None:
            problems.add(["id"], f"a coupon {cid} exists already", UserErrorCode.ALREADY_EXISTS)
        return _done(ctx, inserted, problems)

    @mutation("Edits a coupon: description and restrictions at any time (a paid-by time stays as set); the discount "
              "and issued time only while nobody redeemed it. Not an expired coupon.")
    async def coupon_update(self, info: Info, input: CouponUpdateInput) -> CouponPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.coupon_id), input.expected_revision)
        if doc is None:
            return CouponPayload(coupon=None, user_errors=problems.errors)
        fields: Doc = {}
        if discounts.coupon_status(doc, t) == "EXPIRED":
            problems.add(["couponId"], "an expired coupon cannot be edited", UserErrorCode.INVALID_STATUS)
        used = doc.get("redemptionsCount", 0) > 0 or bool(doc.get("everRedeemed"))
        if input.discount is not None:
            if used:
                problems.add(["discount"], "it was redeemed already: its discount is final", UserErrorCode.COUPON_IN_USE)
            fields["discount"] = _discount(problems, ["discount"], input.discount)
        if input.issued_time is not None:
            if used:
                problems.add(["issuedTime"], "it was redeemed already: its issued time is final", UserErrorCode.COUPON_IN_USE)
            if doc.get("expiredTime") is not None and input.issued_time >= doc["expiredTime"]:
                problems.add(["issuedTime"], "must be before the expired time", UserErrorCode.INVALID)
            fields["issuedTime"] = input.issued_time
        if input.restrictions is not None:
            restr = await _restrictions(ctx.org, problems, ["restrictions"], input.restrictions)
            old = (doc.get("restrictions") or {}).get("paidByTime")
            if old is not None and restr.get("paidByTime") != old:
                problems.add(["restrictions", "paidByTime"], "the paid-by time cannot be changed", UserErrorCode.NOT_EDITABLE)
            fields["restrictions"] = restr
        if input.description is not None:
            fields["description"] = text(problems, ["description"], input.description.value, 255)
        if not problems and all(doc.get(k) == v for k, v in fields.items()):
            problems.add(None, "the input changes nothing", UserErrorCode.NOTHING_TO_CHANGE)
        if problems:
            return CouponPayload(coupon=None, user_errors=problems.errors)
        return _done(ctx, await coupons.update(ctx.org, doc["id"], doc["revision"], fields, t), problems)

    @mutation("Sets when a coupon expires (after its issued time; null: now). Not an expired coupon.")
    async def coupon_expire(self, info: Info, input: CouponExpireInput) -> CouponPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.coupon_id))
        when = input.expired_time or t
        if doc is not None:
            if discounts.coupon_status(doc, t) == "EXPIRED":
                problems.add(["couponId"], "the coupon has expired already", UserErrorCode.INVALID_STATUS)
            elif when <= doc["issuedTime"]:
                problems.add(["expiredTime"], "must be after the issued time", UserErrorCode.INVALID)
        if problems or doc is None:
            return CouponPayload(coupon=None, user_errors=problems.errors)
        return _done(ctx, await coupons.update(ctx.org, doc["id"], doc["revision"], {"expiredTime": when}, t), problems)

    @mutation("Redeems one or more coupons for a customer (the guide's *Redeem a coupon*); optionally emails the "
              "customer. Limits are claimed atomically: all coupons are redeemed or none.")
    async def customer_coupons_redeem(self, info: Info, input: CustomerCouponsRedeemInput) -> CustomerCouponsRedeemPayload:
        return await redeem_for_customer(info.context, input)

    @mutation("Cancels a coupon redemption: it discounts no further invoice (discounts already on invoices stay) "
              "and the coupon's total and per-customer counts are given back, so it can be redeemed again up to "
              "its limits.")
    async def coupon_redemption_cancel(self, info: Info, input: CouponRedemptionCancelInput) -> CouponRedemptionPayload:
        ctx, problems, t = info.context, Problems(), now()
        rid = str(input.redemption_id)
        doc = None
        if money.check_id(problems, ["redemptionId"], rid, "CouponRedemption", "cpnr"):
            doc = await coupons.redemption(ctx.org, rid)
            if doc is None:
                problems.add(["redemptionId"], f"no redemption {rid} in this organization", UserErrorCode.NOT_FOUND)
            elif doc["status"] != "ACTIVE" and doc.get("countsReturned") is not False:
                problems.add(["redemptionId"], "the redemption is canceled already", UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return CouponRedemptionPayload(redemption=None, user_errors=problems.errors)
        if doc["status"] == "ACTIVE":
            after = await coupons.cancel_redemption(ctx.org, rid, t)
            if after is None:  # a concurrent cancel won; it gives the counts back
                problems.add(["redemptionId"], "the redemption is canceled already", UserErrorCode.INVALID_STATUS)
                return CouponRedemptionPayload(redemption=None, user_errors=problems.errors)
            await timeline.record(ctx.org, doc["customerId"], "COUPON_REDEMPTION_CANCELED", ctx.actor(), t,
                                  {"couponId": doc["couponId"], "redemptionId": rid},
                                  f"Coupon {doc['couponId']} redemption canceled")
        # Resumable: a cancel interrupted here is finished by the next call (each return happens once).
        await coupons.return_total(ctx.org, doc["couponId"], rid)
        await coupons.return_customer(ctx.org, doc["couponId"], doc["customerId"], rid)
        after = await coupons.mark_counts_returned(ctx.org, rid, t) or await coupons.redemption(ctx.org, rid)
        assert after is not None
        forget(ctx.loaders.coupon_redemptions_by_customer_id, doc["customerId"])
        forget(ctx.loaders.coupon_by_id, doc["couponId"])
        return CouponRedemptionPayload(redemption=CouponRedemption.from_doc(after), user_errors=[])
