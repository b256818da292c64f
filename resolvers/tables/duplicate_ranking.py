"""The organization-wide duplicate ranking (store/tables/duplicate_ranking.py): computed by a recurring
scheduler job, read best first with `customerDuplicatePairs`, refreshed on demand with
`customerDuplicateRankingRefresh`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from resolvers import pagination
from resolvers.auth import mutation
from resolvers.context import INPUT, Info, now
from resolvers.scheduler import JobRun, job_handler
from schema.common import After, Before, Connection, First, Last, Problems, UserErrorCode, page_of
from schema.tables.duplicates import (
    CustomerDuplicateRankingRefreshInput,
    CustomerDuplicateRankingRefreshPayload,
    DuplicatePair,
    DuplicateRanking,
    DuplicateReason,
)
from store import jobs
from store.db import Doc, OrgDb
from store.tables import duplicate_ranking as ranking

RANKING_JOB = "tables.duplicate-ranking"
KEY = "ranking"
CURSOR = "DUPLICATE_SCORE"
MAX_AHEAD = timedelta(days=30)


@job_handler(RANKING_JOB)
async def refresh_ranking(run: JobRun) -> datetime | None:
    """Computes every pair, publishes them as the ranking and runs again after the refresh interval. The
    scan id is fixed by the job's due time, so a run that crashed and is taken up again writes the same scan."""
    scan_id = f"{run.job['id']}:{run.job['dueTime'].isoformat()}"
    pairs = await ranking.compute(run.org)
    await ranking.write_scan(run.org, scan_id, pairs, run.now)
    await ranking.publish(run.org, scan_id, len(pairs), run.now)
    return run.clock.now() + timedelta(minutes=run.settings.duplicate_ranking_refresh_minutes)


async def ranking_state(org: OrgDb) -> DuplicateRanking:
    state, job = await ranking.state(org), await jobs.by_key(org, RANKING_JOB, KEY)
    return DuplicateRanking(
        refreshed_time=state.get("refreshedTime") if state else None,
        pair_count=int(state.get("pairCount", 0)) if state else 0,
        next_refresh_time=job["dueTime"] if job is not None and job["status"] == jobs.PENDING else None,
        refreshing=job is not None and job["status"] == jobs.RUNNING,
    )


def _pair(d: Doc) -> DuplicatePair:
    return DuplicatePair(id=strawberry.ID(d["id"]), score=d["score"], reasons=[DuplicateReason[r] for r in d["reasons"]],
                         _customer_ids=list(d["customerIds"]))


@strawberry.type
class DuplicateRankingQueries:
    @strawberry.field(
        description="Every pair of customers in the organization that look like the same person, best score first "
        "(ties by pair id, last first): the organization-wide ranking for *Merge duplicate customers*. Computed in the background "
        "(see `customerDuplicateRanking`); empty before the first `customerDuplicateRankingRefresh`."
    )
    async def customer_duplicate_pairs(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[DuplicatePair]:
        page = page_of(first, after, last, before)
        org = info.context.org
        at = pagination.position(page, CURSOR, int)
        state = await ranking.state(org)
        scan_id = state["scanId"] if state else None
        docs, has_next = await ranking.page(org, scan_id, at, page.size, page.backward) if scan_id else ([], False)

        async def total() -> int:
            return await ranking.count(org, scan_id) if scan_id else 0

        return pagination.connection(page, docs, has_next, sort=CURSOR, key="score", node=_pair, count=total)

    @strawberry.field(description="How current the duplicate ranking is, and when it is computed next.")
    async def customer_duplicate_ranking(self, info: Info) -> DuplicateRanking:
        return await ranking_state(info.context.org)


@strawberry.type
class DuplicateRankingMutations:
    @mutation(
        "Computes the organization's duplicate ranking (`customerDuplicatePairs`) in the background, now or at `at`; "
        "afterwards it is computed again every `DUPLICATE_RANKING_REFRESH_MINUTES`."
    )
    async def customer_duplicate_ranking_refresh(
        self, info: Info, input: Annotated[CustomerDuplicateRankingRefreshInput, INPUT]
    ) -> CustomerDuplicateRankingRefreshPayload:
        org, t, problems = info.context.org, now(), Problems()
        at = input.at or t
        if at.tzinfo is None:
            problems.add(["at"], "give a time with its timezone, e.g. `2026-12-01T10:00:00Z`", UserErrorCode.INVALID)
        elif at > t + MAX_AHEAD:
            problems.add(["at"], "at most 30 days ahead", UserErrorCode.INVALID)
        if problems:
            return CustomerDuplicateRankingRefreshPayload(ranking=None, user_errors=problems.errors)
        at = max(at, t)
        job = await jobs.schedule(org, RANKING_JOB, KEY, at, t)
        if job["status"] == jobs.PENDING and job["dueTime"] != at:
            await jobs.reschedule(org, RANKING_JOB, KEY, at, t)
        elif job["status"] in (jobs.DONE, jobs.FAILED, jobs.CANCELED):
            await jobs.revive(org, RANKING_JOB, KEY, at, t)
        return CustomerDuplicateRankingRefreshPayload(ranking=await ranking_state(org), user_errors=[])
