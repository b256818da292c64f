"""The live feed's change-stream path (store/activity/changes.py), chosen by asking the server.

On FerretDB v1 (the default test server) there are no change streams: the feed polls, which the other
live-activity tests cover. On a MongoDB replica set (`MONGODB_URI=mongodb://…/?replicaSet=rs0`) an event
inserted by another client wakes the feed at once, long before its poll would. No replica set is
obtainable on the development machine, so that test has not run here: it is skipped unless the server
has change streams.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

import pytest

from resolvers.activity.events import ActivityFeed
from store.activity import changes, timeline
from store.db import Store
from tests.collab import add_customer
from tests.helpers import Org


async def test_the_feed_asks_the_server_and_falls_back_to_polling(store: Store, org: Org) -> None:
    capable = await changes.available(store.db)
    if not os.environ.get("MONGODB_URI"):
        assert capable is False  # FerretDB v1, started by the suite: `hello` names no replica set
    cid = await add_customer(org)
    feed = ActivityFeed(poll_seconds=0.05)
    scoped = store.for_org(org.id)
    with feed.subscribe(scoped, cid, after_seq=10**9) as queue:
        await asyncio.sleep(0.2)
        assert feed._capable.get(id(store.db)) is capable
        # polling (or, where there is one, the stream) delivers an event written without this process's listener
        seq = 10**9 + 1
        await scoped[timeline.COLLECTION].insert_one(timeline.event_doc(cid, seq, "NOTE_ADDED", {"type": "API_KEY"},
                                                                         datetime.now(UTC), message="polled"))
        got = await asyncio.wait_for(queue.get(), 5)
    assert got["seq"] == seq and got["message"] == "polled"


async def test_on_a_replica_set_an_insert_wakes_the_feed_at_once(store: Store, org: Org) -> None:
    if not await changes.available(store.db):
        pytest.skip("the server has no change streams (FerretDB v1 or a standalone mongod): set MONGODB_URI to a replica set")
    cid = await add_customer(org)
    feed = ActivityFeed(poll_seconds=30.0)  # polling alone would take up to 30 s
    scoped = store.for_org(org.id)
    with feed.subscribe(scoped, cid, after_seq=10**9) as queue:
        for _ in range(100):  # the stream is open
            if id(store.db) in feed._watching:
                break
            await asyncio.sleep(0.05)
        assert id(store.db) in feed._watching
        await asyncio.sleep(0.2)  # the read the opening triggered is done; the poller waits its 30 s
        started = asyncio.get_running_loop().time()
        await scoped[timeline.COLLECTION].insert_one(timeline.event_doc(cid, 10**9 + 1, "NOTE_ADDED", {"type": "API_KEY"},
                                                                         datetime.now(UTC), message="streamed"))
        got = await asyncio.wait_for(queue.get(), 10)
        assert asyncio.get_running_loop().time() - started < 5
    assert got["message"] == "streamed"
    await asyncio.sleep(0.1)
    assert id(store.db) not in feed._watchers  # the last subscriber left: the stream is closed
