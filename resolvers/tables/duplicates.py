"""The duplicate-suggestions list: customers with likely duplicates, page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.context import Info
from resolvers.pagination import encode_cursor, position
from schema.common import After, Before, ClientError, Connection, Edge, page_of
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
        "while `hasNextPage`, even after an empty page. Backward, `last` examines the customers before `before` "
        "and `pageInfo.startCursor` points at the first one examined."
    )
    async def customer_duplicate_suggestions(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many customers to examine, 1–100.")] = None,
        after: After = None,
        last: Annotated[int | None, strawberry.argument(
            description="How many customers to examine before `before` (or from the oldest), 1–100; instead of `first`.")] = None,
        before: Before = None,
    ) -> Connection[DuplicateSuggestion]:
        page = page_of(first, after, last, before)
        ctx = info.context
        q = customers.CustomerQuery()
        at = position(page, CURSOR, datetime)
        docs, has_next = await customers.list_page(ctx.org, q, at, page.size, page.backward)
        found = await ctx.loaders.possible_duplicates_by_customer_id.load_many([d["id"] for d in docs])
        rows = []
        for d, dups in zip(docs, found, strict=True):
            if dups:
                customer = Customer.from_doc(d)
                rows.append(DuplicateSuggestion(customer=customer, duplicates=dups, best_score=dups[0].score))
        rows.sort(key=lambda r: (-r.best_score, str(r.customer.id)))
        edges = [Edge(cursor=encode_cursor(CURSOR, r.customer.created_time, str(r.customer.id)), node=r) for r in rows]
        # the page's bounds are the customers examined (an empty page still moves on), not its edges
        start = encode_cursor(CURSOR, docs[0]["createdTime"], docs[0]["id"]) if docs else page.cursor
        end = encode_cursor(CURSOR, docs[-1]["createdTime"], docs[-1]["id"]) if docs else page.cursor

        async def total() -> int:
            raise ClientError("`totalCount` is not available on duplicate suggestions (it would scan every customer)")

        return Connection.build(edges, page=page, has_next=has_next, count=total, start_cursor=start, end_cursor=end)
