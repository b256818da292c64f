"""GraphQL errors as the API shows them (a code on every one, masked in production) and the request-level
answers for authentication and an unreachable store."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from pymongo.errors import ConnectionFailure
from starlette.responses import Response

from resolvers.edge import envelope
from resolvers.schema import is_expected

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
