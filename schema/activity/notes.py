"""Collaboration on a customer's timeline: notes (with mentions and links) and attachments.

These kinds register themselves in `schema.activity.timeline.EVENT_TYPES` / `EVENT_CLASSES` when this module is
imported (the context and the root schema import it), because they need types that the timeline
module cannot import without a cycle (users, files).
"""

from __future__ import annotations

import asyncio
import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import Maybe
from strawberry.file_uploads import Upload

from schema.activity.timeline import EVENT_CLASSES, EVENT_TYPES, TimelineEvent, _event
from schema.activity.users import TEAMS, Mentionable
from schema.common import Linkable, UserError

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info  # the typed form is for type checkers; Strawberry only needs to see `Info`


@strawberry.enum(description="How a note's text is meant to be rendered.")
class NoteFormat(enum.Enum):
    PLAIN = strawberry.enum_value("PLAIN", description="Plain text.")
    MARKDOWN = strawberry.enum_value("MARKDOWN", description="CommonMark Markdown (render it sanitised).")


@strawberry.type(description="A note on the customer. Its author may edit or delete it.")
class NoteEvent(TimelineEvent):
    format: NoteFormat = strawberry.field(description="How to render `message`.")
    revision: int = strawberry.field(description="Increases with every edit; pass it as `expectedRevision`.")
    edited_time: datetime | None = strawberry.field(description="When it was last edited; null if never.")
    _mentions: strawberry.Private[list[dict[str, Any]]]
    _links: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field(description="Users and teams mentioned (by `@` in the text or by id), in order.")
    async def mentions(self, info: Info) -> list[Mentionable]:
        users = [m["id"] for m in self._mentions if m["type"] == "User"]
        found = dict(zip(users, await info.context.loaders.user_by_id.load_many(users), strict=True))
        out: list[Any] = []
        for m in self._mentions:
            item = found.get(m["id"]) if m["type"] == "User" else TEAMS.get(m["id"])
            if item is not None:
                out.append(item)
        return out

    @strawberry.field(
        description="Objects the note links to (customers; transactions once they exist), in order. "
        "Linked objects deleted since are left out."
    )
    async def links(self, info: Info) -> list[Linkable]:
        found = await asyncio.gather(*(info.context.load_link(lk["type"], lk["id"]) for lk in self._links))
        return [x for x in found if x is not None]


@strawberry.type(description="A note was edited.")
class NoteEditedEvent(TimelineEvent):
    note_id: strawberry.ID = strawberry.field(description="The note that was edited.")


@strawberry.type(description="A note was deleted.")
class NoteDeletedEvent(TimelineEvent):
    note_id: strawberry.ID = strawberry.field(description="The note that was deleted (it no longer exists).")


@strawberry.type(description="A stored file. Download it with `GET downloadPath` and the same API key.")
class StoredFile:
    id: strawberry.ID = strawberry.field(description="File id, `file_…`.")
    filename: str = strawberry.field(description="Name as uploaded.")
    content_type: str = strawberry.field(description="MIME type, checked against the content.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content, hex.")
    download_path: str = strawberry.field(description="HTTP path of the download, e.g. `/files/file_01J…`.")

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> StoredFile:
        return cls(
            id=strawberry.ID(d["fileId"]),
            filename=d["filename"],
            content_type=d["contentType"],
            size=d["size"],
            sha256=d["sha256"],
            download_path=f"/files/{d['fileId']}",
        )


@strawberry.type(description="A file attached to the customer; `message` is its description.")
class AttachmentEvent(TimelineEvent):
    file: StoredFile = strawberry.field(description="The file.")


@strawberry.type(description="An attachment and its file were removed.")
class AttachmentRemovedEvent(TimelineEvent):
    attachment_id: strawberry.ID = strawberry.field(description="The attachment that was removed.")
    filename: str = strawberry.field(description="Name of the removed file.")


def _note(d: dict[str, Any]) -> NoteEvent:
    data = d["data"]
    return _event(NoteEvent, d,
        format=NoteFormat[data.get("format", "PLAIN")],
        revision=data.get("revision", 1),
        edited_time=data.get("editedTime"),
        _mentions=data.get("mentions", []),
        _links=data.get("links", []),
    )


EVENT_TYPES.update(
    {
        "NOTE": _note,
        "NOTE_EDITED": lambda d: _event(NoteEditedEvent, d, note_id=strawberry.ID(d["data"]["noteId"])),
        "NOTE_DELETED": lambda d: _event(NoteDeletedEvent, d, note_id=strawberry.ID(d["data"]["noteId"])),
        "ATTACHMENT": lambda d: _event(AttachmentEvent, d, file=StoredFile.from_data(d["data"])),
        "ATTACHMENT_REMOVED": lambda d: _event(AttachmentRemovedEvent, d,
            attachment_id=strawberry.ID(d["data"]["attachmentId"]), filename=d["data"]["filename"]
        ),
    }
)
EVENT_CLASSES.extend([NoteEvent, NoteEditedEvent, NoteDeletedEvent, AttachmentEvent, AttachmentRemovedEvent])

# ---------------------------------------------------------------------------------------------- inputs


@strawberry.input(description="A note on a customer's timeline.")
class TimelineNoteAddInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    message: str = strawberry.field(
        description="The text (≤ 10,000). `@support` mentions Support, `@<email>` a user of the organization."
    )
    format: NoteFormat = strawberry.field(default=NoteFormat.PLAIN, description="How to render the text.")
    mentioned_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Users (`usr_…`) or teams (`team_support`) to mention besides those in the text (≤ 20).",
    )
    link_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Customers (and, later, transactions) to link to (≤ 10)."
    )


@strawberry.input(description="An edit of a note: fields left out stay as they are.")
class TimelineNoteUpdateInput:
    id: strawberry.ID = strawberry.field(description="The note.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse with `REVISION_CONFLICT` unless the note is at this revision."
    )
    message: Maybe[str | None] = strawberry.field(
        default=None, description="New text (≤ 10,000); `@` mentions are re-read. `null` is refused (`REQUIRED`)."
    )
    format: Maybe[NoteFormat | None] = strawberry.field(
        default=None, description="New format. `null` is refused (`REQUIRED`)."
    )
    mentioned_ids: Maybe[list[strawberry.ID] | None] = strawberry.field(
        default=None,
        description="Replaces the mentions made by id (`null` or `[]`: none). Newly mentioned users are notified.",
    )
    link_ids: Maybe[list[strawberry.ID] | None] = strawberry.field(
        default=None, description="Replaces the links (`null` or `[]`: none)."
    )


@strawberry.input(description="Which note to delete.")
class TimelineNoteDeleteInput:
    id: strawberry.ID = strawberry.field(description="The note.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse with `REVISION_CONFLICT` unless the note is at this revision."
    )


@strawberry.input(description="A file to attach to a customer (a GraphQL multipart request).")
class TimelineAttachmentAddInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    file: Upload = strawberry.field(
        description="The file: PDF, PNG, JPEG, GIF, plain text, CSV or Markdown, within the size limit."
    )
    description: str | None = strawberry.field(default=None, description="What the file is (≤ 1,000).")


@strawberry.input(description="Which attachment to remove (its file is deleted too).")
class TimelineAttachmentRemoveInput:
    id: strawberry.ID = strawberry.field(description="The attachment (its timeline entry id).")


@strawberry.type(description="Result of `timelineNoteAdd`.")
class TimelineNoteAddPayload:
    note: NoteEvent | None = strawberry.field(description="The new note; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `timelineNoteUpdate`.")
class TimelineNoteUpdatePayload:
    note: NoteEvent | None = strawberry.field(description="The note after the edit; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `timelineNoteDelete`.")
class TimelineNoteDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="Id of the deleted note; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `timelineAttachmentAdd`.")
class TimelineAttachmentAddPayload:
    attachment: AttachmentEvent | None = strawberry.field(
        description="The new attachment; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `timelineAttachmentRemove`.")
class TimelineAttachmentRemovePayload:
    removed_id: strawberry.ID | None = strawberry.field(
        description="Id of the removed attachment; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )
