"""The `gateway_accounts` collection: an organization's accounts at a payment gateway (here: the sandbox),
each with the currencies it accepts. A payment goes through the oldest account accepting its currency,
unless one is chosen."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from store.db import Doc, OrgDb

COLLECTION = "gateway_accounts"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("organizationId", ASCENDING), ("createdTime", ASCENDING)], {"name": "org_created"}),
]

MAX_ACCOUNTS = 50


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, account_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": account_id}, {"_id": 0})


async def list_all(org: OrgDb) -> list[Doc]:
    """Every account, oldest first (a small, bounded list)."""
    return await org[COLLECTION].find_list(
        {}, {"_id": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)], limit=MAX_ACCOUNTS
    )


async def for_currency(org: OrgDb, currency: str) -> Doc | None:
    """The oldest active account accepting `currency`."""
    docs = await org[COLLECTION].find_list(
        {"acceptedCurrencies": currency, "active": True},
        {"_id": 0},
        sort=[("createdTime", ASCENDING), ("id", ASCENDING)],
        limit=1,
    )
    return docs[0] if docs else None


async def get_many(org: OrgDb, ids: list[str]) -> list[Doc | None]:
    """Accounts in the order of `ids` (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(ids)
