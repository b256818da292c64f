"""Shared steps of the money mutations and hosted pages: one sale through the gateway (written before the
call, completed after), which stored instruments can be charged, blocklist refusals, and turning
outcomes into user errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from resolvers.money import money
from resolvers.money.gateway import CardRef
from resolvers.money.idempotency import Outcome
from resolvers.settings import Settings
from schema.common import Problems, UserError, UserErrorCode
from store.activity import timeline
from store.db import Doc, OrgDb
from store.ids import new_id
from store.money import transactions
from store.wallet import payment_instruments as pi

CHARGEABLE = ("PAYMENT_CARD", "BANK_ACCOUNT")


def errors_of(outcome: Outcome) -> list[UserError]:
    return [
        UserError(field=e["field"], message=e["message"], code=UserErrorCode[e["code"]])
        for e in outcome.get("errors", ())
    ]


def problems_outcome(problems: Problems, changed: bool = False, **ids: Any) -> Outcome:
    return {
        "changed": changed,
        **ids,
        "errors": [{"field": e.field, "message": e.message, "code": e.code.value} for e in problems.errors],
    }


async def charge(
    org: OrgDb,
    settings: Settings,
    actor: dict[str, Any],
    customer: Doc,
    account: Doc,
    amount_minor: int,
    currency: str,
    card: CardRef,
    description: str | None,
    t: datetime,
    extra: Doc | None = None,
    txn_id: str | None = None,
) -> Doc:
    """One sale through the gateway: records the transaction whatever the outcome, counts an approval on the
    customer and puts the attempt on the timeline. Returns the transaction.

    The transaction is written PENDING before the gateway is called and completed after, so a crash in
    between leaves a visible PENDING sale to reconcile instead of a charge with no record. `txn_id`: an
    id chosen (and recorded) by the caller beforehand, so a resumed caller knows whether it was written."""
    doc = transactions.new_doc(
        txn_id=txn_id or new_id("txn"),
        customer_id=customer["id"],
        website_id=customer["websiteId"],
        type="SALE",
        status="PENDING",
        result="UNKNOWN",
        amount_minor=amount_minor,
        currency=currency,
        now=t,
        settlement_time=None,
        description=description,
        **{
            "method": "PAYMENT_CARD",
            "bin": card.bin,
            "last4": card.last4,
            "brand": card.brand,
            "gatewayAccountId": account["id"],
            "gatewayName": account["gatewayName"],
            **(extra or {}),
        },
    )
    await transactions.insert(org, doc)
    answer = await money.gateway_for(settings, account["gatewayName"]).sale(
        amount_minor=amount_minor, currency=currency, card=card, now=t
    )
    doc = await transactions.complete_pending(
        org,
        doc["id"],
        {
            "status": "TIMEOUT" if answer.timed_out else "COMPLETED",
            "result": answer.result,
            "settlementTime": answer.settlement_time,
            "processedTime": answer.processed_time,
            **money.gateway_fields(account, answer),
        },
        t,
    )
    data = {
        "transactionId": doc["id"],
        "amountMinor": amount_minor,
        "currency": currency,
        "code": answer.code,
    }
    if answer.approved:
        await money.count_sale(org, customer["id"], amount_minor, currency, t, settings)
        await timeline.record(
            org,
            customer["id"],
            "PAYMENT_APPROVED",
            actor,
            t,
            data,
            f"Payment approved ({card.brand or 'card'} …{card.last4})",
        )
    else:
        await timeline.record(org, customer["id"], "PAYMENT_DECLINED", actor, t, data, answer.message)
    return doc


def sale_decline(doc: Doc) -> dict[str, str] | None:
    """The decline outcome of a recorded, unapproved sale (DECLINED / GATEWAY_TIMEOUT); None when approved.
    An outcome, not a user error: the sale is recorded, and a non-empty `userErrors` means nothing changed."""
    response = doc.get("gatewayResponse") or {}
    if doc["status"] == "TIMEOUT":
        return {"code": "GATEWAY_TIMEOUT", "message": response.get("message") or "gateway timeout"}
    if doc["result"] == "DECLINED":
        return {"code": "DECLINED", "message": f"{response.get('code')}: {response.get('message')}"}
    return None


def usable(problems: Problems, path: list[str | int], inst: Doc, t: datetime) -> bool:
    status = pi.effective_status(inst, t)
    if status == "DEACTIVATED":
        problems.add(path, f"{inst['id']} is deactivated", UserErrorCode.INSTRUMENT_DEACTIVATED)
    elif status == "EXPIRED":
        problems.add(path, f"{inst['id']} has expired", UserErrorCode.INSTRUMENT_EXPIRED)
    elif inst.get("method") not in CHARGEABLE:
        problems.add(
            path, "the sandbox gateway charges payment cards and bank accounts only", UserErrorCode.INVALID
        )
    return not problems


def card_of(inst: Doc) -> CardRef:
    card = inst.get("card") or {}
    last4 = card.get("last4") or (inst.get("bankAccount") or {}).get("last4") or ""
    return CardRef(last4=last4, bin=card.get("bin"), brand=card.get("brand"))


async def refuse_blocked(
    org: OrgDb,
    actor: dict[str, Any],
    customer: Doc,
    types: list[str],
    amount: int,
    currency: str,
    t: datetime,
    what: str = "Payment",
) -> None:
    """Records a payment (or payout) refused by the blocklist on the customer's timeline (nothing moved)."""
    await timeline.record(
        org,
        customer["id"],
        "PAYMENT_BLOCKED",
        actor,
        t,
        {"amountMinor": amount, "currency": currency, "blocklistType": ", ".join(types)},
        f"{what} refused: blocklisted {', '.join(types)}",
    )


def blocked_problem(problems: Problems, types: list[str], what: str = "payment") -> None:
    problems.add(
        None,
        f"the {what} is refused: the blocklist has the customer's {', '.join(types)}",
        UserErrorCode.BLOCKED,
    )
