"""Notes on a customer's timeline: add, list with the other activity, link, edit and delete by the author."""

from __future__ import annotations

from store.activity import timeline
from tests.collab import add_customer, add_user, snapshot
from tests.money_helpers import add_customer as add_paying_customer
from tests.money_helpers import collect

NOTE_ADD = """mutation($input: TimelineNoteAddInput!) {
  timelineNoteAdd(input: $input) {
    note { id kind message format revision editedTime customerId author { type id name }
           links { id __typename ... on Customer { firstName } } }
    userErrors { field message code } } }"""

NOTE_UPDATE = """mutation($input: TimelineNoteUpdateInput!) {
  timelineNoteUpdate(input: $input) {
    note { id message format revision editedTime }
    userErrors { field message code } } }"""

NOTE_DELETE = """mutation($input: TimelineNoteDeleteInput!) {
  timelineNoteDelete(input: $input) { deletedId userErrors { field message code } } }"""

TIMELINE = """query($id: ID!, $first: Int!, $after: String, $kinds: [TimelineEventKind!]) {
  customer(id: $id) { timeline(first: $first, after: $after, kinds: $kinds) {
    totalCount
    edges { cursor node { id kind message author { type name }
      ... on NoteEvent { revision format links { id } }
      ... on NoteEditedEvent { noteId }
      ... on NoteDeletedEvent { noteId } } }
    pageInfo { hasNextPage endCursor } } } }"""

NODE = """query($id: ID!) { node(id: $id) { id ... on NoteEvent { message } } }"""


async def add_note(org, customer_id, message="Called the customer", key=None, **extra):
    data = await org.gql(
        NOTE_ADD, {"input": {"customerId": customer_id, "message": message, **extra}}, key=key
    )
    return data["timelineNoteAdd"]


async def test_note_is_added_and_listed_newest_first_with_the_other_activity(org):
    cid = await add_customer(org)
    first = await add_note(org, cid, "First call", format="MARKDOWN")
    second = await add_note(org, cid, "**Second** call")
    assert first["userErrors"] == [] and second["userErrors"] == []
    note = first["note"]
    assert note["kind"] == "NOTE" and note["format"] == "MARKDOWN" and note["revision"] == 1
    assert note["author"]["type"] == "API_KEY" and note["editedTime"] is None and note["customerId"] == cid

    data = await org.gql(TIMELINE, {"id": cid, "first": 10})
    kinds = [e["node"]["kind"] for e in data["customer"]["timeline"]["edges"]]
    assert kinds == ["NOTE", "NOTE", "CUSTOMER_CREATED"]
    assert data["customer"]["timeline"]["edges"][0]["node"]["message"] == "**Second** call"

    only_notes = await org.gql(TIMELINE, {"id": cid, "first": 10, "kinds": ["NOTE"]})
    assert only_notes["customer"]["timeline"]["totalCount"] == 2


async def test_note_links_resolve_to_the_linked_customer(org):
    cid = await add_customer(org, "Ada")
    other = await add_customer(org, "Grace")
    result = await add_note(org, cid, "Same household as Grace", linkIds=[other])
    assert result["userErrors"] == []
    assert result["note"]["links"] == [{"id": other, "__typename": "Customer", "firstName": "Grace"}]


async def test_note_input_problems_are_all_reported_and_nothing_is_recorded(org, other_org, store):
    cid = await add_customer(org)
    foreign = await add_customer(other_org)
    before = await snapshot(store, timeline.COLLECTION, "notifications")
    result = await add_note(
        org, cid, "x" * 10_001, linkIds=[foreign, "usr_01J0000000000000000000000", cid, cid]
    )
    assert result["note"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["message"], "TOO_LONG"),
        (["linkIds", "0"], "NOT_FOUND"),
        (["linkIds", "1"], "WRONG_ID_TYPE"),
        (["linkIds", "3"], "DUPLICATE"),
    ]
    assert await snapshot(store, timeline.COLLECTION, "notifications") == before


async def test_note_on_another_organizations_customer_is_not_found(org, other_org):
    foreign = await add_customer(other_org)
    result = await add_note(org, foreign)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["customerId"], "NOT_FOUND")]
    wrong = await add_note(org, org.website_id, "hello")
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [(["customerId"], "WRONG_ID_TYPE")]
    empty = await add_note(org, await add_customer(org), "   ")
    assert [(e["field"], e["code"]) for e in empty["userErrors"]] == [(["message"], "REQUIRED")]


async def test_author_edits_a_note_and_an_edit_entry_is_recorded(org):
    cid = await add_customer(org)
    note = (await add_note(org, cid, "Draft"))["note"]
    data = await org.gql(
        NOTE_UPDATE,
        {"input": {"id": note["id"], "message": "Final", "format": "MARKDOWN", "expectedRevision": 1}},
    )
    updated = data["timelineNoteUpdate"]
    assert updated["userErrors"] == []
    assert updated["note"]["message"] == "Final" and updated["note"]["revision"] == 2
    assert updated["note"]["format"] == "MARKDOWN" and updated["note"]["editedTime"] is not None

    listed = await org.gql(TIMELINE, {"id": cid, "first": 10})
    nodes = [e["node"] for e in listed["customer"]["timeline"]["edges"]]
    assert [n["kind"] for n in nodes] == ["NOTE_EDITED", "NOTE", "CUSTOMER_CREATED"]
    assert nodes[0]["noteId"] == note["id"] and nodes[1]["message"] == "Final"


async def test_stale_expected_revision_is_a_conflict_and_changes_nothing(org, store):
    cid = await add_customer(org)
    note = (await add_note(org, cid, "Draft"))["note"]
    await org.gql(NOTE_UPDATE, {"input": {"id": note["id"], "message": "Second"}})
    before = await snapshot(store, timeline.COLLECTION)
    data = await org.gql(
        NOTE_UPDATE, {"input": {"id": note["id"], "message": "Third", "expectedRevision": 1}}
    )
    assert [(e["field"], e["code"]) for e in data["timelineNoteUpdate"]["userErrors"]] == [
        (["expectedRevision"], "REVISION_CONFLICT")
    ]
    gone = await org.gql(NOTE_DELETE, {"input": {"id": note["id"], "expectedRevision": 1}})
    assert [e["code"] for e in gone["timelineNoteDelete"]["userErrors"]] == ["REVISION_CONFLICT"]
    assert await snapshot(store, timeline.COLLECTION) == before


async def test_only_the_author_may_edit_or_delete_a_note(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    grace = await add_user(store, org, "Grace Hopper", "grace@example.com")
    cid = await add_customer(org)
    note = (await add_note(org, cid, "Ada's note", key=ada.key))["note"]
    assert note["author"] == {"type": "USER", "id": ada.id, "name": "Ada Lovelace"}
    before = await snapshot(store, timeline.COLLECTION)
    for key in (grace.key, org.write_key):  # another user; an integration key (even of the same org)
        edit = await org.gql(NOTE_UPDATE, {"input": {"id": note["id"], "message": "hijack"}}, key=key)
        assert [(e["field"], e["code"]) for e in edit["timelineNoteUpdate"]["userErrors"]] == [
            (["id"], "NOT_AUTHOR")
        ]
        drop = await org.gql(NOTE_DELETE, {"input": {"id": note["id"]}}, key=key)
        assert [e["code"] for e in drop["timelineNoteDelete"]["userErrors"]] == ["NOT_AUTHOR"]
    assert await snapshot(store, timeline.COLLECTION) == before
    mine = await org.gql(NOTE_UPDATE, {"input": {"id": note["id"], "message": "Ada's edit"}}, key=ada.key)
    assert mine["timelineNoteUpdate"]["userErrors"] == []


async def test_system_events_cannot_be_edited_or_deleted(org):
    cid = await add_customer(org)
    listed = await org.gql(TIMELINE, {"id": cid, "first": 1})
    created_id = listed["customer"]["timeline"]["edges"][0]["node"]["id"]
    edit = await org.gql(NOTE_UPDATE, {"input": {"id": created_id, "message": "rewrite history"}})
    assert [(e["field"], e["code"]) for e in edit["timelineNoteUpdate"]["userErrors"]] == [
        (["id"], "NOT_EDITABLE")
    ]
    drop = await org.gql(NOTE_DELETE, {"input": {"id": created_id}})
    assert [e["code"] for e in drop["timelineNoteDelete"]["userErrors"]] == ["NOT_EDITABLE"]
    wrong = await org.gql(NOTE_DELETE, {"input": {"id": cid}})
    assert [e["code"] for e in wrong["timelineNoteDelete"]["userErrors"]] == ["WRONG_ID_TYPE"]


async def test_deleted_note_leaves_the_timeline_and_pages_still_join_up(org):
    cid = await add_customer(org)
    notes = [(await add_note(org, cid, f"note {i}"))["note"]["id"] for i in range(5)]
    drop = await org.gql(NOTE_DELETE, {"input": {"id": notes[2]}})
    assert drop["timelineNoteDelete"] == {"deletedId": notes[2], "userErrors": []}
    seen, after = [], None
    while True:
        page = (await org.gql(TIMELINE, {"id": cid, "first": 2, "after": after}))["customer"]["timeline"]
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["kind"] for n in seen] == ["NOTE_DELETED", "NOTE", "NOTE", "NOTE", "NOTE", "CUSTOMER_CREATED"]
    assert [n["id"] for n in seen if n["kind"] == "NOTE"] == [notes[4], notes[3], notes[1], notes[0]]
    assert (await org.gql(NODE, {"id": notes[2]}))["node"] is None
    assert (await org.gql(NODE, {"id": notes[1]}))["node"]["message"] == "note 1"


async def test_another_organization_cannot_see_edit_or_delete_a_note(org, other_org, store):
    cid = await add_customer(org)
    note = (await add_note(org, cid, "private"))["note"]
    assert (await other_org.gql(NODE, {"id": note["id"]}))["node"] is None
    before = await snapshot(store, timeline.COLLECTION)
    edit = await other_org.gql(NOTE_UPDATE, {"input": {"id": note["id"], "message": "x"}})
    assert [(e["field"], e["code"]) for e in edit["timelineNoteUpdate"]["userErrors"]] == [
        (["id"], "NOT_FOUND")
    ]
    drop = await other_org.gql(NOTE_DELETE, {"input": {"id": note["id"]}})
    assert [e["code"] for e in drop["timelineNoteDelete"]["userErrors"]] == ["NOT_FOUND"]
    assert await snapshot(store, timeline.COLLECTION) == before


async def test_read_only_key_cannot_add_notes(org):
    cid = await add_customer(org)
    errors = await org.errors(NOTE_ADD, {"input": {"customerId": cid, "message": "hi"}}, key=org.read_key)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


CUSTOMERS_WITH_TIMELINES = """query($first: Int!) { customers(first: $first) { edges { node { id
  timeline(first: 3) { edges { node { kind ... on NoteEvent { links { id } } } } } } } } }"""


async def test_timelines_with_notes_of_a_page_of_customers_cost_the_same_round_trips(org, store, commands):
    async def trips(n):
        before = commands.count(store.db.name)
        data = await org.gql(CUSTOMERS_WITH_TIMELINES, {"first": n})
        assert len(data["customers"]["edges"]) == n
        return commands.count(store.db.name) - before

    link = await add_customer(org, "Linked")
    for i in range(8):
        cid = await add_customer(org, f"C{i}")
        await add_note(org, cid, f"note {i}", linkIds=[link])
    assert await trips(2) == await trips(8)


async def test_note_links_resolve_to_a_linked_transaction(org):
    cid = await add_paying_customer(org)
    paid = await collect(org, customerId=cid, amount="12.50", currency="USD", description="Invoice 9",
                         paidOutside={"method": "CASH", "reference": "desk"})
    txn_id = paid["transaction"]["id"]
    result = await org.gql(
        """mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) {
            note { links { id __typename ... on Transaction { amount { amount currency } status } } }
            userErrors { field code } } }""",
        {"input": {"customerId": cid, "message": "Paid at the desk", "linkIds": [txn_id]}},
    )
    payload = result["timelineNoteAdd"]
    assert payload["userErrors"] == []
    assert payload["note"]["links"] == [{"id": txn_id, "__typename": "Transaction",
                                         "amount": {"amount": "12.50", "currency": "USD"}, "status": "COMPLETED"}]
