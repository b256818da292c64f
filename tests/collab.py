"""Helpers of the collaboration tests: users with their own API keys, customers, uploads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from store import auth
from store.activity import users
from store.db import Store
from tests.helpers import Org

CREATE_CUSTOMER = """mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { field code } } }"""


@dataclass
class Person:
    id: str
    name: str
    email: str
    key: str


async def add_user(
    store: Store,
    org: Org,
    name: str,
    email: str,
    *,
    role: str = "MEMBER",
    teams: tuple[str, ...] = (),
    scope: str = "write",
) -> Person:
    """A user of `org` and a key of theirs (users are provisioned outside the API, like keys)."""
    now = datetime.now(UTC)
    doc = await users.insert(store.for_org(org.id), users.user_doc(name, email, role, now, teams))
    secret, _ = await auth.create_api_key(store, org.id, scope, f"{name}'s key", now, doc["id"], name)
    return Person(id=doc["id"], name=name, email=email, key=secret)


async def add_customer(org: Org, first_name: str = "Ada", **extra: Any) -> str:
    data = await org.gql(
        CREATE_CUSTOMER, {"input": {"websiteId": org.website_id, "firstName": first_name, **extra}}
    )
    assert data["customerCreate"]["userErrors"] == []
    return data["customerCreate"]["customer"]["id"]


async def snapshot(store: Store, *collections: str) -> dict[str, list[dict[str, Any]]]:
    """Every document of the collections (for "a refused input changed nothing")."""
    out = {}
    for name in collections:
        out[name] = await store.raw(name).find({}, {"_id": 0}).sort("id", 1).to_list()
    return out
