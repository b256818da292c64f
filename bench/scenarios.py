"""The benchmark scenarios, each defined once: a GraphQL document, its variables, and its *limit twin*.

The limit twin is what a hand-written endpoint would do for the same response: the same driver calls
(same round trips, `$in`/`$or` batches, but projected to the fields the response needs), grouping and
shaping the JSON by hand, encoded with orjson by the route. Both paths must give equal JSON; the
runner checks it before timing anything.

When the wallet branch lands (payment instruments, tags, tax IDs on `Customer`), set `WALLET = True`:
the dashboard and detail documents then ask for them and the limit twins fetch and shape them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench import billing
from bench.dataset import INSTRUMENTS, Loaded
from resolvers.context import now
from resolvers.pagination import encode_cursor
from schema.common import minor_to_decimal
from store.activity import timeline
from store.customers import customers, websites
from store.db import Doc, OrgDb

WALLET = True  # instruments, tags and tax IDs are in the schema (issue 3)

CUSTOMER_FIELDS = """id firstName lastName organization email phoneNumber isLead paymentCount
      lastPaymentTime createdTime updatedTime revision
      address { line1 city country postalCode }
      emails { value label primary }
      lifetimeRevenue { amount currency }"""
# Fields of main's wallet schema (instruments oldest first; tags and tax IDs from the customer document).
WALLET_FIELDS = """paymentInstruments { id status summary }
      tags { name }
      taxIds { type value isDefault }"""
NESTED = WALLET_FIELDS if WALLET else ""
EVENT_FIELDS = (
    "__typename id kind occurredTime message author { type name }"
    " ... on CustomerUpdatedEvent { changedFields }"
)

DASHBOARD = f"""query Dashboard($first: Int!) {{
  customers(first: $first) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{
      {CUSTOMER_FIELDS}
      {NESTED}
      timeline(first: 20) {{ edges {{ node {{ {EVENT_FIELDS} }} }} }}
    }} }}
  }}
}}"""

DETAIL = f"""query Detail($id: ID!) {{
  customer(id: $id) {{
    {CUSTOMER_FIELDS}
    {NESTED}
    jobTitle dateOfBirth customFields
    phoneNumbers {{ value label primary }}
    averageValue {{ amount currency }}
    website {{ id name url }}
    timeline(first: 50) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      edges {{ cursor node {{ {EVENT_FIELDS} }} }}
    }}
  }}
}}"""

FILTERED = """query Filtered($first: Int!, $country: String!) {
  customers(first: $first, segment: CUSTOMERS, filter: {country: $country},
            sort: {field: CREATED_TIME, direction: DESC}) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id firstName lastName email paymentCount createdTime
                          address { country } lifetimeRevenue { amount currency } } }
  }
}"""

CUSTOMER_UPDATE = """mutation Update($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) {
    customer { id lastName email }
    userErrors { field message code }
  }
}"""

TIMELINE_NOTE_ADD = """mutation Note($input: TimelineNoteAddInput!) {
  timelineNoteAdd(input: $input) {
    note { kind format revision }
    userErrors { field message code }
  }
}"""

EVENT_TYPENAMES = {
    "CUSTOMER_CREATED": "CustomerCreatedEvent",
    "CUSTOMER_UPDATED": "CustomerUpdatedEvent",
    "NOTE": "NoteEvent",  # from the timeline-note-add scenario, on a reused data set
}

CUSTOMER_PROJ = {
    "_id": 0,
    "id": 1,
    "firstName": 1,
    "lastName": 1,
    "organization": 1,
    "email": 1,
    "phoneNumber": 1,
    "paymentCount": 1,
    "lastPaymentTime": 1,
    "createdTime": 1,
    "updatedTime": 1,
    "revision": 1,
    "address": 1,
    "emails": 1,
    "revenue": 1,
    "timelineSeq": 1,
    **({"tags": 1, "taxIds": 1} if WALLET else {}),
}
DETAIL_PROJ = {**CUSTOMER_PROJ, "jobTitle": 1, "dob": 1, "customFields": 1, "phoneNumbers": 1, "websiteId": 1}
EVENT_PROJ = {
    "_id": 0,
    "id": 1,
    "customerId": 1,
    "seq": 1,
    "kind": 1,
    "time": 1,
    "message": 1,
    "actor.type": 1,
    "actor.name": 1,
    "data.changedFields": 1,
}
INSTRUMENT_PROJ = {"_id": 0, "id": 1, "customerId": 1, "status": 1, "summary": 1, "createdTime": 1}
FILTERED_PROJ = {
    "_id": 0,
    "id": 1,
    "firstName": 1,
    "lastName": 1,
    "email": 1,
    "paymentCount": 1,
    "createdTime": 1,
    "address.country": 1,
    "revenue": 1,
}


# ---------------------------------------------------------------------------------------------- shaping


def _money(revenue: dict[str, Any], key: str) -> list[dict[str, Any]]:
    out = []
    for cur, v in sorted(revenue.items()):
        if key == "amount":
            out.append({"amount": str(minor_to_decimal(v["amount"], cur)), "currency": cur})
        elif v.get("count"):
            out.append({"amount": str(minor_to_decimal(v["paid"] // v["count"], cur)), "currency": cur})
    return out


def _event(d: Doc) -> dict[str, Any]:
    out = {
        "__typename": EVENT_TYPENAMES[d["kind"]],
        "id": d["id"],
        "kind": d["kind"],
        "occurredTime": d["time"],
        "message": d.get("message"),
        "author": {"type": d["actor"]["type"], "name": d["actor"].get("name") or ""},
    }
    if d["kind"] == "CUSTOMER_UPDATED":
        out["changedFields"] = d["data"].get("changedFields", [])
    return out


def _customer(d: Doc, instruments: list[Doc] | None) -> dict[str, Any]:
    a = d.get("address")
    out = {
        "id": d["id"],
        "firstName": d.get("firstName"),
        "lastName": d.get("lastName"),
        "organization": d.get("organization"),
        "email": d.get("email"),
        "phoneNumber": d.get("phoneNumber"),
        "isLead": d.get("paymentCount", 0) == 0,
        "paymentCount": d.get("paymentCount", 0),
        "lastPaymentTime": d.get("lastPaymentTime"),
        "createdTime": d["createdTime"],
        "updatedTime": d["updatedTime"],
        "revision": d["revision"],
        "address": {
            "line1": a.get("line1"),
            "city": a.get("city"),
            "country": a.get("country"),
            "postalCode": a.get("postalCode"),
        }
        if a
        else None,
        "emails": [
            {"value": e["value"], "label": e["label"], "primary": e["primary"]} for e in d.get("emails", ())
        ],
        "lifetimeRevenue": _money(d.get("revenue") or {}, "amount"),
    }
    if instruments is not None:
        out["paymentInstruments"] = [
            {"id": i["id"], "status": i["status"], "summary": i["summary"]} for i in instruments
        ]
        out["tags"] = [{"name": t} for t in d.get("tags", ())]
        out["taxIds"] = [
            {"type": t["type"], "value": t["value"], "isDefault": t["isDefault"]} for t in d.get("taxIds", ())
        ]
    return out


async def _latest_events(org: OrgDb, docs: list[Doc], n: int) -> dict[str, list[Doc]]:
    """The same seq-window `$or` query as the gateway's timeline loader, projected."""
    clauses = [
        {"customerId": d["id"], "seq": {"$gt": max(0, d["timelineSeq"] - n - 1), "$lte": d["timelineSeq"]}}
        for d in docs
        if d.get("timelineSeq")
    ]
    grouped: dict[str, list[Doc]] = {}
    if clauses:
        flt = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        expected = sum(min(d["timelineSeq"], n + 1) for d in docs)  # as the gateway's loader
        for e in await org[timeline.COLLECTION].find_list(flt, EVENT_PROJ, expect=expected):
            grouped.setdefault(e["customerId"], []).append(e)
    for events in grouped.values():
        events.sort(key=lambda e: e["seq"], reverse=True)
    return grouped


async def _instruments(org: OrgDb, ids: list[str]) -> dict[str, list[Doc]]:
    grouped: dict[str, list[Doc]] = {i: [] for i in ids}
    if WALLET:
        for doc in await org[INSTRUMENTS].find_list(  # at most 5 per customer in the data set: one batch
            {"customerId": {"$in": ids}}, INSTRUMENT_PROJ, sort=[("createdTime", 1)], expect=5 * len(ids)
        ):
            grouped[doc["customerId"]].append(doc)
    return grouped


def _page_info(has_next: bool, cursors: list[str]) -> dict[str, Any]:
    return {"hasNextPage": has_next, "endCursor": cursors[-1] if cursors else None}


# ---------------------------------------------------------------------------------------------- limit twins


async def limit_dashboard(org: OrgDb, v: dict[str, Any]) -> dict[str, Any]:
    first = v["first"]
    docs = await org[customers.COLLECTION].find_list(
        {}, CUSTOMER_PROJ, sort=[("createdTime", -1), ("id", -1)], limit=first + 1
    )
    has_next, docs = len(docs) > first, docs[:first]
    events, instruments = await asyncio.gather(
        _latest_events(org, docs, 20), _instruments(org, [d["id"] for d in docs])
    )
    edges = []
    for d in docs:
        node = _customer(d, instruments[d["id"]] if WALLET else None)
        node["timeline"] = {"edges": [{"node": _event(e)} for e in events.get(d["id"], [])[:20]]}
        edges.append({"cursor": encode_cursor("CREATED_TIME", d["createdTime"], d["id"]), "node": node})
    return {
        "data": {
            "customers": {"pageInfo": _page_info(has_next, [e["cursor"] for e in edges]), "edges": edges}
        }
    }


async def limit_detail(org: OrgDb, v: dict[str, Any]) -> dict[str, Any]:
    docs = await org[customers.COLLECTION].find_list({"id": {"$in": [v["id"]]}}, DETAIL_PROJ)
    if not docs:
        return {"data": {"customer": None}}
    d = docs[0]

    async def total() -> int:
        return await org[timeline.COLLECTION].count({"customerId": d["id"]})

    sites, events, count, instruments = await asyncio.gather(
        org[websites.COLLECTION].find_list(
            {"id": {"$in": [d["websiteId"]]}}, {"_id": 0, "id": 1, "name": 1, "url": 1}
        ),
        _latest_events(org, [d], 50),
        total(),
        _instruments(org, [d["id"]]),
    )
    node = _customer(d, instruments[d["id"]] if WALLET else None)
    dob = d.get("dob")
    node.update(
        {
            "jobTitle": d.get("jobTitle"),
            "dateOfBirth": dob or None,
            "customFields": d.get("customFields") or {},
            "phoneNumbers": [
                {"value": p["value"], "label": p["label"], "primary": p["primary"]}
                for p in d.get("phoneNumbers", ())
            ],
            "averageValue": _money(d.get("revenue") or {}, "average"),
            "website": {"id": sites[0]["id"], "name": sites[0]["name"], "url": sites[0].get("url")}
            if sites
            else None,
        }
    )
    mine = events.get(d["id"], [])
    edges = [{"cursor": encode_cursor("SEQ", e["seq"], e["id"]), "node": _event(e)} for e in mine[:50]]
    node["timeline"] = {
        "totalCount": count,
        "pageInfo": _page_info(len(mine) > 50, [e["cursor"] for e in edges]),
        "edges": edges,
    }
    return {"data": {"customer": node}}


async def limit_filtered(org: OrgDb, v: dict[str, Any]) -> dict[str, Any]:
    first = v["first"]
    docs = await org[customers.COLLECTION].find_list(
        {"paymentCount": {"$gt": 0}, "address.country": v["country"]},
        FILTERED_PROJ,
        sort=[("createdTime", -1), ("id", -1)],
        limit=first + 1,
    )
    has_next, docs = len(docs) > first, docs[:first]
    edges = [
        {
            "cursor": encode_cursor("CREATED_TIME", d["createdTime"], d["id"]),
            "node": {
                "id": d["id"],
                "firstName": d.get("firstName"),
                "lastName": d.get("lastName"),
                "email": d.get("email"),
                "paymentCount": d["paymentCount"],
                "createdTime": d["createdTime"],
                "address": {"country": d["address"]["country"]},
                "lifetimeRevenue": _money(d.get("revenue") or {}, "amount"),
            },
        }
        for d in docs
    ]
    return {
        "data": {
            "customers": {"pageInfo": _page_info(has_next, [e["cursor"] for e in edges]), "edges": edges}
        }
    }


async def limit_customer_update(org: OrgDb, v: dict[str, Any]) -> dict[str, Any]:
    """The same three calls as `customerUpdate` (read, guarded update, timeline insert), shaped by hand."""
    inp = v["input"]
    coll = org[customers.COLLECTION]
    doc = await coll.find_one({"id": inp["id"]}, {"_id": 0})
    if doc is None:
        return {
            "data": {
                "customerUpdate": {
                    "customer": None,
                    "userErrors": [
                        {
                            "field": ["id"],
                            "message": f"no customer {inp['id']} in this organization",
                            "code": "NOT_FOUND",
                        }
                    ],
                }
            }
        }
    changes = {"firstName": inp["firstName"]} if inp["firstName"] != doc.get("firstName") else {}
    if changes:
        derived = customers.with_derived({**doc, **changes})
        t = now()
        doc = await customers.update(
            org,
            inp["id"],
            revision=doc["revision"],
            now=t,
            set_fields={**changes, **{k: derived[k] for k in customers.DERIVED_FIELDS}},
        )
        await timeline.insert(
            org,
            timeline.event_doc(
                inp["id"],
                doc["timelineSeq"],
                "CUSTOMER_UPDATED",
                {"type": "API_KEY", "id": "key_bench", "name": "bench"},
                t,
                {"changedFields": ["firstName"]},
                "Changed firstName",
            ),
        )
    return {
        "data": {
            "customerUpdate": {
                "customer": {"id": doc["id"], "lastName": doc.get("lastName"), "email": doc.get("email")},
                "userErrors": [],
            }
        }
    }


async def limit_timeline_note_add(org: OrgDb, v: dict[str, Any]) -> dict[str, Any]:
    """The same calls as `timelineNoteAdd` without mentions or links (customer read, timeline seq
    reservation, event insert), shaped by hand."""
    inp = v["input"]
    if await org[customers.COLLECTION].find_one({"id": inp["customerId"]}, {"_id": 0, "id": 1}) is None:
        raise AssertionError(f"bench customer {inp['customerId']} is missing")
    seq = await customers.next_timeline_seq(org, inp["customerId"])
    data = {"format": "PLAIN", "revision": 1, "editedTime": None, "mentions": [], "links": []}
    actor = {"type": "API_KEY", "id": "key_bench", "name": "bench"}
    doc = timeline.event_doc(inp["customerId"], seq, "NOTE", actor, now(), data, inp["message"])
    await timeline.insert(org, doc)
    note = {"kind": "NOTE", "format": "PLAIN", "revision": 1}  # no message: requests differ in it
    return {"data": {"timelineNoteAdd": {"note": note, "userErrors": []}}}


async def limit_billing(org: OrgDb, v: dict[str, Any]) -> dict[str, Any]:
    return await billing.limit_billing_dashboard(org, v, encode_cursor)


# ---------------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Scenario:
    name: str
    document: str
    variables: Callable[[Loaded, int], dict[str, Any]]  # (data set, request number) -> variables
    limit: Callable[[OrgDb, dict[str, Any]], Awaitable[dict[str, Any]]]
    mutation: bool = False
    db_ops: str = ""  # what the limit twin sends, for the report


def _dashboard(n: int) -> Scenario:
    return Scenario(
        f"dashboard-{n}",
        DASHBOARD,
        lambda _d, _i: {"first": n},
        limit_dashboard,
        db_ops="customers page + timeline $or" + (" + instruments $in" if WALLET else ""),
    )


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        _dashboard(10),
        _dashboard(50),
        _dashboard(100),
        Scenario(
            "billing-100",
            billing.BILLING_DASHBOARD,
            lambda _d, _i: {"first": 100},
            limit_billing,
            db_ops="customers page + active subscriptions $in + latest invoices $in",
        ),
        Scenario(
            "detail",
            DETAIL,
            lambda d, _i: {"id": d.sample_customer_id},
            limit_detail,
            db_ops="customer $in + website $in + timeline window + count",
        ),
        Scenario(
            "filtered",
            FILTERED,
            lambda _d, _i: {"first": 50, "country": "DE"},
            limit_filtered,
            db_ops="one keyset page (segment + country + createdTime sort)",
        ),
        Scenario(
            "customer-update",
            CUSTOMER_UPDATE,
            lambda d, i: {"input": {"id": d.sample_customer_id, "firstName": f"Bench{i}"}},
            limit_customer_update,
            mutation=True,
            db_ops="read + guarded update + timeline insert",
        ),
        Scenario(
            "timeline-note-add",
            TIMELINE_NOTE_ADD,
            lambda d, i: {"input": {"customerId": d.sample_customer_id, "message": f"Bench note {i}"}},
            limit_timeline_note_add,
            mutation=True,
            db_ops="customer read + timeline seq + event insert",
        ),
    ]
}
MUTATION_SCENARIOS = ["customer-update", "timeline-note-add"]
