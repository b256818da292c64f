"""Keyset cursors: an opaque base64url JSON of (sort name, sort value, id)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

from schema.common import ClientError, Edge

URLSAFE = bytes.maketrans(b"+/", b"-_")


def encode_cursor(sort: str, value: Any, entity_id: str) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = orjson.dumps([sort, value, entity_id])
    # base64.urlsafe_b64encode without its two Python-level calls: a page of timelines makes thousands
    return binascii.b2a_base64(raw, newline=False).translate(URLSAFE).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    """The (sort value, id) a cursor points at; a clear error when it is malformed or for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, entity_id = orjson.loads(raw)
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"])
        if not isinstance(entity_id, str):
            raise ValueError
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as exc:
        raise ClientError(f"`after` is not a cursor of this list: {cursor!r}") from exc
    if name != sort:
        raise ClientError(f"`after` is a cursor of a list sorted by {name}, not {sort}")
    return value, entity_id


class LazyCursorEdge(Edge[Any]):
    """An edge whose cursor is encoded from its sort key only when it is read: nested pages (each
    customer's timeline on a dashboard) rarely select it, and a page of 100 has 2,000 of them."""

    def __init__(self, node: Any, sort: str, value: Any, entity_id: str) -> None:
        self.node = node
        self._sort, self._value, self._id = sort, value, entity_id  # attributes, not a tuple: one object less

    @property
    def cursor(self) -> str:  # type: ignore[override]
        return encode_cursor(self._sort, self._value, self._id)
