"""CSV exports: `dataExportCreate` queues one, `dataExport(id)` reports it, `GET /exports/{id}/file`
downloads the file (same bearer API key as /graphql, same organization only)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from resolvers import validation as v
from resolvers.auth import KeyCache, bearer_secret, mutation
from resolvers.context import INPUT, Context, Info, now
from resolvers.tables import worker
from resolvers.tables.segments import check_columns, definition_of
from schema.common import ClientError, Problems, UserErrorCode
from schema.tables.exports import DataExport, DataExportCreateInput, DataExportCreatePayload
from store.db import Store
from store.ids import type_of_id
from store.tables import exports, segments


def download_path(export_id: str) -> str:
    return f"/exports/{export_id}/file"


def to_node(ctx: Context, doc: dict[str, Any]) -> DataExport:
    return DataExport.from_doc(doc, ctx.public_url(download_path(doc["id"])))


def _filename(problems: Problems, given: str | None, table: str, t: Any) -> str:
    if given is not None and v.mask_card_numbers(given) != given:
        problems.add(["filename"], "contains a card number; card numbers are not stored", UserErrorCode.INVALID)
        return "export.csv"
    name = v.text(problems, ["filename"], given, 100) if given is not None else None
    if name is not None and not re.fullmatch(r"[\w .\-]+", name):
        problems.add(["filename"], "may contain only letters, digits, spaces, `.`, `_` and `-`", UserErrorCode.INVALID)
    name = name or f"{table.lower()}-{t:%Y%m%d}T{t:%H%M%S}"  # a T: no digit run that reads as a card number
    return name if name.lower().endswith(".csv") else name + ".csv"


@strawberry.type
class DataExportQueries:
    @strawberry.field(description="One export by id (anyone's in the organization); null when there is none.")
    async def data_export(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Export id (`dexp_…`).")]
    ) -> DataExport | None:
        kind = type_of_id(str(id))
        if kind != "DataExport":
            raise ClientError(f"{id} is {'a ' + kind if kind else 'not a DataExport'} id; expected `dexp_…`")
        doc = await exports.get(info.context.org, str(id))
        return to_node(info.context, doc) if doc else None


@strawberry.type
class DataExportMutations:
    @mutation(
        "Exports a table's segment or filter to a CSV file with the chosen columns in order (the guide's "
        "*Export as CSV*). Runs in the background on the scheduler: follow `dataExport(id) { status progress }`; the requesting "
        "user is notified when the file is ready."
    )
    async def data_export_create(
        self, info: Info, input: Annotated[DataExportCreateInput, INPUT]
    ) -> DataExportCreatePayload:
        ctx = info.context
        problems = Problems()
        given = [x for x in (input.segment_id, input.customers, input.transactions, input.invoices) if x is not None]
        if len(given) != 1:
            problems.add(None, "give exactly one of `segmentId`, `customers`, `transactions` and `invoices`",
                         UserErrorCode.EXACTLY_ONE_REQUIRED)
            return DataExportCreatePayload(data_export=None, user_errors=problems.errors)
        segment_id = str(input.segment_id) if input.segment_id is not None else None
        default_columns: list[str] | None = None
        if segment_id is not None:
            kind = type_of_id(segment_id)
            seg = await segments.get(ctx.org, segment_id) if kind == "Segment" else None
            if kind != "Segment":
                problems.add(["segmentId"], f"{segment_id} is {'a ' + kind if kind else 'not a Segment'} id; "
                             "expected `seg_…`", UserErrorCode.WRONG_ID_TYPE)
            elif seg is None:
                problems.add(["segmentId"], f"no segment {segment_id} in this organization", UserErrorCode.NOT_FOUND)
            if seg is None:
                return DataExportCreatePayload(data_export=None, user_errors=problems.errors)
            table, definition, default_columns = seg["table"], seg["definition"], seg["columns"]
        else:
            table, definition = await definition_of(ctx, problems, input.customers, input.transactions, input.invoices)
        columns = check_columns(problems, ["columns"], table, input.columns or default_columns)
        t = now()
        filename = _filename(problems, input.filename, table, t)
        if problems:
            return DataExportCreatePayload(data_export=None, user_errors=problems.errors)
        doc = exports.new_job(
            table=table, segment_id=segment_id, definition=definition, columns=columns, bom=input.byte_order_mark,
            filename=filename, requested_by=ctx.actor(), user_id=ctx.principal.user_id, now=t,
        )
        # The scheduler's job first: an export document never exists without the job that writes it.
        await worker.schedule(ctx.org, doc["id"], t)
        await exports.insert(ctx.org, doc)
        return DataExportCreatePayload(data_export=to_node(ctx, doc), user_errors=[])


def _error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="customer-graph"'} if status == 401 else None
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers=headers)


def export_download_route(refs: dict[str, Any]) -> Any:
    async def download(request: Request) -> Response:
        keys: KeyCache = refs["keys"]
        store: Store = refs["store"]
        secret = bearer_secret(request.headers.get("authorization"))
        principal = await keys.principal(secret) if secret else None
        if principal is None:
            return _error(401, "UNAUTHENTICATED", "Send a valid API key: `Authorization: Bearer <key>`.")
        export_id = request.path_params["export_id"]
        org = store.for_org(principal.organization_id)
        doc = await exports.get(org, export_id) if type_of_id(export_id) == "DataExport" else None
        if doc is None:
            return _error(404, "NOT_FOUND", f"no export {export_id} in this organization")
        if doc["status"] == "EXPIRED" or (doc.get("expiresTime") and doc["expiresTime"] <= now()):
            return _error(410, "EXPIRED", f"the file of export {export_id} has expired; export again")
        info = await exports.file_info(org, doc["fileId"]) if doc["status"] == "COMPLETED" else None
        if info is None:
            return _error(409, "NOT_READY", f"export {export_id} is {doc['status']}; the file is not ready yet")
        headers = {
            "Content-Length": str(info["length"]),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc['filename'])}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
        return StreamingResponse(exports.file_chunks(org, doc["fileId"]), media_type="text/csv; charset=utf-8",
                                 headers=headers)

    return download


