"""Each key's cost bucket is one budget for every gateway process (resolvers/edge/budget.py).

Two real gateway processes on one store, one key: together they allow what one bucket holds, not
twice that. Then, with two buckets in this process standing for two processes and a clock the test
moves: what a process holds ahead counts against the others, goes back when it returns to the store,
and lapses when its process is gone.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from resolvers.edge.budget import HOLD_SECONDS, SharedBucket
from store import cost_buckets
from store.db import Store
from tests.helpers import Org
from tests.processes import WAIT

PAGE = "{ customers(first: 10) { edges { node { id } } } }"  # costs 10 x (1 + 1 + 1) = 30
SIZE, RATE, COST = 600, 1.0, 30
BUDGET_ENV = {"COST_BUCKET_SIZE": str(SIZE), "COST_RESTORE_RATE": str(RATE), "COST_BUCKET_RESERVE_FRACTION": "0.5"}


@pytest.mark.slow
async def test_two_gateway_processes_share_one_bucket_per_key(gateways, org: Org) -> None:
    a, b = await gateways(**BUDGET_ENV).start(), await gateways(**BUDGET_ENV).start()
    headers = {"Authorization": f"Bearer {org.read_key}"}
    async with httpx.AsyncClient(base_url=f"http://{a.address}", timeout=WAIT) as ca, \
            httpx.AsyncClient(base_url=f"http://{b.address}", timeout=WAIT) as cb:
        started = time.monotonic()
        responses = await asyncio.gather(*(client.post("/graphql", json={"query": PAGE}, headers=headers)
                                           for _ in range(20) for client in (ca, cb)))
        elapsed = time.monotonic() - started
    by_gateway = {"a": [r.status_code for r in responses[0::2]], "b": [r.status_code for r in responses[1::2]]}
    assert set(by_gateway["a"] + by_gateway["b"]) <= {200, 429}, [r.text for r in responses if r.status_code not in (200, 429)]
    allowed = sum(s == 200 for s in by_gateway["a"] + by_gateway["b"])
    # One bucket: what it held plus what refilled while the burst ran, never a bucket per process (40).
    assert allowed * COST <= SIZE + RATE * elapsed, (allowed, elapsed)
    assert allowed >= SIZE // COST - 2  # nearly all of it was usable (holds may leave a little unspent)
    for statuses in by_gateway.values():  # each process both served and refused the key
        assert 200 in statuses and 429 in statuses, by_gateway
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert int(refused.headers["retry-after"]) >= 1


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


async def test_held_points_count_against_other_processes_and_come_back(store: Store, org: Org) -> None:
    clock = Clock()
    scoped = store.for_org(org.id)
    one, two = (SharedBucket(1_000, 0.0, reserve=400, clock=clock) for _ in range(2))
    first = await one.take(scoped, "key_x", 100)  # takes 100 and holds 400 more
    assert first.allowed and first.available == 900
    assert (await one.take(scoped, "key_x", 300)).allowed  # from the hold: no store round trip
    [revision] = await scoped[cost_buckets.COLLECTION].find_list({"keyId": "key_x"})
    assert revision["level"] == 500 and [h["points"] for h in revision["holds"]] == [400]
    # the other process sees only what is neither spent nor held: 500 (100 of one's hold are unspent)
    assert not (await two.take(scoped, "key_x", 501)).allowed
    assert (await two.take(scoped, "key_x", 500)).allowed
    # one comes back to the store for more than it holds: its unspent 100 return, and are all there is
    assert not (await one.take(scoped, "key_x", 101)).allowed
    assert (await one.take(scoped, "key_x", 100)).allowed
    assert not (await two.take(scoped, "key_x", 1)).allowed  # 1,000 spent: nothing left, nothing refills


async def test_a_hold_of_a_process_that_is_gone_lapses(store: Store, org: Org) -> None:
    clock = Clock()
    scoped = store.for_org(org.id)
    gone, alive = SharedBucket(1_000, 1_000.0, reserve=500, clock=clock), SharedBucket(1_000, 1_000.0, reserve=0, clock=clock)
    assert (await gone.take(scoped, "key_y", 500)).allowed  # spends 500, holds the other 500, then is gone
    clock.t += 2.0  # the spent 500 refilled; the held 500 cannot be refilled past the capacity
    assert not (await alive.take(scoped, "key_y", 501)).allowed
    assert (await alive.take(scoped, "key_y", 500)).allowed
    clock.t += HOLD_SECONDS  # the hold lapsed: the whole bucket is there again
    taken = await alive.take(scoped, "key_y", 1_000)
    assert taken.allowed and taken.available == 0


async def test_old_revisions_are_pruned(store: Store, org: Org) -> None:
    clock = Clock()
    scoped = store.for_org(org.id)
    bucket = SharedBucket(10**9, 0.0, reserve=0, clock=clock)
    for _ in range(cost_buckets.PRUNE_EVERY * 2):
        assert (await bucket.take(scoped, "key_z", 1)).allowed
        clock.t += cost_buckets.PRUNE_AFTER_SECONDS / 4
    revisions = await scoped[cost_buckets.COLLECTION].find_list({"keyId": "key_z"})
    assert len(revisions) < cost_buckets.PRUNE_EVERY
    assert max(r["rev"] for r in revisions) == cost_buckets.PRUNE_EVERY * 2
