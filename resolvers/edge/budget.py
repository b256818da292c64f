"""Each API key's query budget: Shopify's leaky bucket, shared by every gateway process through the store.

A key's bucket holds up to `size` points and refills at `restore_rate` points per second; a request
takes its cost or is refused (`THROTTLED`) with the time after which it would fit. The state lives in
the store (store/cost_buckets.py: a chain of small revisions written by compare-and-swap), so N
gateway processes give a key one budget, not N.

The local fast path, without a store round trip, spends only points this process has already taken
from the shared bucket: when a process goes to the store for a request, it takes the request's cost
and up to `reserve` points more, recorded in the bucket as this process's *hold* until `HOLD_SECONDS`
later. Requests of the same key on this process spend the hold locally until it runs short or is
about to lapse. A hold counts against the bucket's capacity (level + holds ≤ size), so refills do not
top the bucket up past it while points are held, and nothing held can be spent twice: the budget can
be underspent (what a process holds waits for it) but never overspent. The unspent rest of a hold
goes back on the process's next visit to the store; a hold of a process that died lapses after
`HOLD_SECONDS` (its unspent rest is then simply lost, the bucket refills as usual).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from store import cost_buckets
from store.db import Doc, OrgDb

HOLD_SECONDS = 5.0
HOLD_MARGIN_SECONDS = 1.0  # a hold is spent locally only while it has this long to run
ATTEMPTS = 8  # compare-and-swap tries per request before it is refused as contended
MAX_LOCKS = 10_000


class Taken(NamedTuple):
    allowed: bool
    available: float  # points available to this key now, as this process knows it
    wait: float  # seconds before the cost would fit (0 when allowed)


@dataclass
class Hold:
    points: float
    until: float  # wall-clock seconds


class SharedBucket:
    """Leaky buckets per API key in the store. `reserve`: the most points a process takes ahead."""

    def __init__(self, size: float, restore_rate: float, reserve: float, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.restore_rate = restore_rate
        self.reserve = max(0.0, reserve)
        self.clock = clock
        self.owner = uuid.uuid4().hex
        self.holds: dict[str, Hold] = {}
        self.seen: dict[str, float] = {}  # key id -> the shared level after this process's last visit
        self.locks: dict[str, asyncio.Lock] = {}

    def estimate(self, key_id: str) -> float:
        hold = self.holds.get(key_id)
        return min(self.size, self.seen.get(key_id, self.size) + (hold.points if hold else 0.0))

    def _spend_held(self, key_id: str, cost: int) -> bool:
        hold = self.holds.get(key_id)
        if hold is not None and hold.points >= cost and self.clock() < hold.until - HOLD_MARGIN_SECONDS:
            hold.points -= cost
            return True
        return False

    def _lock(self, key_id: str) -> asyncio.Lock:
        lock = self.locks.get(key_id)
        if lock is None:
            if len(self.locks) >= MAX_LOCKS:
                self.locks = {k: v for k, v in self.locks.items() if v.locked()}
            lock = self.locks[key_id] = asyncio.Lock()
        return lock

    async def take(self, org: OrgDb, key_id: str, cost: int) -> Taken:
        if cost <= 0 or self._spend_held(key_id, cost):
            return Taken(True, self.estimate(key_id), 0.0)
        async with self._lock(key_id):  # one visit to the store per key at a time in this process
            if self._spend_held(key_id, cost):  # a request that waited here may find a fresh hold
                return Taken(True, self.estimate(key_id), 0.0)
            for _ in range(ATTEMPTS):
                taken = await self._visit(org, key_id, cost)
                if taken is not None:
                    return taken
        return Taken(False, self.estimate(key_id), 1.0)  # contended: other processes kept writing first

    async def _visit(self, org: OrgDb, key_id: str, cost: int) -> Taken | None:
        """One compare-and-swap on the shared bucket; None when another process wrote first."""
        read_at = time.monotonic()
        doc = await cost_buckets.latest(org, key_id)
        t = self.clock()
        mine = self.holds.get(key_id)
        state = bucket_state(doc, self.size, t)
        others = [h for h in state["holds"] if h["owner"] != self.owner and h["until"] > t]
        capacity = self.size - sum(h["points"] for h in others)
        refill = self.restore_rate * max(0.0, t - state["at"])
        # this process's hold is released: its unspent rest goes back (within the capacity)
        level = max(0.0, min(capacity, state["level"] + refill + (mine.points if mine else 0.0)))
        if level < cost:
            self.seen[key_id] = max(0.0, level - (mine.points if mine else 0.0))
            wait = (cost - level) / self.restore_rate if self.restore_rate > 0 else math.inf
            return Taken(False, max(0.0, level), wait)
        extra = min(self.reserve, level - cost)
        holds = others + ([{"owner": self.owner, "points": extra, "until": t + HOLD_SECONDS}] if extra > 0 else [])
        new = {"level": level - cost - extra, "at": t, "holds": holds}
        if time.monotonic() - read_at > cost_buckets.STALE_READ_SECONDS:
            return None  # too old a read to write after (store/cost_buckets.py)
        if not await cost_buckets.append(org, key_id, state["rev"] + 1, new, datetime.fromtimestamp(t, UTC)):
            return None
        self.holds[key_id] = Hold(extra, t + HOLD_SECONDS)
        self.seen[key_id] = new["level"]
        if len(self.holds) > MAX_LOCKS:  # forgetting holds only underspends
            self.holds = {key_id: self.holds[key_id]}
            self.seen = {key_id: self.seen[key_id]}
        return Taken(True, new["level"] + extra, 0.0)


def bucket_state(doc: Doc | None, size: float, now: float) -> dict[str, Any]:
    """A stored revision as numbers (a key that never spent anything has a full bucket)."""
    if doc is None:
        return {"rev": 0, "level": size, "at": now, "holds": []}
    return {"rev": int(doc["rev"]), "level": float(doc["level"]), "at": float(doc["at"]),
            "holds": [{"owner": str(h["owner"]), "points": float(h["points"]), "until": float(h["until"])}
                      for h in doc.get("holds") or ()]}
