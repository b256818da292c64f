"""The quick benchmark guards performance by ratios: round trips must not grow with page size, and the
gateway's CPU per dashboard page must stay within a measured multiple of the hand-written limit."""

from __future__ import annotations

import pytest

from bench.quick import run_quick
from resolvers.fastpath import FastPathMixin
from store.db import Store
from tests.helpers import CommandCounter

# Measured on the 2-core development machine (docs/performance.md): with the compiled fast path the
# dashboard page of 100 costs the gateway about 2x the limit's CPU in quick mode (in-process, the test
# client's own CPU counted on both sides; 1.8x server-side only, 2.4-2.7x over HTTP in separate
# processes); with the fast path off 3.3-4.6x, stock execution 5.4-6.2x (`python -m bench.ab`). The
# guard sits at 3.5x - 75% above today, so a loaded machine does not flake it - and below the known
# mistakes (an async leaf resolver, an async schema extension or a declared custom directive each
# multiply execution by about 10). That plans really answer the dashboards is checked here too.
MAX_DASHBOARD_CPU_RATIO = 3.5
MAX_DASHBOARD_ROUND_TRIPS = 6
# billing-100 (two connection fields per customer, little data each): 2.3-3.0x in quick mode since the
# fast path calls Strawberry's resolvers without their per-call wrapper (3.1-3.5x before, same runs;
# docs/performance.md "billing-100"). The guard sits at 5x, with the same kind of margin for load.
MAX_BILLING_CPU_RATIO = 5.0


@pytest.mark.slow
async def test_quick_benchmark_round_trips_stay_flat_and_cpu_ratio_holds(
    store: Store, commands: CommandCounter
) -> None:
    planned = FastPathMixin.stats["planned"]
    results = await run_quick(store, lambda: commands.count(store.db.name))
    # every query scenario's requests ran on a plan (standard execution would be correct, and slow)
    assert FastPathMixin.stats["planned"] - planned >= 5 * 4 * 2
    rows = results["scenarios"]

    trips = {n: rows[f"dashboard-{n}"]["roundTrips"]["gateway"] for n in (10, 50, 100)}
    assert trips[10] == trips[50] == trips[100], trips
    assert trips[100] <= MAX_DASHBOARD_ROUND_TRIPS, trips
    assert rows["dashboard-100"]["roundTrips"]["gateway"] <= rows["dashboard-100"]["roundTrips"]["limit"] + 1

    ratio = rows["dashboard-100"]["cpuRatio"]
    assert ratio <= MAX_DASHBOARD_CPU_RATIO, rows["dashboard-100"]

    # billing (issue 11): the billing dashboard (active subscriptions and latest invoices of 100 customers)
    # is measured beside its limit twin; the guard catches regressions, not the 2.5x target.
    billing = rows["billing-100"]
    assert billing["roundTrips"]["gateway"] <= MAX_DASHBOARD_ROUND_TRIPS, billing
    assert billing["cpuRatio"] <= MAX_BILLING_CPU_RATIO, billing
