"""The Starlette application: the composition of routes (/graphql, /healthz, /readyz, /metrics, files, hosted
pages, local IDE assets) and middleware."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from resolvers import graphiql, tables
from resolvers.activity.files import download_route
from resolvers.activity.jobs import API_LOG_EXPIRY
from resolvers.auth import KeyCache
from resolvers.billing.documents import pdf_route
from resolvers.billing.invoice_page import InvoicePayPages
from resolvers.billing.quote_documents import quote_pdf_route
from resolvers.billing.quote_page import QuotePages
from resolvers.billing.quotes import quote_status
from resolvers.compliance.kyc_page import KycPage
from resolvers.context import now
from resolvers.edge import tracing
from resolvers.edge.cors import Cors, origins
from resolvers.edge.guard import MULTIPART_OVERHEAD, AuthMiddleware, RequestGuard
from resolvers.edge.observe import Observe, metrics
from resolvers.edge.tracing import make_tracer
from resolvers.edge.view import GraphQLView
from resolvers.links.customer_pages import CustomerLinkPages
from resolvers.links.deposit_page import DepositPage
from resolvers.money.hosted import HostedPages
from resolvers.scheduler import Worker
from resolvers.schema import sdl
from resolvers.settings import Settings
from store import jobs
from store.activity import api_logs
from store.db import Store, make_client
from store.indexes import ensure_indexes

log = logging.getLogger("customer_graph")


def create_app(settings: Settings | None = None, store: Store | None = None, tracer_provider: Any = None) -> Starlette:
    """The gateway. Pass `store` to share a client (tests); otherwise one is made from `MONGODB_URI`.
    `tracer_provider`: an OpenTelemetry TracerProvider to trace into (tests); else `OTEL_TRACES` decides."""
    settings = settings or Settings()
    refs: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = store is None
        if own:
            if not settings.mongodb_uri:
                raise RuntimeError("MONGODB_URI is not set (scripts/dev starts a local FerretDB and sets it)")
            refs["store"] = Store(make_client(settings.mongodb_uri, timeout_ms=settings.mongodb_timeout_ms),
                                  settings.mongodb_database)
            await ensure_indexes(refs["store"])
            if not await api_logs.ensure_ttl_index(refs["store"], settings.api_log_ttl_days):
                # No TTL indexes here: a recurring sweep on the scheduler, done once by whichever worker claims it.
                await jobs.schedule(refs["store"].for_org(jobs.SYSTEM_ORG), API_LOG_EXPIRY, "sweep", now(), now())
            if settings.scheduler_enabled:
                worker = Worker(refs["store"], settings, lease=timedelta(seconds=settings.scheduler_lease_seconds))
                refs["scheduler"] = asyncio.create_task(worker.run_forever(settings.scheduler_poll_seconds))
        refs["keys"] = KeyCache(refs["store"], settings.api_key_cache_seconds,
                                epoch_seconds=settings.api_key_revocation_check_seconds)
        try:
            yield
        finally:
            if "scheduler" in refs:
                refs["scheduler"].cancel()
            if own:
                await refs["store"].close()

    if store is not None:
        refs["store"] = store
        refs["keys"] = KeyCache(store, settings.api_key_cache_seconds,
                                epoch_seconds=settings.api_key_revocation_check_seconds)

    view = GraphQLView(refs, settings)
    schema_text = sdl()

    async def healthz(request: Request) -> Response:
        try:
            await refs["store"].db.command("ping")
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """Ready for traffic: started (indexes ensured) and the document store answers within a second."""
        if "keys" not in refs:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            async with asyncio.timeout(1.0):
                await refs["store"].db.command("ping")
        except Exception as exc:
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "store": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ready", "store": "ok"})

    async def schema_sdl(request: Request) -> Response:
        return PlainTextResponse(schema_text)

    routes: list[Any] = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/files/{file_id}", download_route(refs), methods=["GET"]),
        Route("/exports/{export_id}/file", tables.export_download_route(refs), methods=["GET"]),
        Route("/invoices/{invoice_id}.pdf", pdf_route(refs), methods=["GET"]),  # billing
        Route("/quotes/{quote_id}.pdf", quote_pdf_route(refs, lambda d: quote_status(d, now())), methods=["GET"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/schema.graphql", schema_sdl),
        *HostedPages(refs, settings).routes(),
        *DepositPage(refs, settings).routes(),
        *CustomerLinkPages(refs, settings).routes(),
        *KycPage(refs, settings).routes(),
        *QuotePages(refs, settings).routes(),  # billing: quote acceptance
        *InvoicePayPages(refs, settings).routes(),  # billing: hosted invoice payment
    ]
    if settings.graphiql_enabled and graphiql.assets_available():
        routes.append(Mount(graphiql.ASSETS_PREFIX, StaticFiles(directory=graphiql.ASSETS_DIR)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(AuthMiddleware, keys_ref=refs, ide=settings.graphiql_enabled)
    app.add_middleware(RequestGuard, json_limit=settings.max_body_bytes,
                       upload_limit=settings.attachment_max_bytes + MULTIPART_OVERHEAD)
    app.add_middleware(Cors, origins=origins(settings.cors_allow_origins), origin_regex=settings.cors_allow_origin_regex)
    app.add_middleware(Observe, request_log=settings.dev_request_log or settings.json_logs,
                       tracer=make_tracer(settings.otel_traces, tracer_provider), server_kind=tracing.SERVER_KIND[0])
    return app
