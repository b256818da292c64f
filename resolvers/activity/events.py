"""Live activity from the store: timeline events reach `customerActivity` subscribers whichever gateway
process wrote them.

The timeline is the feed. Every event carries its customer's sequence number `seq` (reserved with one
atomic `$inc`, so it is strictly increasing per customer), and the (organizationId, customerId, seq)
index serves "this customer's events after seq N". Each subscriber holds a position (the last seq it
was given); one poller per process reads, for all its subscribers of an organization, the events past
their positions in one query, and hands each subscriber its own in seq order. So:
- events written by any process arrive (within `ACTIVITY_POLL_SECONDS`; an event written by this
  process wakes the poller at once);
- in order per customer, none twice: a subscriber only moves forward;
- none lost: a subscriber whose queue is full (a client that stopped reading) is not moved forward
  and catches up from the store; a client that reconnects (or a gateway that restarted) passes the
  last event id it received as `after` and gets everything since;
- a seq that was reserved but whose event is not there yet (another process between its two writes)
  holds the events after it back for up to `GAP_SECONDS`, then is skipped (an event deleted, or a
  writer that crashed between reserving and writing).

It works on every supported server (MongoDB change streams would save the polling on a replica set,
but FerretDB v1 has none; one code path for all keeps both tested).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from store.activity import timeline
from store.db import Doc, OrgDb

log = logging.getLogger("customer_graph.events")
QUEUE_SIZE = 100
POLL_SECONDS = 0.25
GAP_SECONDS = 2.0
BATCH = 500


@dataclass(eq=False, slots=True)
class Subscriber:
    org: OrgDb
    customer_id: str
    last: int  # the seq of the last event handed over
    queue: asyncio.Queue[Doc] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    gap_since: float | None = None


class ActivityFeed:
    def __init__(self, poll_seconds: float = POLL_SECONDS, gap_seconds: float = GAP_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self.gap_seconds = gap_seconds
        self._subscribers: dict[tuple[str, str], set[Subscriber]] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def publish(self, org_id: str, event: Doc) -> None:
        """Called as this process records an event: read the feed now rather than at the next poll."""
        if self._wake is not None and (org_id, event["customerId"]) in self._subscribers:
            self._wake.set()

    @contextlib.contextmanager
    def subscribe(self, org: OrgDb, customer_id: str, after_seq: int) -> Iterator[asyncio.Queue[Doc]]:
        """A queue of the customer's events with seq > `after_seq`, in seq order, for the `with` block."""
        sub = Subscriber(org, customer_id, after_seq)
        key = (org.org_id, customer_id)
        self._subscribers.setdefault(key, set()).add(sub)
        self._ensure_poller()
        try:
            yield sub.queue
        finally:
            subs = self._subscribers.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[key]

    def subscriber_count(self, org_id: str, customer_id: str) -> int:
        return len(self._subscribers.get((org_id, customer_id), ()))

    def _ensure_poller(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())
        else:
            assert self._wake is not None
            self._wake.set()

    async def _run(self) -> None:
        wake = self._wake
        assert wake is not None
        while self._subscribers:
            wake.clear()
            try:
                await self.poll_once()
            except Exception as exc:  # the store is unreachable: subscribers keep their positions
                log.warning("activity feed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.poll_seconds)

    async def poll_once(self) -> None:
        """One read of the feed per organization (and database) with subscribers."""
        groups: dict[tuple[int, str], list[Subscriber]] = {}
        for registered in list(self._subscribers.values()):
            for sub in registered:
                groups.setdefault((id(sub.org.db), sub.org.org_id), []).append(sub)
        for subs in groups.values():
            org = subs[0].org
            low = min(s.last for s in subs)
            docs = await org[timeline.COLLECTION].find_list(
                {"customerId": {"$in": sorted({s.customer_id for s in subs})}, "seq": {"$gt": low}},
                {"_id": 0},
                sort=[("customerId", 1), ("seq", 1)],
                limit=BATCH,
            )
            by_customer: dict[str, list[Doc]] = {}
            for d in docs:
                by_customer.setdefault(d["customerId"], []).append(d)
            for sub in subs:
                self._hand_over(sub, by_customer.get(sub.customer_id, ()))

    def _hand_over(self, sub: Subscriber, docs: list[Doc] | tuple[()]) -> None:
        for d in docs:
            seq = d["seq"]
            if seq <= sub.last:
                continue
            if seq > sub.last + 1:  # a reserved seq not written yet: wait for it a little
                now = time.monotonic()
                if sub.gap_since is None:
                    sub.gap_since = now
                if now - sub.gap_since < self.gap_seconds:
                    return
            if sub.queue.full():
                return  # the subscriber is behind: it resumes from here at the next poll
            sub.queue.put_nowait(d)
            sub.last, sub.gap_since = seq, None


BUS = ActivityFeed()
timeline.add_listener(BUS.publish)
