"""The middlewares in front of /graphql: API-key authentication, CSRF protection and body limits."""

from __future__ import annotations

import logging
from typing import Any

from pymongo.errors import ConnectionFailure
from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from resolvers.auth import bearer_secret
from resolvers.edge import envelope
from resolvers.edge.errors import unauthenticated, unavailable
from resolvers.edge.persisted import PERSISTED_PARAMS

log = logging.getLogger("customer_graph")


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
