"""Blocklists through GraphQL: add (once, even concurrently), list, remove, expiry without a job,
*Block customer*, isBlocked, the store-level check, and tenant isolation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from store.customers import blocklists
from store.db import Store
from tests.helpers import Org

NEXT_YEAR = datetime.now(UTC).year + 1

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id defaultPaymentInstrument { id fingerprint } } userErrors { field code } } }"""

ADD = """mutation($input: BlocklistEntryAddInput!) { blocklistEntryAdd(input: $input) {
  blocklistEntry { id type value expirationTime isActive source customerId }
  userErrors { field message code } } }"""

REMOVE = """mutation($input: BlocklistEntryRemoveInput!) { blocklistEntryRemove(input: $input) {
  removedBlocklistEntryId userErrors { field message code } } }"""

LIST = """query($first: Int!, $filter: BlocklistFilter, $after: String) {
  blocklistEntries(first: $first, filter: $filter, after: $after) {
    totalCount edges { node { id type value isActive } } pageInfo { hasNextPage endCursor } } }"""

BLOCK = """mutation($input: CustomerBlockInput!) { customerBlock(input: $input) {
  customer { id isBlocked } blocklistEntries { type value expirationTime source customerId }
  userErrors { field message code } } }"""

CUSTOMER = """query($id: ID!) { customer(id: $id) { id isBlocked
  paymentInstruments { id isBlocked }
  timeline(first: 5, kinds: [CUSTOMER_BLOCKED]) { edges { node {
    ... on CustomerBlockedEvent { attributes blocklistEntryIds expirationTime } } } } } }"""


async def new_customer(org: Org, email: str = "mallory@spam.example", **extra: Any) -> dict[str, Any]:
    data = await org.gql(
        CREATE,
        {
            "input": {
                "websiteId": org.website_id,
                "firstName": "Mallory",
                "emails": [{"value": email}],
                "defaultPaymentInstrument": {
                    "card": {"number": "4111111111111111", "expMonth": 1, "expYear": NEXT_YEAR}
                },
                **extra,
            }
        },
    )
    assert data["customerCreate"]["userErrors"] == []
    return data["customerCreate"]["customer"]


async def add(org: Org, kind: str, value: str, expiration: datetime | None = None) -> dict[str, Any]:
    inp: dict[str, Any] = {"type": kind, "value": value}
    if expiration is not None:
        inp["expirationTime"] = expiration.isoformat()
    return (await org.gql(ADD, {"input": inp}))["blocklistEntryAdd"]


async def blocked(org: Org, cid: str) -> dict[str, Any]:
    return (await org.gql(CUSTOMER, {"id": cid}))["customer"]


def errors(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def test_adding_an_entry_twice_keeps_one_and_replaces_its_expiration(org: Org, store: Store) -> None:
    first = await add(org, "EMAIL", "Mallory@Spam.Example")
    later = datetime.now(UTC) + timedelta(days=30)
    second = await add(org, "EMAIL", "mallory@spam.example", later)
    assert first["userErrors"] == second["userErrors"] == []
    assert first["blocklistEntry"]["value"] == "mallory@spam.example"
    assert first["blocklistEntry"]["expirationTime"] is None
    assert second["blocklistEntry"]["id"] == first["blocklistEntry"]["id"]
    assert second["blocklistEntry"]["expirationTime"] is not None
    assert await store.for_org(org.id)[blocklists.COLLECTION].count({}) == 1


async def test_concurrent_adds_of_one_value_create_one_entry(org: Org, store: Store) -> None:
    results = await asyncio.gather(*(add(org, "IP_ADDRESS", "203.0.113.9") for _ in range(8)))
    assert {r["blocklistEntry"]["id"] for r in results} == {results[0]["blocklistEntry"]["id"]}
    assert await store.for_org(org.id)[blocklists.COLLECTION].count({}) == 1


async def test_bad_values_and_past_expirations_are_refused_and_store_nothing(org: Org, store: Store) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    cases = [
        ("EMAIL", "not-an-email", None, [(["value"], "INVALID_EMAIL")]),
        ("IP_ADDRESS", "300.0.0.1", None, [(["value"], "INVALID_IP_ADDRESS")]),
        ("COUNTRY", "XX", None, [(["value"], "INVALID_COUNTRY")]),
        ("BIN", "41111", None, [(["value"], "INVALID")]),
        ("FINGERPRINT", "abc", None, [(["value"], "INVALID")]),
        ("EMAIL_DOMAIN", "no domain", None, [(["value"], "INVALID")]),
        ("PAYMENT_CARD", "cus_01J0000000000000000000000", None, [(["value"], "WRONG_ID_TYPE")]),
        ("CUSTOMER_ID", "  ", past, [(["value"], "REQUIRED"), (["expirationTime"], "DATE_IN_PAST")]),
    ]
    for kind, value, expiration, expected in cases:
        assert errors(await add(org, kind, value, expiration)) == expected, kind
    assert await store.for_org(org.id)[blocklists.COLLECTION].count({}) == 0


async def test_list_filter_and_remove(org: Org, other_org: Org) -> None:
    a = (await add(org, "COUNTRY", "ru"))["blocklistEntry"]
    b = (await add(org, "BIN", "411111"))["blocklistEntry"]
    assert a["value"] == "RU"
    page = (await org.gql(LIST, {"first": 1}))["blocklistEntries"]
    assert page["totalCount"] == 2 and page["edges"][0]["node"]["id"] == b["id"]
    rest = (await org.gql(LIST, {"first": 5, "after": page["pageInfo"]["endCursor"]}))["blocklistEntries"]
    assert [e["node"]["id"] for e in rest["edges"]] == [a["id"]]
    only = (await org.gql(LIST, {"first": 5, "filter": {"type": "COUNTRY", "value": "ru"}}))[
        "blocklistEntries"
    ]
    assert [e["node"]["id"] for e in only["edges"]] == [a["id"]]

    foreign = (await other_org.gql(REMOVE, {"input": {"id": a["id"]}}))["blocklistEntryRemove"]
    wrong = (await org.gql(REMOVE, {"input": {"id": "tag_01J0000000000000000000000"}}))[
        "blocklistEntryRemove"
    ]
    assert errors(foreign) == [(["id"], "NOT_FOUND")]
    assert errors(wrong) == [(["id"], "WRONG_ID_TYPE")]
    removed = (await org.gql(REMOVE, {"input": {"id": a["id"]}}))["blocklistEntryRemove"]
    assert removed == {"removedBlocklistEntryId": a["id"], "userErrors": []}
    assert (await org.gql(LIST, {"first": 5}))["blocklistEntries"]["totalCount"] == 1


async def test_expired_entries_stop_blocking_without_a_cleanup_job(org: Org, store: Store) -> None:
    customer = await new_customer(org)
    soon = datetime.now(UTC) + timedelta(hours=1)
    entry = (await add(org, "EMAIL", "mallory@spam.example", soon))["blocklistEntry"]
    assert (await blocked(org, customer["id"]))["isBlocked"] is True
    # the hour passes
    await store.for_org(org.id)[blocklists.COLLECTION].update_one(
        {"id": entry["id"]}, {"$set": {"expirationTime": datetime.now(UTC) - timedelta(seconds=1)}}
    )
    assert (await blocked(org, customer["id"]))["isBlocked"] is False
    assert (
        await blocklists.find_blocked(
            store.for_org(org.id), {"EMAIL": ["mallory@spam.example"]}, datetime.now(UTC)
        )
        == []
    )
    assert (await org.gql(LIST, {"first": 5}))["blocklistEntries"]["edges"] == []
    listed = (await org.gql(LIST, {"first": 5, "filter": {"includeExpired": True}}))["blocklistEntries"][
        "edges"
    ]
    assert [(e["node"]["id"], e["node"]["isActive"]) for e in listed] == [(entry["id"], False)]


async def test_block_customer_blocks_the_chosen_attributes_and_the_same_card_elsewhere(
    org: Org, store: Store
) -> None:
    mallory = await new_customer(org, address={"country": "NL"})
    accomplice = await new_customer(org, "other@elsewhere.example")  # same card number
    bystander = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "firstName": "Bob"}})
    bob = bystander["customerCreate"]["customer"]["id"]
    until = datetime.now(UTC) + timedelta(days=7)
    result = (
        await org.gql(
            BLOCK,
            {
                "input": {
                    "customerId": mallory["id"],
                    "attributes": ["CUSTOMER_ID", "EMAIL", "FINGERPRINT", "COUNTRY", "EMAIL"],
                    "expirationTime": until.isoformat(),
                }
            },
        )
    )["customerBlock"]
    assert result["userErrors"] == []
    assert result["customer"] == {"id": mallory["id"], "isBlocked": True}
    fingerprint = mallory["defaultPaymentInstrument"]["fingerprint"]
    assert [(e["type"], e["value"], e["source"], e["customerId"]) for e in result["blocklistEntries"]] == [
        ("CUSTOMER_ID", mallory["id"], "CUSTOMER_BLOCK", mallory["id"]),
        ("EMAIL", "mallory@spam.example", "CUSTOMER_BLOCK", mallory["id"]),
        ("FINGERPRINT", fingerprint, "CUSTOMER_BLOCK", mallory["id"]),
        ("COUNTRY", "NL", "CUSTOMER_BLOCK", mallory["id"]),
    ]
    other = await blocked(org, accomplice["id"])
    assert other["isBlocked"] is True
    assert [i["isBlocked"] for i in other["paymentInstruments"]] == [True]
    assert (await blocked(org, bob))["isBlocked"] is False
    event = (await blocked(org, mallory["id"]))["timeline"]["edges"][0]["node"]
    assert event["attributes"] == ["CUSTOMER_ID", "EMAIL", "FINGERPRINT", "COUNTRY"]
    assert len(event["blocklistEntryIds"]) == 4 and event["expirationTime"] is not None
    # the check the payment code runs
    hits = await blocklists.find_blocked(
        store.for_org(org.id),
        {"FINGERPRINT": [fingerprint], "EMAIL": ["nobody@example.com"]},
        datetime.now(UTC),
    )
    assert [(h["type"], h["value"]) for h in hits] == [("FINGERPRINT", fingerprint)]
    # blocking again renews the same entries
    again = (await org.gql(BLOCK, {"input": {"customerId": mallory["id"], "attributes": ["EMAIL"]}}))[
        "customerBlock"
    ]
    assert again["blocklistEntries"][0]["expirationTime"] is None
    assert await store.for_org(org.id)[blocklists.COLLECTION].count({}) == 4


async def test_block_customer_refuses_attributes_the_customer_lacks_and_creates_nothing(
    org: Org, store: Store
) -> None:
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "firstName": "Bob"}})
    cid = data["customerCreate"]["customer"]["id"]
    result = (
        await org.gql(
            BLOCK,
            {
                "input": {
                    "customerId": cid,
                    "attributes": ["CUSTOMER_ID", "COUNTRY", "FINGERPRINT"],
                    "expirationTime": "2001-01-01T00:00:00Z",
                }
            },
        )
    )["customerBlock"]
    assert errors(result) == [
        (["expirationTime"], "DATE_IN_PAST"),
        (["attributes", "1"], "NOTHING_TO_BLOCK"),
        (["attributes", "2"], "NOTHING_TO_BLOCK"),
    ]
    empty = (await org.gql(BLOCK, {"input": {"customerId": cid, "attributes": []}}))["customerBlock"]
    assert errors(empty) == [(["attributes"], "REQUIRED")]
    assert await store.for_org(org.id)[blocklists.COLLECTION].count({}) == 0
    assert (await blocked(org, cid))["timeline"]["edges"] == []


async def test_another_organizations_entries_never_block_this_one(
    org: Org, other_org: Org, store: Store
) -> None:
    mine = await new_customer(org)
    theirs = await new_customer(other_org)
    blocked_there = (
        await other_org.gql(
            BLOCK,
            {"input": {"customerId": theirs["id"], "attributes": ["EMAIL", "FINGERPRINT", "EMAIL_DOMAIN"]}},
        )
    )["customerBlock"]
    assert blocked_there["customer"]["isBlocked"] is True
    await add(other_org, "CUSTOMER_ID", mine["id"])
    assert (await blocked(org, mine["id"]))["isBlocked"] is False
    assert (await org.gql(LIST, {"first": 10}))["blocklistEntries"]["totalCount"] == 0
    hits = await blocklists.find_blocked(
        store.for_org(org.id),
        {
            "EMAIL": ["mallory@spam.example"],
            "CUSTOMER_ID": [mine["id"]],
            "EMAIL_DOMAIN": ["spam.example"],
        },
        datetime.now(UTC),
    )
    assert hits == []
    foreign = (await org.gql(BLOCK, {"input": {"customerId": theirs["id"], "attributes": ["EMAIL"]}}))[
        "customerBlock"
    ]
    assert errors(foreign) == [(["customerId"], "NOT_FOUND")]
