"""The Billing data table: every invoice of the organization, filtered, sorted, keyset-paginated."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from resolvers.context import Info
from resolvers.customers.customers import saved_segment
from resolvers.pagination import decode_cursor, encode_cursor
from schema.billing.invoices import Invoice, InvoiceStatus, InvoiceType
from schema.common import After, ClientError, Connection, Edge, SortDirection, check_first
from schema.customers.customers import DateTimeRange
from schema.tables.tables import InvoiceFilter, InvoiceSort, InvoiceSortField
from store.billing import invoices
from store.ids import type_of_id

CURSOR = "INV_CREATED"


def _id(path: str, value: strawberry.ID | None, kind: str) -> str | None:
    given = str(value) if value else None
    if given is not None and type_of_id(given) not in (None, kind):
        raise ClientError(f"`{path}` {given} is a {type_of_id(given)} id, not a{'n' if kind[0] in 'AEIOU' else ''} {kind} id")
    return given


def table_query(flt: InvoiceFilter | None, sort: InvoiceSort | None) -> invoices.InvoiceQuery:
    f = flt or InvoiceFilter()
    sort = sort or InvoiceSort()
    created, due = f.created_time, f.due_time
    return invoices.InvoiceQuery(
        descending=sort.direction == SortDirection.DESC,
        customer_id=_id("filter.customerId", f.customer_id, "Customer"),
        order_id=_id("filter.orderId", f.order_id, "Order"),
        statuses=[s.name for s in f.statuses or ()],
        types=[t.name for t in f.types or ()],
        currency=f.currency.strip().upper() if f.currency else None,
        created_from=created.from_ if created else None,
        created_to=created.to if created else None,
        due_from=due.from_ if due else None,
        due_to=due.to if due else None,
    )


def _range(d: dict[str, Any] | None) -> DateTimeRange | None:
    return DateTimeRange(from_=d.get("from"), to=d.get("to")) if d else None


def saved_invoice_arguments(doc: dict[str, Any]) -> tuple[InvoiceFilter, InvoiceSort]:
    """A saved Billing segment as the table's own arguments."""
    definition = doc["definition"]
    f = definition.get("filter") or {}
    sort = definition.get("sort") or {}
    return (
        InvoiceFilter(
            customer_id=f.get("customerId"), order_id=f.get("orderId"),
            statuses=[InvoiceStatus[s] for s in f.get("statuses") or ()] or None,
            types=[InvoiceType[t] for t in f.get("types") or ()] or None,
            currency=f.get("currency"), created_time=_range(f.get("createdTime")), due_time=_range(f.get("dueTime")),
        ),
        InvoiceSort(field=InvoiceSortField[sort.get("field", "CREATED_TIME")],
                    direction=SortDirection[sort.get("direction", "DESC")]),
    )


@strawberry.type
class BillingTableQueries:
    @strawberry.field(
        description="The Billing data table: every invoice of the organization, newest first by default. Its "
        "segments are saved filters (e.g. by status: unpaid, past due, paid); `totalCount` counts the matches."
    )
    async def invoices(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1–100.")],
        after: After = None,
        filter: Annotated[InvoiceFilter | None, strawberry.argument(description="Filters; all must match.")] = None,
        sort: Annotated[InvoiceSort | None, strawberry.argument(description="Default: newest first.")] = None,
        segment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A saved segment of the Billing table (`seg_…`): lists with its filter and sort "
                "(`sort` given here overrides the saved sort). Not together with `filter`."
            ),
        ] = None,
    ) -> Connection[Invoice]:
        check_first(first)
        ctx = info.context
        if segment_id is not None:
            if filter is not None:
                raise ClientError("`segmentId` lists the saved segment's filter; do not also pass `filter`")
            filter, saved_sort = saved_invoice_arguments(await saved_segment(ctx, str(segment_id), "INVOICES"))
            sort = sort or saved_sort
        q = table_query(filter, sort)
        position = decode_cursor(after, CURSOR) if after else None
        docs, has_next = await invoices.table_page(ctx.org, q, tuple(position) if position else None, first)
        edges = []
        for d in docs:
            node = Invoice.from_doc(d)
            ctx.loaders.invoice_by_id.prime(d["id"], node)
            edges.append(Edge(cursor=encode_cursor(CURSOR, d["createdTime"], d["id"]), node=node))

        async def total() -> int:
            return await invoices.table_count(ctx.org, q)

        return Connection.build(edges, after=after, has_next=has_next, count=total)
