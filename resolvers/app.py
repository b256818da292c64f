"""The Starlette application: /graphql (with GraphiQL), /healthz, /schema.graphql, local IDE assets."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, parse
from pymongo.errors import ConnectionFailure
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from resolvers import graphiql
from resolvers.activity import api_logs as logging_rules
from resolvers.activity.files import download_route
from resolvers.activity.jobs import API_LOG_EXPIRY
from resolvers.auth import KeyCache, bearer_secret
from resolvers.context import Context, Principal, now
from resolvers.money.hosted import HostedPages
from resolvers.scheduler import Worker
from resolvers.schema import build_schema, is_expected, sdl
from resolvers.settings import Settings
from schema.common import TOUCHED_CUSTOMERS, USER_ERROR_SINK
from store import jobs
from store.activity import api_logs
from store.db import Store, make_client
from store.indexes import ensure_indexes

log = logging.getLogger("customer_graph")


UNAVAILABLE = "The document store could not be reached. Try again shortly."


def store_unavailable(error: GraphQLError) -> bool:
    return isinstance(error.original_error, ConnectionFailure)


def error_code(error: GraphQLError) -> str:
    if error.original_error is None or error.path is None:
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        if error.message.startswith("Variable '$"):
            return "BAD_USER_INPUT"
        return "GRAPHQL_VALIDATION_FAILED"
    return "INTERNAL_SERVER_ERROR"


def format_error(error: GraphQLError, mask: bool) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    if "code" not in extensions:
        extensions["code"] = error_code(error)
    if store_unavailable(error):
        return {"message": UNAVAILABLE, **{k: formatted[k] for k in ("locations", "path") if formatted.get(k)},
                "extensions": {"code": "SERVICE_UNAVAILABLE"}}
    if mask and not is_expected(error):
        formatted = {"message": "Internal server error", "locations": formatted.get("locations"),
                     "path": formatted.get("path")}
        formatted = {k: val for k, val in formatted.items() if val is not None}
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
    formatted["extensions"] = extensions
    return formatted


def unavailable() -> JSONResponse:
    return JSONResponse({"data": None, "errors": [{"message": UNAVAILABLE, "extensions": {"code": "SERVICE_UNAVAILABLE"}}]},
                        status_code=503, headers={"Retry-After": "5"})


def unauthenticated(message: str) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="customer-graph"'},
    )


# A websocket's context before its `connection_init` proved a key: it can do nothing.
NOBODY = Principal(organization_id="", key_id="", key_name="unauthenticated", scope="none")


@functools.lru_cache(maxsize=256)
def _parsed(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLSyntaxError:
        return None


async def _close_uploads(value: Any) -> None:
    """Closes the uploaded files of a multipart request (their spooled temporary files)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            await _close_uploads(item)
    elif hasattr(value, "filename") and hasattr(value, "close"):
        await value.close()


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go in text frames (clients refuse binary ones); HTTP keeps bytes."""

    async def send_json(self, message: Any) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter

    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            multipart_uploads_enabled=True,  # guarded against CSRF by RequestGuard
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=20,
        )
        self.store_ref = store_ref
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:
        principal = getattr(request.state, "principal", None) or NOBODY
        return Context.build(self.store_ref["store"], self.settings, principal, request, response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Websockets authenticate in `connection_init`: `{"Authorization": "Bearer <key>"}`.

        They are read-only: mutations go over HTTP, where they are logged."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = params.get("Authorization") or params.get("authorization")
        secret = bearer_secret(header) if isinstance(header, str) else None
        principal = await self.store_ref["keys"].principal(secret) if secret else None
        if principal is None:
            raise ConnectionRejectionError()
        context.authenticate(dataclasses.replace(principal, scope="read"))
        context.key_cache = self.store_ref["keys"]  # subscriptions end when the key is revoked
        return UNSET

    async def execute_single(
        self, request: Any, request_adapter: Any, sub_response: Any, context: Context, root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """Runs one operation; a mutation is then written to the API log (time, redacted input, outcome)."""
        started, t = time.perf_counter(), now()
        collected: list[str] = []
        token = USER_ERROR_SINK.set(collected)
        touched = TOUCHED_CUSTOMERS.set(context.touched_customers)
        try:
            result = await super().execute_single(
                request=request, request_adapter=request_adapter, sub_response=sub_response, context=context,
                root_value=root_value, request_data=request_data,
            )
        finally:
            USER_ERROR_SINK.reset(token)
            TOUCHED_CUSTOMERS.reset(touched)
            await _close_uploads(request_data.variables)
        duration_ms = (time.perf_counter() - started) * 1000
        await self.log_mutation(context, request_data, result, collected, t, duration_ms)
        return result

    async def log_mutation(
        self, context: Context, request_data: Any, result: ExecutionResult, collected: list[str], t: Any,
        duration_ms: float,
    ) -> None:
        query = request_data.query or ""
        if "mutation" not in query:
            return
        document = _parsed(query)
        op = logging_rules.operation(document, request_data.operation_name) if document else None
        if op is None or not logging_rules.is_mutation(op):
            return
        errors = list(result.errors or ())
        doc = logging_rules.entry(
            principal=context.principal, time=t, operation_name=request_data.operation_name or (
                op.name.value if op.name else None),
            mutations=logging_rules.root_fields(document, op),  # type: ignore[arg-type]
            variables=request_data.variables, errors=errors,
            error_codes=[(e.extensions or {}).get("code") or error_code(e) for e in errors],
            user_error_codes=collected + logging_rules.payload_error_codes(result.data),
            duration_ms=duration_ms,
            customer_ids=context.touched_customers | logging_rules.named_customers(
                logging_rules.root_fields(document, op), request_data.variables),  # type: ignore[arg-type]
        )
        try:
            await api_logs.insert(context.org, doc)
        except Exception:  # a lost log entry must not fail the request it describes
            log.exception("could not write the API log entry of %s", doc["mutations"])

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = [format_error(e, self.settings.mask_errors) for e in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        return data

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql.local_html(super().graphql_ide_html)


class AuthMiddleware:
    """Every GraphQL request needs `Authorization: Bearer <api key>`; the IDE page itself does not."""

    def __init__(self, app: ASGIApp, keys_ref: dict[str, Any], ide: bool) -> None:
        self.app = app
        self.keys_ref = keys_ref
        self.ide = ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.method == "GET" and "text/html" in request.headers.get("accept", "") and "query" not in request.query_params:
            page = self.app if self.ide else PlainTextResponse("GraphiQL is switched off", status_code=404)
            await page(scope, receive, send)  # the GraphiQL page needs no key: it asks for one
            return
        secret = bearer_secret(request.headers.get("authorization"))
        if secret is None:
            await unauthenticated("Send an API key: `Authorization: Bearer <key>`.")(scope, receive, send)
            return
        try:
            principal = await self.keys_ref["keys"].principal(secret)
        except ConnectionFailure as exc:
            log.warning("document store unavailable during authentication: %s", exc)
            await unavailable()(scope, receive, send)
            return
        if principal is None:
            await unauthenticated("The API key is unknown or revoked.")(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


CSRF_TYPES = frozenset({"", "multipart/form-data", "application/x-www-form-urlencoded", "text/plain"})
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
MULTIPART_OVERHEAD = 1024 * 1024


class RequestGuard:
    """CSRF protection of /graphql as Apollo does it, and request body limits.

    A browser can send a POST with a "simple" content type (form, multipart, text) cross-site without
    a CORS preflight; such POSTs are refused unless they carry a header no simple request can carry
    (`Apollo-Require-Preflight` or `X-Apollo-Operation-Name`, any non-empty value). Bodies are limited
    to `max_body_bytes`, multipart uploads to the attachment limit plus room for the multipart framing.
    """

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if (scope["path"] == "/graphql" and scope["method"] == "POST" and content_type in CSRF_TYPES
                and not any(headers.get(h, "").strip() for h in PREFLIGHT_HEADERS)):
            response = JSONResponse({"data": None, "errors": [{
                "message": "This operation has been blocked as a potential Cross-Site Request Forgery "
                "(CSRF). "
                "Send `Content-Type: application/json`, or a non-empty `Apollo-Require-Preflight` header "
                "(multipart uploads).",
                "extensions": {"code": "CSRF_PREVENTED"},
            }]}, status_code=400)
            await response(scope, receive, send)
            return
        limit = self.upload_limit if content_type == "multipart/form-data" else self.json_limit
        await RequestBodyLimitMiddleware(self.app, limit)(scope, receive, send)


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    """The gateway. Pass `store` to share a client (tests); otherwise one is made from `MONGODB_URI`."""
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

    async def schema_sdl(request: Request) -> Response:
        return PlainTextResponse(schema_text)

    routes: list[Any] = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/files/{file_id}", download_route(refs), methods=["GET"]),
        Route("/healthz", healthz),
        Route("/schema.graphql", schema_sdl),
        *HostedPages(refs, settings).routes(),
    ]
    if settings.graphiql_enabled and graphiql.assets_available():
        routes.append(Mount(graphiql.ASSETS_PREFIX, StaticFiles(directory=graphiql.ASSETS_DIR)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(AuthMiddleware, keys_ref=refs, ide=settings.graphiql_enabled)
    app.add_middleware(RequestGuard, json_limit=settings.max_body_bytes,
                       upload_limit=settings.attachment_max_bytes + MULTIPART_OVERHEAD)
    return app
