"""The Starlette application: /graphql (with GraphiQL), /healthz, /schema.graphql, local IDE assets."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from resolvers import graphiql
from resolvers.auth import KeyCache, bearer_secret
from resolvers.context import Context
from resolvers.hosted import HostedPages
from resolvers.schema import build_schema, is_expected, sdl
from resolvers.settings import Settings
from store.db import Store, make_client
from store.indexes import ensure_indexes

log = logging.getLogger("customer_graph")


def error_code(error: GraphQLError) -> str:
    if error.original_error is None:
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
    if mask and not is_expected(error):
        formatted = {"message": "Internal server error", "locations": formatted.get("locations"),
                     "path": formatted.get("path")}
        formatted = {k: val for k, val in formatted.items() if val is not None}
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
    formatted["extensions"] = extensions
    return formatted


def unauthenticated(message: str) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="customer-graph"'},
    )


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
        )
        self.store_ref = store_ref
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        return Context.build(self.store_ref["store"], self.settings, request.state.principal, request, response)

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

    def __init__(self, app: ASGIApp, keys_ref: dict[str, Any]) -> None:
        self.app = app
        self.keys_ref = keys_ref

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.method == "GET" and "text/html" in request.headers.get("accept", "") and not request.query_params:
            await self.app(scope, receive, send)  # the GraphiQL page
            return
        secret = bearer_secret(request.headers.get("authorization"))
        if secret is None:
            await unauthenticated("Send an API key: `Authorization: Bearer <key>`.")(scope, receive, send)
            return
        principal = await self.keys_ref["keys"].principal(secret)
        if principal is None:
            await unauthenticated("The API key is unknown or revoked.")(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


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
        refs["keys"] = KeyCache(refs["store"], settings.api_key_cache_seconds)
        try:
            yield
        finally:
            if own:
                await refs["store"].close()

    if store is not None:
        refs["store"] = store
        refs["keys"] = KeyCache(store, settings.api_key_cache_seconds)

    view = GraphQLView(refs, settings)
    schema_text = sdl()

    async def healthz(request: Request) -> Response:
        try:
            await refs["store"].db.command("ping")
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def schema_sdl(request: Request) -> Response:
        return PlainTextResponse(schema_text)

    routes: list[Any] = [
        Route("/graphql", view, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/schema.graphql", schema_sdl),
        *HostedPages(refs, settings).routes(),
    ]
    if settings.graphiql_enabled and graphiql.assets_available():
        routes.append(Mount(graphiql.ASSETS_PREFIX, StaticFiles(directory=graphiql.ASSETS_DIR)))
    app = Starlette(routes=routes, lifespan=lifespan, max_body_size=settings.max_body_bytes)
    app.add_middleware(AuthMiddleware, keys_ref=refs)
    return app
