"""The GraphQL view of /graphql: requests read, resolved to one operation, checked (persisted documents,
transport, cost) and run; mutations written to the API log; websockets for subscriptions."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import time
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from resolvers import graphiql
from resolvers.activity import api_logs as logging_rules
from resolvers.auth import bearer_secret
from resolvers.context import Context, Principal, now
from resolvers.edge import caching, envelope
from resolvers.edge.budget import SharedBucket
from resolvers.edge.envelope import RequestError
from resolvers.edge.errors import UNAVAILABLE, error_code, format_error
from resolvers.edge.observe import note
from resolvers.edge.persisted import PERSISTED_PARAMS, PersistedDocuments, RequestData
from resolvers.edge.requests import Documents, check_transport, inflate, load_json, request_data
from resolvers.schema import build_schema
from resolvers.settings import Settings
from schema.common import TOUCHED_CUSTOMERS, USER_ERROR_SINK
from store.activity import api_logs

log = logging.getLogger("customer_graph")
MAX_RETRY_SECONDS = 86_400  # a bucket that never refills (`COST_RESTORE_RATE=0`) says "a day"


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
        self.bucket = SharedBucket(settings.cost_bucket_size, settings.cost_restore_rate,
                                   settings.cost_bucket_size * settings.cost_bucket_reserve_fraction) \
            if settings.cost_bucket_size > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:  # Strawberry's and ours: one JSON envelope with a code
            response = envelope.from_exception(request.headers.get("accept"), exc)
            if request.method == "GET":  # an error is never kept by a cache (a persisted query not found, too)
                response.headers["Cache-Control"] = caching.NO_STORE
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
        persisted = data.document_id is not None or bool((data.extensions or {}).get("persistedQuery"))
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
        request.state.cacheable = persisted and request_adapter.method == "GET" and op.operation.value == "query"
        cost = doc.cost(self.graphql_schema, op).evaluate(data.variables)
        limit = self.settings.max_query_cost
        status: dict[str, Any] = {"requestedQueryCost": cost, "maximumAvailable": limit}
        if cost > limit:
            raise RequestError(400, "QUERY_TOO_COSTLY", f"This query may return {cost:,} objects; the most one request "
                               f"may ask for is {limit:,}. Ask for smaller pages (`first`/`last`) or fewer nested "
                               "connections.", extensions={"cost": status})
        if self.bucket is not None:
            try:
                allowed, available, wait = await self.bucket.take(context.org, principal.key_id, cost)
            except ConnectionFailure as exc:
                log.warning("document store unavailable while taking a query's cost: %s", exc)
                raise RequestError(503, "SERVICE_UNAVAILABLE", UNAVAILABLE, headers={"Retry-After": "5"}) from exc
            status["throttleStatus"] = {"maximumAvailable": self.bucket.size, "currentlyAvailable": int(available),
                                        "restoreRate": self.bucket.restore_rate}
            if not allowed:
                retry = max(1, math.ceil(min(wait, MAX_RETRY_SECONDS)))
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
        request = getattr(sub_response, "request", None)
        if request is not None and request.method == "GET":
            return caching.answer(response, response_data, request.headers.get("if-none-match"),
                                  getattr(request.state, "cacheable", False), self.settings.persisted_get_max_age_seconds)
        return response

    async def get_sub_response(self, request: Any) -> Response:
        sub = await super().get_sub_response(request)
        sub.accept = request.headers.get("accept")  # type: ignore[attr-defined]
        sub.request = request  # type: ignore[attr-defined]  # a GET's caching headers (create_response)
        return sub

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql.local_html(super().graphql_ide_html)

