"""The `timeline_events` collection: a customer's activity, newest first.

Each event carries the customer's own sequence number `seq` (1, 2, 3 ...), reserved atomically on the
customer document (`timelineSeq`). "The latest N events of each of these customers" is then one query
over seq windows, whatever the number of customers, with no `$lookup` or window functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.customers import customers
from store.db import Doc, OrgDb
from store.ids import new_id
from store.paging import finish

COLLECTION = "timeline_events"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("customerId", ASCENDING), ("seq", DESCENDING)], {"unique": True, "name": "org_customer_seq"}),
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("organizationId", ASCENDING), ("customerId", ASCENDING), ("kind", ASCENDING), ("seq", DESCENDING)], {"name": "org_customer_kind_seq"}),
]


def event_doc(
    customer_id: str, seq: int, kind: str, actor: Mapping[str, Any], now: datetime,
    data: Mapping[str, Any] | None = None, message: str | None = None,
) -> Doc:
    return {
        "id": new_id("tmln"),
        "customerId": customer_id,
        "seq": seq,
        "kind": kind,
        "time": now,
        "actor": dict(actor),
        "message": message,
        "data": dict(data or {}),
    }


# Called with (organization id, event) after every event is written: the one place live activity
# (the `customerActivity` subscription) is fed from. Listeners must not block or raise.
Listener = Callable[[str, Doc], None]
_LISTENERS: list[Listener] = []


def add_listener(listener: Listener) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    for listener in _LISTENERS:
        listener(org.org_id, doc)
    return doc


async def record(
    org: OrgDb, customer_id: str, kind: str, actor: Mapping[str, Any], now: datetime,
    data: Mapping[str, Any] | None = None, message: str | None = None,
) -> Doc:
    """Records one event on a customer's timeline (reserves its seq, then inserts it)."""
    seq = await customers.next_timeline_seq(org, customer_id)
    return await insert(org, event_doc(customer_id, seq, kind, actor, now, data, message))


async def record_many(
    org: OrgDb, customer_id: str, actor: Mapping[str, Any], now: datetime,
    events: Sequence[tuple[str, Mapping[str, Any] | None, str | None]],
) -> list[Doc]:
    """Records several events (kind, data, message) of one customer in this order: their seqs reserved
    with one `$inc`, the events written with one insert."""
    if not events:
        return []
    last = await customers.next_timeline_seq(org, customer_id, len(events))
    first = last - len(events) + 1
    docs = [event_doc(customer_id, first + i, kind, actor, now, data, message)
            for i, (kind, data, message) in enumerate(events)]
    await org[COLLECTION].insert_many(docs)
    for doc in docs:
        doc.pop("_id", None)
        for listener in _LISTENERS:
            listener(org.org_id, doc)
    return docs


@dataclass(frozen=True, slots=True)
class Window:
    """Events of one customer with `seq` in (low, high], newest first."""

    customer_id: str
    low: int
    high: int


async def windows(org: OrgDb, wins: Sequence[Window]) -> list[list[Doc]]:
    """The events of every window, in one query; a list per window, newest first."""
    clauses = [{"customerId": w.customer_id, "seq": {"$gt": w.low, "$lte": w.high}} for w in wins if w.high > w.low]
    found: dict[str, list[Doc]] = {}
    if clauses:
        flt = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        expect = sum(w.high - w.low for w in wins)
        for doc in await org[COLLECTION].find_list(flt, {"_id": 0}, expect=expect):
            found.setdefault(doc["customerId"], []).append(doc)
    out = []
    for w in wins:
        docs = [d for d in found.get(w.customer_id, ()) if w.low < d["seq"] <= w.high]
        docs.sort(key=lambda d: d["seq"], reverse=True)
        out.append(docs)
    return out


async def page(
    org: OrgDb, customer_id: str, before_seq: int | None, limit: int, kinds: Sequence[str] = ()
) -> list[Doc]:
    """Up to `limit` events older than `before_seq` (newest first), optionally of some kinds only."""
    flt: Doc = {"customerId": customer_id}
    if before_seq is not None:
        flt["seq"] = {"$lt": before_seq}
    if kinds:
        flt["kind"] = {"$in": list(kinds)}
    return await org[COLLECTION].find_list(flt, {"_id": 0}, sort=[("seq", DESCENDING)], limit=limit)


async def page_newer(
    org: OrgDb, customer_id: str, after_seq: int | None, size: int, kinds: Sequence[str] = ()
) -> tuple[list[Doc], bool]:
    """Backward paging: up to `size` events newer than `after_seq` (the oldest when None), newest first,
    and whether more newer ones exist."""
    flt: Doc = {"customerId": customer_id}
    if after_seq is not None:
        flt["seq"] = {"$gt": after_seq}
    if kinds:
        flt["kind"] = {"$in": list(kinds)}
    docs = await org[COLLECTION].find_list(flt, {"_id": 0}, sort=[("seq", ASCENDING)], limit=size + 1)
    return finish(docs, size, backward=True)


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def get(org: OrgDb, event_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": event_id}, {"_id": 0})


async def update_data(
    org: OrgDb, event_id: str, kind: str, revision: int, message: str | None, set_data: Mapping[str, Any],
) -> Doc | None:
    """Edits an event of `kind` still at `data.revision == revision`; None when it is not (any more)."""
    update = {"$set": {"message": message, **{f"data.{k}": v for k, v in set_data.items()}},
              "$inc": {"data.revision": 1}}
    flt = {"id": event_id, "kind": kind, "data.revision": revision}
    doc = await org[COLLECTION].find_one_and_update(flt, update)
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def delete(org: OrgDb, event_id: str, kind: str) -> bool:
    """Removes an event of `kind`. Its seq stays unused: timeline pages skip the gap."""
    return await org[COLLECTION].delete_one({"id": event_id, "kind": kind}) > 0
