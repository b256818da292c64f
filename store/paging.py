"""Keyset pages both ways: the clause and sort of a page after a position (forward) or before it
(backward: read in reverse order from the position, then put back in the list's order). Every
connection's store read goes through `read` (or `keyset` and `finish` where it builds its own query)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, Scoped

NO_ID = {"_id": 0}


def keyset(key: str, position: tuple[Any, str] | None, descending: bool, backward: bool = False
           ) -> tuple[Doc | None, list[tuple[str, int]]]:
    """(the clause selecting what lies beyond `position` in the reading direction, or None; the sort)."""
    down = descending != backward
    op = "$lt" if down else "$gt"
    direction = DESCENDING if down else ASCENDING
    clause = None
    if position is not None:
        value, last_id = position
        clause = {"$or": [{key: {op: value}}, {key: value, "id": {op: last_id}}]}
    return clause, [(key, direction), ("id", direction)]


def where(flt: Mapping[str, Any], clause: Doc | None) -> Doc:
    """`flt` and the keyset `clause`: beside its other conditions, or in its `$and` when `flt` has an
    `$or` of its own (or an `$and`)."""
    if clause is None:
        return dict(flt)
    if "$or" not in flt and "$and" not in flt:
        return {**flt, **clause}
    return {**flt, "$and": [*flt.get("$and", []), clause]}


def finish(docs: list[Doc], size: int, backward: bool = False) -> tuple[list[Doc], bool]:
    """The page in the list's order, and whether more lie beyond it in the reading direction."""
    page = docs[:size]
    if backward:
        page.reverse()
    return page, len(docs) > size


async def read(
    coll: Scoped, flt: Mapping[str, Any], key: str, position: tuple[Any, str] | None, size: int, *,
    descending: bool, backward: bool, projection: Mapping[str, Any] = NO_ID,
) -> tuple[list[Doc], bool]:
    """One page of `coll` matching `flt`, listed by (`key`, id) (`descending`: largest first), of `size`
    items after `position` (`backward`: before it), and whether more lie beyond it; one round trip."""
    clause, sort = keyset(key, position, descending, backward)
    docs = await coll.find_list(where(flt, clause), projection, sort=sort, limit=size + 1)
    return finish(docs, size, backward)
