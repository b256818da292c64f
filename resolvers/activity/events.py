"""Live activity inside one gateway process: timeline events as they are written, to subscribers.

`store.activity.timeline.insert` (every event goes through it) calls `BUS.publish`; each `customerActivity`
subscription holds a bounded queue keyed by (organization, customer). Publishing never blocks: a
subscriber whose queue is full (a client that stopped reading) misses events and is told nothing.

Across several gateway processes this bus sees only its own process's events: docs/timeline.md says
which shared channel would replace it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from store.activity import timeline
from store.db import Doc

log = logging.getLogger("customer_graph.events")
QUEUE_SIZE = 100


class ActivityBus:
    def __init__(self) -> None:
        self._subscribers: dict[tuple[str, str], set[asyncio.Queue[Doc]]] = {}

    def publish(self, org_id: str, event: Doc) -> None:
        for queue in self._subscribers.get((org_id, event["customerId"]), ()):
            try:
                queue.put_nowait(dict(event))
            except asyncio.QueueFull:
                log.warning("dropped a live event for a slow subscriber of %s", event["customerId"])

    @contextlib.contextmanager
    def subscribe(self, org_id: str, customer_id: str) -> Iterator[asyncio.Queue[Doc]]:
        key = (org_id, customer_id)
        queue: asyncio.Queue[Doc] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.setdefault(key, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(key)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[key]

    def subscriber_count(self, org_id: str, customer_id: str) -> int:
        return len(self._subscribers.get((org_id, customer_id), ()))


BUS = ActivityBus()
timeline.add_listener(BUS.publish)
