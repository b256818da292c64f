"""The full run: both apps in their own uvicorn processes on loopback, loaded with wrk.

Per scenario: the responses of both paths are checked equal; then a serial phase (a fixed number of
requests, one at a time) gives CPU time per request of each server process and DB round trips per
request; then wrk at 1, 8 and 32 connections gives req/s and p50/p90/p99. Mutations run at a fixed rate
from a Python loop instead (each request needs its own body). Results go to `out` as JSON and Markdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import orjson

from bench.dataset import Loaded, Spec, load
from bench.quick import QUERY_SCENARIOS, canonical
from bench.scenarios import MUTATION_SCENARIOS, SCENARIOS, Scenario
from store.db import Store, make_client

REPO = Path(__file__).resolve().parent.parent
CONNECTIONS = (1, 8, 32)
SERIAL_REQUESTS = 20
SERIAL_SECONDS = 30.0
MUTATION_RATE = 10.0  # requests per second
MUTATION_REQUESTS = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(pid: int, cores: set[int]) -> None:
    with contextlib.suppress(AttributeError, OSError):
        if len(os.sched_getaffinity(0) | cores) > 1:
            os.sched_setaffinity(pid, cores)


class Server:
    """One `bench.server` process; `stats()` reads its counters."""

    def __init__(self, role: str, uri: str, loaded: Loaded) -> None:
        self.role = role
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", role, str(self.port), uri, loaded.database, loaded.org_id],
            cwd=REPO,
            env=env,
        )
        pin(self.proc.pid, {0})
        deadline = time.monotonic() + 60
        while True:
            try:
                self.stats()
                return
            except httpx2.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{role} server did not start") from None
                time.sleep(0.2)

    def idle_cpu_rate(self, seconds: float = 2.0) -> float:
        """CPU seconds per second the idle server spends (driver monitors, uvicorn's clock), to subtract."""
        before = self.stats()
        time.sleep(seconds)
        after = self.stats()
        return (after["cpu"] - before["cpu"]) / (after["wall"] - before["wall"])

    def settle(self, timeout: float = 180.0) -> None:
        """Waits until requests left over by a previous load phase are served, so they count nowhere."""
        deadline = time.monotonic() + timeout
        while self.stats()["inFlight"] > 0 and time.monotonic() < deadline:
            time.sleep(0.2)

    def stats(self) -> dict[str, Any]:
        r = httpx2.get(f"{self.url}/bench/stats", timeout=5)
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ensure_wrk() -> str | None:
    """wrk from Debian; installed when missing and possible; None means the Python fallback is used."""
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    print("installing wrk (apt-get install -y wrk) ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    return shutil.which("wrk")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(
    wrk: str, url: str, body: bytes, headers: dict[str, str], connections: int, duration: float
) -> dict[str, Any]:
    lua = (
        "wrk.method = 'POST'\nwrk.body = "
        + json.dumps(body.decode())
        + "\n"
        + "".join(
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n"
            for k, v in {**headers, "Content-Type": "application/json"}.items()
        )
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    cmd = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        f.name,
        url,
    ]
    if shutil.which("taskset") and len(os.sched_getaffinity(0)) > 1:
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    pct = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": done,
        "rps": rps,
        "p50": pct.get("50"),
        "p90": pct.get("90"),
        "p99": pct.get("99"),
        "non2xx": int(errors.group(1)) if errors else 0,
    }


async def _python_load(
    url: str, body: bytes, headers: dict[str, str], connections: int, duration: float
) -> dict[str, Any]:
    """Fallback load generator: `connections` clients in a closed loop for `duration` seconds."""
    latencies: list[float] = []
    stop = time.perf_counter() + duration
    async with httpx2.AsyncClient(timeout=60, limits=httpx2.Limits(max_connections=connections)) as client:

        async def worker() -> None:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                await client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
                latencies.append((time.perf_counter() - t) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50": q[49],
        "p90": q[89],
        "p99": q[98],
        "non2xx": 0,
    }


class Run:
    def __init__(self, uri: str, loaded: Loaded, duration: float, *, load: bool = True, rounds: int = 1) -> None:
        self.loaded = loaded
        self.duration = duration
        self.with_load = load  # False: the serial CPU phase only, no wrk
        self.rounds = rounds  # serial phases per path, interleaved; the median CPU per request counts
        self.wrk = ensure_wrk()
        self.servers = {"gateway": Server("gateway", uri, loaded), "limit": Server("limit", uri, loaded)}
        self.client = httpx2.Client(timeout=120)
        self.idle = {path: srv.idle_cpu_rate() for path, srv in self.servers.items()}
        self.auth = {"Authorization": f"Bearer {loaded.write_key}"}

    def target(self, path: str, s: Scenario) -> str:
        base = self.servers[path].url
        return f"{base}/graphql" if path == "gateway" else f"{base}/limit/{s.name}"

    def body(self, s: Scenario, i: int) -> bytes:
        return orjson.dumps({"query": s.document, "variables": s.variables(self.loaded, i)})

    def post(self, path: str, s: Scenario, i: int) -> bytes:
        r = self.client.post(
            self.target(path, s),
            content=self.body(s, i),
            headers={**self.auth, "Content-Type": "application/json"},
        )
        if r.status_code != 200 or b'"errors"' in r.content[:20_000]:
            raise AssertionError(f"{path} {s.name}: HTTP {r.status_code} {r.content[:400]!r}")
        return r.content

    def serial(self, path: str, s: Scenario, rate: float | None = None) -> dict[str, Any]:
        """A fixed number of requests one at a time (at `rate`/s if given): CPU and round trips each."""
        server = self.servers[path]
        n = MUTATION_REQUESTS if rate else SERIAL_REQUESTS
        lat: list[float] = []
        server.settle()
        before = server.stats()
        stop = time.monotonic() + SERIAL_SECONDS
        for i in range(n):
            t = time.perf_counter()
            self.post(path, s, 100 + i)
            lat.append((time.perf_counter() - t) * 1000)
            if rate:
                time.sleep(max(0.0, 1 / rate - (time.perf_counter() - t)))
            elif time.monotonic() > stop and i >= 4:
                break
        after = server.stats()
        done = after["requests"] - before["requests"]
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
        busy = after["cpu"] - before["cpu"] - self.idle[path] * (after["wall"] - before["wall"])
        return {
            "requests": done,
            "cpuMs": round(busy / done * 1000, 2),
            "gcMs": round((after["gcCpu"] - before["gcCpu"]) / done * 1000, 2),
            "gcCollections": [a - b for a, b in zip(after["gcCollections"], before["gcCollections"], strict=True)],
            "roundTrips": round((after["commands"] - before["commands"]) / done, 2),
            "p50": round(q[49], 2),
            "p90": round(q[89], 2),
            "p99": round(q[98], 2),
        }

    def load(self, path: str, s: Scenario, connections: int) -> dict[str, Any]:
        server = self.servers[path]
        server.settle()
        before = server.stats()
        url, body = self.target(path, s), self.body(s, 0)
        if self.wrk:
            res = run_wrk(self.wrk, url, body, self.auth, connections, self.duration)
        else:
            res = asyncio.run(_python_load(url, body, self.auth, connections, self.duration))
        server.settle()  # the CPU of requests wrk left in flight counts here, with those requests
        after = server.stats()
        done = max(1, after["requests"] - before["requests"])
        res["cpuMs"] = round((after["cpu"] - before["cpu"]) / done * 1000, 2)
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in res.items()}

    def scenario(self, s: Scenario) -> dict[str, Any]:
        print(f"- {s.name}", flush=True)
        gw, lim = self.post("gateway", s, 0), self.post("limit", s, 1)
        if canonical(gw) != canonical(lim):
            raise AssertionError(f"{s.name}: gateway and limit responses differ")
        row: dict[str, Any] = {"bytes": len(gw), "equal": True, "limitDbOps": s.db_ops}
        rate = MUTATION_RATE if s.mutation else None
        rounds: dict[str, list[dict[str, Any]]] = {"gateway": [], "limit": []}
        for r in range(self.rounds):
            for path in ("gateway", "limit") if r % 2 == 0 else ("limit", "gateway"):
                rounds[path].append(self.serial(path, s, rate))
        row["serial"] = {}
        for path, results in rounds.items():
            cpu = [res["cpuMs"] for res in results]
            row["serial"][path] = {**results[-1], "cpuMs": round(statistics.median(cpu), 2), "cpuMsRounds": cpu}
        if not s.mutation and self.with_load:
            row["load"] = {
                str(c): {path: self.load(path, s, c) for path in ("gateway", "limit")} for c in CONNECTIONS
            }
        return row

    def close(self) -> dict[str, Any]:
        peaks = {path: srv.stats()["peakRssKb"] for path, srv in self.servers.items()}
        for srv in self.servers.values():
            srv.stop()
        self.client.close()
        return peaks


def _guard(s: Scenario, run: Run) -> Iterator[tuple[str, Any]]:
    try:
        yield s.name, run.scenario(s)
    except (AssertionError, httpx2.HTTPError, subprocess.CalledProcessError) as exc:
        print(f"  {s.name} failed: {exc}", flush=True)
        yield s.name, {"error": str(exc)[:500]}


async def _load(uri: str, spec: Spec) -> Loaded:
    store = Store(make_client(uri), f"bench_{spec.customers}")
    try:
        return await load(store, spec, progress=True)
    finally:
        await store.close()


def main(
    uri: str, spec: Spec, *, out: Path, duration: float, db_pid: int | None,
    only: list[str] | None = None, load: bool = True, rounds: int = 1,
) -> int:
    with contextlib.suppress(AttributeError, OSError):
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {1})
            if db_pid:
                os.sched_setaffinity(db_pid, {1})
    print(f"data set: {spec}", flush=True)
    loaded = asyncio.run(_load(uri, spec))
    print(
        f"  {loaded.counts} ({'reused' if loaded.reused else f'loaded in {loaded.load_seconds} s'})",
        flush=True,
    )
    run = Run(uri, loaded, duration, load=load, rounds=rounds)
    names = only or [*QUERY_SCENARIOS, *MUTATION_SCENARIOS]
    results: dict[str, Any] = {}
    try:
        for name in names:
            results.update(_guard(SCENARIOS[name], run))
    finally:
        peaks = run.close()
    report = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": _cpu_model(),
            "loadGenerator": "wrk" if run.wrk else "python",
        },
        "database": uri.split("?")[0].rsplit("@", 1)[-1],
        "dataset": {"spec": spec.key(), **loaded.counts, "loadSeconds": loaded.load_seconds},
        "peakRssKb": peaks,
        "idleCpuPerSecond": {k: round(v, 5) for k, v in run.idle.items()},
        "scenarios": results,
    }
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    md = markdown(report)
    partial = only is not None or not load  # a partial run never replaces the latest full results
    for name in (f"partial-{stamp}",) if partial else (f"run-{stamp}", "latest"):
        (out / f"{name}.json").write_text(json.dumps(report, indent=1))
        (out / f"{name}.md").write_text(md)
    print(md)
    return 1 if any("error" in r for r in results.values()) else 0


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def markdown(report: dict[str, Any]) -> str:
    m, d = report["machine"], report["dataset"]
    lines = [
        f"Run {report['time']} on {m['cpus']} CPUs ({m['processor']}), Python {m['python']}, "
        f"load generator {m['loadGenerator']}, document server {report['database']}.",
        f"Data set: {d['customers']:,} customers, {d['payment_instruments']:,} payment instruments, "
        f"{d['timeline_events']:,} timeline events. "
        f"Peak RSS: gateway {report['peakRssKb']['gateway'] // 1024} MiB, "
        f"limit {report['peakRssKb']['limit'] // 1024} MiB.",
        "",
        "| scenario | bytes | CPU ms/req gateway / limit (x) | of which GC | round trips gateway / limit | "
        "c | req/s gateway / limit (x) | p50 ms gw / lim | p90 ms gw / lim | p99 ms gw / lim | p99/p50 gw |",
        "|---|---:|---|---|---|---:|---|---|---|---|---:|",
    ]
    for name, row in report["scenarios"].items():
        if "error" in row or "skipped" in row:
            lines.append(f"| {name} | {row.get('error') or row.get('skipped')} |||||||||")
            continue
        g, lim = row["serial"]["gateway"], row["serial"]["limit"]
        head = (
            f"| {name} | {row['bytes']:,} | "
            f"{g['cpuMs']} / {lim['cpuMs']} ({_ratio(g['cpuMs'], lim['cpuMs'])}) | "
            f"{g.get('gcMs', '-')} / {lim.get('gcMs', '-')} | {g['roundTrips']} / {lim['roundTrips']} |"
        )
        loads = row.get("load") or {"serial": {"gateway": {**g, "rps": None}, "limit": {**lim, "rps": None}}}
        for i, (c, pair) in enumerate(loads.items()):
            lg, ll = pair["gateway"], pair["limit"]
            rps = (
                f"{lg['rps']} / {ll['rps']} ({_ratio(lg['rps'], ll['rps'])} of limit)"
                if lg.get("rps")
                else "-"
            )
            prefix = head if i == 0 else "| | | | | |"
            lines.append(
                f"{prefix} {c} | {rps} | {lg['p50']} / {ll['p50']} | {lg['p90']} / {ll['p90']} | "
                f"{lg['p99']} / {ll['p99']} | {_ratio(lg['p99'], lg['p50'])} |"
            )
    return "\n".join(lines) + "\n"
