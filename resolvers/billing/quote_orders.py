"""Accepting CHANGE and REACTIVATION quotes: what it invoices (shown beforehand as `Quote.invoicePreview`),
the PAYMENT condition, and the order's move.

- CHANGE (retain-recurring: the renewal time stays): with `prorated` (default) an INTERIM invoice of the
  proration (resolvers/billing/proration.py) — CREDIT lines for the unused time of the old items, DEBIT
  lines for the rest of the period of the new ones. When the credit is larger, the invoice nets to zero
  (a DEBIT line carries the rest) and the rest becomes an ORDER_CHANGE credit memo.
- REACTIVATION: a CANCELED order (still in its paid period) keeps the period and renews at its end:
  nothing is invoiced. A CHURNED order starts a new period at acceptance, invoiced now (its prepaid items,
  type RENEWAL, the next period number); the clock renews it at the period's end.

The PAYMENT condition needs that invoice paid in full by a charge at acceptance (the given instrument,
else the order's, else the customer's default) before the order changes; a decline voids the invoice and
leaves the order as it was, the quote stays ISSUED. Nothing to pay (no invoice, or a zero one) fulfils it.
Under CUSTOMER the invoice waits for payment (collected at its due time with autopay, by the clock).

Steps, each guarded and safe to repeat (the invoice's and memo's ids are chosen when the quote is
claimed, the amounts computed as of the claim's time): invoice inserted (its id is its `periodKey`),
charged, order moved (guarded by its status and marked with `appliedQuoteId`), memo issued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from resolvers.billing import clock, collection, invoicing, ordering, pricing, proration
from resolvers.context import Context
from resolvers.money import money
from resolvers.money.sales import usable
from schema.billing.orders import OrderItemInput
from schema.common import Problems, UserErrorCode, minor_to_decimal
from store.activity import timeline
from store.billing import invoices, orders
from store.db import Doc, OrgDb
from store.ids import new_id
from store.money import transactions
from store.wallet import payment_instruments as pi

CHANGEABLE = ("ACTIVE", "TRIAL_ENDED")
REACTIVATABLE = ("CANCELED", "CHURNED")


async def new_items(org: OrgDb, problems: Problems, quote: Doc) -> list[Doc]:
    wanted = [OrderItemInput(plan_id=i["planId"], quantity=i["quantity"]) for i in quote["items"]]
    return await ordering.effective_items(org, problems, ["items"], wanted, "SUBSCRIPTION")


async def plan(org: OrgDb, quote: Doc, order: Doc, items: list[Doc], t: datetime) -> Doc:
    """What accepting the quote at `t` does: invoice lines, the invoice type and period, the order's new
    fields, and the credit left over for a memo."""
    cur = order["currency"]
    fields: Doc = {"items": items, "mrrMinor": proration.mrr_minor(items, cur)}
    if quote["type"] == "CHANGE":
        found: list[Doc] = []
        if quote.get("prorated", True):
            found = proration.lines(order, items, t, proration.billed(await proration.period_invoice(org, order)))
        charge, credit = proration.sums(found)
        left = max(0, credit - charge)
        return {"lines": found, "kind": "INTERIM", "period": order.get("rebillNumber", 1), "fields": fields,
                "chargeMinor": charge, "creditMinor": credit, "memoMinor": left}
    fields.update(status="ACTIVE", canceledTime=None, churnTime=None, canceledBy=None, cancelCategory=None,
                  cancelDescription=None, reactivatedTime=t)
    if order["status"] == "CANCELED":  # still in its paid period: it renews at the period's end
        fields["renewalTime"] = order.get("currentPeriodEnd")
        return {"lines": [], "kind": None, "period": order.get("rebillNumber", 1), "fields": fields,
                "chargeMinor": 0, "creditMinor": 0, "memoMinor": 0}
    unit, length, _ = invoicing.order_period({"items": items})
    end = pricing.add_period(t, unit, length)
    period = order.get("rebillNumber", 1) + 1
    billed = [invoicing.item_line(item, cur, t, end, period) for item in items if proration.proratable(item)]
    billed = [li for li in billed if li["amountMinor"]]
    fields.update(rebillNumber=period, currentPeriodStart=t, currentPeriodEnd=end, renewalTime=end,
                  clockAnchor={"time": t, "period": period}, inTrial=False)
    return {"lines": billed, "kind": "RENEWAL", "period": period, "fields": fields,
            "chargeMinor": sum(li["amountMinor"] for li in billed), "creditMinor": 0, "memoMinor": 0}


def invoice_lines(p: Doc, quote_id: str, currency: str) -> list[Doc]:
    """The invoice's lines; when the credit is larger, a DEBIT line carries the rest to the credit memo so
    the invoice nets to zero."""
    found = list(p["lines"])
    if p["memoMinor"] and found:
        found.append({**found[0], "id": f"{found[0]['id']}m", "type": "DEBIT", "amountMinor": p["memoMinor"],
                      "unitPrice": format(minor_to_decimal(p["memoMinor"], currency), "f"), "quantity": 1,
                      "description": f"Unused credit carried to a credit memo (quote {quote_id})", "planId": None,
                      "productId": None, "orderItemId": None})
    return found


def preview(quote: Doc, order: Doc, p: Doc, t: datetime) -> Doc:
    """`Quote.invoicePreview`'s document."""
    due = max(0, p["chargeMinor"] - p["creditMinor"])
    return {"currency": order["currency"], "effectiveTime": t, "items": p["lines"], "chargeMinor": p["chargeMinor"],
            "creditMinor": p["creditMinor"], "dueMinor": due, "creditMemoMinor": p["memoMinor"]}


async def preview_of(org: OrgDb, quote: Doc, order: Doc | None, t: datetime) -> Doc | None:
    if quote["type"] == "CREATION" or order is None:
        return None
    allowed = CHANGEABLE if quote["type"] == "CHANGE" else REACTIVATABLE
    if order["status"] not in allowed:
        return None
    items = await new_items(org, Problems(), quote)
    return preview(quote, order, await plan(org, quote, order, items, t), t)


# ---------------------------------------------------------------------------------------------- acceptance


async def _instrument(ctx: Context, problems: Problems, order: Doc, customer: Doc, instrument_id: str | None,
                      t: datetime) -> Doc | None:
    if instrument_id is None:
        found = await invoicing.pick_instrument(ctx.org, order, customer, t)
        if found is None:
            problems.add(["paymentInstrumentId"], "the quote needs its invoice paid in full; the customer has no "
                         "usable payment instrument", UserErrorCode.INSTRUMENT_NOT_USABLE)
        return found
    inst = await pi.get(ctx.org, instrument_id)
    if inst is None or inst["customerId"] != customer["id"]:
        problems.add(["paymentInstrumentId"], f"the customer has no payment instrument {instrument_id}",
                     UserErrorCode.NOT_FOUND)
        return None
    return inst if usable(problems, ["paymentInstrumentId"], inst, t) else None


async def _pay(ctx: Context, problems: Problems, order: Doc, inv: Doc, instrument_id: str | None, t: datetime) -> Doc:
    """Charges what the quote's invoice has due (PAYMENT condition); the invoice afterwards."""
    customer = await invoicing.customer_doc(ctx.org, order["customerId"])
    assert customer is not None
    inst = await _instrument(ctx, problems, order, customer, instrument_id, t)
    account = await money.route_account(ctx.org, problems, order["currency"], None) if inst is not None else None
    if inst is None or account is None:
        return inv
    after, ids = await invoicing.charge_invoice(ctx.org, ctx.settings, ctx.actor(), inv["id"], customer, inst, account, t)
    after = after or await invoices.get(ctx.org, inv["id"]) or inv
    if after["status"] != "PAID":
        last = await transactions.get(ctx.org, ids[-1]) if ids else None
        response = (last or {}).get("gatewayResponse") or {}
        if last is not None and last["status"] in ("TIMEOUT", "PENDING"):
            problems.add(["paymentInstrumentId"], "the gateway did not answer; nothing was accepted",
                         UserErrorCode.GATEWAY_TIMEOUT)
        else:
            problems.add(["paymentInstrumentId"], f"the quote needs its invoice paid in full; the charge was declined "
                         f"({response.get('code')}: {response.get('message')})", UserErrorCode.DECLINED)
    return after


async def apply(ctx: Context, quote: Doc, order: Doc, instrument_id: str | None, actor: dict[str, Any]
                ) -> tuple[Doc | None, Problems]:
    """Applies a claimed CHANGE or REACTIVATION quote to its order. Returns the quote's fields on acceptance
    (its invoice and credit memo), or None with the problems (nothing changed; a declined charge's
    invoice is voided)."""
    org, problems = ctx.org, Problems()
    claim = quote["acceptance"]
    t: datetime = claim["time"]
    if order.get("appliedQuoteId") == quote["id"]:  # a retry after the order moved: finish from there
        return await _after_move(ctx, quote, order, actor, t), problems
    items = await new_items(org, problems, quote)
    allowed = CHANGEABLE if quote["type"] == "CHANGE" else REACTIVATABLE
    if order["status"] not in allowed:
        problems.add(["orderId"], f"a {quote['type']} quote needs a subscription that is {' or '.join(allowed)}",
                     UserErrorCode.INVALID_STATUS)
    if problems:
        return None, problems
    p = await plan(org, quote, order, items, t)
    _, _, limit = invoicing.order_period({"items": items})
    if p["kind"] == "RENEWAL" and limit is not None and p["period"] > limit:
        problems.add(["orderId"], f"the subscription used up its {limit} periods", UserErrorCode.INVALID_STATUS)
        return None, problems
    payment = "PAYMENT" in quote["acceptanceConditions"]
    inv: Doc | None = None
    lines = invoice_lines(p, quote["id"], order["currency"])
    if lines:
        inv = await invoices.get(org, claim["invoiceId"])
        if inv is None:
            doc = invoicing.invoice_doc({**order, "items": items, "shipping": None}, claim["invoiceId"],
                                        await invoices.next_number(org), p["kind"], p["period"], lines, t)
            doc.update(periodKey=claim["invoiceId"], quoteId=quote["id"], collectionAttempts=0,
                       creditCarriedMinor=p["memoMinor"])
            inserted = await invoices.insert(org, doc)
            if inserted is not None:
                await timeline.record(org, order["customerId"], "INVOICE_ISSUED", actor, t,
                                      {"invoiceId": doc["id"], "amountMinor": doc["totalMinor"], "currency": doc["currency"]},
                                      f"Invoice #{doc['invoiceNumber']} issued for quote {quote['id']} "
                                      f"({invoicing.money_text(doc['totalMinor'], doc['currency'])})")
            inv = inserted or await invoices.get(org, claim["invoiceId"])
            assert inv is not None
            await invoicing.step("QUOTE_INVOICE")
        if inv["status"] in invoices.PAYABLE and inv["totalMinor"] - inv.get("paidMinor", 0) <= 0:
            inv = await invoicing.apply_payment(org, inv["id"], None, t) or inv
        if payment and inv["status"] in invoices.PAYABLE:
            inv = await _pay(ctx, problems, order, inv, instrument_id, t)
            if inv["status"] != "PAID":
                if not any(e.code == UserErrorCode.GATEWAY_TIMEOUT for e in problems.errors):
                    await invoicing.void_invoice(org, actor, inv["id"], t)
                return None, problems
    fields = {**p["fields"], "appliedQuoteId": quote["id"]}
    if inv is not None:
        fields.update(recentInvoiceId=inv["id"], billingStatus=inv["status"])
    moved = await orders.transition(org, order["id"], {"status": order["status"]}, fields, t)
    if moved is None:
        again = await orders.get(org, order["id"])
        if again is None or again.get("appliedQuoteId") != quote["id"]:
            problems.add(["orderId"], "the order changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
            if inv is not None and inv.get("paidMinor", 0) == 0:
                await invoicing.void_invoice(org, actor, inv["id"], t)
            return None, problems
        moved = again
    else:
        reactivated = quote["type"] == "REACTIVATION"
        await timeline.record(org, order["customerId"], "ORDER_REACTIVATED" if reactivated else "ORDER_ITEMS_CHANGED",
                              actor, t, {"orderId": order["id"]},
                              f"Quote accepted: subscription {'reactivated' if reactivated else 'changed'}")
    await invoicing.step("QUOTE_ORDER")
    return await _after_move(ctx, quote, moved, actor, t), problems


async def _after_move(ctx: Context, quote: Doc, order: Doc, actor: dict[str, Any], t: datetime) -> Doc:
    """After the order moved (each safe to repeat): the invoice's collection, the clock's jobs, the credit
    left over (CHANGE) as a memo; returns the quote's fields on acceptance."""
    claim = quote["acceptance"]
    inv = await invoices.get(ctx.org, claim["invoiceId"])
    if inv is not None and inv["status"] in invoices.PAYABLE and order.get("autopay"):
        await collection.schedule_collection(ctx.org, order, inv, t)
    await clock.arm_order(ctx.org, order, t)
    memo = int((inv or {}).get("creditCarriedMinor") or 0)  # the credit carried off the invoice
    memo_id = None
    if memo:
        memo_id = claim["creditMemoId"]
        item = {"id": new_id("crmi"), "description": f"Unused time credited by quote {quote['id']}",
                "unitPrice": format(minor_to_decimal(memo, order["currency"]), "f"), "quantity": 1,
                "amountMinor": memo, "taxMinor": 0, "taxDescription": None, "invoiceItemId": None,
                "productId": None, "planId": None}
        await proration.issue_memo(ctx.org, actor, memo_id, order["customerId"], order["currency"],
                                   inv["id"] if inv else None, "ORDER_CHANGE", f"Credit from quote {quote['id']}",
                                   [item], t, quote_id=quote["id"])
        await invoicing.step("QUOTE_MEMO")
    return {"invoiceId": inv["id"] if inv else None, "creditMemoId": memo_id}
