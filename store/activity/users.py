"""The `users` collection: the people of an organization, and the built-in Support team.

A user has a name, an email (unique per organization, how `@email` mentions find them), a role and
the teams they belong to. The Support team is built in: it has no document, its members are the
users whose `teams` contain `SUPPORT`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb
from store.errors import AlreadyExists
from store.ids import new_id
from store.paging import finish, keyset

COLLECTION = "users"
ROLES = ("ADMIN", "MEMBER", "VIEWER")
SUPPORT_TEAM_ID = "team_support"
SUPPORT_TEAM = {"id": SUPPORT_TEAM_ID, "key": "SUPPORT", "name": "Support"}

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("emailLower", ASCENDING)],
        {"unique": True, "name": "org_email_unique"},
    ),
    ([("organizationId", ASCENDING), ("sortName", ASCENDING), ("id", ASCENDING)], {"name": "org_name_id"}),
    ([("organizationId", ASCENDING), ("teams", ASCENDING)], {"name": "org_teams"}),
]


def user_doc(name: str, email: str, role: str, now: datetime, teams: Sequence[str] = ()) -> Doc:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    return {
        "id": new_id("usr"),
        "name": name,
        "email": email,
        "emailLower": email.lower(),
        "sortName": name.lower(),
        "role": role,
        "teams": list(teams),
        "createdTime": now,
    }


async def insert(org: OrgDb, doc: Doc) -> Doc:
    try:
        await org[COLLECTION].insert_one(doc)
    except DuplicateKeyError as exc:
        raise AlreadyExists(doc["email"]) from exc
    doc.pop("_id", None)
    return doc


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    """Users in the order of `ids` (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(ids)


async def by_emails(org: OrgDb, emails: Sequence[str]) -> dict[str, Doc]:
    """Users by lower-cased email: one query."""
    lowered = sorted({e.lower() for e in emails})
    if not lowered:
        return {}
    docs = await org[COLLECTION].find_list({"emailLower": {"$in": lowered}}, {"_id": 0})
    return {d["emailLower"]: d for d in docs}


async def team_member_ids(org: OrgDb, team_key: str) -> list[str]:
    docs = await org[COLLECTION].find_list({"teams": team_key}, {"_id": 0, "id": 1})
    return [d["id"] for d in docs]


async def list_page(org: OrgDb, after: tuple[str, str] | None, first: int, backward: bool = False
                    ) -> tuple[list[Doc], bool]:
    """Users by name (then id), one page and whether more follow."""
    clause, sort = keyset("sortName", after, False, backward)
    docs = await org[COLLECTION].find_list(clause or {}, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)


async def count(org: OrgDb) -> int:
    return await org[COLLECTION].count({})
