"""Node refetch of the tables context: saved segments and data exports (few per request: no batching)."""

from __future__ import annotations

from resolvers.context import Context
from resolvers.nodes import register_node
from resolvers.tables.exports import to_node
from schema.common import Node
from schema.tables.segments import Segment
from store.tables import exports, segments


async def _segment(ctx: Context, segment_id: str) -> Node | None:
    doc = await segments.get(ctx.org, segment_id)
    return Segment.from_doc(doc) if doc else None


async def _data_export(ctx: Context, export_id: str) -> Node | None:
    doc = await exports.get(ctx.org, export_id)
    return to_node(ctx, doc) if doc else None


register_node("Segment", _segment)
register_node("DataExport", _data_export)
