"""Tax ID numbers live on the customer document (`taxIds`: a short list of `{type, value, isDefault}`),
so reading them costs nothing extra; every change replaces the list under the customer's revision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from store.customers import customers
from store.db import Doc, OrgDb

MAX_PER_CUSTOMER = 10


def with_one_default(
    items: Sequence[dict[str, Any]], default_index: int | None = None
) -> list[dict[str, Any]]:
    """Exactly one default when any exist: `default_index` wins, else the current default, else the first."""
    out = [dict(i) for i in items]
    if not out:
        return out
    if default_index is None:
        current = [n for n, i in enumerate(out) if i.get("isDefault")]
        default_index = current[0] if current else 0
    for n, item in enumerate(out):
        item["isDefault"] = n == default_index
    return out


async def replace(
    org: OrgDb, customer_id: str, revision: int, tax_ids: list[dict[str, Any]], now: datetime
) -> Doc:
    """Stores the new list if the customer is still at `revision` (raises RevisionConflict, NotFound)."""
    return await customers.update(
        org, customer_id, revision=revision, set_fields={"taxIds": tax_ids}, now=now
    )
