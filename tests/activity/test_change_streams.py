"""The live feed's change-stream path (store/activity/changes.py), chosen by asking the server.

On FerretDB v1 (the suite's server) there are no change streams: the feed polls, which the other
live-activity tests cover. The change-stream path runs against a server that has them: with
`MONGODB_URI` set, that server when it is a replica set (skipped on a standalone mongod); otherwise a
SecantusDB started here (`secantusdb`, a dev dependency: a single-node replica-set wire server over
WiredTiger, `hello` names its set, change streams work). SecantusDB is not a supported store (it fails
the store contract, docs/store.md); it is only the test bench for this path, where no MongoDB replica
set is obtainable. On it an event inserted by another client wakes the feed at once, long before its
poll would.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymongo import MongoClient

from resolvers.activity.events import ActivityFeed
from store.activity import changes, timeline
from store.db import Store, make_client
from store.ids import new_id
from tests.collab import add_customer
from tests.helpers import Org

SECANTUS = Path(sys.executable).parent / "secantusd-py"
START_WAIT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def replica_set_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with change streams: `MONGODB_URI`'s, or a SecantusDB on a free loopback port (in memory,
    stopped after the module)."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
        return
    if not SECANTUS.exists():
        pytest.skip(f"{SECANTUS} is missing: scripts/install installs the dev dependencies")
    port = _free_port()
    log = (tmp_path_factory.mktemp("secantus") / "server.log").open("wb")
    proc = subprocess.Popen([str(SECANTUS), "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:",
                             "--log-level", "WARNING"], stdout=log, stderr=subprocess.STDOUT)
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    try:
        deadline = time.monotonic() + START_WAIT
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"SecantusDB exited while starting (see {log.name})")
            try:
                with MongoClient(uri, serverSelectionTimeoutMS=500) as probe:
                    probe.admin.command("ping")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise AssertionError(f"SecantusDB did not answer within {START_WAIT:g} s") from None
                time.sleep(0.2)
        yield uri
    finally:
        proc.kill()
        proc.wait(10)
        log.close()


@pytest.fixture
async def streams(replica_set_uri: str) -> AsyncIterator[Store]:
    client = make_client(replica_set_uri)
    store = Store(client, f"cs_{uuid.uuid4().hex[:16]}")
    try:
        if not await changes.available(store.db):
            pytest.skip("MONGODB_URI names a server without change streams (a standalone mongod)")
        yield store
    finally:
        await client.close()


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


async def test_on_a_server_with_change_streams_an_insert_wakes_the_feed_at_once(streams: Store) -> None:
    assert await changes.available(streams.db)
    org_id, cid = new_id("org"), new_id("cus")
    feed = ActivityFeed(poll_seconds=30.0)  # polling alone would take up to 30 s
    scoped = streams.for_org(org_id)
    other = streams.for_org(new_id("org"))
    with feed.subscribe(scoped, cid, after_seq=0) as queue:
        for _ in range(100):  # the stream is open
            if id(streams.db) in feed._watching:
                break
            await asyncio.sleep(0.05)
        assert id(streams.db) in feed._watching
        await asyncio.sleep(0.2)  # the read the opening triggered is done; the poller waits its 30 s
        loop = asyncio.get_running_loop()
        # another organization's event for the same customer id wakes nothing here and is never delivered
        await other[timeline.COLLECTION].insert_one(timeline.event_doc(cid, 1, "NOTE_ADDED", {"type": "API_KEY"},
                                                                       datetime.now(UTC), message="elsewhere"))
        for seq, message in ((1, "streamed"), (2, "and the next")):
            started = loop.time()
            await scoped[timeline.COLLECTION].insert_one(timeline.event_doc(cid, seq, "NOTE_ADDED", {"type": "API_KEY"},
                                                                             datetime.now(UTC), message=message))
            got = await asyncio.wait_for(queue.get(), 10)
            assert loop.time() - started < 5, "woken by the stream, not by the 30 s poll"
            assert (got["seq"], got["message"]) == (seq, message)
        assert queue.empty()
    await asyncio.sleep(0.1)
    assert id(streams.db) not in feed._watchers  # the last subscriber left: the stream is closed
