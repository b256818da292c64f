"""The payments data table: every transaction of the organization, filtered, sorted, keyset-paginated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers.context import Info
from resolvers.customers.customers import saved_segment
from resolvers.pagination import encode_cursor, position
from schema.common import After, Before, ClientError, Connection, Edge, First, Last, SortDirection, page_of
from schema.customers.customers import DateTimeRange
from schema.money.transactions import Transaction, TransactionResult, TransactionSegment, TransactionStatus, TransactionType
from schema.tables.tables import TransactionFilter, TransactionSort, TransactionSortField
from store.ids import type_of_id
from store.money import transactions

CURSOR = "TXN_CREATED"


def table_query(flt: TransactionFilter | None, sort: TransactionSort | None, segment: TransactionSegment) -> transactions.TransactionQuery:
    f = flt or TransactionFilter()
    sort = sort or TransactionSort()
    customer = str(f.customer_id) if f.customer_id else None
    if customer is not None and type_of_id(customer) not in (None, "Customer"):
        raise ClientError(f"`filter.customerId` {customer} is a {type_of_id(customer)} id, not a Customer id")
    created = f.created_time
    return transactions.TransactionQuery(
        descending=sort.direction == SortDirection.DESC,
        segment=segment.name,
        customer_id=customer,
        types=[t.name for t in f.types or ()],
        statuses=[t.name for t in f.statuses or ()],
        results=[t.name for t in f.results or ()],
        currency=f.currency.strip().upper() if f.currency else None,
        created_from=created.from_ if created else None,
        created_to=created.to if created else None,
    )


def _range(d: dict[str, Any] | None) -> DateTimeRange | None:
    return DateTimeRange(from_=d.get("from"), to=d.get("to")) if d else None


def saved_transaction_arguments(doc: dict[str, Any]) -> tuple[TransactionFilter, TransactionSort, TransactionSegment]:
    """A saved payments segment as the table's own arguments."""
    definition = doc["definition"]
    f = definition.get("filter") or {}
    sort = definition.get("sort") or {}
    return (
        TransactionFilter(
            customer_id=f.get("customerId"),
            types=[TransactionType[t] for t in f.get("types") or ()] or None,
            statuses=[TransactionStatus[t] for t in f.get("statuses") or ()] or None,
            results=[TransactionResult[t] for t in f.get("results") or ()] or None,
            currency=f.get("currency"), created_time=_range(f.get("createdTime")),
        ),
        TransactionSort(field=TransactionSortField[sort.get("field", "CREATED_TIME")],
                        direction=SortDirection[sort.get("direction", "DESC")]),
        TransactionSegment[definition.get("segment", "ALL")],
    )


@strawberry.type
class PaymentsTableQueries:
    @strawberry.field(
        description="The Payments data table: every transaction of the organization, newest first by default."
    )
    async def transactions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[TransactionFilter | None, strawberry.argument(description="Filters; all must match.")] = None,
        sort: Annotated[TransactionSort | None, strawberry.argument(description="Default: newest first.")] = None,
        segment: Annotated[
            TransactionSegment, strawberry.argument(description="SALES, DECLINED, REFUNDS, PAYOUTS or ALL.")
        ] = TransactionSegment.ALL,
        segment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A saved segment of the payments table (`seg_…`): lists with its filter and sort "
                "(`sort` given here overrides the saved sort). Not together with `filter` or `segment`."
            ),
        ] = None,
    ) -> Connection[Transaction]:
        page = page_of(first, after, last, before)
        ctx = info.context
        if segment_id is not None:
            if filter is not None or segment != TransactionSegment.ALL:
                raise ClientError("`segmentId` lists the saved segment's filter; do not also pass `filter` or `segment`")
            filter, saved_sort, segment = saved_transaction_arguments(
                await saved_segment(ctx, str(segment_id), "TRANSACTIONS")
            )
            sort = sort or saved_sort
        q = table_query(filter, sort, segment)
        at = position(page, CURSOR, datetime)
        docs, has_next = await transactions.table_page(ctx.org, q, at, page.size, page.backward)
        edges = []
        for d in docs:
            node = Transaction.from_doc(d)
            ctx.loaders.transaction_by_id.prime(d["id"], node)
            edges.append(Edge(cursor=encode_cursor(CURSOR, d["createdTime"], d["id"]), node=node))

        async def total() -> int:
            return await transactions.table_count(ctx.org, q)

        return Connection.build(edges, page=page, has_next=has_next, count=total)
