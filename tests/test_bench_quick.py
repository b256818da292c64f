"""The quick benchmark guards performance by ratios: round trips must not grow with page size, and the
gateway's CPU per dashboard page must stay within a measured multiple of the hand-written limit."""

from __future__ import annotations

import pytest

from bench.quick import run_quick
from store.db import Store
from tests.helpers import CommandCounter

# Measured on the 2-core development machine (docs/performance.md): the dashboard page of 100 costs the
# gateway 4.9x the limit's CPU in quick mode with the shortcut for plain fields (5.6x over HTTP; stock
# execution 6.7x in `python -m bench.ab`). The guard sits at 9x - nearly twice today's cost, so a loaded
# machine does not flake it - and far below what the known mistakes cost (an async leaf resolver, an
# async schema extension or a declared custom directive each multiply execution by about 10). That the
# shortcut itself stays on is checked by tests/test_executor_differential.py.
MAX_DASHBOARD_CPU_RATIO = 9.0
MAX_DASHBOARD_ROUND_TRIPS = 6


@pytest.mark.slow
async def test_quick_benchmark_round_trips_stay_flat_and_cpu_ratio_holds(
    store: Store, commands: CommandCounter
) -> None:
    results = await run_quick(store, lambda: commands.count(store.db.name))
    rows = results["scenarios"]

    trips = {n: rows[f"dashboard-{n}"]["roundTrips"]["gateway"] for n in (10, 50, 100)}
    assert trips[10] == trips[50] == trips[100], trips
    assert trips[100] <= MAX_DASHBOARD_ROUND_TRIPS, trips
    assert rows["dashboard-100"]["roundTrips"]["gateway"] <= rows["dashboard-100"]["roundTrips"]["limit"] + 1

    ratio = rows["dashboard-100"]["cpuRatio"]
    assert ratio <= MAX_DASHBOARD_CPU_RATIO, rows["dashboard-100"]
