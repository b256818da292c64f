"""CORS for browser dashboards on other origins (Apollo, urql, Relay in a browser).

Starlette's `CORSMiddleware`, outermost, so a preflight (`OPTIONS` with `Origin` and
`Access-Control-Request-Method`) is answered before authentication, which it cannot pass (browsers
send no `Authorization` on a preflight). Origins are an explicit list and/or a regex
(`CORS_ALLOW_ORIGINS`, `CORS_ALLOW_ORIGIN_REGEX`): none by default, so a production gateway answers no
browser on another origin until told which; `scripts/dev` allows its own origin and localhost. Allowed:
credentials, the headers the clients send (authorization, content-type, Apollo's CSRF and client
headers, the request id); exposed: the request id and `Retry-After`. Responses carry `Vary: Origin`.
A refused preflight answers the JSON error envelope (`CORS_REJECTED`).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from resolvers.edge import envelope

ALLOW_HEADERS = (
    "authorization", "content-type", "accept", "apollo-require-preflight", "x-apollo-operation-name",
    "apollographql-client-name", "apollographql-client-version", "x-request-id", "content-encoding",
)
EXPOSE_HEADERS = ("x-request-id", "retry-after")
DEV_ORIGIN_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


class Cors(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: list[str], origin_regex: str | None) -> None:
        super().__init__(app, allow_origins=origins, allow_origin_regex=origin_regex, allow_methods=["GET", "POST"],
                         allow_headers=list(ALLOW_HEADERS), allow_credentials=True, expose_headers=list(EXPOSE_HEADERS),
                         max_age=600)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return Response(status_code=204, headers={k: v for k, v in response.headers.items()
                                                      if k.lower() not in ("content-length", "content-type")})
        reason = bytes(response.body).decode()
        failed = envelope.error_response(
            request_headers.get("accept"), 400, "CORS_REJECTED",
            f"{reason}: this origin, method or header is not allowed to call the API from a browser "
            "(see CORS_ALLOW_ORIGINS in docs/clients.md).")
        failed.headers["Vary"] = "Origin"
        return failed


def origins(setting: str) -> list[str]:
    return [o.strip().rstrip("/") for o in setting.split(",") if o.strip()]
