"""Saved segments: named filters of a data table with their sort and columns, shared in the organization."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import Maybe

from schema.activity.timeline import Actor
from schema.billing.invoices import InvoiceStatus, InvoiceType
from schema.common import Node, SortDirection, UserError
from schema.customers.customers import CustomerFilter, CustomerSegment, CustomerSort, CustomerSortField
from schema.money.transactions import TransactionResult, TransactionSegment, TransactionStatus, TransactionType
from schema.tables.tables import (
    DataTable,
    InvoiceFilter,
    InvoiceSort,
    InvoiceSortField,
    TransactionFilter,
    TransactionSort,
    TransactionSortField,
)


@strawberry.type(description="A saved time range; either end may be open.")
class SavedTimeRange:
    from_: datetime | None = strawberry.field(name="from", description="Inclusive start.")
    to: datetime | None = strawberry.field(description="Exclusive end.")


@strawberry.type(description="A saved customer filter: the values of `CustomerFilter` it was saved with.")
class SavedCustomerFilter:
    search: str | None = strawberry.field(description="Words that start a name or email.")
    email: str | None = strawberry.field(description="Exact email.")
    country: str | None = strawberry.field(description="Country of the address (ISO alpha-2).")
    website_id: strawberry.ID | None = strawberry.field(description="Website.")
    created_time: SavedTimeRange | None = strawberry.field(description="Creation time range.")
    tags: list[str] = strawberry.field(description="Has every one of these tags (empty: no tag filter).")


@strawberry.type(description="A saved customer sort.")
class SavedCustomerSort:
    field: CustomerSortField = strawberry.field(description="Sort key.")
    direction: SortDirection = strawberry.field(description="Direction.")


@strawberry.type(description="What a customers segment lists: the table's segment, filter and sort.")
class CustomerSegmentDefinition:
    segment: CustomerSegment = strawberry.field(description="LEADS (no payment yet), CUSTOMERS (one or more) or ALL.")
    filter: SavedCustomerFilter = strawberry.field(description="The filters (the guide's *press Filters*).")
    sort: SavedCustomerSort = strawberry.field(description="The sort order.")


@strawberry.type(description="A saved payments-table filter.")
class SavedTransactionFilter:
    customer_id: strawberry.ID | None = strawberry.field(description="One customer's transactions.")
    types: list[TransactionType] = strawberry.field(description="Any of these types (empty: any).")
    statuses: list[TransactionStatus] = strawberry.field(description="Any of these statuses (empty: any).")
    results: list[TransactionResult] = strawberry.field(description="Any of these results (empty: any).")
    currency: str | None = strawberry.field(description="ISO 4217 currency code.")
    created_time: SavedTimeRange | None = strawberry.field(description="Creation time range.")


@strawberry.type(description="A saved payments-table sort.")
class SavedTransactionSort:
    field: TransactionSortField = strawberry.field(description="Sort key.")
    direction: SortDirection = strawberry.field(description="Direction.")


@strawberry.type(description="What a payments segment lists: the payment segment, filter and sort.")
class TransactionSegmentDefinition:
    segment: TransactionSegment = strawberry.field(description="SALES, DECLINED, REFUNDS, PAYOUTS or ALL.")
    filter: SavedTransactionFilter = strawberry.field(description="The filters.")
    sort: SavedTransactionSort = strawberry.field(description="The sort order.")


@strawberry.type(description="A saved Billing-table filter.")
class SavedInvoiceFilter:
    customer_id: strawberry.ID | None = strawberry.field(description="One customer's invoices.")
    order_id: strawberry.ID | None = strawberry.field(description="One order's invoices.")
    statuses: list[InvoiceStatus] = strawberry.field(description="Any of these statuses (empty: any).")
    types: list[InvoiceType] = strawberry.field(description="Any of these types (empty: any).")
    currency: str | None = strawberry.field(description="ISO 4217 currency code.")
    created_time: SavedTimeRange | None = strawberry.field(description="Creation time range.")
    due_time: SavedTimeRange | None = strawberry.field(description="Due time range.")


@strawberry.type(description="A saved Billing-table sort.")
class SavedInvoiceSort:
    field: InvoiceSortField = strawberry.field(description="Sort key.")
    direction: SortDirection = strawberry.field(description="Direction.")


@strawberry.type(description="What a Billing segment lists: its filter and sort.")
class InvoiceSegmentDefinition:
    filter: SavedInvoiceFilter = strawberry.field(description="The filters.")
    sort: SavedInvoiceSort = strawberry.field(description="The sort order.")


def _range(d: dict[str, Any] | None) -> SavedTimeRange | None:
    return SavedTimeRange(from_=d.get("from"), to=d.get("to")) if d else None


@strawberry.type(
    description="A saved segment of a data table: a named filter with its sort and columns, shared with "
    "everyone in the organization. The built-in `Leads` and `Customers` segments are segments too "
    "(ids `seg_leads`, `seg_customers`), readable but not editable."
)
class Segment(Node):
    table: DataTable = strawberry.field(description="The table the segment belongs to.")
    name: str = strawberry.field(description="Name (≤ 100).")
    built_in: bool = strawberry.field(description="One of the built-in segments (cannot be edited or deleted).")
    owner: Actor | None = strawberry.field(description="Who created it (only they may edit or delete it); null for built-ins.")
    columns: list[str] = strawberry.field(
        description="The columns in their order (the guide's *Edit columns*); exports use them. "
        "See `dataTableColumns` for the names."
    )
    customers: CustomerSegmentDefinition | None = strawberry.field(
        description="What the segment lists, when `table` is CUSTOMERS."
    )
    transactions: TransactionSegmentDefinition | None = strawberry.field(
        description="What the segment lists, when `table` is TRANSACTIONS."
    )
    invoices: InvoiceSegmentDefinition | None = strawberry.field(
        description="What the segment lists, when `table` is INVOICES (the Billing table)."
    )
    revision: int = strawberry.field(description="+1 per change; pass as `expectedRevision`.")
    created_time: datetime | None = strawberry.field(description="When it was created; null for built-ins.")
    updated_time: datetime | None = strawberry.field(description="When it last changed; null for built-ins.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Segment:
        definition = d["definition"]
        flt = definition.get("filter") or {}
        sort = definition.get("sort") or {}
        direction = SortDirection[sort.get("direction", "DESC")]
        customers = transactions = invoices = None
        if d["table"] == "INVOICES":
            invoices = InvoiceSegmentDefinition(
                filter=SavedInvoiceFilter(
                    customer_id=flt.get("customerId"), order_id=flt.get("orderId"),
                    statuses=[InvoiceStatus[t] for t in flt.get("statuses") or ()],
                    types=[InvoiceType[t] for t in flt.get("types") or ()],
                    currency=flt.get("currency"), created_time=_range(flt.get("createdTime")),
                    due_time=_range(flt.get("dueTime")),
                ),
                sort=SavedInvoiceSort(field=InvoiceSortField[sort.get("field", "CREATED_TIME")], direction=direction),
            )
        elif d["table"] == "CUSTOMERS":
            customers = CustomerSegmentDefinition(
                segment=CustomerSegment[definition.get("segment", "ALL")],
                filter=SavedCustomerFilter(
                    search=flt.get("search"), email=flt.get("email"), country=flt.get("country"),
                    website_id=flt.get("websiteId"), created_time=_range(flt.get("createdTime")),
                    tags=list(flt.get("tags") or ()),
                ),
                sort=SavedCustomerSort(field=CustomerSortField[sort.get("field", "CREATED_TIME")], direction=direction),
            )
        else:
            transactions = TransactionSegmentDefinition(
                segment=TransactionSegment[definition.get("segment", "ALL")],
                filter=SavedTransactionFilter(
                    customer_id=flt.get("customerId"),
                    types=[TransactionType[t] for t in flt.get("types") or ()],
                    statuses=[TransactionStatus[t] for t in flt.get("statuses") or ()],
                    results=[TransactionResult[t] for t in flt.get("results") or ()],
                    currency=flt.get("currency"), created_time=_range(flt.get("createdTime")),
                ),
                sort=SavedTransactionSort(
                    field=TransactionSortField[sort.get("field", "CREATED_TIME")], direction=direction
                ),
            )
        return cls(
            id=strawberry.ID(d["id"]), table=DataTable[d["table"]], name=d["name"], built_in=bool(d.get("builtIn")),
            owner=Actor.from_doc(d["owner"]) if d.get("owner") else None, columns=list(d["columns"]),
            customers=customers, transactions=transactions, invoices=invoices, revision=d.get("revision", 1),
            created_time=d.get("createdTime"), updated_time=d.get("updatedTime"),
        )


@strawberry.input(description="What a customers segment lists.")
class CustomerSegmentDefinitionInput:
    segment: CustomerSegment = strawberry.field(default=CustomerSegment.ALL, description="LEADS, CUSTOMERS or ALL.")
    filter: CustomerFilter | None = strawberry.field(default=None, description="Filters; all must match.")
    sort: CustomerSort | None = strawberry.field(default=None, description="Default: newest first.")


@strawberry.input(description="What a payments segment lists.")
class TransactionSegmentDefinitionInput:
    segment: TransactionSegment = strawberry.field(default=TransactionSegment.ALL, description="Payment segment.")
    filter: TransactionFilter | None = strawberry.field(default=None, description="Filters; all must match.")
    sort: TransactionSort | None = strawberry.field(default=None, description="Default: newest first.")


@strawberry.input(description="What a Billing (invoices) segment lists.")
class InvoiceSegmentDefinitionInput:
    filter: InvoiceFilter | None = strawberry.field(default=None, description="Filters; all must match.")
    sort: InvoiceSort | None = strawberry.field(default=None, description="Default: newest first.")


@strawberry.input(
    description="A new saved segment. Give exactly one of `customers`, `transactions` and `invoices`: it says the table."
)
class SegmentCreateInput:
    name: str = strawberry.field(description="Name (≤ 100).")
    customers: CustomerSegmentDefinitionInput | None = strawberry.field(
        default=None, description="A segment of the customers table."
    )
    transactions: TransactionSegmentDefinitionInput | None = strawberry.field(
        default=None, description="A segment of the payments table."
    )
    invoices: InvoiceSegmentDefinitionInput | None = strawberry.field(
        default=None, description="A segment of the Billing table (invoices)."
    )
    columns: list[str] | None = strawberry.field(
        default=None, description="Columns in order (≤ 50, no repeats); default: the table's default columns."
    )


@strawberry.input(description="An edit of your own segment: fields left out stay as they are.")
class SegmentUpdateInput:
    id: strawberry.ID = strawberry.field(description="The segment (`seg_…`).")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse with `REVISION_CONFLICT` unless the segment is at this revision."
    )
    name: str | None = strawberry.field(default=None, description="Rename (≤ 100).")
    customers: Maybe[CustomerSegmentDefinitionInput | None] = strawberry.field(
        default=None, description="Replaces the definition of a customers segment."
    )
    transactions: Maybe[TransactionSegmentDefinitionInput | None] = strawberry.field(
        default=None, description="Replaces the definition of a payments segment."
    )
    invoices: Maybe[InvoiceSegmentDefinitionInput | None] = strawberry.field(
        default=None, description="Replaces the definition of a Billing segment."
    )
    columns: list[str] | None = strawberry.field(default=None, description="Replaces the columns and their order.")


@strawberry.input(description="Deletes your own segment.")
class SegmentDeleteInput:
    id: strawberry.ID = strawberry.field(description="The segment (`seg_…`).")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse with `REVISION_CONFLICT` unless the segment is at this revision."
    )


@strawberry.type(description="Result of `segmentCreate`.")
class SegmentCreatePayload:
    segment: Segment | None = strawberry.field(description="The new segment; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="Result of `segmentUpdate`.")
class SegmentUpdatePayload:
    segment: Segment | None = strawberry.field(description="The segment after the edit; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="Result of `segmentDelete`.")
class SegmentDeletePayload:
    deleted_segment_id: strawberry.ID | None = strawberry.field(description="The deleted segment's id; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
