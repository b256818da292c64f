"""The two ASGI apps the benchmark compares, and the bench-only counters around them.

* `gateway_app`: the real gateway (`resolvers.app.create_app`) on a store whose client carries a
  round-trip counter.
* `limit_app`: a plain Starlette route per scenario running the scenario's limit twin.

Both are wrapped by `Counted`, which counts requests and answers `GET /bench/stats` with the process's
CPU seconds, request and DB command counts, and resident memory (current and peak), so the runner can
take before/after deltas from outside the process.
"""

from __future__ import annotations

import gc
import os
import resource
import threading
import time
from typing import Any

import orjson
from pymongo import monitoring
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.scenarios import SCENARIOS
from resolvers.app import create_app
from resolvers.settings import Settings
from store.db import Store

HOUSEKEEPING = {
    "hello",
    "ismaster",
    "isMaster",
    "ping",
    "endSessions",
    "saslStart",
    "saslContinue",
    "buildInfo",
}


class RoundTrips(monitoring.CommandListener):
    """Counts commands sent to the document server (housekeeping excluded), by command name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.by_name: dict[str, int] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in HOUSEKEEPING:
            with self._lock:
                self.total += 1
                self.by_name[event.command_name] = self.by_name.get(event.command_name, 0) + 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _rss_kb() -> tuple[int, int]:
    """(current, peak) resident set size of this process in KiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            current = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        current = peak
    return current, peak


class GcClock:
    """CPU seconds this process spends in the cyclic garbage collector, and collections per generation."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start
            self.collections[info["generation"]] += 1


# One per process: the collector is the process's, and a callback per app would run on every collection.
GC_CLOCK = GcClock()


class Counted:
    """Counts the requests an app serves and answers `/bench/stats`."""

    def __init__(self, app: ASGIApp, trips: RoundTrips) -> None:
        self.app = app
        self.trips = trips
        self.requests = 0
        self.in_flight = 0  # requests still being served (wrk leaves some when its time is up)
        self.gc = GC_CLOCK

    def stats(self) -> dict[str, Any]:
        rss, peak = _rss_kb()
        return {
            "requests": self.requests,
            "inFlight": self.in_flight,
            "commands": self.trips.total,
            "commandsByName": dict(self.trips.by_name),
            "cpu": time.process_time(),  # ns resolution, all threads
            "gcCpu": self.gc.seconds,  # of which in the cyclic garbage collector
            "gcCollections": list(self.gc.collections),
            "wall": time.perf_counter(),
            "rssKb": rss,
            "peakRssKb": peak,
            "pid": os.getpid(),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/bench/stats":
            await Response(orjson.dumps(self.stats()), media_type="application/json")(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


def gateway_app(store: Store, trips: RoundTrips, **overrides: Any) -> Counted:
    # The cost of every request is computed and checked against MAX_QUERY_COST as in production. The key's
    # bucket is off: it is shared through the store (resolvers/edge/budget.py), so taking from it costs a
    # store visit (2 commands) whenever the process's hold runs short or lapses (every ~4 s), which would
    # make the per-request round trips measured here depend on timing; `python -m bench.budget` measures
    # that cost side by side instead. The query timeout is long so a stock gateway on a loaded machine is
    # measured rather than stopped; responses leave out `extensions.cost` so they stay byte-identical to
    # the limit twin's.
    overrides = {"cost_bucket_size": 0, "query_timeout_seconds": 600.0,
                 "cost_in_extensions": False, **overrides}
    settings = Settings(
        # Keys cached and the revocation epoch read once an hour: like the key lookup, the once-a-second
        # epoch read is not part of what a query costs, so it stays out of the round trips measured.
        mongodb_uri=None, graphiql_enabled=False, api_key_cache_seconds=3600, api_key_revocation_check_seconds=3600,
        mask_errors=True, **overrides
    )
    return Counted(create_app(settings, store), trips)


def limit_app(store: Store, org_id: str, trips: RoundTrips) -> Counted:
    org = store.for_org(org_id)

    def route(name: str) -> Route:
        twin = SCENARIOS[name].limit

        async def endpoint(request: Request) -> Response:
            body = orjson.loads(await request.body())
            return Response(
                orjson.dumps(await twin(org, body.get("variables") or {})), media_type="application/json"
            )

        return Route(f"/limit/{name}", endpoint, methods=["POST"])

    return Counted(Starlette(routes=[route(name) for name in SCENARIOS]), trips)
