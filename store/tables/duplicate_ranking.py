"""The organization-wide duplicate ranking: every pair of customers that look like the same person, with
its reasons and score, kept in `customer_duplicate_pairs` and read best first on an index.

The pairs are computed in the background (resolvers/tables/duplicate_ranking.py, a scheduler job) as one
*scan* per refresh: for each signal an aggregation finds the values shared by more than one customer
(emails, phone numbers, (last name, date of birth), card fingerprints) — FerretDB v1's `$unwind`,
`$group` with `$sum` and `$match` — then the customers holding them are read with `$in` queries, and the
pairs are inserted under the scan's id. When every pair of the scan is written, the state document's
`scanId` is switched to it in one update (readers see either the old ranking or the new one, never a
mix) and the older scans' pairs are deleted. A crash restarts the scan under the same id: inserts of
pairs that are there already are ignored, so nothing is doubled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError

from store import paging
from store.customers import customers
from store.db import Doc, OrgDb
from store.tables.duplicates import PROJECTION, SCORES, person_key, phones_of
from store.wallet import payment_instruments

PAIRS = "customer_duplicate_pairs"
STATE = "customer_duplicate_state"
STATE_ID = "ranking"
# A value shared by more customers than this is a placeholder (a shop's own email, "000"), not a person.
MAX_GROUP = 25
IN_BATCH = 500  # values per `$in` query
INSERT_BATCH = 1_000

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    PAIRS: [
        ([("organizationId", ASCENDING), ("scanId", ASCENDING), ("id", ASCENDING)],
         {"unique": True, "name": "org_scan_id_unique"}),
        ([("organizationId", ASCENDING), ("scanId", ASCENDING), ("score", DESCENDING), ("id", DESCENDING)],
         {"name": "org_scan_score_id_desc"}),
        ([("organizationId", ASCENDING), ("customerIds", ASCENDING)], {"name": "org_customer_ids"}),
    ],
    STATE: [([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"})],
}


async def _shared(org: OrgDb, collection: str, pipeline: list[Doc]) -> list[Any]:
    """The grouped values that occur in more than one document (after `pipeline`'s own stages)."""
    rows = await org[collection].coll.aggregate([
        {"$match": {"organizationId": org.org_id}}, *pipeline, {"$match": {"n": {"$gt": 1}}}])
    return [r["_id"] async for r in rows if r["_id"] not in (None, "")]


def _chunks(values: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(values), size):
        yield list(values[i:i + size])


def _pairs_of(groups: dict[Any, set[str]], reason: str, out: dict[tuple[str, str], set[str]]) -> None:
    for ids in groups.values():
        if 1 < len(ids) <= MAX_GROUP:
            ordered = sorted(ids)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1:]:
                    out.setdefault((a, b), set()).add(reason)


async def compute(org: OrgDb) -> dict[tuple[str, str], set[str]]:
    """Every pair (a < b) of the organization's customers that share a signal, with the reasons."""
    coll = org[customers.COLLECTION]
    out: dict[tuple[str, str], set[str]] = {}
    emails = await _shared(org, customers.COLLECTION, [
        {"$unwind": "$emailsLower"}, {"$group": {"_id": "$emailsLower", "n": {"$sum": 1}}}])
    groups: dict[Any, set[str]] = {}
    for chunk in _chunks(sorted(emails), IN_BATCH):
        for d in await coll.find_list({"emailsLower": {"$in": chunk}}, PROJECTION):
            for e in set(d.get("emailsLower") or ()) & set(chunk):
                groups.setdefault(e, set()).add(d["id"])
    _pairs_of(groups, "SAME_EMAIL", out)
    phones = await _shared(org, customers.COLLECTION, [
        {"$unwind": "$phoneNumbers"}, {"$group": {"_id": "$phoneNumbers.value", "n": {"$sum": 1}}}])
    groups = {}
    for chunk in _chunks(sorted(phones), IN_BATCH):
        for d in await coll.find_list({"phoneNumbers.value": {"$in": chunk}}, PROJECTION):
            for p in set(phones_of(d)) & set(chunk):
                groups.setdefault(p, set()).add(d["id"])
    _pairs_of(groups, "SAME_PHONE", out)
    # Name and date of birth: (date of birth, last name) values held more than once, then the first name too.
    people = await _shared(org, customers.COLLECTION, [
        {"$match": {"dob": {"$ne": None}, "sortLastName": {"$nin": [None, ""]}}},
        {"$group": {"_id": {"dob": "$dob", "last": "$sortLastName"}, "n": {"$sum": 1}}}])
    shared_people = sorted({(p["dob"], p["last"]) for p in people})
    groups = {}
    for chunk in _chunks(shared_people, IN_BATCH):
        wanted = set(chunk)
        flt = {"dob": {"$in": sorted({p[0] for p in chunk})}, "sortLastName": {"$in": sorted({p[1] for p in chunk})}}
        for d in await coll.find_list(flt, PROJECTION):
            if (d.get("dob"), d.get("sortLastName")) in wanted and (person := person_key(d)) is not None:
                groups.setdefault(person, set()).add(d["id"])
    _pairs_of(groups, "SAME_NAME_AND_DATE_OF_BIRTH", out)
    fingerprints = await _shared(org, payment_instruments.COLLECTION, [
        {"$match": {"fingerprint": {"$ne": None}}}, {"$group": {"_id": "$fingerprint", "n": {"$sum": 1}}}])
    groups = {}
    for chunk in _chunks(sorted(fingerprints), IN_BATCH):
        for i in await org[payment_instruments.COLLECTION].find_list(
                {"fingerprint": {"$in": chunk}}, {"_id": 0, "customerId": 1, "fingerprint": 1}):
            groups.setdefault(i["fingerprint"], set()).add(i["customerId"])
    _pairs_of(groups, "SAME_CARD", out)
    # Only customers that still exist (an instrument may outlive its customer).
    ids = sorted({c for pair in out for c in pair})
    alive: set[str] = set()
    for chunk in _chunks(ids, IN_BATCH):
        alive |= {d["id"] for d in await coll.find_list({"id": {"$in": chunk}}, {"_id": 0, "id": 1})}
    return {p: r for p, r in out.items() if p[0] in alive and p[1] in alive}


def score(reasons: Iterable[str]) -> int:
    return sum(SCORES[r] for r in reasons)


async def write_scan(org: OrgDb, scan_id: str, pairs: dict[tuple[str, str], set[str]], now: datetime) -> None:
    """Inserts the scan's pairs; pairs a crashed run of the same scan wrote already are skipped."""
    docs = [{"id": f"{a}|{b}", "scanId": scan_id, "customerIds": [a, b], "reasons": sorted(r), "score": score(r),
             "computedTime": now} for (a, b), r in sorted(pairs.items())]
    for chunk in _chunks(docs, INSERT_BATCH):
        try:
            await org[PAIRS].insert_many(chunk)
        except BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", ())):
                raise


async def publish(org: OrgDb, scan_id: str, count: int, now: datetime) -> None:
    """Makes the scan the ranking readers see, then removes every older scan's pairs."""
    await org[STATE].update_one({"id": STATE_ID}, {"$set": {"scanId": scan_id, "pairCount": count,
                                                            "refreshedTime": now}}, upsert=True)
    await org[PAIRS].delete_many({"scanId": {"$ne": scan_id}})


async def state(org: OrgDb) -> Doc | None:
    return await org[STATE].find_one({"id": STATE_ID}, {"_id": 0})


async def page(org: OrgDb, scan_id: str, position: tuple[int, str] | None, size: int, backward: bool = False
               ) -> tuple[list[Doc], bool]:
    """One page of the ranking (best score first, ties by pair id, last first) after `position` (`backward`: before it)."""
    return await paging.read(org[PAIRS], {"scanId": scan_id}, "score", position, size, descending=True,
                             backward=backward)


async def count(org: OrgDb, scan_id: str) -> int:
    return await org[PAIRS].count({"scanId": scan_id})


async def forget_customer(org: OrgDb, customer_id: str) -> None:
    """Drops every pair naming the customer (it was merged away)."""
    await org[PAIRS].delete_many({"customerIds": customer_id})
