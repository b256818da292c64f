"""Enhanced Due Diligence: `customerEddSet` (*EDD is required for this customer*), `customerEddScoresUpdate`
(*Edit manual scores*), `Customer.edd` with the effective, manual and automatic scores, the next
automatic search date and the search logs, and the monthly automatic search.

The guide's rule: a manual score is never overwritten by the automatic search, whose logs are still
collected (`applied: false`). The monthly searches are scheduler jobs (`compliance.edd_search`, one
per activation: key `<customer id>:<activation>`), so turning EDD off and on again starts a fresh
schedule and a job of an earlier activation does nothing.
"""

from __future__ import annotations

import calendar
from datetime import datetime

import strawberry

from resolvers.auth import mutation
from resolvers.compliance.edd_search import FACTORS, PROVIDER
from resolvers.context import Context, Info, context_method, now
from resolvers.loaders import forget
from resolvers.money import money
from resolvers.scheduler import JobRun, job_handler
from schema.common import ClientError, Problems, UserErrorCode
from schema.compliance.edd import CustomerEdd, CustomerEddPayload, CustomerEddScoresUpdateInput, CustomerEddSetInput, EddSearchLog
from store import jobs
from store.activity import timeline
from store.compliance import edd
from store.customers import customers
from store.db import Doc, OrgDb
from store.ids import new_id

ACTOR = {"type": "SYSTEM", "id": None, "name": "EDD search"}
EDD_SEARCH = "compliance.edd_search"
MAX_RETRIES = 5


def next_month(t: datetime) -> datetime:
    """The same day and time a month later (the month's last day when it is shorter)."""
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    return t.replace(year=year, month=month, day=min(t.day, calendar.monthrange(year, month)[1]))


def new_profile(customer_id: str, t: datetime) -> Doc:
    return {
        "customerId": customer_id, "required": False, "manualScores": None, "automaticScores": None,
        "manualUpdatedTime": None, "manualUpdatedBy": None, "lastSearchTime": None, "nextSearchTime": None,
        "activation": 0, "createdTime": t, "updatedTime": t, "revision": 1,
    }


def job_key(customer_id: str, activation: int) -> str:
    return f"{customer_id}:{activation}"


async def search(org: OrgDb, customer: Doc, t: datetime, activation: int) -> Doc | None:
    """One automatic search: logs every factor, updates the automatic scores and the next search date.
    Manual scores stay as they are (the logs say `applied: false` for the factors they cover). Does
    nothing (None) when EDD was turned off, or on again since (another activation)."""
    profile = await edd.get(org, customer["id"])
    if profile is None or not profile["required"] or profile.get("activation") != activation:
        return None
    results = await PROVIDER.search(customer)
    manual = profile.get("manualScores") or {}
    for r in results:
        await edd.insert_log(org, {
            "id": new_id("edd_log"), "customerId": customer["id"], "factor": r.factor, "likelihood": r.likelihood,
            "applied": not manual.get(r.factor), "provider": PROVIDER.name, "time": t,
            "results": [{"url": u, "details": d} for u, d in r.results],
        })
    changes = {"automaticScores": {r.factor: r.likelihood for r in results}, "lastSearchTime": t,
               "nextSearchTime": next_month(t)}
    for _ in range(MAX_RETRIES):  # a concurrent manual edit only bumps the revision: re-read and apply
        moved = await edd.update(org, customer["id"], profile["revision"], changes, t)
        if moved is not None:
            kept = [f for f in FACTORS if (moved.get("manualScores") or {}).get(f)]
            note = f" (manual scores kept: {', '.join(kept)})" if kept else ""
            await timeline.record(org, customer["id"], "EDD_SEARCH_PERFORMED", ACTOR, t,
                                  {"manualKept": kept}, f"EDD automatic search performed{note}")
            return moved
        profile = await edd.get(org, customer["id"])
        if profile is None or profile.get("activation") != activation:
            return None
    return profile


@job_handler(EDD_SEARCH)
async def monthly_search(run: JobRun) -> datetime | None:
    """The automatic EDD search of one customer's activation; runs again a month later while it lasts."""
    customer_id, _, activation = run.job["key"].rpartition(":")
    customer = await customers.get(run.org, customer_id)
    if customer is None:
        return None
    done = await search(run.org, customer, run.now, int(activation))
    return next_month(run.now) if done is not None else None


async def _profile(ctx: Context, problems: Problems, customer_id: str) -> Doc | None:
    customer = await money.load_customer(ctx.org, problems, ["customerId"], customer_id)
    if customer is None:
        return None
    return await edd.create(ctx.org, {**new_profile(customer["id"], now())})


async def _set(ctx: Context, inp: CustomerEddSetInput) -> CustomerEddPayload:
    problems, t = Problems(), now()
    profile = await _profile(ctx, problems, str(inp.customer_id))
    if profile is None:
        return CustomerEddPayload(edd=None, user_errors=problems.errors)
    for _ in range(MAX_RETRIES):
        if profile["required"] == inp.required:
            return CustomerEddPayload(edd=CustomerEdd.from_doc(profile), user_errors=[])
        changes: Doc = {"required": inp.required}
        if inp.required:  # a new activation: its first automatic search is due at once
            changes.update({"nextSearchTime": t, "activation": profile.get("activation", 0) + 1})
        moved = await edd.update(ctx.org, profile["customerId"], profile["revision"], changes, t)
        if moved is not None:
            key = job_key(moved["customerId"], moved["activation"])
            if inp.required:
                await jobs.schedule(ctx.org, EDD_SEARCH, key, t, t)
            else:
                await jobs.cancel(ctx.org, EDD_SEARCH, key, t)
            await timeline.record(ctx.org, profile["customerId"], "EDD_CHANGED", ctx.actor(), t,
                                  {"required": inp.required}, "EDD required" if inp.required else "EDD no longer required")
            forget(ctx.loaders.edd_by_customer_id, profile["customerId"])
            return CustomerEddPayload(edd=CustomerEdd.from_doc(moved), user_errors=[])
        profile = await edd.get(ctx.org, profile["customerId"]) or profile
    problems.add(["customerId"], "the EDD kept changing meanwhile; try again", UserErrorCode.REVISION_CONFLICT)
    return CustomerEddPayload(edd=None, user_errors=problems.errors)


async def _scores(ctx: Context, inp: CustomerEddScoresUpdateInput) -> CustomerEddPayload:
    problems, t = Problems(), now()
    profile = await _profile(ctx, problems, str(inp.customer_id))
    if profile is None:
        return CustomerEddPayload(edd=None, user_errors=problems.errors)
    if not profile["required"]:
        problems.add(["customerId"], "EDD is not required for this customer: turn it on first (customerEddSet)",
                     UserErrorCode.EDD_NOT_REQUIRED)
        return CustomerEddPayload(edd=CustomerEdd.from_doc(profile), user_errors=problems.errors)
    if inp.expected_revision is not None and inp.expected_revision != profile["revision"]:
        problems.add(["expectedRevision"], f"the EDD is at revision {profile['revision']}", UserErrorCode.REVISION_CONFLICT)
        return CustomerEddPayload(edd=CustomerEdd.from_doc(profile), user_errors=problems.errors)
    scores = {f: getattr(inp, f).name for f in FACTORS}
    actor = ctx.actor()
    moved = await edd.update(ctx.org, profile["customerId"], profile["revision"],
                             {"manualScores": scores, "manualUpdatedTime": t, "manualUpdatedBy": actor["name"]}, t)
    if moved is None:
        problems.add(["expectedRevision"], "the EDD changed meanwhile", UserErrorCode.REVISION_CONFLICT)
        return CustomerEddPayload(edd=None, user_errors=problems.errors)
    await timeline.record(ctx.org, profile["customerId"], "EDD_SCORES_UPDATED", actor, t, {"scores": scores},
                          "EDD scores updated by hand: " + ", ".join(f"{f} {v.lower().replace('_', ' ')}" for f, v in scores.items()))
    forget(ctx.loaders.edd_by_customer_id, profile["customerId"])
    return CustomerEddPayload(edd=CustomerEdd.from_doc(moved), user_errors=[])


@context_method
async def edd_search_logs(ctx: Context, customer_id: str, first: int) -> list[EddSearchLog]:
    if not 1 <= first <= 100:
        raise ClientError("`first` must be between 1 and 100")
    return [EddSearchLog.from_doc(d) for d in await edd.logs_of(ctx.org, customer_id, first)]


@strawberry.type
class EddMutations:
    @mutation(
        "*EDD is required for this customer* on or off. On: the first automatic search is due at once, then monthly; "
        "`Customer.edd.nextSearchTime` shows when."
    )
    async def customer_edd_set(self, info: Info, input: CustomerEddSetInput) -> CustomerEddPayload:
        return await _set(info.context, input)

    @mutation(
        "*Edit manual scores*: a likelihood per risk factor, confirmed outside the gateway. Manual scores are never "
        "overwritten by the automatic search (its logs are still kept). EDD must be required (EDD_NOT_REQUIRED)."
    )
    async def customer_edd_scores_update(self, info: Info, input: CustomerEddScoresUpdateInput) -> CustomerEddPayload:
        return await _scores(info.context, input)
