"""Operations: request ids, /metrics, /readyz, JSON logs and the request log."""

from __future__ import annotations

import logging
import socket

import httpx2
import orjson
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from resolvers.app import create_app
from resolvers.cli import cmd_dev, port_in_use
from resolvers.edge.observe import JsonFormatter, RequestIdFilter, operation_label
from resolvers.edge.tracing import STORE_SPANS
from resolvers.settings import Settings
from store.db import Store
from tests.edge.conftest import gateway
from tests.helpers import Org

COUNT = "query Count { customers(first: 1) { totalCount } }"


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_the_request_id_is_returned_or_made(org: Org):
    response = await org.post(COUNT, headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    made = (await org.post(COUNT, headers={"X-Request-Id": "bad id with spaces"})).headers["x-request-id"]
    assert made != "bad id with spaces" and len(made) == 32
    assert (await org.http.get("/healthz")).headers["x-request-id"]


async def test_metrics_count_requests_by_operation_and_outcome(org: Org):
    before = (await org.http.get("/metrics")).text
    await org.post(COUNT)
    await org.post(COUNT)
    await org.http.post("/graphql", json={"query": COUNT})  # no key
    await org.post("query Bad { nope }")
    response = await org.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert sample(after, "graphql_requests_total", operation="Count", outcome="ok") == \
        sample(before, "graphql_requests_total", operation="Count", outcome="ok") + 2
    assert sample(after, "graphql_requests_total", operation="anonymous", outcome="HTTP_401") >= 1
    assert sample(after, "graphql_requests_total", operation="Bad", outcome="errors") >= 1
    assert sample(after, "graphql_request_duration_seconds_count", operation="Count") >= 2
    assert sample(after, "store_commands_total", command="find") > sample(before, "store_commands_total", command="find")
    assert sample(after, "graphql_query_cost_count") >= 2


def test_operation_names_are_bounded_labels():
    assert operation_label(None) == "anonymous"
    assert operation_label("x" * 100) == "other"
    assert operation_label("has spaces") == "other"


async def test_readyz_says_the_store_answers(store: Store, http):
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "store": "ok"}


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("customer_graph", logging.WARNING, __file__, 1, "store %s", ("down",), None)
    record.operation = "Count"
    RequestIdFilter().filter(record)
    line = orjson.loads(JsonFormatter().format(record))
    assert line["message"] == "store down" and line["level"] == "warning" and line["requestId"] == "-"
    assert line["operation"] == "Count" and line["time"].endswith("Z")


async def test_the_dev_request_log_has_a_line_per_request(org: Org, store: Store, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="customer_graph.requests")
    async with gateway(store, dev_request_log=True) as client:
        await client.post("/graphql", json={"query": COUNT}, headers={"Authorization": f"Bearer {org.write_key}",
                                                                      "X-Request-Id": "req-1"})
    [record] = [r for r in caplog.records if r.name == "customer_graph.requests"]
    assert record.getMessage().startswith("POST /graphql 200 ")
    assert record.operation == "Count" and record.outcome == "ok"  # type: ignore[attr-defined]


async def test_traces_have_a_request_span_with_store_spans_under_it(org: Org, store: Store):
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(Settings(mongodb_uri=None, api_key_cache_seconds=0), store, tracer_provider=provider)
    try:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as client:
            response = await client.post("/graphql", json={"query": COUNT}, headers={
                "Authorization": f"Bearer {org.write_key}", "X-Request-Id": "traced-1"})
        assert response.status_code == 200
    finally:
        STORE_SPANS.tracer = None  # the listener is per process: stop tracing the other tests
    spans = exporter.get_finished_spans()
    [server] = [s for s in spans if s.name == "POST /graphql"]
    assert server.attributes["graphql.operation"] == "Count" and server.attributes["graphql.outcome"] == "ok"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["customer_graph.request_id"] == "traced-1"
    store_spans = [s for s in spans if s.name.startswith("mongodb ")]
    assert store_spans and all(s.parent is not None and s.parent.span_id == server.context.span_id for s in store_spans)


def test_the_dev_command_refuses_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        settings = Settings(mongodb_uri=None, port=port)
        with pytest.raises(SystemExit, match=f"port {port} on 127.0.0.1 is in use"):
            cmd_dev(settings)
    assert not port_in_use("127.0.0.1", port)
