"""`GET /files/{id}`: downloads an attachment's file, with the same bearer API key as /graphql.

Streams the file from GridFS chunk by chunk. A file of another organization answers 404, exactly like
one that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from resolvers.auth import KeyCache, bearer_secret
from store.activity import files
from store.db import Store
from store.ids import type_of_id


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers=headers
    )


def download_route(refs: dict[str, Any]) -> Any:
    async def download(request: Request) -> Response:
        keys: KeyCache = refs["keys"]
        store: Store = refs["store"]
        secret = bearer_secret(request.headers.get("authorization"))
        principal = await keys.principal(secret) if secret else None
        if principal is None:
            return _error(
                401,
                "UNAUTHENTICATED",
                "Send a valid API key: `Authorization: Bearer <key>`.",
                {"WWW-Authenticate": 'Bearer realm="customer-graph"'},
            )
        file_id = request.path_params["file_id"]
        org = store.for_org(principal.organization_id)
        info = await files.info(org, file_id) if type_of_id(file_id) == "StoredFile" else None
        if info is None:
            return _error(404, "NOT_FOUND", f"no file {file_id} in this organization")
        meta = info.get("metadata") or {}
        content_type = meta.get("contentType", "application/octet-stream")
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        headers = {
            "Content-Length": str(info["length"]),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(info.get('filename') or 'file')}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": f'"{meta.get("sha256", "")}"',
        }
        return StreamingResponse(files.chunks(org, file_id), media_type=content_type, headers=headers)

    return download
