"""Merging duplicate customers: `customersMergePreview` (nothing written) and `customersMerge`.

Which value the merged customer keeps (the rule, also in docs/data-tables.md):
- a field the target has a value for keeps the target's value; an empty one takes the first source's
  value, in `sourceIds` order, that has one (names, organization, job title, date of birth, address,
  lead source, default payment instrument). The website is always the target's.
- lists are united: emails and phone numbers (the target's primary stays primary; at most 10 each, the
  rest is dropped and said so), tags, tax IDs (the target's default stays the default), custom fields
  (keys the target has keep its value).
- records move: payment instruments, transactions, payout requests, payment links, notifications,
  orders, invoices, invoice payment links, credit memos, quotes, coupon redemptions, metered usage, KYC
  requests and documents,
  AML checks, EDD search logs, customer links, deposit requests, timeline events (notes, attachments and
  KYC files included), and the target's payment count, revenue, last payment and so lead status are
  computed again from the transactions it then has. Per-customer coupon redemption counts are added to
  the target's. The EDD profile (one per customer) moves only when the target has none. A recurring AML
  screening or a monthly EDD search of a source is scheduled for the target when it has none.
- API log entries keep naming the source id (they record the requests as they were made).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers.auth import mutation
from resolvers.compliance.aml import AML_RECURRING
from resolvers.compliance.edd import EDD_SEARCH, job_key
from resolvers.context import INPUT, Context, Info, now
from resolvers.loaders import forget
from schema.common import Problems, UserErrorCode
from schema.customers.customers import Customer
from schema.tables.merges import (
    CustomersMergeInput,
    CustomersMergePayload,
    CustomersMergePreview,
    MergeConflict,
    MergeMove,
    MergeWinner,
    as_json,
)
from store import jobs
from store.activity import timeline
from store.compliance import edd
from store.customers import customers
from store.db import Doc, OrgDb
from store.errors import RevisionConflict
from store.ids import new_id, type_of_id
from store.tables import duplicate_ranking, merges

MAX_SOURCES = 10
MAX_CONTACTS = 10
# Single-value fields: stored name -> API name.
SCALARS = {
    "firstName": "firstName", "lastName": "lastName", "organization": "organization", "jobTitle": "jobTitle",
    "dob": "dateOfBirth", "address": "address", "leadSource": "leadSource",
    "defaultPaymentInstrumentId": "defaultPaymentInstrument", "websiteId": "websiteId",
}
NOT_MERGED = [
    "API log entries keep naming the duplicate's id (they record the requests as they were made).",
    "A duplicate's EDD profile stays under its id when the target has its own (one per customer).",
    "Blocklist entries made by blocking a duplicate stay as they are (they block its email, card or id).",
    "The duplicates' ids are not reused: they become tombstones that resolve to the target.",
]


class Interrupted(Exception):
    """Raised by `run` after `stop_after` steps: how tests crash a merge between any two steps."""


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def merged_fields(target: Doc, sources: list[Doc]) -> tuple[Doc, list[MergeConflict], list[str]]:
    """The target's fields after the merge, the conflicts, and what is dropped (see the module's rule)."""
    out: Doc = {}
    conflicts: list[MergeConflict] = []
    dropped: list[str] = []
    for stored, name in SCALARS.items():
        mine = target.get(stored)
        theirs = [s.get(stored) for s in sources]
        if all(_empty(v) or v == mine for v in theirs):
            continue
        if not _empty(mine) or stored == "websiteId":
            winner, result = MergeWinner.TARGET, mine
        else:
            winner, result = MergeWinner.SOURCE, next(v for v in theirs if not _empty(v))
            out[stored] = result
        conflicts.append(MergeConflict(field=name, target_value=as_json(mine), source_values=[as_json(v) for v in theirs],
                                       winner=winner, result=as_json(result)))
    for key, what in (("emails", "email"), ("phoneNumbers", "phone number")):
        items = [dict(c) for c in target.get(key) or ()]
        seen = {c["value"].lower() for c in items}
        for s in sources:
            for c in s.get(key) or ():
                if c["value"].lower() not in seen:
                    seen.add(c["value"].lower())
                    items.append({**c, "primary": not items})
        if len(items) > MAX_CONTACTS:
            dropped += [f"{what} {c['value']} (a customer has at most {MAX_CONTACTS})" for c in items[MAX_CONTACTS:]]
            items = items[:MAX_CONTACTS]
        if items != list(target.get(key) or ()):
            out[key] = items
    tags = sorted({*target.get("tags", ()), *(t for s in sources for t in s.get("tags") or ())})
    if tags != sorted(target.get("tags") or ()):
        out["tags"] = tags
    tax = [dict(t) for t in target.get("taxIds") or ()]
    have = {(t["type"], t["value"]) for t in tax}
    for s in sources:
        for t in s.get("taxIds") or ():
            if (t["type"], t["value"]) not in have:
                have.add((t["type"], t["value"]))
                tax.append({**t, "isDefault": not tax})
    if tax != list(target.get("taxIds") or ()):
        out["taxIds"] = tax
    custom: Doc = {}
    for s in reversed(sources):
        custom.update(s.get("customFields") or {})
    custom.update(target.get("customFields") or {})
    if custom != (target.get("customFields") or {}):
        out["customFields"] = custom
    return out, conflicts, dropped


async def check(ctx: Context, problems: Problems, target_id: str, source_ids: list[str]) -> tuple[Doc | None, list[Doc]]:
    """The target and sources if they can be merged; every reason they cannot in `problems`."""
    org = ctx.org
    target: Doc | None = None
    kind = type_of_id(target_id)
    if kind not in (None, "Customer"):
        problems.add(["targetId"], f"{target_id} is a {kind} id, not a Customer id", UserErrorCode.WRONG_ID_TYPE)
    else:
        target = await customers.get(org, target_id)
        if target is None:
            stone = (await merges.tombstones(org, [target_id]))[0]
            if stone:
                problems.add(["targetId"], f"{target_id} was merged into {stone['mergedInto']}; merge into that one",
                             UserErrorCode.ALREADY_MERGED)
            else:
                problems.add(["targetId"], f"no customer {target_id} in this organization", UserErrorCode.NOT_FOUND)
        elif target.get("mergingInto"):
            problems.add(["targetId"], f"{target_id} is being merged into {target['mergingInto']}",
                         UserErrorCode.MERGE_IN_PROGRESS)
    if not source_ids:
        problems.add(["sourceIds"], "name at least one duplicate", UserErrorCode.REQUIRED)
    if len(source_ids) > MAX_SOURCES:
        problems.add(["sourceIds"], f"at most {MAX_SOURCES} duplicates at once", UserErrorCode.TOO_MANY)
    found = await customers.get_many(org, source_ids) if source_ids else []
    stones = await merges.tombstones(org, source_ids) if source_ids else []
    sources: list[Doc] = []
    for i, (sid, doc, stone) in enumerate(zip(source_ids, found, stones, strict=True)):
        path: list[str | int] = ["sourceIds", i]
        kind = type_of_id(sid)
        if kind not in (None, "Customer"):
            problems.add(path, f"{sid} is a {kind} id, not a Customer id", UserErrorCode.WRONG_ID_TYPE)
        elif sid == target_id:
            problems.add(path, "the target cannot be merged into itself", UserErrorCode.INVALID)
        elif sid in source_ids[:i]:
            problems.add(path, f"{sid} is listed twice", UserErrorCode.DUPLICATE)
        elif doc is None and stone is not None:
            problems.add(path, f"{sid} was merged into {stone['mergedInto']} already", UserErrorCode.ALREADY_MERGED)
        elif doc is None:
            problems.add(path, f"no customer {sid} in this organization", UserErrorCode.NOT_FOUND)
        elif doc.get("mergingInto"):
            problems.add(path, f"{sid} is being merged into {doc['mergingInto']}", UserErrorCode.MERGE_IN_PROGRESS)
        else:
            sources.append(doc)
    return target, sources


async def moves(org: OrgDb, target: Doc, sources: list[Doc]) -> list[MergeMove]:
    ids = [s["id"] for s in sources]
    out = [MergeMove(what=what, count=await merges.count_by_customer(org, coll, ids))
           for coll, what in merges.MOVED_BY_CUSTOMER_ID.items()]
    kinds = await merges.timeline_counts(org, ids)
    notes = kinds.get("NOTE", 0)
    attachments = kinds.get("ATTACHMENT", 0)
    profiles = [p for p in await edd.get_many(org, ids) if p is not None]
    has_own = await edd.get(org, target["id"]) is not None
    out.append(MergeMove(what="EDD profile", count=0 if has_own else min(1, len(profiles))))
    out += [MergeMove(what="notes", count=notes), MergeMove(what="attachments", count=attachments),
            MergeMove(what="attachment files", count=await merges.count_attachment_files(org, ids)),
            MergeMove(what="other timeline events", count=sum(kinds.values()) - notes - attachments)]
    fields, _, _ = merged_fields(target, sources)
    for key, what in (("tags", "tags"), ("taxIds", "tax IDs")):
        before = list(target.get(key) or ())
        out.append(MergeMove(what=what, count=len(fields.get(key, before)) - len(before)))
    return out


def steps_of(job: Doc) -> list[str]:
    per = ["lock", "fields", *(f"move:{c}" for c in merges.MOVED_BY_CUSTOMER_ID), "edd", "counters", "jobs",
           "files", "timeline", "tombstone", "event", "delete"]
    return [f"{s}:{p}" for s in job["sourceIds"] for p in per] + ["aggregates"]


async def run(ctx: Context, job: Doc, *, stop_after: int | None = None, repeat: bool = False) -> None:
    """Runs the merge's remaining steps (each idempotent; see store/tables/merges.py). `repeat` runs every
    step twice before recording it, as a crash between a step's effect and its record would: for tests."""
    org, target_id = ctx.org, job["targetId"]
    done = set(job.get("done") or ())
    budget = [stop_after]

    def tick() -> None:
        if budget[0] is not None:
            budget[0] -= 1
            if budget[0] < 0:
                raise Interrupted

    for step in steps_of(job):
        if step in done:
            continue
        tick()
        for _ in range(2 if repeat else 1):
            t = now()
            if step == "aggregates":
                await merges.recompute_aggregates(org, target_id, t)
            else:
                sid, _, name = step.partition(":")
                await _source_step(ctx, job, sid, name, t, tick)
        await merges.mark_done(org, job["id"], step)
    await merges.finish_job(org, job["id"], now())


async def _source_step(ctx: Context, job: Doc, sid: str, name: str, t: datetime, tick: Any) -> None:
    org, target_id = ctx.org, job["targetId"]
    if name == "lock":
        await org[customers.COLLECTION].update_one(
            {"id": sid, "mergingInto": {"$in": [None, target_id]}}, {"$set": {"mergingInto": target_id}})
    elif name == "fields":
        while True:
            target, source = await customers.get(org, target_id), await customers.get(org, sid)
            if target is None or source is None:
                return
            changes, _, _ = merged_fields(target, [source])
            if not changes:
                return
            derived = customers.with_derived({**target, **changes})
            set_fields = {**changes, **{k: derived[k] for k in customers.DERIVED_FIELDS}}
            try:
                await customers.update(org, target_id, revision=target["revision"], set_fields=set_fields, now=t,
                                       timeline_event=False)
                return
            except RevisionConflict:
                continue
    elif name.startswith("move:"):
        await merges.move_by_customer(org, name.removeprefix("move:"), sid, target_id)
    elif name == "edd":
        await merges.move_edd_profile(org, sid, target_id)
    elif name == "counters":
        await merges.merge_coupon_counters(org, sid, target_id)
    elif name == "jobs":
        await _carry_jobs(org, sid, target_id, t)
    elif name == "files":
        await merges.move_attachment_files(org, sid, target_id)
    elif name == "timeline":
        while (event := await merges.oldest_event(org, sid)) is not None:
            tick()
            seq = await customers.next_timeline_seq(org, target_id)
            await merges.move_event(org, event["id"], sid, target_id, seq)
    elif name == "tombstone":
        snapshot = job["snapshots"][sid]
        await merges.insert_once(org, merges.TOMBSTONES, {
            "id": sid, "mergedInto": target_id, "mergeId": job["id"], "mergedTime": t, "snapshot": snapshot})
        # Customers merged into this source before now resolve to the target too.
        await org[merges.TOMBSTONES].update_many({"mergedInto": sid}, {"$set": {"mergedInto": target_id}})
        await org[customers.COLLECTION].update_one(
            {"id": target_id, "mergedIds": {"$ne": sid}}, {"$addToSet": {"mergedIds": sid}, "$inc": {"revision": 1}})
    elif name == "event":
        event_id = job["eventIds"][sid]
        if await org[timeline.COLLECTION].find_one({"id": event_id}, {"_id": 1}) is None:
            seq = await customers.next_timeline_seq(org, target_id)
            snapshot = job["snapshots"][sid]
            doc = timeline.event_doc(target_id, seq, "CUSTOMER_MERGED", job["actor"], t, {
                "mergedCustomerId": sid, "mergedCustomerName": snapshot["name"], "moved": job["moved"].get(sid, {}),
            }, f"Merged {snapshot['name']} ({sid}) into this customer")
            doc["id"] = event_id
            await merges.insert_once(org, timeline.COLLECTION, doc)
    elif name == "delete":
        await duplicate_ranking.forget_customer(org, sid)
        await org[customers.COLLECTION].delete_one({"id": sid, "mergingInto": target_id})


async def _carry_jobs(org: OrgDb, sid: str, target_id: str, t: datetime) -> None:
    """The source's recurring compliance work continues for the target (each `schedule` is a no-op when
    the target's job exists): its AML re-screening at the same due time, and the monthly EDD search of the
    profile the target now has, if EDD is required."""
    screening = await jobs.by_key(org, AML_RECURRING, sid)
    if screening is not None and screening["status"] in (jobs.PENDING, jobs.RUNNING):
        await jobs.schedule(org, AML_RECURRING, target_id, screening["dueTime"], t)
    profile = await edd.get(org, target_id)
    if profile is not None and profile.get("required"):
        await jobs.schedule(org, EDD_SEARCH, job_key(target_id, profile["activation"]),
                            profile.get("nextSearchTime") or t, t)


def _snapshot(doc: Doc) -> Doc:
    name = " ".join(x for x in (doc.get("firstName"), doc.get("lastName")) if x) or doc["id"]
    return {"name": f"{name} <{doc['email']}>" if doc.get("email") else name, "email": doc.get("email")}


def _ids(values: list[strawberry.ID]) -> list[str]:
    return [str(v) for v in values]


@strawberry.type
class MergeQueries:
    @strawberry.field(
        description="What merging these duplicates into the target would move, which fields conflict and which "
        "value is kept (rule in docs/data-tables.md), and what cannot be merged. Writes nothing."
    )
    async def customers_merge_preview(
        self, info: Info,
        source_ids: Annotated[list[strawberry.ID], strawberry.argument(description="The duplicates (1–10).")],
        target_id: Annotated[strawberry.ID, strawberry.argument(description="The customer that stays.")],
    ) -> CustomersMergePreview:
        ctx = info.context
        problems = Problems()
        target, sources = await check(ctx, problems, str(target_id), _ids(source_ids))
        if target is None or problems:
            return CustomersMergePreview(target=Customer.from_doc(target) if target else None,
                                         sources=[Customer.from_doc(s) for s in sources], moves=[], conflicts=[],
                                         not_merged=[], user_errors=problems.errors)
        _, conflicts, dropped = merged_fields(target, sources)
        return CustomersMergePreview(
            target=Customer.from_doc(target), sources=[Customer.from_doc(s) for s in sources],
            moves=await moves(ctx.org, target, sources), conflicts=conflicts, not_merged=dropped + NOT_MERGED,
            user_errors=[],
        )


async def merge(ctx: Context, target_id: str, source_ids: list[str], *, stop_after: int | None = None,
                repeat: bool = False) -> CustomersMergePayload:
    """Starts or resumes the merge of these customers (the same input resumes an interrupted merge)."""
    org = ctx.org
    problems = Problems()
    job = await merges.running_job(org, target_id, source_ids)
    if job is None:
        if await merges.completed_job(org, target_id, source_ids) is not None:  # a repeated request
            target = await customers.get(org, target_id)
            if target is not None:
                return CustomersMergePayload(customer=Customer.from_doc(target), merged_ids=[strawberry.ID(s) for s in source_ids],
                                             user_errors=[])
        target, sources = await check(ctx, problems, target_id, source_ids)
        if target is None or problems:
            return CustomersMergePayload(customer=None, merged_ids=[], user_errors=problems.errors)
        counted = {s["id"]: {m.what: m.count for m in await moves(org, target, [s]) if m.count} for s in sources}
        job = await merges.insert_job(org, {
            "id": new_id("mrg"), "targetId": target_id, "sourceIds": source_ids, "status": "RUNNING", "done": [],
            "eventIds": {s: new_id("tmln") for s in source_ids}, "snapshots": {s["id"]: _snapshot(s) for s in sources},
            "moved": counted, "actor": ctx.actor(), "createdTime": now(),
        })
    await run(ctx, job, stop_after=stop_after, repeat=repeat)
    for cid in [target_id, *source_ids]:
        forget(ctx.loaders.customer_by_id, cid)
        ctx.touched_customers.add(cid)
    target = await customers.get(org, target_id)
    return CustomersMergePayload(customer=Customer.from_doc(target) if target else None,
                                 merged_ids=[strawberry.ID(s) for s in source_ids], user_errors=[])


@strawberry.type
class MergeMutations:
    @mutation(
        "Merges duplicate customers into the target (the guide's *Merge duplicate customers*): their records move "
        "to it, its fields follow the documented rule, its payment count, revenue and lead status are computed "
        "again, and the duplicates' ids resolve to it afterwards. Resumable: repeating the same input after a "
        "failure finishes the merge."
    )
    async def customers_merge(self, info: Info, input: Annotated[CustomersMergeInput, INPUT]) -> CustomersMergePayload:
        return await merge(info.context, str(input.target_id), _ids(input.source_ids))
