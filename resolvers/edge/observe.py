"""Operations: a request id on every request, Prometheus metrics, JSON logs and a request log.

`Observe` is the outermost middleware: it takes the client's `X-Request-Id` (letters, digits, `._-`, at
most 128) or makes one, returns it in the response's `X-Request-Id`, and puts it on every log record of
the request (`request_id`). For /graphql it counts the request by operation name and outcome and
times it; with `DEV_REQUEST_LOG` (on in `scripts/dev`) or `JSON_LOGS` it logs one line per request.

Metrics (`/metrics`, Prometheus text format, `prometheus-client`):
* `graphql_requests_total{operation, outcome}`: outcome `ok`, `errors` (a response with GraphQL errors)
  or the request-level error code (`UNAUTHENTICATED`, `QUERY_TOO_COSTLY`, `THROTTLED`, …);
* `graphql_request_duration_seconds{operation}`: a latency histogram;
* `store_commands_total{command}` and `store_command_duration_seconds`: round trips to the document store;
* `graphql_query_cost`: a histogram of the static costs asked for.
Operation names are the client's: only the first `MAX_OPERATION_NAMES` distinct well-formed names get a
label of their own, the rest count as `other` (label cardinality stays bounded).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pymongo import monitoring
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def trace_use_span(span: Any) -> Any:
    """OpenTelemetry's `use_span` (the span current for the request's store commands); only called with tracing on."""
    from opentelemetry.trace import use_span  # optional extras, loaded only when tracing is configured

    return use_span(span, end_on_exit=False)


REQUEST_ID = contextvars.ContextVar("request_id", default="-")
VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATION_NAMES = 200

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("graphql_requests", "GraphQL requests by operation name and outcome.", ["operation", "outcome"],
                   registry=REGISTRY)
DURATION = Histogram("graphql_request_duration_seconds", "Time to answer a GraphQL request.", ["operation"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY)
COST = Histogram("graphql_query_cost", "Static cost of the GraphQL operations asked for.",
                 buckets=(1, 10, 100, 1_000, 5_000, 10_000, 25_000, 100_000), registry=REGISTRY)
STORE_COMMANDS = Counter("store_commands", "Commands sent to the document store.", ["command"], registry=REGISTRY)
STORE_DURATION = Histogram("store_command_duration_seconds", "Time of a document-store command.",
                           buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5), registry=REGISTRY)
SCHEDULER_JOBS = Counter("scheduler_jobs", "Due jobs run by this process, by kind and outcome (done, again, retry, failed).",
                         ["kind", "outcome"], registry=REGISTRY)
SCHEDULER_LAG = Histogram("scheduler_lag_seconds", "How late a due job started: claim time minus its due time.",
                          buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600), registry=REGISTRY)

requests_log = logging.getLogger("customer_graph.requests")
_names: set[str] = set()


def operation_label(name: Any) -> str:
    if not isinstance(name, str) or not name:
        return "anonymous"
    if name in _names:
        return name
    if VALID_NAME.fullmatch(name) and len(_names) < MAX_OPERATION_NAMES:
        _names.add(name)
        return name
    return "other"


def note(scope: Scope, **values: Any) -> None:
    """What the view learnt about the request (operation name, outcome), for the metrics and the log line."""
    scope.setdefault("state", {}).setdefault("observe", {}).update(values)


class StoreCommandMetrics(monitoring.CommandListener):
    """Counts and times the document-store round trips of every client of the process."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        STORE_COMMANDS.labels(event.command_name).inc()
        STORE_DURATION.observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        STORE_COMMANDS.labels(event.command_name).inc()
        STORE_DURATION.observe(event.duration_micros / 1e6)


# Registered once per process, before any client is made: every AsyncMongoClient then reports to it.
monitoring.register(StoreCommandMetrics())


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any `extra` fields."""

    STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
            "requestId": getattr(record, "request_id", REQUEST_ID.get()),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in self.STANDARD})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_logging(json_logs: bool, level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if json_logs:
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class Observe:
    def __init__(self, app: ASGIApp, request_log: bool, tracer: Any = None, server_kind: Any = None) -> None:
        self.app = app
        self.request_log = request_log
        self.tracer = tracer  # OpenTelemetry (resolvers/edge/tracing.py), None when off
        self.server_kind = server_kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if VALID_ID.fullmatch(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        span = None
        if self.tracer is not None:
            span = self.tracer.start_span(f"{scope['method']} {scope['path']}", kind=self.server_kind, attributes={
                "http.request.method": scope["method"], "url.path": scope["path"], "customer_graph.request_id": request_id})
            span_context = trace_use_span(span)
            span_context.__enter__()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            seen = scope.get("state", {}).get("observe", {})
            if span is not None:
                span.set_attribute("http.response.status_code", status[0])
                for key in ("operation", "outcome", "cost"):
                    if seen.get(key) is not None:
                        span.set_attribute(f"graphql.{key}", seen[key])
                span_context.__exit__(None, None, None)
                span.end()
            if scope["path"] == "/graphql" and scope["method"] in ("GET", "POST"):
                operation = operation_label(seen.get("operation"))
                outcome = seen.get("outcome") or ("ok" if status[0] < 400 else f"HTTP_{status[0]}")
                REQUESTS.labels(operation, outcome).inc()
                DURATION.labels(operation).observe(elapsed)
                if seen.get("cost") is not None:
                    COST.observe(seen["cost"])
            if self.request_log:
                requests_log.info("%s %s %d %.1f ms %s", scope["method"], scope["path"], status[0], elapsed * 1000,
                                  seen.get("operation") or "", extra={
                                      "method": scope["method"], "path": scope["path"], "status": status[0],
                                      "durationMs": round(elapsed * 1000, 2), "operation": seen.get("operation"),
                                      "outcome": seen.get("outcome")})
            REQUEST_ID.reset(token)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
