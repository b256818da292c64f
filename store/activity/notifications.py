"""The `notifications` collection: what a user is told about (today: being mentioned in a note).

One document per (user, note, reason); the id is derived from them, so recording the notifications of
a note twice (a retried step) inserts nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError

from store.db import Doc, OrgDb
from store.paging import finish, keyset

COLLECTION = "notifications"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("userId", ASCENDING), ("time", DESCENDING), ("id", DESCENDING)],
        {"name": "org_user_time"},
    ),
    ([("organizationId", ASCENDING), ("userId", ASCENDING), ("read", ASCENDING)], {"name": "org_user_read"}),
]


def notification_id(user_id: str, event_id: str, reason: str) -> str:
    digest = hashlib.sha256(f"{user_id}|{event_id}|{reason}".encode()).hexdigest()[:26].upper()
    return f"ntf_{digest}"


def mention_docs(user_ids: Sequence[str], event: Doc, via: str | None, now: datetime) -> list[Doc]:
    """Notifications telling each user they were mentioned in `event` (`via`: the team, if any)."""
    return [
        {
            "id": notification_id(uid, event["id"], "MENTION"),
            "userId": uid,
            "reason": "MENTION",
            "via": via,
            "eventId": event["id"],
            "customerId": event["customerId"],
            "actor": event["actor"],
            "excerpt": (event.get("message") or "")[:200],
            "time": now,
            "read": False,
            "readTime": None,
        }
        for uid in dict.fromkeys(user_ids)
    ]


async def insert_many(org: OrgDb, docs: list[Doc]) -> None:
    """Inserts the notifications; ones already there (same id) are left as they are."""
    try:
        await org[COLLECTION].insert_many(docs)
    except BulkWriteError as exc:
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", ())):
            raise
    for d in docs:
        d.pop("_id", None)


async def page(
    org: OrgDb, user_id: str, after: tuple[datetime, str] | None, first: int, unread_only: bool,
    backward: bool = False,
) -> tuple[list[Doc], bool]:
    flt: Doc = {"userId": user_id}
    if unread_only:
        flt["read"] = False
    clause, sort = keyset("time", after, True, backward)
    if clause is not None:
        flt.update(clause)
    docs = await org[COLLECTION].find_list(flt, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)


async def count(org: OrgDb, user_id: str, unread_only: bool) -> int:
    flt: Doc = {"userId": user_id}
    if unread_only:
        flt["read"] = False
    return await org[COLLECTION].count(flt)


async def of_user(org: OrgDb, user_id: str, ids: Sequence[str]) -> list[Doc]:
    return await org[COLLECTION].find_list({"userId": user_id, "id": {"$in": list(set(ids))}}, {"_id": 0})


async def mark_read(org: OrgDb, user_id: str, ids: Sequence[str] | None, now: datetime) -> int:
    """Marks the user's notifications read (all unread ones when `ids` is None)."""
    flt: Doc = {"userId": user_id, "read": False}
    if ids is not None:
        flt["id"] = {"$in": list(set(ids))}
    return await org[COLLECTION].update_many(flt, {"$set": {"read": True, "readTime": now}})
