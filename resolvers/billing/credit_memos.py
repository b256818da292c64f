"""Credit memos: create, edit, issue, void, allocate to an invoice; the customer's credit balance and
`invoiceCreditBalanceAllocate` (open memos of the invoice's currency, oldest first)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from resolvers import pagination
from resolvers.auth import mutation
from resolvers.billing import invoicing, pricing
from resolvers.context import Context, Info, context_method, now
from resolvers.loaders import forget
from resolvers.money import idempotency, money
from resolvers.validation import Path, text
from schema.billing.credit_memos import (
    CreditMemo,
    CreditMemoActionInput,
    CreditMemoAllocateInput,
    CreditMemoAllocatePayload,
    CreditMemoArg,
    CreditMemoCreateInput,
    CreditMemoItemInput,
    CreditMemoPayload,
    CreditMemoUpdateInput,
    InvoiceCreditBalanceAllocateInput,
    InvoiceCreditBalanceAllocatePayload,
)
from schema.billing.invoices import Invoice
from schema.common import Connection, Money, Page, Problems, UserError, UserErrorCode
from store.activity import timeline
from store.billing import catalog, credit_memos, invoices
from store.db import Doc, OrgDb
from store.ids import new_id
from store.money import idempotency as idem_store

MAX_ITEMS = 100
EDITABLE = ["DRAFT", "ISSUED"]
VOIDABLE = ["DRAFT", "ISSUED", "PARTIALLY_APPLIED"]
# Invoices a credit memo may pay: payable ones, and drafts (the guide's "upcoming invoice").
TAKES_CREDIT = [*invoices.PAYABLE, "DRAFT"]
MAX_ATTEMPTS = 5


def _amount(problems: Problems, path: Path, value: Decimal | None, currency: str) -> int:
    if value is None or value == 0:
        return 0
    if value < 0:
        problems.add(path, "may not be negative", UserErrorCode.INVALID)
        return 0
    return money.to_minor(problems, path, value, currency)


async def _items(org: OrgDb, problems: Problems, items: list[CreditMemoItemInput], currency: str,
                 invoice: Doc | None) -> list[Doc]:
    if not items:
        problems.add(["items"], "give at least one item", UserErrorCode.REQUIRED)
    if len(items) > MAX_ITEMS:
        problems.add(["items"], f"at most {MAX_ITEMS} items", UserErrorCode.TOO_MANY)
    lines = {li["id"]: li for li in (invoice or {}).get("items") or ()}
    plan_ids = [str(i.plan_id) for i in items if i.plan_id is not None]
    product_ids = [str(i.product_id) for i in items if i.product_id is not None]
    plans = {p["id"] for p in await catalog.get_many(org, catalog.PLANS, plan_ids) if p} if plan_ids else set()
    products = {p["id"] for p in await catalog.get_many(org, catalog.PRODUCTS, product_ids) if p} if product_ids else set()
    out = []
    for i, item in enumerate(items):
        path: Path = ["items", i]
        if not item.unit_price.is_finite() or item.unit_price <= 0:
            problems.add([*path, "unitPrice"], "must be greater than zero", UserErrorCode.INVALID)
            continue
        if not 1 <= item.quantity <= 1_000_000:
            problems.add([*path, "quantity"], "must be between 1 and 1,000,000", UserErrorCode.INVALID)
            continue
        line: Doc = {
            "id": new_id("crmi"), "description": text(problems, [*path, "description"], item.description, 255),
            "unitPrice": format(item.unit_price.normalize(), "f"), "quantity": item.quantity,
            "amountMinor": pricing.round_minor(item.unit_price * item.quantity, currency),
            "taxMinor": _amount(problems, [*path, "taxAmount"], item.tax_amount, currency),
            "taxDescription": text(problems, [*path, "taxDescription"], item.tax_description, 255),
            "invoiceItemId": None, "productId": None, "planId": None,
        }
        if item.invoice_item_id is not None:
            iid = str(item.invoice_item_id)
            if invoice is None:
                problems.add([*path, "invoiceItemId"], "an invoice item needs the memo's `invoiceId`", UserErrorCode.INVALID)
            elif iid not in lines:
                problems.add([*path, "invoiceItemId"], f"invoice {invoice['id']} has no line {iid}", UserErrorCode.NOT_FOUND)
            else:
                line["invoiceItemId"] = iid
                line["planId"] = lines[iid].get("planId")
                line["productId"] = lines[iid].get("productId")
        if item.plan_id is not None:
            if money.check_id(problems, [*path, "planId"], str(item.plan_id), "Plan", "plan"):
                if str(item.plan_id) not in plans:
                    problems.add([*path, "planId"], f"no plan {item.plan_id} in this organization", UserErrorCode.NOT_FOUND)
                line["planId"] = str(item.plan_id)
        if item.product_id is not None:
            if money.check_id(problems, [*path, "productId"], str(item.product_id), "Product", "prod"):
                if str(item.product_id) not in products:
                    problems.add([*path, "productId"], f"no product {item.product_id} in this organization",
                                 UserErrorCode.NOT_FOUND)
                line["productId"] = str(item.product_id)
        out.append(line)
    return out


def totals(items: list[Doc], shipping: int) -> Doc:
    subtotal = sum(i["amountMinor"] for i in items)
    tax = sum(i["taxMinor"] for i in items)
    total = subtotal + shipping + tax
    return {"subtotalMinor": subtotal, "shippingMinor": shipping, "taxMinor": tax, "totalMinor": total,
            "unusedMinor": total}


async def _load(ctx: Context, problems: Problems, memo_id: str, expected: int | None = None) -> Doc | None:
    if not money.check_id(problems, ["creditMemoId"], memo_id, "CreditMemo", "crmm"):
        return None
    doc = await credit_memos.get(ctx.org, memo_id)
    if doc is None:
        problems.add(["creditMemoId"], f"no credit memo {memo_id} in this organization", UserErrorCode.NOT_FOUND)
    elif expected is not None and expected != doc["revision"]:
        problems.add(["expectedRevision"], f"the credit memo is at revision {doc['revision']}",
                     UserErrorCode.REVISION_CONFLICT)
    return doc


def _status(problems: Problems, doc: Doc, allowed: list[str], what: str) -> None:
    if doc["status"] not in allowed:
        problems.add(["creditMemoId"], f"a {doc['status']} credit memo cannot be {what} (only {', '.join(allowed)})",
                     UserErrorCode.INVALID_STATUS)


def _event(doc: Doc, **extra: Any) -> Doc:
    return {"creditMemoId": doc["id"], "amountMinor": doc["totalMinor"], "currency": doc["currency"], **extra}


def _done(ctx: Context, doc: Doc | None, problems: Problems) -> CreditMemoPayload:
    if doc is None:
        if not problems:
            problems.add(["creditMemoId"], "the credit memo changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
        return CreditMemoPayload(credit_memo=None, user_errors=problems.errors)
    forget(ctx.loaders.credit_memo_by_id, doc["id"])
    forget(ctx.loaders.credit_balance_by_customer_id, doc["customerId"])
    return CreditMemoPayload(credit_memo=CreditMemo.from_doc(doc), user_errors=[])


# ---------------------------------------------------------------------------------------------- allocation


def allocation_id(key: str, memo_id: str, invoice_id: str) -> str:
    return "cmal_" + hashlib.sha256(f"{key}|{memo_id}|{invoice_id}".encode()).hexdigest()[:24]


def memo_status(unused: int) -> str:
    return "APPLIED" if unused == 0 else "PARTIALLY_APPLIED"


async def allocate(org: OrgDb, actor: dict[str, Any], memo_id: str, invoice_id: str, requested: int | None,
                   alloc_id: str, t: datetime) -> tuple[Doc | None, Doc | None, int]:
    """Allocates min(requested, unused, due) of a memo to an invoice in two guarded steps (see
    store/billing/credit_memos.py); safe to repeat with the same `alloc_id`. Returns (memo, invoice,
    amount); amount 0: nothing could be allocated."""
    for _ in range(MAX_ATTEMPTS):
        memo = await credit_memos.get(org, memo_id)
        inv = await invoices.get(org, invoice_id)
        if memo is None or inv is None:
            return memo, inv, 0
        mine = next((a for a in memo.get("allocations") or () if a["id"] == alloc_id), None)
        taken = next((a for a in inv.get("creditAllocations") or () if a["id"] == alloc_id), None)
        if taken is not None:
            return memo, inv, int(taken["amountMinor"])
        due = inv["totalMinor"] - inv.get("paidMinor", 0)
        if mine is None:
            amount = min(x for x in (requested, memo["unusedMinor"], due) if x is not None)
            if memo["status"] not in credit_memos.OPEN or inv["status"] not in TAKES_CREDIT or amount <= 0:
                return memo, inv, 0
            unused = memo["unusedMinor"] - amount
            entry: Doc = {"id": alloc_id, "invoiceId": invoice_id, "amountMinor": amount, "createdTime": t}
            moved = await credit_memos.transition(
                org, memo_id, {"revision": memo["revision"], "allocations.id": {"$ne": alloc_id}},
                {"unusedMinor": unused, "status": memo_status(unused)}, t, {"$push": {"allocations": entry}})
            if moved is None:
                continue
            memo, mine = moved, entry
        amount = int(mine["amountMinor"])
        if inv["status"] not in TAKES_CREDIT or amount > due:
            await _undo(org, memo_id, mine, t)  # the invoice cannot take it any more: give it back
            continue
        paid = inv.get("paidMinor", 0) + amount
        fields: Doc = {"paidMinor": paid}
        if inv["status"] != "DRAFT":
            fields["status"] = invoicing.status_after_payment(inv, paid)
            if fields["status"] == "PAID":
                fields["paidTime"] = t
        taking: Doc = {"id": alloc_id, "creditMemoId": memo_id, "amountMinor": amount, "createdTime": t}
        after = await invoices.transition(org, invoice_id, {"revision": inv["revision"], "creditAllocations.id": {"$ne": alloc_id}},
                                          fields, t, {"$push": {"creditAllocations": taking}})
        if after is None:
            continue
        await timeline.record(org, inv["customerId"], "CREDIT_MEMO_APPLIED", actor, t,
                              {"creditMemoId": memo_id, "invoiceId": invoice_id, "amountMinor": amount,
                               "currency": inv["currency"]},
                              f"Credit memo #{memo['number']}: {invoicing.money_text(amount, inv['currency'])} "
                              f"allocated to invoice #{inv.get('invoiceNumber')}")
        if after.get("status") == "PAID" and inv["status"] != "PAID":
            await timeline.record(org, inv["customerId"], "INVOICE_PAID", actor, t,
                                  {"invoiceId": invoice_id, "amountMinor": inv["totalMinor"], "currency": inv["currency"]},
                                  f"Invoice #{inv.get('invoiceNumber')} paid")
        return await credit_memos.get(org, memo_id), after, amount
    raise RuntimeError(f"credit memo {memo_id} or invoice {invoice_id} kept changing during an allocation")


async def _undo(org: OrgDb, memo_id: str, entry: Doc, t: datetime) -> None:
    memo = await credit_memos.get(org, memo_id)
    if memo is None or not any(a["id"] == entry["id"] for a in memo.get("allocations") or ()):
        return
    unused = memo["unusedMinor"] + entry["amountMinor"]
    status = "ISSUED" if unused == memo["totalMinor"] else memo_status(unused)
    if memo["status"] == "VOIDED":
        status = "VOIDED"
    kept = [a for a in memo.get("allocations") or () if a["id"] != entry["id"]]  # (FerretDB v1: no $pull by condition)
    await credit_memos.transition(org, memo_id, {"revision": memo["revision"]},
                                  {"unusedMinor": unused, "status": status, "allocations": kept}, t)


def _invoice_problems(problems: Problems, inv: Doc | None, customer_id: str | None, currency: str | None) -> None:
    if inv is None:
        return
    if customer_id is not None and inv["customerId"] != customer_id:
        problems.add(["invoiceId"], "the invoice belongs to another customer", UserErrorCode.INVALID)
    if currency is not None and inv["currency"] != currency:
        problems.add(["invoiceId"], f"the invoice is in {inv['currency']}; the credit is in {currency}",
                     UserErrorCode.CURRENCY_MISMATCH)
    if inv["status"] not in TAKES_CREDIT:
        problems.add(["invoiceId"], f"a {inv['status']} invoice takes no credit (only {', '.join(TAKES_CREDIT)})",
                     UserErrorCode.INVALID_STATUS)
    elif inv["totalMinor"] - inv.get("paidMinor", 0) <= 0:
        problems.add(["invoiceId"], "the invoice has nothing due", UserErrorCode.NOTHING_DUE)


async def _invoice(ctx: Context, problems: Problems, invoice_id: str) -> Doc | None:
    if not money.check_id(problems, ["invoiceId"], invoice_id, "Invoice", "in"):
        return None
    inv = await invoices.get(ctx.org, invoice_id)
    if inv is None:
        problems.add(["invoiceId"], f"no invoice {invoice_id} in this organization", UserErrorCode.NOT_FOUND)
    return inv


async def _replay(ctx: Context, operation: str, key: str, inp: Any) -> idempotency.Outcome | None:
    """The stored outcome of a finished allocation with this key and input (checked before the input is,
    so a replay answers the same after the memo or invoice moved on)."""
    done = await idem_store.get(ctx.org, key) if key else None
    if done is None or done.get("status") != "DONE" or done["inputHash"] != idempotency.input_hash(operation, inp):
        return None
    return {**done["result"], "replayed": True}


def _errors(outcome: idempotency.Outcome) -> list[UserError]:
    return [UserError(field=e["field"], message=e["message"], code=UserErrorCode(e["code"]))
            for e in outcome.get("errors") or ()]


# ---------------------------------------------------------------------------------------------- api


@context_method
async def credit_memos_connection(ctx: Context, customer_id: str, page: Page) -> Connection[CreditMemo]:
    at = pagination.position(page, "CREDIT_MEMO_CREATED", datetime)
    docs, more = await credit_memos.page(ctx.org, str(customer_id), at, page.size, page.backward)

    async def total() -> int:
        return await credit_memos.count(ctx.org, str(customer_id))

    return pagination.connection(page, docs, more, sort="CREDIT_MEMO_CREATED", key="createdTime",
                                 node=CreditMemo.from_doc, count=total)


@strawberry.type
class CreditMemoQueries:
    @strawberry.field(description="One credit memo; null when there is none in this organization.")
    async def credit_memo(self, info: Info, id: CreditMemoArg) -> CreditMemo | None:
        return await info.context.loaders.credit_memo_by_id.load(str(id))


@strawberry.type
class CreditMemoMutations:
    @mutation("Creates a credit memo (the guide's *Create a credit memo*): ISSUED (or DRAFT), totals computed.")
    async def credit_memo_create(self, info: Info, input: CreditMemoCreateInput) -> CreditMemoPayload:
        ctx, problems, t = info.context, Problems(), now()
        customer = await money.load_customer(ctx.org, problems, ["customerId"], str(input.customer_id))
        inv = await _invoice(ctx, problems, str(input.invoice_id)) if input.invoice_id is not None else None
        if inv is not None and customer is not None and inv["customerId"] != customer["id"]:
            problems.add(["invoiceId"], "the invoice belongs to another customer", UserErrorCode.INVALID)
        currency = input.currency.name if input.currency is not None else (inv or {}).get("currency")
        if currency is None:
            problems.add(["currency"], "give the currency (or an invoice)", UserErrorCode.REQUIRED)
            currency = "USD"
        elif inv is not None and inv["currency"] != currency:
            problems.add(["currency"], f"the invoice is in {inv['currency']}", UserErrorCode.CURRENCY_MISMATCH)
        items = await _items(ctx.org, problems, input.items, currency, inv)
        shipping = _amount(problems, ["shippingAmount"], input.shipping_amount, currency)
        description = text(problems, ["description"], input.description, 1000)
        if problems or customer is None:
            return CreditMemoPayload(credit_memo=None, user_errors=problems.errors)
        status = "DRAFT" if input.draft else "ISSUED"
        doc = {"id": new_id("crmm"), "number": await credit_memos.next_number(ctx.org, customer["id"]),
               "customerId": customer["id"], "currency": currency, "invoiceId": inv["id"] if inv else None,
               "status": status, "reason": input.reason.name, "description": description, "items": items,
               **totals(items, shipping), "allocations": [], "issuedTime": t if status == "ISSUED" else None,
               "voidedTime": None, "revision": 1, "createdTime": t, "updatedTime": t}
        await credit_memos.insert(ctx.org, doc)
        await timeline.record(ctx.org, customer["id"], "CREDIT_MEMO_CREATED", ctx.actor(), t, _event(doc),
                              f"Credit memo #{doc['number']} created ({invoicing.money_text(doc['totalMinor'], currency)})")
        return _done(ctx, doc, problems)

    @mutation("Edits a credit memo while nothing of it is allocated (DRAFT or ISSUED): totals are computed again.")
    async def credit_memo_update(self, info: Info, input: CreditMemoUpdateInput) -> CreditMemoPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.credit_memo_id), input.expected_revision)
        if doc is None:
            return CreditMemoPayload(credit_memo=None, user_errors=problems.errors)
        _status(problems, doc, EDITABLE, "edited")
        if doc["unusedMinor"] != doc["totalMinor"]:
            problems.add(["creditMemoId"], "part of it is allocated; it is final", UserErrorCode.NOT_EDITABLE)
        inv = await invoices.get(ctx.org, doc["invoiceId"]) if doc.get("invoiceId") else None
        items = await _items(ctx.org, problems, input.items, doc["currency"], inv) if input.items is not None else doc["items"]
        shipping = (_amount(problems, ["shippingAmount"], input.shipping_amount, doc["currency"])
                    if input.shipping_amount is not None else doc["shippingMinor"])
        fields: Doc = {"items": items, **totals(items, shipping)}
        if input.reason is not None:
            fields["reason"] = input.reason.name
        if input.description is not None:
            fields["description"] = text(problems, ["description"], input.description.value, 1000)
        if not problems and all(doc.get(k) == v for k, v in fields.items()):
            problems.add(None, "the input changes nothing", UserErrorCode.NOTHING_TO_CHANGE)
        if problems:
            return CreditMemoPayload(credit_memo=None, user_errors=problems.errors)
        after = await credit_memos.transition(
            ctx.org, doc["id"], {"revision": doc["revision"], "status": {"$in": EDITABLE}, "allocations": {"$size": 0}},
            fields, t)
        if after is not None:
            await timeline.record(ctx.org, doc["customerId"], "CREDIT_MEMO_UPDATED", ctx.actor(), t, _event(after),
                                  f"Credit memo #{doc['number']} edited")
        return _done(ctx, after, problems)

    @mutation("Issues a DRAFT credit memo: its credit becomes available.")
    async def credit_memo_issue(self, info: Info, input: CreditMemoActionInput) -> CreditMemoPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.credit_memo_id), input.expected_revision)
        if doc is not None:
            _status(problems, doc, ["DRAFT"], "issued")
        if problems or doc is None:
            return CreditMemoPayload(credit_memo=None, user_errors=problems.errors)
        after = await credit_memos.transition(ctx.org, doc["id"], {"revision": doc["revision"], "status": "DRAFT"},
                                              {"status": "ISSUED", "issuedTime": t}, t)
        if after is not None:
            await timeline.record(ctx.org, doc["customerId"], "CREDIT_MEMO_ISSUED", ctx.actor(), t, _event(after),
                                  f"Credit memo #{doc['number']} issued")
        return _done(ctx, after, problems)

    @mutation("Voids a credit memo (DRAFT, ISSUED or PARTIALLY_APPLIED): what is unused can no longer be allocated; "
              "allocations made stay.")
    async def credit_memo_void(self, info: Info, input: CreditMemoActionInput) -> CreditMemoPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.credit_memo_id), input.expected_revision)
        if doc is not None:
            _status(problems, doc, VOIDABLE, "voided")
        if problems or doc is None:
            return CreditMemoPayload(credit_memo=None, user_errors=problems.errors)
        after = await credit_memos.transition(ctx.org, doc["id"], {"revision": doc["revision"], "status": {"$in": VOIDABLE}},
                                              {"status": "VOIDED", "voidedTime": t}, t)
        if after is not None:
            await timeline.record(ctx.org, doc["customerId"], "CREDIT_MEMO_VOIDED", ctx.actor(), t, _event(after),
                                  f"Credit memo #{doc['number']} voided")
        return _done(ctx, after, problems)

    @mutation("Allocates a credit memo to an upcoming (DRAFT) or unpaid invoice of its customer: "
              "min(amount, the memo's unused amount, the invoice's due) is taken off what the invoice has due.")
    async def credit_memo_allocate(self, info: Info, input: CreditMemoAllocateInput) -> CreditMemoAllocatePayload:
        ctx, problems, t = info.context, Problems(), now()
        key = money.idempotency_key(problems, input.idempotency_key)
        replay = await _replay(ctx, "creditMemoAllocate", key, input)
        memo = await _load(ctx, problems, str(input.credit_memo_id))
        if replay is not None:
            problems = Problems()
        inv = await _invoice(ctx, problems, str(input.invoice_id))
        if memo is not None and replay is None:
            _status(problems, memo, credit_memos.OPEN, "allocated")
            _invoice_problems(problems, inv, memo["customerId"], memo["currency"])
        requested = _amount(problems, ["amount"], input.amount, memo["currency"]) if memo and input.amount else None
        if problems or memo is None or inv is None:
            return CreditMemoAllocatePayload(credit_memo=None, invoice=None, amount=None, user_errors=problems.errors)
        alloc = allocation_id(key, memo["id"], inv["id"])

        async def work() -> idempotency.Outcome:
            _, _, amount = await allocate(ctx.org, ctx.actor(), memo["id"], inv["id"], requested, alloc, t)
            if amount == 0:
                return idempotency.refused(["invoiceId"], "nothing could be allocated (the memo or invoice changed)",
                                           UserErrorCode.NOTHING_DUE)
            return {"changed": True, "amountMinor": amount}

        outcome = replay or await idempotency.once(ctx, "creditMemoAllocate", key, input, work)
        if outcome.get("errors"):
            return CreditMemoAllocatePayload(credit_memo=None, invoice=None, amount=None, user_errors=_errors(outcome))
        memo_after = await credit_memos.get(ctx.org, memo["id"])
        inv_after = await invoices.get(ctx.org, inv["id"])
        forget(ctx.loaders.invoice_by_id, inv["id"])
        forget(ctx.loaders.credit_balance_by_customer_id, memo["customerId"])
        return CreditMemoAllocatePayload(
            credit_memo=CreditMemo.from_doc(memo_after) if memo_after else None,
            invoice=Invoice.from_doc(inv_after) if inv_after else None,
            amount=Money.from_minor(outcome["amountMinor"], memo["currency"]), user_errors=[])

    @mutation("Pays an invoice from its customer's credit balance: open credit memos of the invoice's currency, "
              "oldest first (or the ones given, in their order), until the amount due (or `amount`) is covered.")
    async def invoice_credit_balance_allocate(
        self, info: Info, input: InvoiceCreditBalanceAllocateInput
    ) -> InvoiceCreditBalanceAllocatePayload:
        ctx, problems, t = info.context, Problems(), now()
        key = money.idempotency_key(problems, input.idempotency_key)
        replay = await _replay(ctx, "invoiceCreditBalanceAllocate", key, input)
        inv = await _invoice(ctx, problems, str(input.invoice_id))
        if replay is None:
            _invoice_problems(problems, inv, None, None)
        memos: list[Doc] = []
        if inv is not None and replay is None:
            if input.credit_memo_ids is not None:
                for i, mid in enumerate(input.credit_memo_ids):
                    m = await _load(ctx, problems, str(mid))
                    path: Path = ["creditMemoIds", i]
                    if m is None:
                        continue
                    if m["customerId"] != inv["customerId"] or m["currency"] != inv["currency"]:
                        problems.add(path, "is another customer's or in another currency", UserErrorCode.INVALID)
                    elif m["status"] not in credit_memos.OPEN:
                        problems.add(path, f"is {m['status']}", UserErrorCode.INVALID_STATUS)
                    memos.append(m)
            else:
                memos = [m for m in (await credit_memos.open_of_customers(ctx.org, [inv["customerId"]]))[0]
                         if m["currency"] == inv["currency"]]
                if not memos and not problems:
                    problems.add(["invoiceId"], f"the customer has no {inv['currency']} credit balance",
                                 UserErrorCode.OVER_ALLOCATION)
        requested = _amount(problems, ["amount"], input.amount, inv["currency"]) if inv and input.amount else None
        if problems or inv is None:
            return InvoiceCreditBalanceAllocatePayload(invoice=None, credit_memos=[], amount=None, user_errors=problems.errors)

        async def work() -> idempotency.Outcome:
            left = requested
            used: list[str] = []
            total = 0
            for m in memos:
                if left is not None and left <= 0:
                    break
                _, after, amount = await allocate(ctx.org, ctx.actor(), m["id"], inv["id"], left,
                                                  allocation_id(key, m["id"], inv["id"]), t)
                if amount:
                    used.append(m["id"])
                    total += amount
                    left = None if left is None else left - amount
                if after is not None and after["totalMinor"] - after.get("paidMinor", 0) <= 0:
                    break
            if total == 0:
                return idempotency.refused(["invoiceId"], "nothing could be allocated", UserErrorCode.NOTHING_DUE)
            return {"changed": True, "amountMinor": total, "memoIds": used}

        outcome = replay or await idempotency.once(ctx, "invoiceCreditBalanceAllocate", key, input, work)
        if outcome.get("errors"):
            return InvoiceCreditBalanceAllocatePayload(invoice=None, credit_memos=[], amount=None, user_errors=_errors(outcome))
        after = await invoices.get(ctx.org, inv["id"])
        used_docs = await credit_memos.get_many(ctx.org, outcome["memoIds"])
        forget(ctx.loaders.invoice_by_id, inv["id"])
        forget(ctx.loaders.credit_balance_by_customer_id, inv["customerId"])
        return InvoiceCreditBalanceAllocatePayload(
            invoice=Invoice.from_doc(after) if after else None,
            credit_memos=[CreditMemo.from_doc(d) for d in used_docs if d],
            amount=Money.from_minor(outcome["amountMinor"], inv["currency"]), user_errors=[])


