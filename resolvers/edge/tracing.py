"""OpenTelemetry traces, when configured: one server span per HTTP request and a client span per
document-store command under it.

Off unless `OTEL_TRACES=true` (the exporter is then configured by OpenTelemetry's own variables,
`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, …; install the `otel` extras). Spans are made by
the outermost middleware and a PyMongo command listener, never by a schema extension: an async
`resolve` extension makes a large query about 10x slower (reference/graphql-performance.md §4.2), and
with tracing off the only cost is one `None` check per request and per store command.
"""

from __future__ import annotations

from typing import Any

from pymongo import monitoring

from resolvers.edge.observe import REQUEST_ID

SERVICE = "customer-graph"


def make_tracer(enabled: bool, provider: Any = None) -> Any:
    """A tracer, or None when tracing is off. `provider`: a TracerProvider (tests pass one with an
    in-memory exporter); otherwise one exporting over OTLP/HTTP is made."""
    if not enabled and provider is None:
        return None
    try:  # the optional `otel` extras, imported only when tracing is on
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace import SpanKind
    except ImportError as exc:
        raise RuntimeError("OTEL_TRACES=true needs the OpenTelemetry packages: pip install -e '.[otel]'") from exc
    if provider is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer("customer_graph")
    STORE_SPANS.tracer, STORE_SPANS.kind = tracer, SpanKind.CLIENT
    SERVER_KIND[0] = SpanKind.SERVER
    return tracer


class StoreSpans(monitoring.CommandListener):
    """A client span per store command, child of the request's span (listeners run in the caller's task)."""

    def __init__(self) -> None:
        self.tracer: Any = None
        self.kind: Any = None
        self.open: dict[tuple[int, int], Any] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.tracer is None:
            return
        span = self.tracer.start_span(f"mongodb {event.command_name}", kind=self.kind, attributes={
            "db.system.name": "mongodb", "db.operation.name": event.command_name, "db.namespace": event.database_name,
            "customer_graph.request_id": REQUEST_ID.get()})
        if len(self.open) > 10_000:  # commands whose end never came (should not happen): do not grow
            self.open.clear()
        self.open[(event.request_id, event.operation_id or 0)] = span

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        span = self.open.pop((event.request_id, event.operation_id or 0), None) if self.open else None
        if span is not None:
            span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        span = self.open.pop((event.request_id, event.operation_id or 0), None) if self.open else None
        if span is not None:
            span.set_attribute("error.type", type(event.failure).__name__ if not isinstance(event.failure, dict) else "command")
            span.end()


SERVER_KIND: list[Any] = [None]
STORE_SPANS = StoreSpans()
monitoring.register(STORE_SPANS)
