"""Where the gateway spends its CPU on a scenario: `python -m bench.profile [SCENARIO] [--requests N]`.

Runs the gateway in this process over ASGI on the quick data set under pyinstrument (the `bench`
extra) and writes the call tree to `bench/results/profile-<scenario>.txt`. Time spent waiting for the
document server shows up under the event loop's `select`; everything else is the gateway's own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from pyinstrument import Profiler

from bench.apps import RoundTrips
from bench.dataset import QUICK, load
from bench.quick import Paths
from bench.scenarios import SCENARIOS
from store.db import Store, make_client
from store.ferretdb import FerretDB

RESULTS = Path(__file__).resolve().parent / "results"


async def profile(uri: str, name: str, requests: int) -> str:
    store = Store(make_client(uri, listeners=[RoundTrips()]), "bench_quick")
    try:
        loaded = await load(store, QUICK)
        paths = Paths(store, loaded)
        s = SCENARIOS[name]
        for i in range(3):  # warm up: caches, pool, imports
            await paths.call("gateway", s, i)
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        for i in range(requests):
            await paths.call("gateway", s, 10 + i)
        profiler.stop()
        await paths.close()
    finally:
        await store.close()
    return by_package(profiler) + "\n\n" + profiler.output_text(unicode=False, color=False, show_all=False)


def _package(path: str | None) -> str:
    """The library (or project layer) a source file belongs to."""
    if not path:
        return "<builtin>"
    if path == "<fast path plan>":  # resolvers/plans.py writes the plans out as Python functions
        return "resolvers (generated plans)"
    parts = Path(path).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    for layer in ("resolvers", "schema", "store", "bench"):
        if layer in parts:
            return layer
    return Path(path).parent.name or "<stdlib>"


def by_package(profiler: Profiler) -> str:
    """Self time per library, idle time (waiting in `select`/`epoll`) listed separately."""
    session = profiler.last_session
    assert session is not None
    totals: dict[str, float] = {}
    stack = [(session.root_frame(), "<stdlib>")]
    while stack:
        frame, parent = stack.pop()
        if frame is None:
            continue
        # Built-in functions (no source file) count for the library that called them.
        where = _package(frame.file_path) if frame.file_path else parent
        if "poll" in (frame.function or ""):
            where = "idle (waiting for the document server)"
        stack.extend((child, where) for child in frame.children)
        own = frame.time - sum(child.time for child in frame.children)
        totals[where] = totals.get(where, 0.0) + own
    busy = sum(v for k, v in totals.items() if not k.startswith("idle"))
    lines = ["| where | seconds | share of busy time |", "|---|---:|---:|"]
    for name, secs in sorted(totals.items(), key=lambda kv: -kv[1]):
        share = "" if name.startswith("idle") else f"{secs / busy:.0%}"
        lines.append(f"| {name} | {secs:.3f} | {share} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profile")
    p.add_argument("scenario", nargs="?", default="dashboard-100", choices=sorted(SCENARIOS))
    p.add_argument("--requests", type=int, default=10)
    args = p.parse_args()
    uri = os.environ.get("MONGODB_URI")
    server = None
    if not uri:
        server = FerretDB(Path(tempfile.gettempdir()) / "customer-graph-bench" / "ferretdb")
        uri = server.start()
    try:
        text = asyncio.run(profile(uri, args.scenario, args.requests))
    finally:
        if server:
            server.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"profile-{args.scenario}.txt"
    out.write_text(text)
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
