"""Canceling a coupon redemption gives its counts back (total and per customer), once, also under
concurrency and when a cancel was interrupted halfway; the coupon's discount stays final."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from store.billing import coupons as coupon_store
from tests.billing.test_coupons import CANCEL, COUPON, UPDATE, codes, coupon, redeem
from tests.helpers import Org
from tests.money_helpers import add_customer


async def cancel(org: Org, redemption_id: str) -> dict[str, Any]:
    return (await org.gql(CANCEL, {"input": {"redemptionId": redemption_id}}))["couponRedemptionCancel"]


async def count(org: Org, coupon_id: str) -> int:
    return (await org.gql(COUPON, {"id": coupon_id}))["coupon"]["redemptionsCount"]


async def test_a_canceled_redemption_can_be_redeemed_again_up_to_the_limits(org):
    await coupon(org, id="ONCE", restrictions={"totalRedemptions": 1, "redemptionsPerCustomer": 1})
    cid, other = await add_customer(org), await add_customer(org)
    first = await redeem(org, cid, "ONCE")
    assert first["userErrors"] == []
    assert codes(await redeem(org, other, "ONCE")) == [(["couponIds", "0"], "REDEMPTION_LIMIT_REACHED")]
    assert (await cancel(org, first["redemptions"][0]["id"]))["userErrors"] == []
    assert await count(org, "ONCE") == 0
    again = await redeem(org, cid, "ONCE")  # the customer's own count came back too
    assert again["userErrors"] == [] and again["redemptions"][0]["id"] != first["redemptions"][0]["id"]
    assert await count(org, "ONCE") == 1
    assert codes(await redeem(org, other, "ONCE")) == [(["couponIds", "0"], "REDEMPTION_LIMIT_REACHED")]
    # canceling twice gives nothing back twice
    assert codes(await cancel(org, first["redemptions"][0]["id"])) == [(["redemptionId"], "INVALID_STATUS")]
    assert await count(org, "ONCE") == 1


async def test_the_discount_of_a_coupon_stays_final_after_its_redemptions_are_canceled(org):
    await coupon(org, id="FINAL")
    cid = await add_customer(org)
    made = await redeem(org, cid, "FINAL")
    await cancel(org, made["redemptions"][0]["id"])
    assert await count(org, "FINAL") == 0
    changed = (await org.gql(UPDATE, {"input": {"couponId": "FINAL", "discount": {"type": "PERCENT", "percent": "50"}}}))
    assert codes(changed["couponUpdate"]) == [(["discount"], "COUPON_IN_USE")]


async def test_concurrent_cancels_and_redemptions_keep_the_total_count_right(org):
    await coupon(org, id="FIVE", restrictions={"totalRedemptions": 5})
    holders = [await add_customer(org) for _ in range(5)]
    made = [(await redeem(org, c, "FIVE"))["redemptions"][0]["id"] for c in holders]
    newcomers = [await add_customer(org) for _ in range(10)]
    # three cancels (each sent twice, concurrently) race ten redemptions: at most 3 + 0 new ones fit
    results = await asyncio.gather(*(cancel(org, r) for r in made[:3] * 2), *(redeem(org, c, "FIVE") for c in newcomers))
    cancels, redemptions = results[:6], results[6:]
    assert sum(r["userErrors"] == [] for r in cancels) == 3
    assert all(codes(r) == [(["redemptionId"], "INVALID_STATUS")] for r in cancels if r["userErrors"])
    ok = [r for r in redemptions if r["userErrors"] == []]
    assert all(codes(r) == [(["couponIds", "0"], "REDEMPTION_LIMIT_REACHED")] for r in redemptions if r["userErrors"])
    # A redemption only succeeds against a count already given back, so at most 3 get in; the count is
    # always the number of active redemptions.
    assert len(ok) <= 3
    assert await count(org, "FIVE") == 2 + len(ok)
    more = await asyncio.gather(*(redeem(org, c, "FIVE") for c in newcomers if all(
        r["redemptions"][0]["customerId"] != c for r in ok)))
    assert sum(r["userErrors"] == [] for r in more) == 3 - len(ok)
    assert await count(org, "FIVE") == 5


async def test_concurrent_cancel_and_redeem_by_one_customer_keep_the_per_customer_count_right(org):
    await coupon(org, id="TWICE", restrictions={"redemptionsPerCustomer": 2})
    cid = await add_customer(org)
    made = [(await redeem(org, cid, "TWICE"))["redemptions"][0]["id"] for _ in range(2)]
    assert codes(await redeem(org, cid, "TWICE")) == [(["couponIds", "0"], "REDEMPTION_LIMIT_REACHED")]
    results = await asyncio.gather(cancel(org, made[0]), cancel(org, made[0]), *(redeem(org, cid, "TWICE") for _ in range(6)))
    assert sum(r["userErrors"] == [] for r in results[:2]) == 1
    won = sum(r["userErrors"] == [] for r in results[2:])
    assert won <= 1
    if won == 0:  # every redemption ran before the count came back: one more fits now
        assert (await redeem(org, cid, "TWICE"))["userErrors"] == []
    assert codes(await redeem(org, cid, "TWICE")) == [(["couponIds", "0"], "REDEMPTION_LIMIT_REACHED")]
    assert await count(org, "TWICE") == 2


async def test_a_cancel_interrupted_after_its_first_step_is_finished_by_the_next_call(store, org):
    await coupon(org, id="HALF", restrictions={"totalRedemptions": 1})
    cid = await add_customer(org)
    rid = (await redeem(org, cid, "HALF"))["redemptions"][0]["id"]
    # the crash: the redemption is canceled, but no count was given back yet
    await coupon_store.cancel_redemption(store.for_org(org.id), rid, datetime.now(UTC))
    assert await count(org, "HALF") == 1
    finished = await cancel(org, rid)
    assert finished["userErrors"] == [] and finished["redemption"]["status"] == "CANCELED"
    assert await count(org, "HALF") == 0
    assert codes(await cancel(org, rid)) == [(["redemptionId"], "INVALID_STATUS")]
    assert await count(org, "HALF") == 0
