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

It works on every supported server. Where the server has change streams (a MongoDB replica set or
sharded cluster: store/activity/changes.py asks it), a watcher per database wakes the poller the
moment any process inserts an event of a subscribed customer, and the poll then only backs it up
(every `WATCHED_POLL_SECONDS`); if the stream fails, polling at `POLL_SECONDS` resumes and the
watcher is retried. The events are read from the timeline either way, so the order, resumption and
gap rules are the same. (No MongoDB replica set is obtainable on the development machine: the change-stream
path is tested against SecantusDB there, see tests/activity/test_change_streams.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from store.activity import changes, timeline
from store.db import Doc, OrgDb

log = logging.getLogger("customer_graph.events")
QUEUE_SIZE = 100
POLL_SECONDS = 0.25
GAP_SECONDS = 2.0
BATCH = 500
WATCHED_POLL_SECONDS = 5.0  # the poll behind a live change stream
WATCH_RETRY_SECONDS = 10.0


@dataclass(eq=False, slots=True)
class Subscriber:
    org: OrgDb
    customer_id: str
    last: int  # the seq of the last event handed over
    queue: asyncio.Queue[Doc] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    gap_since: float | None = None


class ActivityFeed:
    def __init__(self, poll_seconds: float = POLL_SECONDS, gap_seconds: float = GAP_SECONDS, watch: bool = True) -> None:
        self.poll_seconds = poll_seconds
        self.gap_seconds = gap_seconds
        self.watch = watch
        self._subscribers: dict[tuple[str, str], set[Subscriber]] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._watchers: dict[int, asyncio.Task[None]] = {}  # id(database) -> its change-stream watcher
        self._watching: set[int] = set()  # databases whose change stream is open
        self._capable: dict[int, bool] = {}  # id(database) -> whether its server has change streams

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
        self._ensure_watcher(org)
        try:
            yield sub.queue
        finally:
            subs = self._subscribers.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[key]
            if not any(s.org.db is org.db for subs in self._subscribers.values() for s in subs):
                watcher = self._watchers.pop(id(org.db), None)
                if watcher is not None:
                    watcher.cancel()  # nobody left to wake for this database: close its change stream

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
                await asyncio.wait_for(wake.wait(), self._poll_interval())

    def _poll_interval(self) -> float:
        dbs = {id(sub.org.db) for subs in self._subscribers.values() for sub in subs}
        return max(self.poll_seconds, WATCHED_POLL_SECONDS) if dbs and dbs <= self._watching else self.poll_seconds

    def _ensure_watcher(self, org: OrgDb) -> None:
        task = self._watchers.get(id(org.db))
        if self.watch and (task is None or task.done()):
            self._watchers[id(org.db)] = asyncio.get_running_loop().create_task(self._watch(org))

    async def _watch(self, org: OrgDb) -> None:
        """Wakes the poller on every inserted event of a subscribed customer, until cancelled (when the
        database's last subscriber leaves)."""
        db, key = org.db, id(org.db)
        if key not in self._capable:
            try:
                self._capable[key] = await changes.available(db)
            except Exception as exc:
                log.warning("activity feed: could not ask the server about change streams: %s", exc)
                return
        if not self._capable[key]:
            return  # no change streams here (FerretDB v1, a standalone mongod): polling alone
        while True:
            try:
                stream = await changes.watch_inserts(db)
                try:
                    self._watching.add(key)
                    if self._wake is not None:
                        self._wake.set()  # one read now covers what was written before the stream opened
                    async for change in stream:
                        if changes.ids(change) in self._subscribers and self._wake is not None:
                            self._wake.set()
                finally:
                    self._watching.discard(key)
                    await stream.close()
            except Exception as exc:  # the stream failed: poll at the short interval, then watch again
                log.warning("activity feed: change stream ended: %s", exc)
                await asyncio.sleep(WATCH_RETRY_SECONDS)

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
