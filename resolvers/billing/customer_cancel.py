"""A subscription canceled by its customer at the end of the paid period (the billing portal's *Cancel
subscription*): the same move as `orderCancel(timing: END_OF_PERIOD, canceledBy: CUSTOMER)`.

One update guarded by the order's status (ACTIVE or PAUSED) and revision: CANCELED with the churn time
at the end of the current period (CHURNED at once if that lies in the past), no next renewal; then
`ORDER_CANCELED` on the timeline and the billing clock's jobs follow (`clock.arm_order`: the churn job;
the renewal job finds no renewal time). Nothing is prorated: the customer keeps the period they paid.
"""

from __future__ import annotations

from datetime import datetime

from resolvers.billing import clock
from store.activity import timeline
from store.billing import orders
from store.db import Doc, OrgDb

CANCELABLE = ("ACTIVE", "PAUSED")
# The reasons a customer can give (the reference's categories a customer would choose).
CUSTOMER_CATEGORIES = ("DID_NOT_WANT", "TOO_EXPENSIVE", "MISSING_FEATURES", "DID_NOT_USE", "SWITCHED_PLAN", "OTHER")


def cancel_fields(order: Doc, t: datetime, *, at_end: bool, canceled_by: str, category: str,
                  description: str | None) -> Doc:
    """The fields a cancel sets (`orderCancel` and the portal's): CANCELED until the churn time at the
    period's end, or CHURNED at once (now, or when that end lies in the past); no next renewal."""
    churn = (order.get("currentPeriodEnd") or t) if at_end else t
    return {"status": "CANCELED" if at_end and churn > t else "CHURNED", "canceledTime": t, "churnTime": churn,
            "canceledBy": canceled_by, "cancelCategory": category, "cancelDescription": description,
            "renewalTime": None}


def cancelable(order: Doc) -> bool:
    return order["orderType"] == "SUBSCRIPTION" and order["status"] in CANCELABLE


async def cancel_at_period_end(org: OrgDb, order: Doc, actor: Doc, category: str, t: datetime) -> Doc | None:
    """Cancels `order` (as read) at the end of its period; the order afterwards, or None when it was
    not cancelable or changed since it was read (nothing written)."""
    if not cancelable(order) or category not in CUSTOMER_CATEGORIES:
        return None
    fields = cancel_fields(order, t, at_end=True, canceled_by="CUSTOMER", category=category, description=None)
    churn = fields["churnTime"]
    after = await orders.transition(org, order["id"], {"status": {"$in": list(CANCELABLE)}}, fields, t,
                                    revision=order["revision"])
    if after is None:
        return None
    await timeline.record(org, order["customerId"], "ORDER_CANCELED", actor, t,
                          {"orderId": order["id"], "category": category, "canceledBy": "CUSTOMER"},
                          f"Subscription canceled by the customer ({category.replace('_', ' ').lower()}), "
                          f"ends at {churn.isoformat()}")
    await clock.arm_order(org, after, t)
    return after
