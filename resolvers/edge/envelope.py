"""One error envelope for every request-level failure: `{"data": null, "errors": [{"message", "extensions":
{"code"}}]}` as JSON, with the HTTP status that says what went wrong.

`RequestError` is raised anywhere while a request is read, resolved to an operation or checked (cost,
persisted documents); the view turns it, and Strawberry's own `HTTPException`s, into this envelope.
The media type follows the GraphQL-over-HTTP spec: `application/graphql-response+json` when the client
accepts it (Apollo Client 4 and graphql-http send that first, and then read the errors of a non-2xx
response as GraphQL errors, so its error link sees `UNAUTHENTICATED`), `application/json` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.responses import Response

GRAPHQL_RESPONSE = "application/graphql-response+json"

# Codes for Strawberry's own request errors, which carry only a status and a reason.
CODE_BY_STATUS = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE",
                  415: "UNSUPPORTED_MEDIA_TYPE"}


class RequestError(HTTPException):
    """A request the gateway will not run, with its code and any extra headers or extensions."""

    def __init__(self, status_code: int, code: str, message: str, *, headers: Mapping[str, str] | None = None,
                 extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


def media_type(accept: str | None) -> str:
    """`application/graphql-response+json` if the client lists it before (or without) `application/json`."""
    if not accept:
        return "application/json"
    ranked = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in ranked:
        if "application/json" not in ranked or ranked.index(GRAPHQL_RESPONSE) < ranked.index("application/json"):
            return GRAPHQL_RESPONSE
    return "application/json"


def body(code: str, message: str, extensions: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code, **(extensions or {})}}]}


def error_response(accept: str | None, status_code: int, code: str, message: str, *,
                   headers: Mapping[str, str] | None = None, extensions: Mapping[str, Any] | None = None) -> Response:
    return Response(orjson.dumps(body(code, message, extensions)), status_code=status_code,
                    media_type=media_type(accept), headers=dict(headers or {}))


def from_exception(accept: str | None, error: HTTPException) -> Response:
    if isinstance(error, RequestError):
        return error_response(accept, error.status_code, error.code, error.reason, headers=error.headers,
                              extensions=error.extensions)
    code = CODE_BY_STATUS.get(error.status_code, "BAD_REQUEST")
    headers = {"Allow": "GET, POST"} if error.status_code == 405 else None
    return error_response(accept, error.status_code, code, error.reason, headers=headers)
