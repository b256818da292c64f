"""Tags through GraphQL: create, tag/untag several customers, list, filter, rename, delete, tenancy."""

from __future__ import annotations

from typing import Any

from store.customers import tags as store_tags
from store.db import Store
from tests.helpers import Org

CREATE_CUSTOMER = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { code } } }"""

TAG_CREATE = """mutation($input: TagCreateInput!) { tagCreate(input: $input) {
  tag { id name revision } userErrors { field message code } } }"""

TAG_RENAME = """mutation($input: TagRenameInput!) { tagRename(input: $input) {
  tag { id name } userErrors { field message code } } }"""

TAG_DELETE = """mutation($input: TagDeleteInput!) { tagDelete(input: $input) {
  deletedTagId userErrors { field message code } } }"""

TAGS_ADD = """mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) {
  customers { id tags { name } } tags { id name } userErrors { field message code } } }"""

TAGS_REMOVE = """mutation($input: CustomerTagsInput!) { customerTagsRemove(input: $input) {
  customers { id tags { name } } userErrors { field message code } } }"""

LIST_TAGS = """query($first: Int!, $after: String, $prefix: String) {
  tags(first: $first, after: $after, namePrefix: $prefix) {
    totalCount edges { node { id name } } pageInfo { hasNextPage endCursor } } }"""

BY_TAG = (
    """query($tags: [String!]) { customers(first: 50, filter: {tags: $tags}) { edges { node { id } } } }"""
)

CUSTOMER = """query($id: ID!) { customer(id: $id) { revision tags { name }
  timeline(first: 10, kinds: [CUSTOMER_TAGGED, CUSTOMER_UNTAGGED]) { edges { node { kind
    ... on CustomerTaggedEvent { added: tags } ... on CustomerUntaggedEvent { removed: tags } } } } } }"""


async def customers(org: Org, n: int) -> list[str]:
    ids = []
    for i in range(n):
        data = await org.gql(CREATE_CUSTOMER, {"input": {"websiteId": org.website_id, "firstName": f"C{i}"}})
        ids.append(data["customerCreate"]["customer"]["id"])
    return ids


async def tag(org: Org, ids: list[str], names: list[str], query: str = TAGS_ADD) -> dict[str, Any]:
    data = await org.gql(query, {"input": {"customerIds": ids, "tags": names}})
    return data["customerTagsAdd" if query is TAGS_ADD else "customerTagsRemove"]


async def by_tag(org: Org, *names: str) -> set[str]:
    data = await org.gql(BY_TAG, {"tags": list(names)})
    return {e["node"]["id"] for e in data["customers"]["edges"]}


def errors(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def test_names_are_unique_per_organization_case_insensitively(org: Org, other_org: Org) -> None:
    created = (await org.gql(TAG_CREATE, {"input": {"name": "VIP"}}))["tagCreate"]
    assert created["userErrors"] == [] and created["tag"]["name"] == "VIP"
    again = (await org.gql(TAG_CREATE, {"input": {"name": "vip"}}))["tagCreate"]
    assert errors(again) == [(["name"], "ALREADY_EXISTS")]
    elsewhere = (await other_org.gql(TAG_CREATE, {"input": {"name": "vip"}}))["tagCreate"]
    assert elsewhere["userErrors"] == []
    bad = (await org.gql(TAG_CREATE, {"input": {"name": "no/slashes"}}))["tagCreate"]
    assert errors(bad) == [(["name"], "INVALID")]


async def test_tag_several_customers_at_once_creates_missing_tags_and_skips_already_tagged(org: Org) -> None:
    a, b, c = await customers(org, 3)
    await org.gql(TAG_CREATE, {"input": {"name": "VIP"}})
    first = await tag(org, [a, b], ["vip", "Early Adopter"])
    assert first["userErrors"] == []
    assert sorted(t["name"] for t in first["tags"]) == ["Early Adopter", "VIP"]  # the existing spelling wins
    assert first["customers"][0]["tags"] == [{"name": "Early Adopter"}, {"name": "VIP"}]
    again = await tag(org, [a, b, c], ["VIP"])
    assert again["userErrors"] == []
    events = (await org.gql(CUSTOMER, {"id": a}))["customer"]["timeline"]["edges"]
    assert [e["node"] for e in events] == [{"kind": "CUSTOMER_TAGGED", "added": ["VIP", "Early Adopter"]}]
    assert await by_tag(org, "vip") == {a, b, c}
    assert await by_tag(org, "VIP", "early adopter") == {a, b}


async def test_untag_and_list_tags(org: Org) -> None:
    a, b = await customers(org, 2)
    await tag(org, [a, b], ["Gold", "Silver", "Bronze"])
    removed = await tag(org, [a, b], ["gold"], TAGS_REMOVE)
    assert removed["customers"][0]["tags"] == [{"name": "Bronze"}, {"name": "Silver"}]
    events = (await org.gql(CUSTOMER, {"id": a}))["customer"]["timeline"]["edges"]
    assert events[0]["node"] == {"kind": "CUSTOMER_UNTAGGED", "removed": ["Gold"]}
    assert await by_tag(org, "gold") == set()

    page1 = (await org.gql(LIST_TAGS, {"first": 2}))["tags"]
    assert [e["node"]["name"] for e in page1["edges"]] == ["Bronze", "Gold"]
    assert page1["totalCount"] == 3 and page1["pageInfo"]["hasNextPage"] is True
    page2 = (await org.gql(LIST_TAGS, {"first": 2, "after": page1["pageInfo"]["endCursor"]}))["tags"]
    assert [e["node"]["name"] for e in page2["edges"]] == ["Silver"]
    prefixed = (await org.gql(LIST_TAGS, {"first": 10, "prefix": "s"}))["tags"]
    assert [e["node"]["name"] for e in prefixed["edges"]] == ["Silver"]


async def test_refusals_report_every_problem_and_tag_nothing(org: Org, other_org: Org, store: Store) -> None:
    (a,) = await customers(org, 1)
    (theirs,) = await customers(other_org, 1)
    result = await tag(org, [a, theirs, "inst_01J0000000000000000000000"], ["ok", "bad/name", " "])
    assert errors(result) == [
        (["tags", "1"], "INVALID"),
        (["tags", "2"], "REQUIRED"),
        (["customerIds", "2"], "WRONG_ID_TYPE"),
        (["customerIds", "1"], "NOT_FOUND"),
    ]
    assert await by_tag(org, "ok") == set()
    assert await store.for_org(org.id)[store_tags.COLLECTION].count({}) == 0
    unknown = await tag(org, [a], ["never-made"], TAGS_REMOVE)
    assert errors(unknown) == [(["tags", "0"], "NOT_FOUND")]


async def test_tags_of_another_organization_are_invisible(org: Org, other_org: Org) -> None:
    (a,) = await customers(org, 1)
    (b,) = await customers(other_org, 1)
    await tag(other_org, [b], ["Secret"])
    theirs = (await other_org.gql(LIST_TAGS, {"first": 10}))["tags"]["edges"][0]["node"]
    mine = (await org.gql(LIST_TAGS, {"first": 10}))["tags"]
    assert mine["edges"] == [] and mine["totalCount"] == 0
    assert await by_tag(org, "secret") == set()
    renamed = (await org.gql(TAG_RENAME, {"input": {"id": theirs["id"], "name": "Mine"}}))["tagRename"]
    deleted = (await org.gql(TAG_DELETE, {"input": {"id": theirs["id"]}}))["tagDelete"]
    assert errors(renamed) == errors(deleted) == [(["id"], "NOT_FOUND")]
    await tag(org, [a], ["Secret"])  # the same name in this organization is another tag
    assert await by_tag(other_org, "secret") == {b}
    assert (await org.gql(LIST_TAGS, {"first": 10}))["tags"]["edges"][0]["node"]["id"] != theirs["id"]


async def test_rename_updates_every_customer(org: Org) -> None:
    ids = await customers(org, 3)
    added = await tag(org, ids[:2], ["Trial"])
    await tag(org, [ids[2]], ["Paid"])
    tag_id = added["tags"][0]["id"]
    renamed = (await org.gql(TAG_RENAME, {"input": {"id": tag_id, "name": "Trialist"}}))["tagRename"]
    assert renamed == {"tag": {"id": tag_id, "name": "Trialist"}, "userErrors": []}
    assert await by_tag(org, "trial") == set()
    assert await by_tag(org, "trialist") == set(ids[:2])
    assert (await org.gql(CUSTOMER, {"id": ids[0]}))["customer"]["tags"] == [{"name": "Trialist"}]
    clash = (await org.gql(TAG_RENAME, {"input": {"id": tag_id, "name": "PAID"}}))["tagRename"]
    assert errors(clash) == [(["name"], "ALREADY_EXISTS")]
    stale = (await org.gql(TAG_RENAME, {"input": {"id": tag_id, "name": "X", "expectedRevision": 1}}))[
        "tagRename"
    ]
    assert errors(stale) == [(["expectedRevision"], "REVISION_CONFLICT")]
    case_only = (await org.gql(TAG_RENAME, {"input": {"id": tag_id, "name": "TRIALIST"}}))["tagRename"]
    assert case_only["tag"]["name"] == "TRIALIST"
    assert await by_tag(org, "trialist") == set(ids[:2])


async def test_an_interrupted_rename_is_finished_by_the_next_one(org: Org, store: Store) -> None:
    ids = await customers(org, 2)
    tag_id = (await tag(org, ids, ["Old"]))["tags"][0]["id"]
    scoped = store.for_org(org.id)
    # crash after step 1: the tag has its new name, the customers still carry the old one
    await scoped[store_tags.COLLECTION].update_one(
        {"id": tag_id},
        {"$set": {"name": "New", "nameLower": "new", "pending": {"op": "RENAME", "from": "old"}}},
    )
    renamed = (await org.gql(TAG_RENAME, {"input": {"id": tag_id, "name": "Newer"}}))["tagRename"]
    assert renamed["userErrors"] == []
    assert await by_tag(org, "newer") == set(ids)
    assert await by_tag(org, "old") == await by_tag(org, "new") == set()


async def test_delete_removes_the_tag_from_every_customer(org: Org, store: Store) -> None:
    ids = await customers(org, 2)
    result = await tag(org, ids, ["Churned", "Keep"])
    churned = next(t["id"] for t in result["tags"] if t["name"] == "Churned")
    deleted = (await org.gql(TAG_DELETE, {"input": {"id": churned}}))["tagDelete"]
    assert deleted == {"deletedTagId": churned, "userErrors": []}
    assert await by_tag(org, "churned") == set()
    assert (await org.gql(CUSTOMER, {"id": ids[1]}))["customer"]["tags"] == [{"name": "Keep"}]
    assert await store.for_org(org.id)[store_tags.COLLECTION].count({"id": churned}) == 0
    again = (await org.gql(TAG_DELETE, {"input": {"id": churned}}))["tagDelete"]
    assert errors(again) == [(["id"], "NOT_FOUND")]
    wrong = (await org.gql(TAG_DELETE, {"input": {"id": ids[0]}}))["tagDelete"]
    assert errors(wrong) == [(["id"], "WRONG_ID_TYPE")]


async def test_untagging_unknown_customers_with_an_invalid_tag_name_reports_both(org):
    data = await org.gql(
        'mutation { customerTagsRemove(input: {customerIds: ["268435456"], tags: ["not a valid name!!"]}) '
        "{ customers { id } userErrors { field code } } }"
    )
    payload = data["customerTagsRemove"]
    assert payload["customers"] == []
    assert {e["code"] for e in payload["userErrors"]} >= {"NOT_FOUND"}
    assert all(e["code"] != "INTERNAL_SERVER_ERROR" for e in payload["userErrors"])
