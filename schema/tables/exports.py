"""CSV exports of a data table (a segment, or a filter), written in the background and downloaded once ready."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from schema.activity.timeline import Actor
from schema.common import Node, UserError
from schema.tables.segments import (
    CustomerSegmentDefinitionInput,
    InvoiceSegmentDefinitionInput,
    TransactionSegmentDefinitionInput,
)
from schema.tables.tables import DataTable


@strawberry.enum(description="Where an export is.")
class DataExportStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for the export worker.")
    PROCESSING = strawberry.enum_value("PROCESSING", description="Being written; see `progress`.")
    COMPLETED = strawberry.enum_value("COMPLETED", description="The file is ready at `downloadUrl` until `expiresTime`.")
    FAILED = strawberry.enum_value("FAILED", description="Gave up after repeated failures; see `failureReason`.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="The file was removed after `expiresTime`.")


@strawberry.type(description="A CSV export of a data table (the guide's *Export as CSV*).")
class DataExport(Node):
    table: DataTable = strawberry.field(description="The exported table.")
    segment_id: strawberry.ID | None = strawberry.field(description="The segment it exports, when one was given.")
    filename: str = strawberry.field(description="Name of the CSV file.")
    columns: list[str] = strawberry.field(description="The file's columns, in order (its header row).")
    byte_order_mark: bool = strawberry.field(description="The file starts with a UTF-8 byte order mark (for spreadsheets).")
    status: DataExportStatus = strawberry.field(description="Where the export is.")
    row_count: int = strawberry.field(description="Rows written so far (all of them once COMPLETED); the header is not counted.")
    total_rows: int | None = strawberry.field(
        description="Rows the export matched when it started (null until the worker counted them)."
    )
    progress: float = strawberry.field(description="Share done, 0 to 1 (1 once COMPLETED).")
    requested_by: Actor = strawberry.field(description="Who asked for it (a user is notified when it is ready).")
    failure_reason: str | None = strawberry.field(description="Why it FAILED.")
    download_url: str | None = strawberry.field(
        description="Where to GET the file once COMPLETED, with an API key of this organization "
        "(`Authorization: Bearer …`); null before and after."
    )
    size_bytes: int | None = strawberry.field(description="Size of the file once COMPLETED.")
    created_time: datetime = strawberry.field(description="When it was asked for.")
    completed_time: datetime | None = strawberry.field(description="When the file was ready.")
    expires_time: datetime | None = strawberry.field(description="When the file will be removed.")

    @classmethod
    def from_doc(cls, d: dict[str, Any], download_url: str | None) -> DataExport:
        status = d["status"]
        total = d.get("totalRows")
        rows = int(d.get("rowCount") or 0)
        progress = 1.0 if status == "COMPLETED" else (min(1.0, rows / total) if total else 0.0)
        return cls(
            id=strawberry.ID(d["id"]), table=DataTable[d["table"]], segment_id=d.get("segmentId"),
            filename=d["filename"], columns=list(d["columns"]), byte_order_mark=bool(d.get("bom")),
            status=DataExportStatus[status], row_count=rows, total_rows=total, progress=progress,
            requested_by=Actor.from_doc(d["requestedBy"]), failure_reason=d.get("failureReason"),
            download_url=download_url if status == "COMPLETED" else None,
            size_bytes=d.get("length") if status == "COMPLETED" else None,
            created_time=d["createdTime"], completed_time=d.get("completedTime"), expires_time=d.get("expiresTime"),
        )


@strawberry.input(
    description="What to export: a saved segment (`segmentId`), or a table's definition (`customers`, "
    "`transactions` or `invoices`, as in `segmentCreate`). Give exactly one of the four."
)
class DataExportCreateInput:
    segment_id: strawberry.ID | None = strawberry.field(
        default=None, description="Export this segment's rows (`seg_…`, built-ins included)."
    )
    customers: CustomerSegmentDefinitionInput | None = strawberry.field(
        default=None, description="Export customers matching this filter."
    )
    transactions: TransactionSegmentDefinitionInput | None = strawberry.field(
        default=None, description="Export transactions matching this filter."
    )
    invoices: InvoiceSegmentDefinitionInput | None = strawberry.field(
        default=None, description="Export invoices (the Billing table) matching this filter."
    )
    columns: list[str] | None = strawberry.field(
        default=None, description="Columns in order (≤ 50); default: the segment's columns, else the table's defaults."
    )
    byte_order_mark: bool = strawberry.field(
        default=False, description="Start the file with a UTF-8 byte order mark (Excel then reads UTF-8 correctly)."
    )
    filename: str | None = strawberry.field(default=None, description="File name (≤ 100; `.csv` is added).")


@strawberry.type(description="Result of `dataExportCreate`.")
class DataExportCreatePayload:
    data_export: DataExport | None = strawberry.field(description="The queued export; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
