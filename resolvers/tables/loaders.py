"""Loaders of the tables context: duplicate suggestions; node refetch of segments and data exports."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from resolvers.context import Context
from resolvers.loaders import Loaders, loader
from resolvers.nodes import register_node
from resolvers.tables.exports import to_node
from schema.common import Node
from schema.tables.duplicates import DuplicateReason, PossibleDuplicate
from schema.tables.segments import Segment
from store.customers import customers
from store.tables import duplicates, exports, segments


@loader
def possible_duplicates_by_customer_id(loaders: Loaders) -> DataLoader[str, list[PossibleDuplicate]]:
    """Each customer's likely duplicates: one query per signal for the whole batch (store/tables/duplicates.py)."""
    org = loaders.org

    async def load(ids: list[str]) -> list[list[PossibleDuplicate]]:
        subjects = [d for d in await customers.get_many(org, ids) if d]
        found = dict(zip([s["id"] for s in subjects], await duplicates.find(org, subjects), strict=True))
        others = sorted({cid for pairs in found.values() for cid, _ in pairs})
        loaded = dict(zip(others, await loaders.customer_by_id.load_many(others), strict=True))
        return [
            [PossibleDuplicate(customer=c, score=duplicates.score(reasons), reasons=[DuplicateReason[r] for r in reasons])
             for cid, reasons in found.get(i, []) if (c := loaded.get(cid)) is not None and str(c.id) != i]
            for i in ids
        ]

    return DataLoader(load)


async def _segment(ctx: Context, segment_id: str) -> Node | None:
    doc = await segments.get(ctx.org, segment_id)
    return Segment.from_doc(doc) if doc else None


async def _data_export(ctx: Context, export_id: str) -> Node | None:
    doc = await exports.get(ctx.org, export_id)
    return to_node(ctx, doc) if doc else None


register_node("Segment", _segment)
register_node("DataExport", _data_export)
