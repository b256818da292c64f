"""HTTP caching of GET answers: persisted queries are cacheable by the browser of the key that asked.

A GET that names a persisted (or trusted) document by its id runs a query whose text is fixed, so its
successful answer is `Cache-Control: private, max-age=PERSISTED_GET_MAX_AGE_SECONDS` (0 by default:
the browser keeps it and revalidates every time) with `Vary: Authorization, Accept` and a weak `ETag`
over the answer's `data`; a revalidation whose `If-None-Match` names it is a `304 Not Modified` without
a body. The query still runs (the data may have changed): what a 304 saves is the transfer. `private`,
because every answer is one organization's data; a shared cache (CDN) must not keep it. The ETag
leaves out `extensions` (the cost and throttle status change with every request). Every other GET
answer - errors, GETs with the full query text - is `no-store`. Mutations never run by GET
(resolvers/edge/requests.py `check_transport`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from starlette.responses import Response

NO_STORE = "no-store"
VARY = "Authorization, Accept"


def etag(data: Any) -> str:
    return 'W/"' + hashlib.blake2b(orjson.dumps(data), digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    return any(t.strip() == "*" or t.strip().removeprefix("W/") == wanted for t in if_none_match.split(","))


def answer(response: Response, response_data: Any, if_none_match: str | None, cacheable: bool, max_age: int) -> Response:
    """The GET answer with its caching headers, or a 304 when the client's copy is still current."""
    response.headers["Vary"] = VARY
    ok = cacheable and response.status_code == 200 and isinstance(response_data, dict) \
        and response_data.get("data") is not None and not response_data.get("errors")
    if not ok:
        response.headers["Cache-Control"] = NO_STORE
        return response
    tag = etag(response_data["data"])
    headers = {"Cache-Control": f"private, max-age={max(0, max_age)}", "ETag": tag, "Vary": VARY}
    if matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
