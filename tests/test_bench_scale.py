"""The scale benchmark (`python -m bench --scale`, docs/store.md) runs end to end on the test server:
a small data set is bulk-loaded and each operation is timed and checked (pages full, the customer found,
the update applied), so the benchmark cannot rot between its long runs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pymongo import AsyncMongoClient

from bench.scale import SCALE_SPEC, goal, markdown, run_size


@pytest.mark.slow
async def test_scale_benchmark_loads_and_times_every_operation(mongodb_uri: str, mongo_client: AsyncMongoClient) -> None:
    spec = replace(SCALE_SPEC, customers=250)
    try:
        result = await run_size(mongodb_uri, spec, samples=2, budget=30)
    finally:
        await mongo_client.drop_database(f"bench_scale_{spec.customers}")
    assert result["counts"]["customers"] == 250 and result["counts"]["timeline_events"] >= 500
    ops = result["ops"]
    assert set(ops) == {"page", "detail", "update"}
    for r in ops.values():
        assert r["samples"] == 2 and 0 < r["p50_ms"] <= r["p99_ms"] == r["max_ms"]
    assert ops["page"]["round_trips"] <= 3  # one keyset page (+ tags), however deep the cursor
    sizes = [{"customers": 250, **result}]
    assert goal(sizes).startswith(("met", "NOT met"))
    assert "| page |" in markdown({"time": "t", "server": "s", "sizes": sizes, "goal": goal(sizes)})
