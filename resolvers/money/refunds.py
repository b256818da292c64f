"""Refunds: one transaction (`transactionRefund`) or several (`transactionsRefund`).

Before settlement a refund is a void of the whole sale; after it, a REFUND child transaction of any
amount up to what remains. The amount is reserved on the sale with one guarded atomic update, so
concurrent refunds can never exceed the sale.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from resolvers.auth import mutation
from resolvers.billing import invoicing
from resolvers.context import Context, Info, now
from resolvers.money import money
from resolvers.money.idempotency import Outcome, once
from resolvers.money.sales import errors_of, problems_outcome
from schema.common import Money, Problems, UserErrorCode, touch
from schema.money.transactions import (
    TransactionRefundInput,
    TransactionRefundPayload,
    TransactionRefundResult,
    TransactionsRefundInput,
    TransactionsRefundPayload,
)
from store.activity import timeline
from store.db import Doc
from store.ids import new_id
from store.money import transactions

MAX_ITEMS = 50
MAX_ATTEMPTS = 3


def _refusal(problems: Problems, path: list[str | int], sale: Doc, amount: int, t: datetime) -> bool:
    """Adds why `amount` cannot be refunded from `sale` now; False when it can."""
    if sale["type"] != "SALE":
        what = "a payout" if sale["type"] == "CREDIT" else f"a {sale['type'].lower()}"
        problems.add(
            [*path, "transactionId"],
            f"{sale['id']} is {what}; only sales can be refunded",
            UserErrorCode.NOT_REFUNDABLE,
        )
    elif sale["result"] != "APPROVED" or sale["status"] in ("VOIDED", "TIMEOUT"):
        state = "voided" if sale["status"] == "VOIDED" else sale["result"].lower()
        problems.add(
            [*path, "transactionId"],
            f"{sale['id']} is {state}; nothing was charged to refund",
            UserErrorCode.NOT_REFUNDABLE,
        )
    else:
        remaining = sale["amountMinor"] - sale.get("refundedMinor", 0)
        if amount > remaining:
            left = Money.from_minor(remaining, sale["currency"]).amount
            problems.add(
                [*path, "amount"],
                f"only {left} {sale['currency']} remains refundable",
                UserErrorCode.OVER_REFUND,
            )
        elif sale["settlementTime"] > t and (amount != sale["amountMinor"] or sale.get("refundedMinor")):
            problems.add(
                [*path, "amount"],
                f"the sale settles at {sale['settlementTime'].isoformat()}; before that "
                "only the whole amount can be refunded (a void)",
                UserErrorCode.NOT_SETTLED,
            )
    return bool(problems)


async def refund_one(
    ctx: Context,
    path: list[str | int],
    txn_id: str,
    amount_in: Decimal | None,
    description: str | None,
) -> Outcome:
    """Refunds or voids one sale; the outcome names the sale and its new child transaction."""
    org = ctx.org
    for _attempt in range(MAX_ATTEMPTS):
        problems, t = Problems(), now()
        if not money.check_id(problems, [*path, "transactionId"], txn_id, "Transaction", "txn"):
            return problems_outcome(problems)
        sale = await transactions.get(org, txn_id)
        touch(sale["customerId"] if sale else None)
        if sale is None:
            problems.add(
                [*path, "transactionId"],
                f"no transaction {txn_id} in this organization",
                UserErrorCode.NOT_FOUND,
            )
            return problems_outcome(problems)
        remaining = sale["amountMinor"] - sale.get("refundedMinor", 0)
        amount = (
            remaining
            if amount_in is None
            else money.to_minor(problems, [*path, "amount"], amount_in, sale["currency"])
        )
        if problems or _refusal(problems, path, sale, amount, t):
            return problems_outcome(problems, transactionId=txn_id)
        if amount == 0:
            problems.add([*path, "amount"], "nothing remains refundable", UserErrorCode.OVER_REFUND)
            return problems_outcome(problems, transactionId=txn_id)
        child_id = new_id("txn")
        gateway = money.gateway_for(ctx.settings, sale.get("gatewayName"))
        if sale["settlementTime"] > t:
            if await transactions.void(org, sale, child_id, t) is None:
                continue  # refunded, voided or settled meanwhile: decide again on the new state
            kind, ttype = "TRANSACTION_VOIDED", "VOID"
            answer = (
                None
                if sale.get("isProcessedOutside")
                else await gateway.void(gateway_transaction_id=sale.get("gatewayTransactionId") or "", now=t)
            )
        else:
            reserved = await transactions.reserve_refund(org, sale, amount, child_id, t)
            if reserved is None:
                continue
            try:
                answer = (
                    None
                    if sale.get("isProcessedOutside")
                    else await gateway.refund(
                        gateway_transaction_id=sale.get("gatewayTransactionId") or "",
                        amount_minor=amount,
                        currency=sale["currency"],
                        now=t,
                    )
                )
            except BaseException:
                # No answer from the gateway: give the reservation back so the refund can be retried.
                await transactions.release_refund(org, sale["id"], amount, child_id, t)
                raise
            if answer is not None and not answer.approved:
                await transactions.release_refund(org, sale["id"], amount, child_id, t)
                problems.add(
                    [*path, "transactionId"],
                    f"the gateway refused the refund: {answer.message}",
                    UserErrorCode.DECLINED,
                )
                return problems_outcome(problems, transactionId=txn_id)
            await transactions.settle_refund_status(org, reserved, t)
            kind, ttype = "TRANSACTION_REFUNDED", "REFUND"
        extra: Doc = {
            "gatewayName": sale.get("gatewayName"),
            "gatewayAccountId": sale.get("gatewayAccountId"),
        }
        if answer is not None:
            extra |= {
                "gatewayTransactionId": answer.gateway_transaction_id,
                "gatewayResponse": {"code": answer.code, "message": answer.message},
            }
        child = transactions.new_doc(
            txn_id=child_id,
            customer_id=sale["customerId"],
            website_id=sale["websiteId"],
            type=ttype,
            status="COMPLETED",
            result="APPROVED",
            amount_minor=amount,
            currency=sale["currency"],
            now=t,
            settlement_time=t,
            description=description,
            parentTransactionId=sale["id"],
            method=sale.get("method"),
            bin=sale.get("bin"),
            last4=sale.get("last4"),
            brand=sale.get("brand"),
            paymentInstrumentId=sale.get("paymentInstrumentId"),
            isProcessedOutside=sale.get("isProcessedOutside"),
            **extra,
        )
        await transactions.insert(org, child)
        await money.count_refund(org, sale["customerId"], amount, sale["currency"], t)
        await invoicing.record_refund(org, sale, amount, t)  # billing: the invoice it paid, if any
        left = Money.from_minor(amount, sale["currency"]).amount
        await timeline.record(
            org,
            sale["customerId"],
            kind,
            ctx.actor(),
            t,
            {
                "transactionId": sale["id"],
                "childTransactionId": child_id,
                "amountMinor": amount,
                "currency": sale["currency"],
            },
            f"{'Voided' if ttype == 'VOID' else 'Refunded'} {left} {sale['currency']}",
        )
        money.forget(ctx.loaders.transaction_by_id, sale["id"])
        money.forget(ctx.loaders.customer_by_id, sale["customerId"])
        return {"changed": True, "transactionId": sale["id"], "refundId": child_id, "errors": []}
    raise RuntimeError(f"transaction {txn_id} kept changing during {MAX_ATTEMPTS} refund attempts")


async def _result(ctx: Context, outcome: Outcome, txn_id: str) -> TransactionRefundResult:
    txn = (
        await ctx.loaders.transaction_by_id.load(outcome["transactionId"])
        if outcome.get("transactionId")
        else None
    )
    refund = (
        await ctx.loaders.transaction_by_id.load(outcome["refundId"]) if outcome.get("refundId") else None
    )
    return TransactionRefundResult(
        transaction_id=strawberry.ID(txn_id), transaction=txn, refund=refund, user_errors=errors_of(outcome)
    )


async def _refund_many(ctx: Context, inp: TransactionsRefundInput) -> Outcome:
    problems = Problems()
    description = money.text(problems, ["description"], inp.description)
    if not 1 <= len(inp.items) <= MAX_ITEMS:
        problems.add(
            ["items"],
            f"give 1 to {MAX_ITEMS} transactions",
            UserErrorCode.TOO_MANY if inp.items else UserErrorCode.REQUIRED,
        )
    seen: set[str] = set()
    for i, item in enumerate(inp.items):
        if str(item.transaction_id) in seen:
            problems.add(
                ["items", i, "transactionId"], f"{item.transaction_id} appears twice", UserErrorCode.DUPLICATE
            )
        seen.add(str(item.transaction_id))
    if problems:
        return problems_outcome(problems)
    results = []
    for i, item in enumerate(inp.items):
        outcome = await refund_one(ctx, ["items", i], str(item.transaction_id), item.amount, description)
        results.append({**outcome, "givenId": str(item.transaction_id)})
    return {"changed": any(r["changed"] for r in results), "results": results, "errors": []}


@strawberry.type
class RefundMutations:
    @mutation(
        "Refunds one sale, fully (default) or partly, up to what remains: the guide's *Refund a "
        "single transaction*. "
        "Before settlement it voids the whole sale. Exactly once per `idempotencyKey`."
    )
    async def transaction_refund(self, info: Info, input: TransactionRefundInput) -> TransactionRefundPayload:
        ctx = info.context
        problems = Problems()
        key = money.idempotency_key(problems, input.idempotency_key)
        description = money.text(problems, ["description"], input.description)
        if problems:
            return TransactionRefundPayload(transaction=None, refund=None, user_errors=problems.errors)
        outcome = await once(
            ctx,
            "transactionRefund",
            key,
            input,
            lambda: refund_one(ctx, [], str(input.transaction_id), input.amount, description),
        )
        result = await _result(ctx, outcome, str(input.transaction_id))
        return TransactionRefundPayload(
            transaction=result.transaction, refund=result.refund, user_errors=result.user_errors
        )

    @mutation(
        "Refunds several sales in one go (the guide's *Refund selected items*), each fully or "
        "partly, with a result "
        "per transaction: one refusal does not stop the others. Exactly once per `idempotencyKey`."
    )
    async def transactions_refund(
        self, info: Info, input: TransactionsRefundInput
    ) -> TransactionsRefundPayload:
        ctx = info.context
        problems = Problems()
        key = money.idempotency_key(problems, input.idempotency_key)
        if problems:
            return TransactionsRefundPayload(results=[], user_errors=problems.errors)
        outcome = await once(ctx, "transactionsRefund", key, input, lambda: _refund_many(ctx, input))
        results = [await _result(ctx, r, r["givenId"]) for r in outcome.get("results", ())]
        return TransactionsRefundPayload(results=results, user_errors=errors_of(outcome))
