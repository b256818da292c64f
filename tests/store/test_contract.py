"""The store contract: every behaviour the store layer relies on from its document server, as checks.

Runs against whatever server the test run uses (the launcher's FerretDB, or the one `MONGODB_URI`
names), through the project's own client and store helpers. A server the project supports passes
every test here; README.md ("Document servers") lists which servers pass what.

One requirement depends on how the server is reached, not on the server: with `maxPoolSize=1` in the
URI (the launcher's FerretDB v1) the process has one connection, whose commands run in order, so only
updates *through that client* must be atomic. Without it (MongoDB, any pooled server) updates racing
on *different connections* must be atomic too, and that is checked here with separate clients.
"""

from __future__ import annotations

import asyncio
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from store import errors, jobs
from store.activity import api_logs, timeline
from store.customers import customers, tags
from store.db import Doc, Store, make_client
from store.errors import AlreadyExists, RevisionConflict
from store.money import idempotency
from tests.helpers import CommandCounter

pytestmark = pytest.mark.slow

ORG = "org_contract"
RACERS = 20
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def pinned_to_one_connection(uri: str) -> bool:
    return re.search(r"[?&]maxPoolSize=1(&|$)", uri) is not None


async def _clients(uri: str, n: int) -> list[AsyncMongoClient[Doc]]:
    """`n` clients, each with its own connection (so their commands really run side by side)."""
    clients = [make_client(uri) for _ in range(n)]
    await asyncio.gather(*(c.admin.command("ping") for c in clients))
    return clients


async def _seed_customer(store: Store, cid: str = "c1", **fields: Any) -> None:
    doc = customers.with_derived(
        {"id": cid, "firstName": "Ada", "lastName": "Lovelace", "emails": [], "phoneNumbers": [],
         "paymentCount": 0, "createdTime": EPOCH, "revision": 1, "timelineSeq": 0, "tags": [], **fields}
    )
    await store.for_org(ORG)[customers.COLLECTION].insert_one(doc)


# --- atomic single-document updates -------------------------------------------------------------


async def test_concurrent_inc_through_the_project_client_loses_nothing(store: Store) -> None:
    await _seed_customer(store)
    org = store.for_org(ORG)
    seqs = await asyncio.gather(*(customers.next_timeline_seq(org, "c1") for _ in range(50)))
    assert sorted(seqs) == list(range(1, 51))  # every caller got its own number
    assert (await customers.get(org, "c1") or {})["timelineSeq"] == 50


async def test_guarded_update_has_exactly_one_winner(store: Store) -> None:
    await _seed_customer(store)
    org = store.for_org(ORG)
    now = datetime.now(UTC)

    async def attempt(i: int) -> str:
        try:
            await customers.update(org, "c1", revision=1, set_fields={"jobTitle": f"t{i}"}, now=now)
        except RevisionConflict:
            return "conflict"
        return "won"

    outcomes = await asyncio.gather(*(attempt(i) for i in range(RACERS)))
    assert outcomes.count("won") == 1
    assert (await customers.get(org, "c1") or {})["revision"] == 2


async def test_updates_on_separate_connections_are_atomic(store: Store, mongodb_uri: str) -> None:
    if pinned_to_one_connection(mongodb_uri):
        pytest.skip("the URI pins one connection per process (maxPoolSize=1): only updates through one client must be atomic")
    await _seed_customer(store)
    clients = await _clients(mongodb_uri, RACERS)
    try:
        colls = [c[store.db.name][customers.COLLECTION] for c in clients]
        flt = {"organizationId": ORG, "id": "c1"}
        await asyncio.gather(*(c.update_one(flt, {"$inc": {"timelineSeq": 1}}) for c in colls for _ in range(3)))
        winners = await asyncio.gather(
            *(c.find_one_and_update({**flt, "revision": 1}, {"$inc": {"revision": 1}}) for c in colls)
        )
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    doc = await store.for_org(ORG)[customers.COLLECTION].find_one({"id": "c1"})
    assert doc is not None and doc["timelineSeq"] == 3 * RACERS
    assert sum(w is not None for w in winners) == 1 and doc["revision"] == 2


async def test_racing_sorted_claims_take_each_due_job_once_oldest_first(store: Store) -> None:
    org = store.for_org(ORG)
    now = datetime.now(UTC)
    for k in range(5):
        await jobs.schedule(org, "contract", f"k{k}", now - timedelta(minutes=10 - k), now)
    await jobs.schedule(org, "contract", "later", now + timedelta(hours=1), now)
    first = await jobs.claim(store, "w0", now, timedelta(minutes=5))
    assert first is not None and first["key"] == "k0" and first["attempts"] == 1  # findAndModify's sort: oldest due
    claims = await asyncio.gather(*(jobs.claim(store, f"w{i}", now, timedelta(minutes=5)) for i in range(1, 10)))
    taken = {c["key"]: c["leaseOwner"] for c in claims if c is not None}
    assert sorted(taken) == ["k1", "k2", "k3", "k4"] and claims.count(None) == 5  # each once, nothing early
    assert all(taken[c["key"]] == f"w{i}" for i, c in enumerate(claims, 1) if c is not None)
    assert await jobs.finish(store, first, "w9", now) is False and await jobs.finish(store, first, "w0", now) is True


# --- unique indexes, duplicate errors, upserts ---------------------------------------------------


async def test_racing_inserts_of_one_unique_key_keep_one_and_raise_duplicate_key(store: Store) -> None:
    org = store.for_org(ORG)

    async def insert(i: int) -> str:
        try:
            await customers.insert(org, customers.with_derived(
                {"id": "same", "firstName": f"n{i}", "emails": [], "phoneNumbers": [], "paymentCount": 0,
                 "createdTime": EPOCH, "revision": 1}))
        except AlreadyExists:
            return "duplicate"
        return "inserted"

    outcomes = await asyncio.gather(*(insert(i) for i in range(RACERS)))
    assert outcomes.count("inserted") == 1 and outcomes.count("duplicate") == RACERS - 1
    assert await org[customers.COLLECTION].count({"id": "same"}) == 1


async def test_duplicate_insert_is_error_11000(store: Store) -> None:
    org = store.for_org(ORG)
    await org[tags.COLLECTION].insert_one({"id": "tag_a", "nameLower": "vip"})
    with pytest.raises(DuplicateKeyError) as info:
        await org[tags.COLLECTION].insert_one({"id": "tag_b", "nameLower": "vip"})
    assert info.value.code == 11000 and errors.is_duplicate(info.value)


async def test_unique_violation_by_an_update_is_recognised_as_duplicate(store: Store) -> None:
    org = store.for_org(ORG)
    await org[tags.COLLECTION].insert_many([{"id": "tag_a", "nameLower": "vip"}, {"id": "tag_b", "nameLower": "new"}])
    with pytest.raises(OperationFailure) as info:
        await org[tags.COLLECTION].find_one_and_update({"id": "tag_b"}, {"$set": {"nameLower": "vip"}})
    assert errors.is_duplicate(info.value), (info.value.code, str(info.value))
    assert (await org[tags.COLLECTION].find_one({"id": "tag_b"}) or {})["nameLower"] == "new"


async def test_upsert_reply_is_the_document_with_its_set_on_insert_fields(store: Store) -> None:
    org = store.for_org(ORG)
    update = {"$set": {"expirationTime": None}, "$setOnInsert": {"id": "blkl_1", "value": "x@example.com"}}
    first = await org["blocklists"].find_one_and_update({"type": "EMAIL", "value": "x@example.com"}, update, upsert=True)
    again = await org["blocklists"].find_one_and_update({"type": "EMAIL", "value": "x@example.com"}, update, upsert=True)
    for doc in (first, again):
        assert doc is not None
        assert {k: doc.get(k) for k in ("organizationId", "type", "value", "id")} == {
            "organizationId": ORG, "type": "EMAIL", "value": "x@example.com", "id": "blkl_1"}
    assert await org[tags.COLLECTION].update_one({"nameLower": "vip"}, {"$setOnInsert": {"id": "t"}}, upsert=True) == 1
    assert await org[tags.COLLECTION].update_one({"nameLower": "vip"}, {"$setOnInsert": {"id": "u"}}, upsert=True) == 0
    assert await org["blocklists"].find_one_and_update({"type": "EMAIL", "value": "absent"}, {"$set": {"x": 1}}) is None


async def test_racing_upserts_of_one_key_make_one_document_and_every_caller_gets_it(store: Store) -> None:
    org = store.for_org(ORG)
    now = datetime.now(UTC)
    results = await asyncio.gather(*(tags.ensure(org, ["VIP"], now) for _ in range(RACERS)))
    ids = {r[0]["id"] for r in results}
    assert len(ids) == 1 and all(r[0]["nameLower"] == "vip" for r in results)
    assert await org[tags.COLLECTION].count({"nameLower": "vip"}) == 1


# --- the query shapes the store sends, with their results ---------------------------------------


def _people(n: int) -> list[Doc]:
    rnd = random.Random(17)
    out = []
    for i in range(n):
        first, last = rnd.choice(["Ada", "Alan", "Grace"]), rnd.choice(["Lovelace", "Turing", "Hopper", "lovelace"])
        email = f"{first}.{last}.{i}@example.com".lower()
        out.append(customers.with_derived({
            "id": f"cus_{i:03d}",
            "firstName": first,
            "lastName": last,
            "emails": [{"value": email, "primary": True}, {"value": f"alt{i}@Home.example", "primary": False}],
            "phoneNumbers": [],
            "address": {"country": rnd.choice(["GB", "US"])},
            "websiteId": rnd.choice(["web_a", "web_b"]),
            "paymentCount": rnd.choice([0, 0, 1, 3]),
            "createdTime": EPOCH + timedelta(minutes=i // 2),  # every time twice: the id breaks ties
            "tags": sorted(rnd.sample(["vip", "beta", "trial"], rnd.randint(0, 2))),
            "revision": 1,
        }))
    return out


def _expected(docs: list[Doc], q: customers.CustomerQuery) -> list[str]:
    def keep(d: Doc) -> bool:
        return (
            (q.segment != "LEADS" or d["paymentCount"] == 0)
            and (q.segment != "CUSTOMERS" or d["paymentCount"] > 0)
            and all(any(t.startswith(p) for t in d["searchTokens"]) for p in q.search_prefixes)
            and (q.email is None or q.email.lower() in d["emailsLower"])
            and (q.country is None or d["address"]["country"] == q.country)
            and (q.website_id is None or d["websiteId"] == q.website_id)
            and (q.created_from is None or d["createdTime"] >= q.created_from)
            and (q.created_to is None or d["createdTime"] < q.created_to)
            and all(t in d["tags"] for t in q.tags)
        )

    key = customers.SORT_FIELDS[q.sort]
    kept = sorted((d for d in docs if keep(d)), key=lambda d: (d[key], d["id"]), reverse=q.descending)
    return [d["id"] for d in kept]


QUERIES = [
    customers.CustomerQuery(),
    customers.CustomerQuery(segment="CUSTOMERS"),
    customers.CustomerQuery(segment="LEADS", sort="LAST_NAME", descending=False),
    customers.CustomerQuery(sort="PAYMENT_COUNT", country="GB"),
    customers.CustomerQuery(search_prefixes=("lov", "ad")),
    customers.CustomerQuery(email="ALT7@home.example"),
    customers.CustomerQuery(website_id="web_b", tags=("vip",), descending=False),
    customers.CustomerQuery(created_from=EPOCH + timedelta(minutes=5), created_to=EPOCH + timedelta(minutes=20),
                            sort="LAST_NAME"),
]


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: f"{q.segment}-{q.sort}-{'desc' if q.descending else 'asc'}")
async def test_customer_pages_and_counts_give_the_right_documents_in_keyset_order(store: Store, q: customers.CustomerQuery) -> None:
    docs = _people(80)
    org = store.for_org(ORG)
    await org[customers.COLLECTION].insert_many([dict(d) for d in docs])
    got: list[str] = []
    after = None
    for _ in range(100):
        page, more = await customers.list_page(org, q, after, 7)
        got += [d["id"] for d in page]
        if not more:
            break
        after = (customers.sort_value(q, page[-1]), page[-1]["id"])
    want = _expected(docs, q)
    assert got == want and want, q
    assert await customers.count(org, q) == len(want)


async def test_by_ids_and_timeline_shapes(store: Store) -> None:
    org = store.for_org(ORG)
    await org[customers.COLLECTION].insert_many([dict(d) for d in _people(10)])
    got = await customers.get_many(org, ["cus_003", "missing", "cus_001", "cus_003"])
    assert [d["id"] if d else None for d in got] == ["cus_003", None, "cus_001", "cus_003"]
    actor = {"type": "API_KEY", "id": "k", "name": "k"}
    events = [timeline.event_doc(c, s, "NOTE" if s % 3 == 0 else "CUSTOMER_UPDATED", actor, EPOCH + timedelta(minutes=s))
              for c in ("cus_001", "cus_002") for s in range(1, 13)]
    for n, e in enumerate(events):
        e["id"] = f"tmln_{n:03d}"
    await org[timeline.COLLECTION].insert_many(events)
    wins = await timeline.windows(org, [timeline.Window("cus_001", 8, 12), timeline.Window("cus_002", 0, 3)])
    assert [[e["seq"] for e in w] for w in wins] == [[12, 11, 10, 9], [3, 2, 1]]
    page = await timeline.page(org, "cus_002", 10, 3, kinds=["NOTE"])
    assert [e["seq"] for e in page] == [9, 6, 3]


# --- update operators the store uses -------------------------------------------------------------


async def test_array_and_dotted_update_operators(store: Store) -> None:
    await _seed_customer(store, tags=["a", "b", "c", "d"], address={"country": "GB", "city": "London"})
    org = store.for_org(ORG)
    now = datetime.now(UTC)
    doc = await tags.untag_customer(org, "c1", ["b", "d", "zz"], now)  # $pullAll
    assert doc is not None and doc["tags"] == ["a", "c"]
    doc = await tags.tag_customer(org, "c1", ["c", "e", "f"], now)  # $addToSet with $each
    assert doc is not None and doc["tags"] == ["a", "c", "e", "f"]
    coll = org[customers.COLLECTION]
    await coll.update_one({"id": "c1"}, {"$pull": {"tags": "e"}, "$set": {"address.city": "Leeds"}, "$unset": {"address.country": ""}})
    await coll.update_one({"id": "c1"}, {"$push": {"log": {"$each": [1, 2]}}})
    doc = await customers.get(org, "c1")
    assert doc is not None and doc["tags"] == ["a", "c", "f"] and doc["address"] == {"city": "Leeds"} and doc["log"] == [1, 2]
    assert await coll.update_many({"tags": "a"}, {"$inc": {"revision": 1}}) == 1
    assert await coll.delete_many({"createdTime": {"$lt": EPOCH + timedelta(days=1)}}) == 1


# --- TTL, or the store's replacement for it --------------------------------------------------------


async def test_api_log_retention_is_a_ttl_index_or_a_working_sweep(store: Store) -> None:
    has_ttl = await api_logs.ensure_ttl_index(store, 90)
    info = await store.raw(api_logs.COLLECTION).index_information()
    if has_ttl:
        assert info[api_logs.TTL_INDEX]["expireAfterSeconds"] == 90 * 86_400
    else:
        assert api_logs.SWEEP_INDEX in info and api_logs.TTL_INDEX not in info
    now = datetime.now(UTC)
    org = store.for_org(ORG)
    await org[api_logs.COLLECTION].insert_many(
        [{"id": "old", "time": now - timedelta(days=91)}, {"id": "new", "time": now - timedelta(days=89)}]
    )
    assert await api_logs.expire(store, 90, now) == 1  # the sweep (also correct, and harmless, beside a TTL index)
    assert [d["id"] for d in await org[api_logs.COLLECTION].find_list({})] == ["new"]


async def test_an_idempotency_claim_past_its_ttl_is_replaced_even_without_ttl_indexes(store: Store) -> None:
    info = await store.raw(idempotency.COLLECTION).index_information()
    assert "ttl_created" in info  # with expireAfterSeconds where the server has TTL indexes
    org = store.for_org(ORG)
    old = datetime.now(UTC) - timedelta(seconds=idempotency.TTL_SECONDS + 60)
    assert await idempotency.claim(org, "k1", "sale", "h1", old) is None
    existing = await idempotency.claim(org, "k1", "sale", "h2", old + timedelta(seconds=30))
    assert existing is not None and existing["inputHash"] == "h1"  # inside the TTL: the first claim stands
    assert await idempotency.claim(org, "k1", "sale", "h3", datetime.now(UTC)) is None  # past it: replaced
    assert (await idempotency.get(org, "k1") or {})["inputHash"] == "h3"


# --- cursor batching -------------------------------------------------------------------------------


async def test_a_sized_first_batch_needs_no_get_more_and_a_long_cursor_reads_everything(
    store: Store, commands: CommandCounter
) -> None:
    org = store.for_org(ORG)
    await org[customers.COLLECTION].insert_many([dict(d) for d in _people(250)])
    before = len(commands.names(store.db.name))
    page, more = await customers.list_page(org, customers.CustomerQuery(), None, 100)
    got = await customers.get_many(org, [d["id"] for d in page])
    assert len(page) == 100 and more and all(got)
    assert commands.names(store.db.name)[before:] == ["find", "find"]  # each answered in its first batch
    everything = await org[customers.COLLECTION].find_list({}, {"id": 1})
    assert len(everything) == 250 and "getMore" in commands.names(store.db.name)[before:]


async def test_find_one_and_update_returns_the_document_after_the_change(store: Store) -> None:
    await _seed_customer(store)
    coll = store.raw(customers.COLLECTION)
    doc = await coll.find_one_and_update(
        {"organizationId": ORG, "id": "c1"}, {"$inc": {"revision": 1}}, return_document=ReturnDocument.AFTER
    )
    assert doc is not None and doc["revision"] == 2
