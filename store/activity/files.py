"""Attachment files in GridFS (`attachments.files` / `attachments.chunks`), one organization at a time.

GridFS documents cannot go through `Scoped`, so this module is where their tenant scope is applied:
every file carries `metadata.organizationId`, and every read or delete first checks it. A file of
another organization is indistinguishable from a file that does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING

from store.db import Doc, OrgDb

BUCKET = "attachments"
FILES = f"{BUCKET}.files"
CHUNKS = f"{BUCKET}.chunks"

# The indexes GridFS itself wants (same keys and names, so its own check finds them), plus the org lookup.
INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    FILES: [
        ([("filename", ASCENDING), ("uploadDate", ASCENDING)], {"name": "filename_1_uploadDate_1"}),
        (
            [("metadata.organizationId", ASCENDING), ("metadata.customerId", ASCENDING)],
            {"name": "org_customer"},
        ),
    ],
    CHUNKS: [([("files_id", ASCENDING), ("n", ASCENDING)], {"unique": True, "name": "files_id_1_n_1"})],
}


def _bucket(org: OrgDb) -> AsyncGridFSBucket:
    return AsyncGridFSBucket(org.db, bucket_name=BUCKET)


async def put(
    org: OrgDb,
    file_id: str,
    filename: str,
    data: bytes,
    *,
    content_type: str,
    sha256: str,
    customer_id: str,
    now: datetime,
) -> None:
    await _bucket(org).upload_from_stream_with_id(
        file_id,
        filename,
        data,
        metadata={
            "organizationId": org.org_id,
            "customerId": customer_id,
            "contentType": content_type,
            "sha256": sha256,
            "createdTime": now,
        },
    )


async def info(org: OrgDb, file_id: str) -> Doc | None:
    """The file's GridFS document, if it belongs to this organization."""
    return await org.db[FILES].find_one({"_id": file_id, "metadata.organizationId": org.org_id})


async def chunks(org: OrgDb, file_id: str) -> AsyncIterator[bytes]:
    """The file's content, chunk by chunk (call `info` first: this does not check the organization)."""
    stream = await _bucket(org).open_download_stream(file_id)
    try:
        while chunk := await stream.readchunk():
            yield chunk
    finally:
        await stream.close()


async def delete(org: OrgDb, file_id: str) -> bool:
    """Removes the file and its chunks; False when there was none in this organization (idempotent)."""
    if await info(org, file_id) is None:
        return False
    try:
        await _bucket(org).delete(file_id)
    except NoFile:
        return False
    return True
