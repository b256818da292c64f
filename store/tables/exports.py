"""The `data_exports` collection and the exports' CSV files in GridFS (`exports.files` / `exports.chunks`).

An export is written by a sequence of single-document steps, each safe to repeat, so a worker that dies
at any point leaves a job another worker finishes with every row exactly once:

1. The task writing the export (started by the scheduler's `tables.export` job, keyed by the export
   id) first `claim`s the export for its process (a lease: `leaseOwner`, `leaseUntil`: free, run out,
   or its own), and every later step is guarded by that lease.
2. `write_chunks` upserts GridFS chunks `n..` of the file (same `files_id` and `n` again → the same
   document replaced, never a second one), then `checkpoint` records, in the export document, the last
   exported sort key, the next chunk number and the bytes that did not fill a chunk (`remainder`,
   < one chunk). A crash between the two rewrites the same chunks from the same key.
3. `finish_file` writes the last partial chunk and the GridFS files document (upserted by id); only then
   is the export `COMPLETED` with its `fileId` and `expiresTime`.

The file is a normal GridFS file (255 KiB chunks), read back with GridFS's own download stream.
Everything goes through the export's organization's `OrgDb` (the scheduler's claim established it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from bson import Binary
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb
from store.ids import new_id

COLLECTION = "data_exports"
BUCKET = "exports"
FILES = f"{BUCKET}.files"
CHUNKS = f"{BUCKET}.chunks"
CHUNK_SIZE = 255 * 1024  # GridFS's default

ACTIVE = ["PENDING", "PROCESSING"]

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    COLLECTION: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        (
            [("organizationId", ASCENDING), ("requestedBy.id", ASCENDING), ("createdTime", DESCENDING)],
            {"name": "org_requester_created"},
        ),
    ],
    FILES: [([("filename", ASCENDING), ("uploadDate", ASCENDING)], {"name": "filename_1_uploadDate_1"})],
    CHUNKS: [([("files_id", ASCENDING), ("n", ASCENDING)], {"unique": True, "name": "files_id_1_n_1"})],
}


def new_job(*, table: str, segment_id: str | None, definition: Doc, columns: list[str], bom: bool, filename: str,
            requested_by: Doc, user_id: str | None, now: datetime) -> Doc:
    """A PENDING export: what to read (table, definition: segment/filter/sort as a segment stores them),
    the file's columns, and the worker's resume state at its start."""
    return {
        "id": new_id("dexp"), "table": table, "segmentId": segment_id, "definition": definition,
        "columns": columns, "bom": bom, "filename": filename, "status": "PENDING",
        "requestedBy": requested_by, "userId": user_id, "fileId": new_id("file"),
        "totalRows": None, "rowCount": 0, "lastKey": None, "nextChunk": 0, "remainder": b"", "length": 0,
        "leaseOwner": None, "leaseUntil": None, "failureReason": None, "startedTime": None, "countedTime": None,
        "createdTime": now, "completedTime": None, "expiresTime": None, "revision": 1,
    }


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, export_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": export_id}, {"_id": 0, "remainder": 0})


async def claim(org: OrgDb, export_id: str, worker: str, now: datetime, lease: timedelta) -> Doc | None:
    """Takes the export for `worker` if it is still to be written and its lease is free, ran out, or is
    the worker's own; None otherwise."""
    return await org[COLLECTION].find_one_and_update(
        {"id": export_id, "status": {"$in": ACTIVE},
         "$or": [{"leaseOwner": worker}, {"leaseUntil": None}, {"leaseUntil": {"$lt": now}}]},
        {"$set": {"status": "PROCESSING", "leaseOwner": worker, "leaseUntil": now + lease},
         "$inc": {"revision": 1}},
    )


async def fail(org: OrgDb, export_id: str, reason: str, now: datetime) -> None:
    await org[COLLECTION].update_one(
        {"id": export_id, "status": {"$in": ACTIVE}},
        {"$set": {"status": "FAILED", "failureReason": reason, "leaseOwner": None, "leaseUntil": None,
                  "completedTime": now}, "$inc": {"revision": 1}})


async def expire(org: OrgDb, export_id: str) -> bool:
    """Removes a completed export's file and marks it EXPIRED (idempotent)."""
    doc = await get(org, export_id)
    if doc is None or doc["status"] not in ("COMPLETED", "EXPIRED"):
        return False
    await delete_file(org, doc["fileId"])
    return await org[COLLECTION].update_one(
        {"id": export_id, "status": "COMPLETED"}, {"$set": {"status": "EXPIRED"}, "$inc": {"revision": 1}}) == 1


async def guarded_set(org: OrgDb, export_id: str, worker: str, fields: Mapping[str, Any], *,
                      next_chunk: int | None = None) -> bool:
    """Sets `fields` if `worker` still holds the lease (and, given, the file is at `next_chunk`)."""
    flt: Doc = {"id": export_id, "leaseOwner": worker, "status": "PROCESSING"}
    if next_chunk is not None:
        flt["nextChunk"] = next_chunk
    return await org[COLLECTION].update_one(flt, {"$set": dict(fields), "$inc": {"revision": 1}}) == 1


async def write_chunks(org: OrgDb, file_id: str, first_n: int, data: bytes) -> int:
    """Writes `data` as chunks `first_n..` (each CHUNK_SIZE, the last possibly shorter); returns how many."""
    count = 0
    for offset in range(0, len(data), CHUNK_SIZE):
        await org[CHUNKS].update_one(
            {"files_id": file_id, "n": first_n + count},
            {"$set": {"data": Binary(data[offset:offset + CHUNK_SIZE])}},
            upsert=True,
        )
        count += 1
    return count


async def finish_file(org: OrgDb, file_id: str, filename: str, length: int, now: datetime,
                      metadata: Mapping[str, Any]) -> None:
    """The GridFS files document that makes the chunks a file (upserted: repeating it changes nothing)."""
    await org[FILES].update_one(
        {"_id": file_id},
        {"$set": {"length": length, "chunkSize": CHUNK_SIZE, "uploadDate": now, "filename": filename,
                  "metadata": {**metadata, "organizationId": org.org_id}}},
        upsert=True,
    )


async def file_info(org: OrgDb, file_id: str) -> Doc | None:
    return await org.db[FILES].find_one({"_id": file_id, "metadata.organizationId": org.org_id})


async def file_chunks(org: OrgDb, file_id: str) -> AsyncIterator[bytes]:
    """The file's content chunk by chunk, through GridFS (check `file_info` first)."""
    stream = await AsyncGridFSBucket(org.db, bucket_name=BUCKET).open_download_stream(file_id)
    try:
        while chunk := await stream.readchunk():
            yield chunk
    finally:
        await stream.close()


async def delete_file(org: OrgDb, file_id: str) -> None:
    """Removes the file and its chunks (idempotent; also chunks of a file never finished)."""
    try:
        await AsyncGridFSBucket(org.db, bucket_name=BUCKET).delete(file_id)
    except NoFile:
        await org[CHUNKS].delete_many({"files_id": file_id})
