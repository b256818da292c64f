"""A customer's lead source (marketing attribution) lives on the customer document as `leadSource`,
with `original`, a copy of the first attribution that later edits leave alone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from store.customers import customers
from store.db import Doc, OrgDb

FIELDS = (
    "campaign",
    "medium",
    "source",
    "term",
    "content",
    "affiliate",
    "subAffiliate",
    "salesAgent",
    "clickId",
    "path",
    "referrer",
    "ipAddress",
)


def merged(current: Mapping[str, Any] | None, changes: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The lead source after `changes` (None clears a field); keeps `original` and `createdTime`."""
    current = dict(current or {})
    values = {f: current.get(f) for f in FIELDS}
    values.update(changes)
    out: dict[str, Any] = {
        **values,
        "createdTime": current.get("createdTime") or now,
        "updatedTime": now,
    }
    out["original"] = current.get("original") or {f: values[f] for f in FIELDS}
    return out


async def replace(
    org: OrgDb, customer_id: str, revision: int, lead_source: dict[str, Any], now: datetime
) -> Doc:
    return await customers.update(
        org, customer_id, revision=revision, set_fields={"leadSource": lead_source}, now=now
    )
