"""Timeline collaboration: notes (mentions, links) and attachments, changed only by their authors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import LINK_LOADERS, Context, Info, Principal, now
from resolvers.customers.customers import check_customer_id
from schema.activity.notes import (
    AttachmentEvent,
    NoteEvent,
    TimelineAttachmentAddInput,
    TimelineAttachmentAddPayload,
    TimelineAttachmentRemoveInput,
    TimelineAttachmentRemovePayload,
    TimelineNoteAddInput,
    TimelineNoteAddPayload,
    TimelineNoteDeleteInput,
    TimelineNoteDeletePayload,
    TimelineNoteUpdateInput,
    TimelineNoteUpdatePayload,
)
from schema.activity.timeline import event_from_doc
from schema.common import Problems, UserErrorCode
from store.activity import files, notifications, timeline, users
from store.db import Doc
from store.errors import NotFound
from store.ids import new_id, type_of_id

MAX_MESSAGE = 10_000
MAX_DESCRIPTION = 1_000
MAX_MENTIONS = 20
MAX_LINKS = 10
MAX_UPDATE_RETRIES = 5
EDITABLE_KINDS = ("NOTE", "ATTACHMENT")

# `@support`, or `@` + an email address, at the start or after a space or punctuation (not inside an email).
MENTION_RE = re.compile(r"(?<![\w@.])@(support\b|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)", re.IGNORECASE)

# ------------------------------------------------------------------------------------------ files

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
TEXT_TYPES = frozenset({"text/plain", "text/csv", "text/markdown"})
ACCEPTED_TYPES = frozenset({kind for _, kind in MAGIC}) | TEXT_TYPES
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff(data: bytes) -> str | None:
    """The content type the bytes show (magic numbers, else UTF-8 text without control characters)."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else "text/plain"


def check_file_type(problems: Problems, declared: str | None, data: bytes) -> str | None:
    """The content type to store: the declared one when the content agrees with it."""
    declared = (declared or "").split(";")[0].strip().lower()
    sniffed = sniff(data)
    if sniffed is None or (
        declared and declared != "application/octet-stream" and declared not in ACCEPTED_TYPES
    ):
        problems.add(
            ["file"],
            f"files of type {declared or 'unknown'} are not accepted; send PDF, PNG, JPEG, GIF, "
            "plain text, CSV or Markdown",
            UserErrorCode.UNSUPPORTED_FILE_TYPE,
        )
        return None
    if declared in ("", "application/octet-stream"):
        return sniffed
    if declared != sniffed and not (declared in TEXT_TYPES and sniffed == "text/plain"):
        problems.add(
            ["file"],
            f"declared as {declared} but the content is {sniffed}",
            UserErrorCode.CONTENT_TYPE_MISMATCH,
        )
        return None
    return declared


# ------------------------------------------------------------------------------------------ checks


def is_author(principal: Principal, actor: Doc) -> bool:
    """Same user; or, for an entry made by a key without a user, the same key."""
    if actor.get("type") == "USER":
        return principal.user_id is not None and principal.user_id == actor.get("id")
    if actor.get("type") == "API_KEY":
        return principal.user_id is None and principal.key_id == actor.get("id")
    return False


async def check_customer(ctx: Context, problems: Problems, path: list[str | int], customer_id: str) -> None:
    """The customer must exist here. It counts as touched (for the API log) even when the input is refused."""
    if not check_customer_id(problems, path, customer_id):
        return
    if await ctx.loaders.customer_by_id.load(customer_id) is None:
        problems.add(path, f"no customer {customer_id} in this organization", UserErrorCode.NOT_FOUND)
    else:
        ctx.touched_customers.add(customer_id)


async def mentions(
    ctx: Context, problems: Problems, message: str | None, ids: Sequence[strawberry.ID] | None, ids_field: str
) -> list[dict[str, Any]]:
    """Mentions from `@` in the text and from ids, in order, without repeats: `{type: User|Team, id}`."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    found = MENTION_RE.findall(message or "")
    emails = [m for m in found if m.lower() != "support"]
    known = await users.by_emails(ctx.org, emails) if emails else {}
    for m in found:
        if m.lower() == "support":
            out[("Team", "SUPPORT")] = {"type": "Team", "id": "SUPPORT"}
        elif m.lower() in known:
            uid = known[m.lower()]["id"]
            out[("User", uid)] = {"type": "User", "id": uid}
        else:
            problems.add(["message"], f"@{m} is not a user of this organization", UserErrorCode.NOT_FOUND)
    ids = list(ids or ())
    if len(ids) > MAX_MENTIONS:
        problems.add([ids_field], f"{len(ids)} mentions; the limit is {MAX_MENTIONS}", UserErrorCode.TOO_MANY)
        return list(out.values())
    user_ids = [str(i) for i in ids if type_of_id(str(i)) == "User"]
    loaded = dict(zip(user_ids, await ctx.loaders.user_by_id.load_many(user_ids), strict=True))
    for n, raw in enumerate(ids):
        value = str(raw)
        kind = type_of_id(value)
        if value == users.SUPPORT_TEAM_ID:
            out[("Team", "SUPPORT")] = {"type": "Team", "id": "SUPPORT", "byId": True}
        elif kind != "User":
            problems.add(
                [ids_field, n],
                f"{value} is not a user (`usr_…`) or team (`team_support`) id",
                UserErrorCode.WRONG_ID_TYPE,
            )
        elif loaded.get(value) is None:
            problems.add([ids_field, n], f"no user {value} in this organization", UserErrorCode.NOT_FOUND)
        else:
            out[("User", value)] = {"type": "User", "id": value, "byId": True}
    return list(out.values())


async def links(
    ctx: Context, problems: Problems, ids: Sequence[strawberry.ID] | None, field: str
) -> list[dict[str, Any]]:
    """Link targets `{type, id}`: customers (ids without another type's prefix), later transactions."""
    ids = list(ids or ())
    if len(ids) > MAX_LINKS:
        problems.add([field], f"{len(ids)} links; the limit is {MAX_LINKS}", UserErrorCode.TOO_MANY)
        return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, raw in enumerate(ids):
        value = str(raw)
        kind = type_of_id(value) or "Customer"
        if kind not in LINK_LOADERS:
            problems.add(
                [field, n],
                f"{value} is a {kind} id; notes link to: {', '.join(LINK_LOADERS)}",
                UserErrorCode.WRONG_ID_TYPE,
            )
        elif value in seen:
            problems.add([field, n], f"{value} is linked twice", UserErrorCode.DUPLICATE)
        elif await ctx.load_link(kind, value) is None:
            problems.add(
                [field, n], f"no {kind.lower()} {value} in this organization", UserErrorCode.NOT_FOUND
            )
        else:
            out.append({"type": kind, "id": value})
        seen.add(value)
    return out


async def notify_mentioned(ctx: Context, event: Doc, mentioned: list[dict[str, str]], t: datetime) -> None:
    """One notification per mentioned user (Support: each member), never to the author; idempotent."""
    author = ctx.principal.user_id
    direct = [m["id"] for m in mentioned if m["type"] == "User" and m["id"] != author]
    docs = notifications.mention_docs(direct, event, None, t)
    if any(m["type"] == "Team" for m in mentioned):
        members = [
            u for u in await users.team_member_ids(ctx.org, "SUPPORT") if u != author and u not in direct
        ]
        docs += notifications.mention_docs(members, event, "SUPPORT", t)
    if docs:
        await notifications.insert_many(ctx.org, docs)


async def editable_entry(
    ctx: Context, problems: Problems, entry_id: str, kind: str, expected_revision: int | None = None
) -> Doc | None:
    """The note or attachment `entry_id`, when the requester may change it; else adds why not."""
    if type_of_id(entry_id) != "TimelineEvent":
        problems.add(["id"], f"{entry_id} is not a timeline entry id (`tmln_…`)", UserErrorCode.WRONG_ID_TYPE)
        return None
    doc = await timeline.get(ctx.org, entry_id)
    if doc is None:
        problems.add(["id"], f"no timeline entry {entry_id} in this organization", UserErrorCode.NOT_FOUND)
        return None
    ctx.touched_customers.add(doc["customerId"])
    if doc["kind"] not in EDITABLE_KINDS:
        problems.add(
            ["id"],
            f"{doc['kind']} entries are recorded by the system and cannot be changed",
            UserErrorCode.NOT_EDITABLE,
        )
        return None
    if doc["kind"] != kind:
        problems.add(
            ["id"], f"{entry_id} is a {doc['kind']} entry, not a {kind}", UserErrorCode.WRONG_ID_TYPE
        )
        return None
    if not is_author(ctx.principal, doc["actor"]):
        problems.add(
            ["id"],
            f"only its author ({doc['actor'].get('name')}) may change this {kind.lower()}",
            UserErrorCode.NOT_AUTHOR,
        )
        return None
    revision = doc["data"].get("revision", 1)
    if expected_revision is not None and expected_revision != revision:
        problems.add(
            ["expectedRevision"],
            f"the {kind.lower()} is at revision {revision}, not {expected_revision}",
            UserErrorCode.REVISION_CONFLICT,
        )
    return doc


# ------------------------------------------------------------------------------------------ mutations


@strawberry.type
class TimelineMutations:
    @mutation(
        "Adds a note to a customer's timeline, mentioning users or Support and linking customers: "
        "the guide's *Add a note* / *Tag a user* / *Link a customer or transaction*."
    )
    async def timeline_note_add(self, info: Info, input: TimelineNoteAddInput) -> TimelineNoteAddPayload:
        ctx = info.context
        problems = Problems()
        cid = str(input.customer_id)
        await check_customer(ctx, problems, ["customerId"], cid)
        message = v.text(problems, ["message"], input.message, MAX_MESSAGE, required=True, multiline=True)
        mentioned = await mentions(ctx, problems, message, input.mentioned_ids, "mentionedIds")
        linked = await links(ctx, problems, input.link_ids, "linkIds")
        if problems:
            return TimelineNoteAddPayload(note=None, user_errors=problems.errors)
        t = now()
        data = {
            "format": input.format.value,
            "revision": 1,
            "editedTime": None,
            "mentions": mentioned,
            "links": linked,
        }
        try:
            event = await timeline.record(ctx.org, cid, "NOTE", ctx.actor(), t, data, message)
        except NotFound:
            problems.add(["customerId"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND)
            return TimelineNoteAddPayload(note=None, user_errors=problems.errors)
        ctx.touched_customers.add(cid)
        await notify_mentioned(ctx, event, mentioned, t)
        note = event_from_doc(event)
        assert isinstance(note, NoteEvent)
        return TimelineNoteAddPayload(note=note, user_errors=[])

    @mutation("Edits a note; only its author may. Newly mentioned users are notified.")
    async def timeline_note_update(
        self, info: Info, input: TimelineNoteUpdateInput
    ) -> TimelineNoteUpdatePayload:
        ctx = info.context
        note_id = str(input.id)
        for _attempt in range(MAX_UPDATE_RETRIES):
            problems = Problems()
            doc = await editable_entry(ctx, problems, note_id, "NOTE", input.expected_revision)
            if doc is None:
                return TimelineNoteUpdatePayload(note=None, user_errors=problems.errors)
            data = doc["data"]
            message = doc.get("message")
            if input.message is not None:
                message = v.text(problems, ["message"], input.message.value, MAX_MESSAGE, required=True,
                                 multiline=True)
            fmt = data.get("format", "PLAIN")
            if input.format is not None and input.format.value is None:
                problems.add(["format"], "is required; give PLAIN or MARKDOWN", UserErrorCode.REQUIRED)
            elif input.format is not None and input.format.value is not None:
                fmt = input.format.value.value
            by_id = (
                (input.mentioned_ids.value or [])
                if input.mentioned_ids is not None
                else [
                    strawberry.ID("team_support" if m["type"] == "Team" else m["id"])
                    for m in data.get("mentions", [])
                    if m.get("byId")
                ]
            )
            mentioned = await mentions(ctx, problems, message, by_id, "mentionedIds")
            linked = data.get("links", [])
            if input.link_ids is not None:
                linked = await links(ctx, problems, input.link_ids.value or [], "linkIds")
            if problems:
                return TimelineNoteUpdatePayload(note=None, user_errors=problems.errors)
            changes = {"format": fmt, "mentions": mentioned, "links": linked}
            if message == doc.get("message") and all(data.get(k) == val for k, val in changes.items()):
                return TimelineNoteUpdatePayload(note=_as_note(doc), user_errors=[])
            t = now()
            updated = await timeline.update_data(
                ctx.org, note_id, "NOTE", data.get("revision", 1), message, {**changes, "editedTime": t}
            )
            if updated is None:
                if input.expected_revision is not None:
                    problems.add(
                        ["expectedRevision"], "the note changed meanwhile", UserErrorCode.REVISION_CONFLICT
                    )
                    return TimelineNoteUpdatePayload(note=None, user_errors=problems.errors)
                continue  # edited or deleted meanwhile: look again
            await _record_quietly(
                ctx, updated["customerId"], "NOTE_EDITED", t, {"noteId": note_id}, "Edited a note"
            )
            await notify_mentioned(ctx, updated, mentioned, t)
            _forget(ctx, note_id)
            return TimelineNoteUpdatePayload(note=_as_note(updated), user_errors=[])
        raise RuntimeError(f"note {note_id} kept changing during {MAX_UPDATE_RETRIES} update attempts")

    @mutation("Deletes a note; only its author may. A `NOTE_DELETED` entry records who did it.")
    async def timeline_note_delete(
        self, info: Info, input: TimelineNoteDeleteInput
    ) -> TimelineNoteDeletePayload:
        ctx = info.context
        problems = Problems()
        note_id = str(input.id)
        doc = await editable_entry(ctx, problems, note_id, "NOTE", input.expected_revision)
        if doc is None or problems:
            return TimelineNoteDeletePayload(deleted_id=None, user_errors=problems.errors)
        if not await timeline.delete(ctx.org, note_id, "NOTE"):
            problems.add(["id"], f"no timeline entry {note_id} in this organization", UserErrorCode.NOT_FOUND)
            return TimelineNoteDeletePayload(deleted_id=None, user_errors=problems.errors)
        await _record_quietly(
            ctx, doc["customerId"], "NOTE_DELETED", now(), {"noteId": note_id}, "Deleted a note"
        )
        _forget(ctx, note_id)
        return TimelineNoteDeletePayload(deleted_id=strawberry.ID(note_id), user_errors=[])

    @mutation(
        "Attaches a file with a description to a customer's timeline (a GraphQL multipart request): "
        "the guide's *Add an attachment*."
    )
    async def timeline_attachment_add(
        self, info: Info, input: TimelineAttachmentAddInput
    ) -> TimelineAttachmentAddPayload:
        ctx = info.context
        problems = Problems()
        cid = str(input.customer_id)
        await check_customer(ctx, problems, ["customerId"], cid)
        description = v.text(problems, ["description"], input.description, MAX_DESCRIPTION, multiline=True)
        limit = ctx.settings.attachment_max_bytes
        upload: Any = input.file
        readable = callable(getattr(upload, "read", None))  # not so for a literal in the query text
        data: bytes = await upload.read(limit + 1) if readable else b""
        content_type = None
        filename = v.filename(problems, ["file"], getattr(upload, "filename", None))
        if not readable:
            problems.add(["file"], "send the file as a multipart upload (a variable mapped to a file part)",
                         UserErrorCode.INVALID)
        elif len(data) > limit:
            problems.add(
                ["file"], f"the file is larger than the limit of {limit} bytes", UserErrorCode.FILE_TOO_LARGE
            )
        elif not data:
            problems.add(["file"], "the file is empty", UserErrorCode.FILE_EMPTY)
        else:
            content_type = check_file_type(problems, getattr(upload, "content_type", None), data)
        if problems or content_type is None:
            return TimelineAttachmentAddPayload(attachment=None, user_errors=problems.errors)
        t = now()
        file_id = new_id("file")
        digest = hashlib.sha256(data).hexdigest()
        await files.put(
            ctx.org, file_id, filename, data, content_type=content_type, sha256=digest, customer_id=cid, now=t
        )
        meta = {
            "fileId": file_id,
            "filename": filename,
            "contentType": content_type,
            "size": len(data),
            "sha256": digest,
            "revision": 1,
        }
        try:
            event = await timeline.record(ctx.org, cid, "ATTACHMENT", ctx.actor(), t, meta, description)
        except NotFound:
            await files.delete(ctx.org, file_id)
            problems.add(["customerId"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND)
            return TimelineAttachmentAddPayload(attachment=None, user_errors=problems.errors)
        ctx.touched_customers.add(cid)
        attachment = event_from_doc(event)
        assert isinstance(attachment, AttachmentEvent)
        return TimelineAttachmentAddPayload(attachment=attachment, user_errors=[])

    @mutation("Removes an attachment and deletes its file; only its author may.")
    async def timeline_attachment_remove(
        self, info: Info, input: TimelineAttachmentRemoveInput
    ) -> TimelineAttachmentRemovePayload:
        ctx = info.context
        problems = Problems()
        entry_id = str(input.id)
        doc = await editable_entry(ctx, problems, entry_id, "ATTACHMENT")
        if doc is None:
            return TimelineAttachmentRemovePayload(removed_id=None, user_errors=problems.errors)
        # File first: a retry after a failure between the two steps finds the entry and finishes the job.
        await files.delete(ctx.org, doc["data"]["fileId"])
        if not await timeline.delete(ctx.org, entry_id, "ATTACHMENT"):
            problems.add(
                ["id"], f"no timeline entry {entry_id} in this organization", UserErrorCode.NOT_FOUND
            )
            return TimelineAttachmentRemovePayload(removed_id=None, user_errors=problems.errors)
        filename = doc["data"]["filename"]
        await _record_quietly(
            ctx,
            doc["customerId"],
            "ATTACHMENT_REMOVED",
            now(),
            {"attachmentId": entry_id, "filename": filename},
            f"Removed {filename}",
        )
        _forget(ctx, entry_id)
        return TimelineAttachmentRemovePayload(removed_id=strawberry.ID(entry_id), user_errors=[])


def _forget(ctx: Context, event_id: str) -> None:
    """Drops an entry from the request's loader cache (strawberry's `clear` raises when it is not there)."""
    try:
        ctx.loaders.timeline_event_by_id.clear(event_id)
    except KeyError:
        pass


def _as_note(doc: Doc) -> NoteEvent:
    note = event_from_doc(doc)
    assert isinstance(note, NoteEvent)
    return note


async def _record_quietly(
    ctx: Context, customer_id: str, kind: str, t: datetime, data: Doc, message: str
) -> None:
    """Records the follow-up entry of an edit; the customer itself may have gone meanwhile."""
    ctx.touched_customers.add(customer_id)
    try:
        await timeline.record(ctx.org, customer_id, kind, ctx.actor(), t, data, message)
    except NotFound:
        pass
