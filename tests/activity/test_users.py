"""Users, the Support team, the viewer, and attribution of changes to the user behind a key."""

from __future__ import annotations

from tests.collab import CREATE_CUSTOMER, add_user

VIEWER = """{ viewer { apiKey { id name scope } user { id name email role teams { id name } }
  actor { type id name } } }"""

USERS = """query($first: Int!, $after: String) { users(first: $first, after: $after) {
  totalCount edges { node { id name email role } } pageInfo { hasNextPage endCursor } } }"""

TEAMS = """{ teams { id name handle } }"""

NODE = """query($id: ID!) { node(id: $id) { id __typename ... on User { name } ... on Team { name } } }"""

TIMELINE_AUTHOR = """query($id: ID!) { customer(id: $id) { timeline(first: 1) {
  edges { node { kind author { type id name } } } } } }"""


async def test_viewer_is_the_user_behind_a_users_key(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com", role="ADMIN", teams=("SUPPORT",))
    data = await org.gql(VIEWER, key=ada.key)
    viewer = data["viewer"]
    assert viewer["user"] == {
        "id": ada.id,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "role": "ADMIN",
        "teams": [{"id": "team_support", "name": "Support"}],
    }
    assert viewer["actor"] == {"type": "USER", "id": ada.id, "name": "Ada Lovelace"}
    assert viewer["apiKey"]["scope"] == "WRITE"


async def test_viewer_of_an_integration_key_is_the_key(org):
    data = await org.gql(VIEWER, key=org.read_key)
    assert data["viewer"]["user"] is None
    assert data["viewer"]["apiKey"]["scope"] == "READ"
    assert data["viewer"]["actor"]["type"] == "API_KEY"
    assert data["viewer"]["actor"]["id"] == data["viewer"]["apiKey"]["id"]


async def test_users_are_listed_by_name_page_by_page_and_only_in_their_organization(org, other_org, store):
    for name in ("Grace Hopper", "Ada Lovelace", "Linus Torvalds"):
        await add_user(store, org, name, name.split()[0].lower() + "@a.example")
    await add_user(store, other_org, "Alan Turing", "alan@b.example")
    first = (await org.gql(USERS, {"first": 2}))["users"]
    assert [e["node"]["name"] for e in first["edges"]] == ["Ada Lovelace", "Grace Hopper"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = (await org.gql(USERS, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["users"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Linus Torvalds"]
    assert not rest["pageInfo"]["hasNextPage"]


async def test_support_team_is_built_in_and_refetchable(org, store):
    assert (await org.gql(TEAMS))["teams"] == [{"id": "team_support", "name": "Support", "handle": "support"}]
    assert (await org.gql(NODE, {"id": "team_support"}))["node"] == {
        "id": "team_support",
        "__typename": "Team",
        "name": "Support",
    }


async def test_user_is_refetchable_by_node_but_not_from_another_organization(org, other_org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    assert (await org.gql(NODE, {"id": ada.id}))["node"] == {
        "id": ada.id,
        "__typename": "User",
        "name": "Ada Lovelace",
    }
    assert (await other_org.gql(NODE, {"id": ada.id}))["node"] is None


async def test_changes_made_with_a_users_key_are_attributed_to_the_user(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    data = await org.gql(
        CREATE_CUSTOMER, {"input": {"websiteId": org.website_id, "firstName": "Bob"}}, key=ada.key
    )
    cid = data["customerCreate"]["customer"]["id"]
    event = (await org.gql(TIMELINE_AUTHOR, {"id": cid}))["customer"]["timeline"]["edges"][0]["node"]
    assert event == {
        "kind": "CUSTOMER_CREATED",
        "author": {"type": "USER", "id": ada.id, "name": "Ada Lovelace"},
    }
