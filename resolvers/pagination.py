"""Connections both ways, one mechanism for every list (docs/clients.md "Paging").

A connection field turns its arguments into a `Page` (`schema.common.page_of`: `first`/`after` forward,
`last`/`before` backward, never both), its cursor into a store position here (`position`: the
(sort value, id) it points at, refused with a clear error when it is malformed, of another list or of
another type), reads the page with `store.paging.read` (keyset over (sort key, id) in the reading
direction, one more than asked to know whether more lie beyond, put back in the list's order), and
answers `connection(...)` (`Connection.build`: Relay's `hasNextPage`/`hasPreviousPage`).

A cursor is an opaque base64url JSON of (sort name, sort value, id); the id breaks ties on the sort value,
so a cursor stays valid and exact when rows with the same value are inserted."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import orjson

from schema.common import ClientError, Connection, Edge, Page

URLSAFE = bytes.maketrans(b"+/", b"-_")
N = TypeVar("N")


def encode_cursor(sort: str, value: Any, entity_id: str) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = orjson.dumps([sort, value, entity_id])
    # base64.urlsafe_b64encode without its two Python-level calls: a page of timelines makes thousands
    return binascii.b2a_base64(raw, newline=False).translate(URLSAFE).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str, argument: str = "after") -> tuple[Any, str]:
    """The (sort value, id) a cursor points at; a clear error when it is malformed or for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, entity_id = orjson.loads(raw)
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"])
        if not isinstance(entity_id, str) or not isinstance(name, str):
            raise ValueError
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as exc:
        raise ClientError(f"`{argument}` is not a cursor of this list: {cursor!r}") from exc
    if name != sort:
        raise ClientError(f"`{argument}` is a cursor of a list sorted by {name}, not {sort}")
    return value, entity_id


def position(page: Page, sort: str, kind: type | tuple[type, ...]) -> tuple[Any, str] | None:
    """Where the page starts (its cursor's (sort value, id)), or None at either end of the list; `kind`
    is the type of the list's sort values, so a cursor forged with another type is refused too."""
    if page.cursor is None:
        return None
    value, entity_id = decode_cursor(page.cursor, sort, page.argument)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ClientError(f"`{page.argument}` is not a cursor of this list: {page.cursor!r}")
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


def connection(
    page: Page, docs: list[dict[str, Any]], has_next: bool, *, sort: str, key: str,
    node: Callable[[dict[str, Any]], N], count: Callable[[], Awaitable[int]],
) -> Connection[N]:
    """The connection of a page of documents read by `store.paging.read`: an edge per document (its
    cursor from the document's `key` and id), Relay's page info from `page`."""
    edges: list[Edge[N]] = [LazyCursorEdge(node(d), sort, d[key], d["id"]) for d in docs]
    return Connection.build(edges, page=page, has_next=has_next, count=count)
