"""API logs: each mutation request, with redacted variables and outcome, on the customers it touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from resolvers.activity.api_logs import redact
from resolvers.activity.jobs import API_LOG_EXPIRY
from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from resolvers.wallet.cards import luhn_ok
from store import jobs
from store.activity import api_logs
from tests.activity.test_attachments import upload
from tests.collab import add_customer, add_user

CREATE = """mutation AddCustomer($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { code } } }"""

NOTE_ADD_NO_ERRORS_SELECTED = """mutation Note($input: TimelineNoteAddInput!) {
  timelineNoteAdd(input: $input) { note { id } } }"""

LOGS = """query($id: ID!, $first: Int!, $after: String, $filter: ApiLogFilter) { customer(id: $id) {
  apiLogs(first: $first, after: $after, filter: $filter) { totalCount
    edges { node { id time operationName mutations variables outcome userErrorCodes errorCode durationMs
                   author { type id name } apiKeyId customerIds } }
    pageInfo { hasNextPage endCursor } } } }"""


async def logs_of(org, customer_id, first=10, **kwargs):
    data = await org.gql(LOGS, {"id": customer_id, "first": first, **kwargs})
    return data["customer"]["apiLogs"]


async def test_mutations_are_logged_on_the_customer_they_touched_newest_first(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "firstName": "Bob"}}, key=ada.key)
    cid = data["customerCreate"]["customer"]["id"]
    await org.gql(NOTE_ADD_NO_ERRORS_SELECTED, {"input": {"customerId": cid, "message": "Welcome call"}})
    logs = await logs_of(org, cid)
    assert logs["totalCount"] == 2
    note, create = (e["node"] for e in logs["edges"])
    assert note["operationName"] == "Note" and note["mutations"] == ["timelineNoteAdd"]
    assert note["outcome"] == "OK" and note["author"]["type"] == "API_KEY"
    assert create["operationName"] == "AddCustomer" and create["mutations"] == ["customerCreate"]
    assert create["variables"] == {"input": {"websiteId": org.website_id, "firstName": "Bob"}}
    assert create["author"] == {"type": "USER", "id": ada.id, "name": "Ada Lovelace"}
    assert create["customerIds"] == [cid] and create["durationMs"] > 0
    assert create["time"] < note["time"]


async def test_refused_input_is_logged_with_its_codes_even_when_user_errors_are_not_selected(org):
    cid = await add_customer(org)
    data = await org.gql(NOTE_ADD_NO_ERRORS_SELECTED, {"input": {"customerId": cid, "message": "x" * 10_001}})
    assert data["timelineNoteAdd"]["note"] is None
    entry = (await logs_of(org, cid))["edges"][0]["node"]
    assert entry["outcome"] == "USER_ERRORS" and entry["userErrorCodes"] == ["TOO_LONG"]
    assert entry["errorCode"] is None


async def test_top_level_errors_are_logged_with_their_code(org, store):
    cid = await add_customer(org)
    errors = await org.errors(
        NOTE_ADD_NO_ERRORS_SELECTED, {"input": {"customerId": cid, "message": "hi"}}, key=org.read_key
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    logged = (
        await store.raw(api_logs.COLLECTION).find({"organizationId": org.id, "outcome": "ERROR"}).to_list()
    )
    assert [(d["errorCode"], d["mutations"]) for d in logged] == [("FORBIDDEN", ["timelineNoteAdd"])]


async def test_queries_are_not_logged(org, store):
    cid = await add_customer(org)
    await logs_of(org, cid)
    assert (
        await store.raw(api_logs.COLLECTION).count_documents({"organizationId": org.id}) == 2
    )  # website + customer


async def test_logs_filter_by_outcome_and_time_and_page_with_cursors(org):
    cid = await add_customer(org)
    for message in ("one", "two", "x" * 10_001):
        await org.gql(NOTE_ADD_NO_ERRORS_SELECTED, {"input": {"customerId": cid, "message": message}})
    refused = await logs_of(org, cid, filter={"outcomes": ["USER_ERRORS"]})
    assert [e["node"]["userErrorCodes"] for e in refused["edges"]] == [["TOO_LONG"]]
    ok = await logs_of(org, cid, filter={"outcomes": ["OK"]})
    assert ok["totalCount"] == 3
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await logs_of(org, cid, filter={"from": future}))["totalCount"] == 0
    assert (await logs_of(org, cid, filter={"to": future}))["totalCount"] == 4
    seen, after = [], None
    while True:
        page = await logs_of(org, cid, first=3, after=after)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 4


async def test_logs_never_hold_a_card_number_cvv_api_key_or_file_content(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    order_number = "1234567890123456"
    assert not luhn_ok(order_number)
    secrets = {
        "cardNumber": "4111111111111111",
        "cvv": "913",
        "password": "hunter2-horse",
        "apiKey": ada.key,
        "memo": f"paid with 4242 4242 4242 4242, key {org.write_key}",
        "pan": 5555555555554444,
        "nested": [{"token": "tok_very_secret", "card": {"number": "378282246310005", "cvc": "4321"}}],
        "orderNumber": order_number,
    }
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "customFields": secrets}})
    cid = data["customerCreate"]["customer"]["id"]
    marker = b"FILE-CONTENT-MARKER-" + b"z" * 64
    response = await upload(org, cid, marker, filename="notes.txt", content_type="text/plain")
    assert response.json()["data"]["timelineAttachmentAdd"]["userErrors"] == []

    stored = await store.raw(api_logs.COLLECTION).find({"organizationId": org.id}, {"_id": 0}).to_list()
    dump = orjson.dumps(stored, default=str).decode()
    for leaked in (
        "4111111111111111",
        "4242 4242 4242 4242",
        "5555555555554444",
        "378282246310005",
        "hunter2",
        "tok_very_secret",
        ada.key,
        org.write_key,
        "cgk_",
        "FILE-CONTENT-MARKER",
    ):
        assert leaked not in dump, leaked
    logs = await logs_of(org, cid)
    fields = logs["edges"][1]["node"]["variables"]["input"]["customFields"]
    assert fields["cvv"] == fields["cardNumber"] == fields["apiKey"] == "[REDACTED]"
    assert fields["memo"] == "paid with [CARD], key [REDACTED]"
    assert fields["pan"] == "[REDACTED]" and fields["nested"][0]["card"] == {
        "number": "[REDACTED]",
        "cvc": "[REDACTED]",
    }
    assert fields["orderNumber"] == order_number  # not a card number: kept
    assert logs["edges"][0]["node"]["variables"]["input"]["file"] == {
        "file": "notes.txt",
        "contentType": "text/plain",
    }


def test_redaction_finds_card_numbers_anywhere_by_luhn():
    assert redact({"a": ["4012-8888-8888-1881", 4012888888881881, "ref 4012888888881882"]}) == {
        "a": ["[CARD]", "[CARD]", "ref 4012888888881882"]
    }


async def test_another_organization_cannot_see_a_customers_logs(org, other_org, store):
    cid = await add_customer(org)
    assert (await other_org.gql(LOGS, {"id": cid, "first": 5}))["customer"] is None
    other_logs = await store.raw(api_logs.COLLECTION).find({"customerIds": cid}).to_list()
    assert {d["organizationId"] for d in other_logs} == {org.id}


async def test_log_retention_follows_the_setting_by_ttl_index_or_by_sweeping(store, org):
    """MongoDB: a TTL index with the setting's retention. FerretDB v1 has none: `expire` does its job."""
    coll = store.raw(api_logs.COLLECTION)
    if await api_logs.ensure_ttl_index(store, 90):
        assert (await coll.index_information())[api_logs.TTL_INDEX]["expireAfterSeconds"] == 90 * 86_400
        assert await api_logs.ensure_ttl_index(store, 7)
        assert (await coll.index_information())[api_logs.TTL_INDEX]["expireAfterSeconds"] == 7 * 86_400
        return
    await add_customer(org)  # logs a fresh entry
    now = datetime.now(UTC)
    old = {"id": "log_OLD", "organizationId": org.id, "time": now - timedelta(days=91), "customerIds": []}
    await coll.insert_one(old)
    assert await api_logs.expire(store, 90, now) == 1
    assert await coll.count_documents({"organizationId": org.id}) == 2  # website + customer, both recent
    assert await coll.count_documents({"id": "log_OLD"}) == 0


NODE = """query($id: ID!) { node(id: $id) { id ... on ApiLogEntry { mutations } } }"""


async def test_a_log_entry_is_refetchable_in_its_organization_only(org, other_org):
    cid = await add_customer(org)
    entry = (await logs_of(org, cid))["edges"][0]["node"]
    assert (await org.gql(NODE, {"id": entry["id"]}))["node"] == {
        "id": entry["id"],
        "mutations": ["customerCreate"],
    }
    assert (await other_org.gql(NODE, {"id": entry["id"]}))["node"] is None


async def test_the_api_log_sweep_is_recurring_work_done_once_by_a_worker(store, org):
    """Where there are no TTL indexes the sweep is a scheduler job: however many gateway processes
    schedule it, one job exists, one worker claims each run, and it comes back an interval later."""
    t0 = datetime.now(UTC).replace(microsecond=0)  # the store keeps milliseconds
    system = store.for_org(jobs.SYSTEM_ORG)
    for _ in range(3):  # three gateways starting
        await jobs.schedule(system, API_LOG_EXPIRY, "sweep", t0, t0)
    await store.raw(api_logs.COLLECTION).insert_one(
        {"id": "log_OLD", "organizationId": org.id, "time": t0 - timedelta(days=91), "customerIds": []})
    settings = Settings(mongodb_uri=None, api_log_sweep_seconds=3600)
    clock = FixedClock(t0)
    workers = [Worker(store, settings, clock=clock, kinds=[API_LOG_EXPIRY]) for _ in range(2)]
    assert sum([await w.run_due() for w in workers]) == 1
    assert await store.raw(api_logs.COLLECTION).count_documents({"id": "log_OLD"}) == 0
    job = await jobs.by_key(system, API_LOG_EXPIRY, "sweep")
    assert (job["status"], job["dueTime"]) == (jobs.PENDING, t0 + timedelta(hours=1))
    assert await system[jobs.COLLECTION].count({"kind": API_LOG_EXPIRY}) == 1
