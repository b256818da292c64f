"""The scheduler: durable due work claimed with a lease, run on an injectable clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from resolvers.scheduler import HANDLERS, FixedClock, JobRun, Retry, Worker, job_handler
from resolvers.settings import Settings
from store import jobs
from store.db import Store

T0 = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
RUNS: list[tuple[str, str, datetime]] = []  # (kind, key, clock time) of every handler call
FLAKY: dict[str, int] = {}


@job_handler("test.once")
async def once(run: JobRun) -> datetime | None:
    RUNS.append(("test.once", run.job["key"], run.now))
    # The effect: one document per job, guarded by a unique key like every real handler's steps.
    await run.org["test_effects"].update_one({"id": run.job["id"]}, {"$inc": {"n": 1}}, upsert=True)
    return None


@job_handler("test.monthly")
async def monthly(run: JobRun) -> datetime | None:
    RUNS.append(("test.monthly", run.job["key"], run.now))
    left = run.payload["times"] - sum(1 for k, key, _ in RUNS if k == "test.monthly" and key == run.job["key"])
    return run.job["dueTime"] + timedelta(days=30) if left > 0 else None


@job_handler("test.flaky")
async def flaky(run: JobRun) -> datetime | None:
    RUNS.append(("test.flaky", run.job["key"], run.now))
    FLAKY[run.job["key"]] = FLAKY.get(run.job["key"], 0) + 1
    if FLAKY[run.job["key"]] <= run.payload["failures"]:
        raise RuntimeError(f"gateway down (call {FLAKY[run.job['key']]})")
    return None


@job_handler("test.later")
async def later(run: JobRun) -> datetime | None:
    RUNS.append(("test.later", run.job["key"], run.now))
    if run.job["attempts"] == 1:
        raise Retry(run.now + timedelta(hours=6), "declined; retry in 6 hours")
    return None


def worker(store: Store, clock: FixedClock, kinds: list[str], owner: str | None = None) -> Worker:
    w = Worker(store, Settings(mongodb_uri=None), clock=clock, kinds=kinds, lease=timedelta(seconds=60))
    if owner:
        w.owner = owner
    return w


def setup_function() -> None:
    RUNS.clear()
    FLAKY.clear()


async def test_scheduling_the_same_key_twice_makes_one_job(store: Store) -> None:
    org = store.for_org("org_a")
    first = await jobs.schedule(org, "test.once", "k1", T0, T0)
    again = await jobs.schedule(org, "test.once", "k1", T0 + timedelta(days=1), T0)
    assert again["id"] == first["id"] and again["dueTime"] == T0
    assert await org[jobs.COLLECTION].count({"kind": "test.once"}) == 1
    # The same key in another organization is another job.
    other = await jobs.schedule(store.for_org("org_b"), "test.once", "k1", T0, T0)
    assert other["id"] != first["id"]


async def test_due_jobs_run_in_due_order_and_future_ones_wait_for_the_clock(store: Store) -> None:
    org = store.for_org("org_a")
    for key, hours in (("c", 3), ("a", 1), ("b", 2), ("future", 48)):
        await jobs.schedule(org, "test.once", key, T0 + timedelta(hours=hours), T0)
    clock = FixedClock(T0 + timedelta(hours=5))
    assert await worker(store, clock, ["test.once"]).run_due() == 3
    assert [key for _, key, _ in RUNS] == ["a", "b", "c"]
    assert (await jobs.by_key(org, "test.once", "future"))["status"] == jobs.PENDING
    clock.advance(timedelta(days=2))
    assert await worker(store, clock, ["test.once"]).run_due() == 1
    assert all(d["n"] == 1 for d in await org["test_effects"].find_list({}))
    assert {d["status"] for d in await org[jobs.COLLECTION].find_list({})} == {jobs.DONE}


async def test_recurring_work_runs_once_per_period_as_the_clock_moves(store: Store) -> None:
    org = store.for_org("org_a")
    await jobs.schedule(org, "test.monthly", "sub_1", T0, T0, {"times": 12})
    clock = FixedClock(T0)
    w = worker(store, clock, ["test.monthly"])
    for _ in range(14):  # two more months than it runs: nothing extra happens
        await w.run_due()
        clock.advance(timedelta(days=30))
    times = [t for kind, _, t in RUNS]
    assert times == [T0 + timedelta(days=30 * i) for i in range(12)]
    assert (await jobs.by_key(org, "test.monthly", "sub_1"))["status"] == jobs.DONE


async def test_a_failing_handler_is_retried_with_backoff_then_marked_failed(store: Store) -> None:
    org = store.for_org("org_a")
    await jobs.schedule(org, "test.flaky", "recovers", T0, T0, {"failures": 2})
    await jobs.schedule(org, "test.flaky", "never", T0, T0, {"failures": 99}, max_attempts=3)
    clock = FixedClock(T0)
    w = worker(store, clock, ["test.flaky"])
    assert await w.run_due() == 2  # both failed once; retried in 30 s, not now
    job = await jobs.by_key(org, "test.flaky", "recovers")
    assert (job["status"], job["dueTime"], job["lastError"]) == (
        jobs.PENDING, T0 + timedelta(seconds=30), "RuntimeError: gateway down (call 1)")
    for _ in range(5):
        clock.advance(timedelta(minutes=5))
        await w.run_due()
    recovered = await jobs.by_key(org, "test.flaky", "recovers")
    failed = await jobs.by_key(org, "test.flaky", "never")
    assert (recovered["status"], recovered["attempts"], FLAKY["recovers"]) == (jobs.DONE, 3, 3)
    assert (failed["status"], failed["attempts"], failed["lastError"]) == (
        jobs.FAILED, 3, "RuntimeError: gateway down (call 3)")


async def test_retry_requests_run_again_at_the_asked_time(store: Store) -> None:
    org = store.for_org("org_a")
    await jobs.schedule(org, "test.later", "inv_1", T0, T0)
    clock = FixedClock(T0)
    w = worker(store, clock, ["test.later"])
    await w.run_due()
    clock.advance(timedelta(hours=5, minutes=59))
    assert await w.run_due() == 0
    clock.advance(timedelta(minutes=1))
    assert await w.run_due() == 1
    assert [t for _, _, t in RUNS] == [T0, T0 + timedelta(hours=6)]


async def test_a_dead_workers_lease_runs_out_and_another_worker_finishes_the_job(store: Store) -> None:
    org = store.for_org("org_a")
    await jobs.schedule(org, "test.once", "k", T0, T0)
    claimed = await jobs.claim(store, "dead-worker", T0, timedelta(seconds=60), ["test.once"])
    assert claimed is not None and claimed["leaseOwner"] == "dead-worker"
    clock = FixedClock(T0 + timedelta(seconds=30))
    alive = worker(store, clock, ["test.once"], owner="alive")
    assert await alive.run_due() == 0  # the lease still holds
    clock.advance(timedelta(seconds=31))
    assert await alive.run_due() == 1
    assert not await jobs.finish(store, claimed, "dead-worker", clock.now())  # the old owner lost it
    job = await jobs.by_key(org, "test.once", "k")
    assert (job["status"], job["attempts"]) == (jobs.DONE, 2)
    assert [d["n"] for d in await org["test_effects"].find_list({})] == [1]


async def test_two_workers_share_a_batch_and_run_each_job_once(store: Store) -> None:
    orgs = [store.for_org("org_a"), store.for_org("org_b")]
    for i in range(40):
        await jobs.schedule(orgs[i % 2], "test.once", f"k{i}", T0 + timedelta(seconds=i), T0)
    clock = FixedClock(T0 + timedelta(minutes=1))
    a, b = worker(store, clock, ["test.once"], "a"), worker(store, clock, ["test.once"], "b")
    ran = await asyncio.gather(a.run_due(), b.run_due())
    assert sum(ran) == 40
    assert sorted(key for _, key, _ in RUNS) == sorted(f"k{i}" for i in range(40))
    for org in orgs:  # each job's effect happened once, in its own organization
        effects = await org["test_effects"].find_list({})
        assert len(effects) == 20 and {d["n"] for d in effects} == {1}


def test_every_registered_kind_has_one_handler() -> None:
    assert {"test.once", "test.monthly", "test.flaky", "test.later"} <= set(HANDLERS)


async def test_metrics_show_jobs_run_and_how_late_they_started(store: Store, http) -> None:
    org = store.for_org("org_a")
    await jobs.schedule(org, "test.once", "late", T0, T0)
    await worker(store, FixedClock(T0 + timedelta(seconds=7)), ["test.once"]).run_due()
    text = (await http.get("/metrics")).text
    assert 'scheduler_jobs_total{kind="test.once",outcome="done"}' in text
    lag = [line for line in text.splitlines() if line.startswith('scheduler_lag_seconds_bucket{le="5.0"}')]
    late = [line for line in text.splitlines() if line.startswith('scheduler_lag_seconds_bucket{le="10.0"}')]
    assert float(late[0].split()[-1]) - float(lag[0].split()[-1]) >= 1  # the 7 s late start is counted
