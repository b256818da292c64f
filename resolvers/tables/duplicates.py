"""The duplicate-suggestions list: customers with likely duplicates, page by page."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.context import Info
from resolvers.pagination import decode_cursor, encode_cursor
from schema.common import After, ClientError, Connection, Edge, PageInfo, check_first
from schema.customers.customers import Customer
from schema.tables.duplicates import DuplicateSuggestion
from store.customers import customers

CURSOR = "CREATED_TIME"


@strawberry.type
class DuplicateQueries:
    @strawberry.field(
        description="Customers that have likely duplicates, for review before *Merge duplicate customers*. Each page "
        "examines the next `first` customers, newest first (index-backed keyset), and lists those of them with "
        "likely duplicates, best score first; follow `pageInfo.endCursor` (it points past every customer examined) "
        "while `hasNextPage`, even after an empty page."
    )
    async def customer_duplicate_suggestions(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="How many customers to examine, 1–100.")],
        after: After = None,
    ) -> Connection[DuplicateSuggestion]:
        check_first(first)
        ctx = info.context
        q = customers.CustomerQuery()
        position = decode_cursor(after, CURSOR) if after else None
        if position is not None and not hasattr(position[0], "isoformat"):
            raise ClientError(f"`after` is not a cursor of this list: {after!r}")
        docs, has_next = await customers.list_page(ctx.org, q, position, first)
        found = await ctx.loaders.possible_duplicates_by_customer_id.load_many([d["id"] for d in docs])
        rows = []
        for d, dups in zip(docs, found, strict=True):
            if dups:
                customer = Customer.from_doc(d)
                rows.append(DuplicateSuggestion(customer=customer, duplicates=dups, best_score=dups[0].score))
        rows.sort(key=lambda r: (-r.best_score, str(r.customer.id)))
        edges = [Edge(cursor=encode_cursor(CURSOR, r.customer.created_time, str(r.customer.id)), node=r) for r in rows]
        end = encode_cursor(CURSOR, docs[-1]["createdTime"], docs[-1]["id"]) if docs else after

        async def total() -> int:
            raise ClientError("`totalCount` is not available on duplicate suggestions (it would scan every customer)")

        return Connection(
            edges=edges,
            page_info=PageInfo(has_next_page=has_next, has_previous_page=after is not None,
                               start_cursor=edges[0].cursor if edges else None, end_cursor=end),
            _count=total,
        )
