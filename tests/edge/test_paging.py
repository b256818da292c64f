"""Backward paging: `last`/`before` on every connection, keyset both ways, with Relay's page info."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from store.db import Store
from tests.collab import add_customer, add_user
from tests.helpers import Org
from tests.money_helpers import paid_outside

PAGE = "edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
NOTE_ADD = """mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) { note { id } userErrors { code } } }"""
TAG_CREATE = """mutation($input: TagCreateInput!) { tagCreate(input: $input) { tag { id } userErrors { code } } }"""
WEBSITE_CREATE = """mutation($input: WebsiteCreateInput!) { websiteCreate(input: $input) { website { id } } }"""
BLOCK = """mutation($input: BlocklistEntryAddInput!) { blocklistEntryAdd(input: $input) { userErrors { code } } }"""
UPDATE = """mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) { userErrors { code } } }"""


def connection_query(field: str, args: str, parent: str | None) -> str:
    inner = f"{field}({args}) {{ {PAGE} }}"
    if parent == "customer":
        return f"query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{ customer(id: $id) {{ {inner} }} }}"
    if parent == "viewer":
        return f"query($first: Int, $after: String, $last: Int, $before: String) {{ viewer {{ {inner} }} }}"
    return f"query($first: Int, $after: String, $last: Int, $before: String) {{ {inner} }}"


ARGS = "first: $first, after: $after, last: $last, before: $before"


async def walk(org: Org, query: str, pick: Callable[[dict], dict], key: str | None = None, **variables: Any) -> None:
    """Every item read forward in pages of 2 equals every item read backward in pages of 2."""
    everything = pick(await org.gql(query, {**variables, "first": 100}, key=key))
    ids = [e["node"]["id"] for e in everything["edges"]]
    assert len(ids) >= 5, ids
    assert everything["pageInfo"]["hasPreviousPage"] is False and everything["pageInfo"]["hasNextPage"] is False

    forward: list[str] = []
    after = None
    while True:
        page = pick(await org.gql(query, {**variables, "first": 2, "after": after}, key=key))
        forward += [e["node"]["id"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert forward == ids

    backward: list[str] = []
    before = None
    while True:
        page = pick(await org.gql(query, {**variables, "last": 2, "before": before}, key=key))
        got = [e["node"]["id"] for e in page["edges"]]
        assert got == [e for e in ids if e in got], "a backward page keeps the list's order"
        backward = got + backward
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backward == ids

    # the page before an item's cursor ends right before it
    middle = everything["edges"][3]
    page = pick(await org.gql(query, {**variables, "last": 2, "before": middle["cursor"]}, key=key))
    assert [e["node"]["id"] for e in page["edges"]] == ids[1:3]


@pytest.fixture
async def data(org: Org, store: Store) -> dict[str, Any]:
    cid = await add_customer(org, "Ada")
    for name in ("Bea", "Cy", "Di", "Ed"):
        await add_customer(org, name, lastName=name[::-1])
    for i in range(5):
        await org.gql(NOTE_ADD, {"input": {"customerId": cid, "message": f"note {i}"}})
        await org.gql(TAG_CREATE, {"input": {"name": f"tag{i}"}})
        await org.gql(WEBSITE_CREATE, {"input": {"name": f"site {i}", "url": f"https://s{i}.example"}})
        await org.gql(BLOCK, {"input": {"type": "EMAIL", "value": f"x{i}@spam.example"}})
        await org.gql(UPDATE, {"input": {"id": cid, "jobTitle": f"job {i}"}})
        await paid_outside(org, cid, amount=f"{10 + i}.00")
    people = [await add_user(store, org, f"User {i}", f"user{i}@example.com") for i in range(5)]
    reader = people[0]
    for i in range(5):
        await org.gql(NOTE_ADD, {"input": {"customerId": cid, "message": f"cc {i}", "mentionedIds": [reader.id]}})
    return {"customer": cid, "reader": reader}


async def test_root_connections_page_backward(org: Org, data: dict[str, Any]):
    for field in ("customers", "websites", "tags", "users", "blocklistEntries"):
        await walk(org, connection_query(field, ARGS, None), lambda d, f=field: d[f])
    await walk(org, connection_query("customers", ARGS + ", sort: {field: LAST_NAME, direction: ASC}", None),
               lambda d: d["customers"])


async def test_customer_connections_page_backward(org: Org, data: dict[str, Any]):
    for field in ("timeline", "apiLogs", "transactions"):
        await walk(org, connection_query(field, ARGS, "customer"), lambda d, f=field: d["customer"][f], id=data["customer"])
    await walk(org, connection_query("transactions", ARGS + ", direction: ASC", "customer"),
               lambda d: d["customer"]["transactions"], id=data["customer"])


async def test_notifications_page_backward(org: Org, data: dict[str, Any]):
    await walk(org, connection_query("notifications", ARGS, "viewer"), lambda d: d["viewer"]["notifications"],
               key=data["reader"].key)


@pytest.mark.parametrize(("args", "message"), [
    ("", "exactly one of `first`"), ("first: 1, last: 1", "exactly one of `first`"),
    ("first: 1, before: \"x\"", "`before` goes with `last`"), ("last: 1, after: \"x\"", "`after` goes with `first`"),
    ("last: 0", "`last` must be between 1 and 100"), ("last: 101", "`last` must be between 1 and 100"),
])
async def test_page_arguments_are_checked(org: Org, args: str, message: str):
    errors = await org.errors(f"{{ customers{f'({args})' if args else ''} {{ totalCount }} }}")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in errors[0]["message"]
