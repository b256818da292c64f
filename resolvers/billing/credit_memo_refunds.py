"""`creditMemoRefund`: pays a credit memo's unused amount back through the sales that paid its related
invoice (the reference's `POST /credit-memos/{id}/refund`), newest sale first.

Steps, each guarded: (1) the memo reserves the amount (`unusedMinor` down, a transaction allocation
pushed under an id derived from the idempotency key, guarded by the memo's revision); (2) each sale is
refunded through the money context's `refund_one` (its own guarded reservation on the sale, the gateway
call, the REFUND or VOID child, the invoice moved to (partially) refunded); (3) the memo records the
refunds; what the gateway refused is given back to the memo. The whole mutation runs once per key."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from resolvers.auth import mutation
from resolvers.billing.credit_memos import _amount, _load, _status, allocation_id, memo_status
from resolvers.context import Info, now
from resolvers.money import idempotency, money
from resolvers.money.refunds import refund_one
from schema.billing.credit_memos import CreditMemo
from schema.common import Money, Problems, UserError, UserErrorCode
from store.activity import timeline
from store.billing import credit_memos, invoices
from store.db import Doc
from store.money import transactions


@strawberry.input(description="Refund a credit memo's unused amount through its invoice's transactions.")
class CreditMemoRefundInput:
    credit_memo_id: strawberry.ID = strawberry.field(description="The credit memo (made from an invoice).")
    amount: Decimal | None = strawberry.field(default=None, description="How much (default and at most: the unused amount).")
    idempotency_key: str = strawberry.field(description="Your unique key for this refund (1–255).")


@strawberry.type(description="Result of `creditMemoRefund`.")
class CreditMemoRefundPayload:
    credit_memo: CreditMemo | None = strawberry.field(description="The credit memo afterwards.")
    amount: Money | None = strawberry.field(description="The amount refunded.")
    refund_transaction_ids: list[strawberry.ID] = strawberry.field(description="The REFUND (or VOID) transactions made.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was refunded.")


def _refundable(sale: Doc) -> int:
    if sale["type"] != "SALE" or sale["result"] != "APPROVED" or sale["status"] in ("VOIDED", "TIMEOUT"):
        return 0
    return int(sale["amountMinor"] - sale.get("refundedMinor", 0))


@strawberry.type
class CreditMemoRefundMutations:
    @mutation("Refunds a credit memo's unused amount (or `amount`) through the sales that paid its related invoice, "
              "newest first; the memo's unused amount goes down by what was refunded.")
    async def credit_memo_refund(self, info: Info, input: CreditMemoRefundInput) -> CreditMemoRefundPayload:
        ctx, problems, t = info.context, Problems(), now()
        key = money.idempotency_key(problems, input.idempotency_key)
        memo = await _load(ctx, problems, str(input.credit_memo_id))
        sales: list[Doc] = []
        if memo is not None:
            _status(problems, memo, credit_memos.OPEN, "refunded")
            inv = await invoices.get(ctx.org, memo["invoiceId"]) if memo.get("invoiceId") else None
            if inv is None:
                problems.add(["creditMemoId"], "the memo has no related invoice to refund through", UserErrorCode.NOT_REFUNDABLE)
            else:
                found = await transactions.get_many(ctx.org, list(reversed(inv.get("transactionIds") or [])))
                sales = [s for s in found if s is not None and _refundable(s) > 0]
                if not sales:
                    problems.add(["creditMemoId"], "no payment of its invoice remains refundable", UserErrorCode.NOT_REFUNDABLE)
        requested = _amount(problems, ["amount"], input.amount, memo["currency"]) if memo and input.amount else None
        if memo is not None and requested is not None and requested > memo["unusedMinor"]:
            problems.add(["amount"], "is more than the memo's unused amount", UserErrorCode.OVER_ALLOCATION)
        if problems or memo is None:
            return CreditMemoRefundPayload(credit_memo=None, amount=None, refund_transaction_ids=[], user_errors=problems.errors)
        amount = min(requested or memo["unusedMinor"], memo["unusedMinor"], sum(_refundable(s) for s in sales))
        alloc = allocation_id(key, memo["id"], "refund")

        async def work() -> idempotency.Outcome:
            unused = memo["unusedMinor"] - amount
            entry = {"id": alloc, "amountMinor": amount, "refundIds": [], "createdTime": t}
            reserved = await credit_memos.transition(
                ctx.org, memo["id"], {"revision": memo["revision"], "transactionAllocations.id": {"$ne": alloc}},
                {"unusedMinor": unused, "status": memo_status(unused)}, t, {"$push": {"transactionAllocations": entry}})
            if reserved is None:
                return idempotency.refused(["creditMemoId"], "the credit memo changed meanwhile; read it again",
                                           UserErrorCode.REVISION_CONFLICT)
            left, done, refunds, errors = amount, 0, [], []
            for sale in sales:
                part = min(left, _refundable(sale))
                if part <= 0:
                    break
                outcome = await refund_one(ctx, ["creditMemoId"], sale["id"],
                                           Money.from_minor(part, sale["currency"]).amount, f"Credit memo #{memo['number']}")
                if outcome.get("errors"):
                    errors = outcome["errors"]
                    break
                refunds.append(outcome["refundId"])
                left -= part
                done += part
            back = amount - done
            after = await credit_memos.get(ctx.org, memo["id"])
            assert after is not None
            fields: Doc = {}
            if back:
                unused_after = after["unusedMinor"] + back
                fields = {"unusedMinor": unused_after,
                          "status": "ISSUED" if unused_after == after["totalMinor"] else memo_status(unused_after)}
            if not done:  # nothing refunded: the reservation goes away entirely, so the key can be retried
                kept = [a for a in after.get("transactionAllocations") or () if a["id"] != alloc]
                await credit_memos.transition(ctx.org, memo["id"], {"revision": after["revision"]},
                                              {**fields, "transactionAllocations": kept}, t)
                return {"changed": False, "errors": errors}
            allocations = [{**a, "amountMinor": done, "refundIds": refunds} if a["id"] == alloc else a
                           for a in after.get("transactionAllocations") or ()]
            await credit_memos.transition(ctx.org, memo["id"], {}, {**fields, "transactionAllocations": allocations}, t)
            await timeline.record(ctx.org, memo["customerId"], "CREDIT_MEMO_APPLIED", ctx.actor(), t,
                                  {"creditMemoId": memo["id"], "amountMinor": done, "currency": memo["currency"]},
                                  f"Credit memo #{memo['number']} refunded")
            return {"changed": True, "amountMinor": done, "refundIds": refunds}

        outcome = await idempotency.once(ctx, "creditMemoRefund", key, input, work)
        if outcome.get("errors") and not outcome.get("amountMinor"):
            errors = [UserError(field=e["field"], message=e["message"], code=UserErrorCode(e["code"]))
                      for e in outcome["errors"]]
            return CreditMemoRefundPayload(credit_memo=None, amount=None, refund_transaction_ids=[], user_errors=errors)
        after = await credit_memos.get(ctx.org, memo["id"])
        return CreditMemoRefundPayload(
            credit_memo=CreditMemo.from_doc(after) if after else None,
            amount=Money.from_minor(outcome["amountMinor"], memo["currency"]),
            refund_transaction_ids=outcome["refundIds"], user_errors=[])
