"""Mentions in notes (`@email`, `@support`, ids) and the notifications they leave for users."""

from __future__ import annotations

from tests.collab import add_customer, add_user, snapshot

NOTE_ADD = """mutation($input: TimelineNoteAddInput!) {
  timelineNoteAdd(input: $input) {
    note { id mentions { __typename ... on User { id name } ... on Team { id name } } }
    userErrors { field message code } } }"""

NOTE_UPDATE = """mutation($input: TimelineNoteUpdateInput!) {
  timelineNoteUpdate(input: $input) { note { id } userErrors { field code } } }"""

NOTIFICATIONS = """query($unread: Boolean! = false) { viewer {
  unreadNotificationCount
  notifications(first: 10, unreadOnly: $unread) { totalCount edges { node {
    id reason read readTime excerpt viaTeam { id } author { name } customerId
    customer { id firstName } event { id message } } } } } }"""

MARK_READ = """mutation($input: NotificationMarkReadInput!) {
  notificationMarkRead(input: $input) { notifications { id read } unreadCount userErrors { field code } } }"""


async def notifications_of(org, person, unread=False):
    data = await org.gql(NOTIFICATIONS, {"unread": unread}, key=person.key)
    return data["viewer"]


async def test_at_email_mentions_a_user_who_is_notified(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    grace = await add_user(store, org, "Grace Hopper", "grace@example.com")
    cid = await add_customer(org, "Bob")
    data = await org.gql(
        NOTE_ADD, {"input": {"customerId": cid, "message": "@Ada@example.com please call Bob"}}, key=grace.key
    )
    result = data["timelineNoteAdd"]
    assert result["userErrors"] == []
    assert result["note"]["mentions"] == [{"__typename": "User", "id": ada.id, "name": "Ada Lovelace"}]
    viewer = await notifications_of(org, ada)
    assert viewer["unreadNotificationCount"] == 1
    node = viewer["notifications"]["edges"][0]["node"]
    assert node["reason"] == "MENTION" and node["read"] is False and node["viaTeam"] is None
    assert node["author"]["name"] == "Grace Hopper" and node["customer"] == {"id": cid, "firstName": "Bob"}
    assert node["event"] == {"id": result["note"]["id"], "message": "@Ada@example.com please call Bob"}
    assert (await notifications_of(org, grace))["notifications"]["totalCount"] == 0


async def test_mentioning_support_notifies_every_support_member_but_the_author(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com", teams=("SUPPORT",))
    linus = await add_user(store, org, "Linus Torvalds", "linus@example.com", teams=("SUPPORT",))
    grace = await add_user(store, org, "Grace Hopper", "grace@example.com")
    cid = await add_customer(org)
    data = await org.gql(
        NOTE_ADD, {"input": {"customerId": cid, "message": "Need help, @support!"}}, key=ada.key
    )
    assert data["timelineNoteAdd"]["note"]["mentions"] == [
        {"__typename": "Team", "id": "team_support", "name": "Support"}
    ]
    linus_view = await notifications_of(org, linus)
    assert [e["node"]["viaTeam"] for e in linus_view["notifications"]["edges"]] == [{"id": "team_support"}]
    assert (await notifications_of(org, ada))["unreadNotificationCount"] == 0
    assert (await notifications_of(org, grace))["unreadNotificationCount"] == 0


async def test_mentions_by_id_and_edits_notify_each_user_once(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    grace = await add_user(store, org, "Grace Hopper", "grace@example.com")
    cid = await add_customer(org)
    data = await org.gql(NOTE_ADD, {"input": {"customerId": cid, "message": "FYI", "mentionedIds": [ada.id]}})
    note_id = data["timelineNoteAdd"]["note"]["id"]
    edit = await org.gql(NOTE_UPDATE, {"input": {"id": note_id, "message": "FYI @grace@example.com"}})
    assert edit["timelineNoteUpdate"]["userErrors"] == []
    assert (await notifications_of(org, ada))["notifications"]["totalCount"] == 1
    assert (await notifications_of(org, grace))["notifications"]["totalCount"] == 1


async def test_unknown_foreign_or_wrong_type_mentions_are_refused_and_nobody_is_notified(
    org, other_org, store
):
    await add_user(store, org, "Ada Lovelace", "ada@example.com")
    alan = await add_user(store, other_org, "Alan Turing", "alan@example.com")
    cid = await add_customer(org)
    before = await snapshot(store, "timeline_events", "notifications")
    data = await org.gql(
        NOTE_ADD,
        {
            "input": {
                "customerId": cid,
                "message": "@nobody@example.com and @alan@example.com, mail me at me@example.com",
                "mentionedIds": [alan.id, cid, "team_support"],
            }
        },
    )
    result = data["timelineNoteAdd"]
    assert result["note"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["message"], "NOT_FOUND"),
        (["message"], "NOT_FOUND"),
        (["mentionedIds", "0"], "NOT_FOUND"),
        (["mentionedIds", "1"], "WRONG_ID_TYPE"),
    ]
    assert await snapshot(store, "timeline_events", "notifications") == before


async def test_user_marks_notifications_read_one_by_one_or_all(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    cid = await add_customer(org)
    for i in range(3):
        await org.gql(NOTE_ADD, {"input": {"customerId": cid, "message": f"ping {i} @ada@example.com"}})
    ids = [e["node"]["id"] for e in (await notifications_of(org, ada))["notifications"]["edges"]]
    one = await org.gql(MARK_READ, {"input": {"ids": [ids[0]]}}, key=ada.key)
    assert one["notificationMarkRead"] == {
        "notifications": [{"id": ids[0], "read": True}],
        "unreadCount": 2,
        "userErrors": [],
    }
    unread = await notifications_of(org, ada, unread=True)
    assert [e["node"]["id"] for e in unread["notifications"]["edges"]] == ids[1:]
    every = await org.gql(MARK_READ, {"input": {"all": True}}, key=ada.key)
    assert every["notificationMarkRead"]["unreadCount"] == 0


async def test_notifications_of_others_cannot_be_read_or_marked(org, other_org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    grace = await add_user(store, org, "Grace Hopper", "grace@example.com")
    alan = await add_user(store, other_org, "Alan Turing", "alan@example.com")
    cid = await add_customer(org)
    await org.gql(NOTE_ADD, {"input": {"customerId": cid, "message": "@ada@example.com"}})
    ntf = (await notifications_of(org, ada))["notifications"]["edges"][0]["node"]["id"]
    before = await snapshot(store, "notifications")
    for person in (grace, alan):
        data = await org.gql(MARK_READ, {"input": {"ids": [ntf]}}, key=person.key)
        assert data["notificationMarkRead"]["userErrors"] == [{"field": ["ids", "0"], "code": "NOT_FOUND"}]
        assert (await notifications_of(org, person))["notifications"]["totalCount"] == 0
    key_only = await org.gql(MARK_READ, {"input": {"ids": [ntf]}})
    assert key_only["notificationMarkRead"]["userErrors"] == [{"field": None, "code": "NOT_A_USER"}]
    assert await snapshot(store, "notifications") == before


NODE = """query($id: ID!) { node(id: $id) { id ... on Notification { reason } } }"""


async def test_a_notification_is_refetchable_by_its_user_only(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    grace = await add_user(store, org, "Grace Hopper", "grace@example.com")
    await org.gql(NOTE_ADD, {"input": {"customerId": await add_customer(org), "message": "@ada@example.com"}})
    ntf = (await notifications_of(org, ada))["notifications"]["edges"][0]["node"]["id"]
    assert (await org.gql(NODE, {"id": ntf}, key=ada.key))["node"] == {"id": ntf, "reason": "MENTION"}
    assert (await org.gql(NODE, {"id": ntf}, key=grace.key))["node"] is None
    assert (await org.gql(NODE, {"id": ntf}))["node"] is None
