"""Keyset pages both ways: the clause and sort of a page after a position (forward) or before it
(backward: read in reverse order from the position, then put back in the list's order)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc


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


def finish(docs: list[Doc], size: int, backward: bool = False) -> tuple[list[Doc], bool]:
    """The page in the list's order, and whether more lie beyond it in the reading direction."""
    page = docs[:size]
    if backward:
        page.reverse()
    return page, len(docs) > size
