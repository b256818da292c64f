"""The Starlette application: /graphql (with GraphiQL), /healthz, /schema.graphql, local IDE assets."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from pymongo.errors import ConnectionFailure
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
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
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from resolvers import graphiql, tables
from resolvers.activity import api_logs as logging_rules
from resolvers.activity.files import download_route
from resolvers.activity.jobs import API_LOG_EXPIRY
from resolvers.auth import KeyCache, bearer_secret
from resolvers.billing.documents import pdf_route
from resolvers.billing.invoice_page import InvoicePayPages
from resolvers.billing.quote_documents import quote_pdf_route
from resolvers.billing.quote_page import QuotePages
from resolvers.billing.quotes import quote_status
from resolvers.compliance.kyc_page import KycPage
from resolvers.context import Context, Principal, now
from resolvers.edge import envelope, tracing
from resolvers.edge.cors import Cors, origins
from resolvers.edge.cost import Bucket
from resolvers.edge.envelope import RequestError
from resolvers.edge.observe import Observe, metrics, note
from resolvers.edge.persisted import PersistedDocuments, RequestData
from resolvers.edge.requests import Documents, check_transport, inflate, load_json, request_data
from resolvers.edge.tracing import make_tracer
from resolvers.links.customer_pages import CustomerLinkPages
from resolvers.links.deposit_page import DepositPage
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


def unavailable(accept: str | None = None) -> Response:
    return envelope.error_response(accept, 503, "SERVICE_UNAVAILABLE", UNAVAILABLE, headers={"Retry-After": "5"})


def unauthenticated(message: str, accept: str | None = None) -> Response:
    return envelope.error_response(accept, 401, "UNAUTHENTICATED", message,
                                   headers={"WWW-Authenticate": 'Bearer realm="customer-graph"'})


# A websocket's context before its `connection_init` proved a key: it can do nothing.
NOBODY = Principal(organization_id="", key_id="", key_name="unauthenticated", scope="none")


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


WS_MUTATION = ("Mutations are not run over the websocket: send them with POST /graphql, where each is written to the "
               "API log. The websocket carries subscriptions (and queries).")


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, refusing mutations with a message that says where they go."""

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload") if isinstance(message, dict) else None
        query = payload.get("query") if isinstance(payload, dict) else None
        if self.connection_acknowledged and isinstance(query, str) and "mutation" in query:
            doc = self.view.documents.get(query)  # type: ignore[attr-defined]
            try:
                op = doc.operation(payload.get("operationName"))  # type: ignore[union-attr]
            except RequestError:
                op = None
            if op is not None and op.operation.value == "mutation":
                await self.send_message({"id": message["id"], "type": "error",
                                         "payload": [{"message": WS_MUTATION, "extensions": {"code": "BAD_REQUEST"}}]})
                return
        await super().handle_subscribe(message)


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler

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
        self.documents = Documents(max_tokens=settings.max_tokens)
        self.graphql_schema = self.schema._schema  # type: ignore[attr-defined]
        self.persisted = PersistedDocuments()
        self.bucket = Bucket(settings.cost_bucket_size, settings.cost_restore_rate) if settings.cost_bucket_size > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:  # Strawberry's and ours: one JSON envelope with a code
            response = envelope.from_exception(request.headers.get("accept"), exc)
            note(scope, outcome=getattr(exc, "code", None) or envelope.CODE_BY_STATUS.get(exc.status_code, "BAD_REQUEST"))
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """The IDE for a browser's page load; a GET naming a document (a persisted query) runs it."""
        return (request.method == "GET" and "text/html" in request.headers.get("accept", "")
                and not PERSISTED_PARAMS & request.query_params.keys())

    def decode_json(self, data: str | bytes) -> object:
        return load_json(data)

    async def parse_http_body(self, request: Any) -> Any:
        """The request's fields, each checked (resolvers/edge/requests.py); gzip bodies inflated."""
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method == "GET":
            data: Any = self.parse_query_params(request.query_params)
        elif "application/json" in content_type:
            try:
                body = await request.get_body()
            except StarletteHTTPException as exc:  # a chunked body past the limit (RequestGuard)
                if exc.status_code != 413:
                    raise
                raise RequestError(413, "PAYLOAD_TOO_LARGE",
                                   f"The request body is larger than {self.settings.max_body_bytes:,} bytes.") from exc
            raw = inflate(body, request.headers.get("content-encoding"), self.settings.max_body_bytes)
            data = load_json(raw)
        elif content_type == "multipart/form-data":
            data = await self.parse_multipart(request)
        else:
            raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE",
                               "Send `Content-Type: application/json` (or multipart/form-data for uploads).")
        return request_data(data, "http")

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        try:
            return await super().parse_multipart(request)
        except HTTPException:
            raise
        except (TypeError, AttributeError, ValueError) as exc:  # `operations`/`map` of the wrong shape
            raise RequestError(400, "BAD_REQUEST", "A multipart request needs an `operations` JSON object and a "
                               "`map` JSON object of file fields to variable paths.") from exc

    async def prepare(self, request: Any, request_adapter: Any, context: Context, data: RequestData) -> Any:
        """Everything before execution: the persisted document, the operation, its transport and its cost.

        Returns the operation to run; raises RequestError for a request that must not run."""
        principal = context.principal
        data.query = await self.persisted.resolve(context.org, data, principal.trusted_documents, now())
        if not data.query:
            raise RequestError(400, "BAD_REQUEST", "No GraphQL query found in the request: send `query` (or the id "
                               "of a persisted document).")
        doc = self.documents.get(data.query)
        op = doc.operation(data.operation_name)
        note(request.scope, operation=data.operation_name or (op.name.value if op is not None and op.name else None))
        if op is None:
            return None  # a syntax error or no operation: execution reports it as it always has
        check_transport(op, request_adapter.method, data.protocol)
        cost = doc.cost(self.graphql_schema, op).evaluate(data.variables)
        limit = self.settings.max_query_cost
        status: dict[str, Any] = {"requestedQueryCost": cost, "maximumAvailable": limit}
        if cost > limit:
            raise RequestError(400, "QUERY_TOO_COSTLY", f"This query may return {cost:,} objects; the most one request "
                               f"may ask for is {limit:,}. Ask for smaller pages (`first`/`last`) or fewer nested "
                               "connections.", extensions={"cost": status})
        if self.bucket is not None:
            allowed, available, wait = self.bucket.take(principal.key_id, cost)
            status["throttleStatus"] = {"maximumAvailable": self.bucket.size, "currentlyAvailable": int(available),
                                        "restoreRate": self.bucket.restore_rate}
            if not allowed:
                retry = max(1, int(wait + 0.999))
                raise RequestError(429, "THROTTLED", f"This API key's query budget is used up: this query costs {cost:,}, "
                                   f"{int(available):,} points are available now. Retry in {retry} s.",
                                   headers={"Retry-After": str(retry)},
                                   extensions={"cost": status, "retryAfterSeconds": retry})
        request.state.cost = status
        note(request.scope, cost=cost)
        return op

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
        op = await self.prepare(request, request_adapter, context, request_data)
        collected: list[str] = []
        token = USER_ERROR_SINK.set(collected)
        touched = TOUCHED_CUSTOMERS.set(context.touched_customers)
        try:
            execution = super().execute_single(
                request=request, request_adapter=request_adapter, sub_response=sub_response, context=context,
                root_value=root_value, request_data=request_data,
            )
            if op is not None and op.operation.value == "query":
                try:
                    async with asyncio.timeout(self.settings.query_timeout_seconds):
                        result = await execution
                except TimeoutError:
                    raise RequestError(504, "TIMEOUT", f"The query ran longer than {self.settings.query_timeout_seconds:g} s "
                                       "and was stopped: ask for less (smaller pages, fewer connections).") from None
            else:
                result = await execution
            note(request.scope, outcome="errors" if result.errors else "ok")
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
        document = self.documents.get(query).node
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
        cost = getattr(request.state, "cost", None) if request is not None and self.settings.cost_in_extensions else None
        if cost is not None:
            data["extensions"] = {**(data.get("extensions") or {}), "cost": cost}
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        # GraphQL-over-HTTP: with its own media type, a response without data (the request failed
        # validation) is a 400; plain `application/json` keeps 200, which older clients expect.
        accept = getattr(sub_response, "accept", None)
        if envelope.media_type(accept) == envelope.GRAPHQL_RESPONSE:
            response.headers["content-type"] = envelope.GRAPHQL_RESPONSE
            if isinstance(response_data, dict) and response_data.get("data") is None and response_data.get("errors") \
                    and response.status_code == 200:
                response.status_code = 400
        return response

    async def get_sub_response(self, request: Any) -> Response:
        sub = await super().get_sub_response(request)
        sub.accept = request.headers.get("accept")  # type: ignore[attr-defined]
        if request.method == "GET":  # a shared cache (CDN) must key a GET's answer by the key that asked
            sub.headers["Vary"] = "Authorization, Accept"
        return sub

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql.local_html(super().graphql_ide_html)


PERSISTED_PARAMS = frozenset({"query", "extensions", "documentId", "doc_id", "id"})


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
        accept = request.headers.get("accept")
        if request.method not in ("GET", "POST"):
            response = envelope.error_response(accept, 405, "METHOD_NOT_ALLOWED",
                                               f"/graphql answers GET (queries) and POST, not {request.method}.",
                                               headers={"Allow": "GET, POST"})
            await response(scope, receive, send)
            return
        if request.method == "GET" and "text/html" in (accept or "") and not PERSISTED_PARAMS & request.query_params.keys():
            page = self.app if self.ide else envelope.error_response(accept, 404, "NOT_FOUND", "GraphiQL is switched off.")
            await page(scope, receive, send)  # the GraphiQL page needs no key: it asks for one
            return
        secret = bearer_secret(request.headers.get("authorization"))
        if secret is None:
            await unauthenticated("Send an API key: `Authorization: Bearer <key>`.", accept)(scope, receive, send)
            return
        try:
            principal = await self.keys_ref["keys"].principal(secret)
        except ConnectionFailure as exc:
            log.warning("document store unavailable during authentication: %s", exc)
            await unavailable(accept)(scope, receive, send)
            return
        if principal is None:
            await unauthenticated("The API key is unknown or revoked.", accept)(scope, receive, send)
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
            response = envelope.error_response(
                headers.get("accept"), 400, "CSRF_PREVENTED",
                "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
                "Send `Content-Type: application/json`, or a non-empty `Apollo-Require-Preflight` header "
                "(multipart uploads).")
            await response(scope, receive, send)
            return
        limit = self.upload_limit if content_type == "multipart/form-data" else self.json_limit
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await too_large(headers.get("accept"), limit)(scope, receive, send)
            return
        await RequestBodyLimitMiddleware(self.app, limit)(scope, receive, send)


def too_large(accept: str | None, limit: int) -> Response:
    return envelope.error_response(accept, 413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {limit:,} bytes.")


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
