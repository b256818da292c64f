"""MongoDB change streams on the timeline, where the server has them: a signal that an event was written.

Only replica sets and sharded clusters have change streams (FerretDB v1 and a standalone mongod do
not); `available` asks the server (`hello`: a replica set names its set, mongos says `isdbgrid`). The
stream is a wake-up signal only: the feed (resolvers/activity/events.py) still reads the events from
the timeline by seq, so order, resumption and gap handling are the same on every server. The stream
covers every organization's inserts (like the scheduler's claim, it is cross-tenant) and yields only
their organization and customer ids; no event data leaves this module.

Tested by tests/activity/test_change_streams.py against SecantusDB (a single-node replica-set wire server the
test starts; no MongoDB replica set is obtainable on the development machine) or `MONGODB_URI`'s replica set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.database import AsyncDatabase

from store.activity import timeline

INSERTS: list[dict[str, Any]] = [{"$match": {"operationType": "insert"}},
           {"$project": {"fullDocument.organizationId": 1, "fullDocument.customerId": 1}}]


async def available(db: AsyncDatabase[Any]) -> bool:
    hello = await db.client.admin.command("hello")
    return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"


async def watch_inserts(db: AsyncDatabase[Any]) -> AsyncChangeStream[Any]:
    """An open change stream of the timeline's inserts (every organization's; see `ids`)."""
    return await db[timeline.COLLECTION].watch(INSERTS)


def ids(change: Mapping[str, Any]) -> tuple[str, str]:
    """(organization id, customer id) of an inserted event."""
    doc = change.get("fullDocument") or {}
    return str(doc.get("organizationId")), str(doc.get("customerId"))
