"""The data tables themselves: which tables there are, their columns, and the payments table's inputs."""

from __future__ import annotations

import enum

import strawberry

from schema.billing.invoices import InvoiceStatus, InvoiceType
from schema.common import SortDirection
from schema.customers.customers import DateTimeRange
from schema.money.transactions import TransactionResult, TransactionStatus, TransactionType


@strawberry.enum(description="A data table of the dashboard (the guide's Customers, Payments and Billing tables).")
class DataTable(enum.Enum):
    CUSTOMERS = strawberry.enum_value("CUSTOMERS", description="Customers and leads (`customers`).")
    TRANSACTIONS = strawberry.enum_value(
        "TRANSACTIONS", description="The Payments table: every transaction of the organization (`transactions`)."
    )
    INVOICES = strawberry.enum_value(
        "INVOICES", description="The Billing table: every invoice of the organization (`invoices`)."
    )


@strawberry.type(description="A column a table can show and export.")
class DataTableColumn:
    name: str = strawberry.field(description="Column name, as given in `columns` lists (e.g. `email`).")
    description: str = strawberry.field(description="What the column holds and how it is written in a CSV file.")
    default: bool = strawberry.field(description="Part of the table's default columns.")


@strawberry.enum(description="What to sort the payments table by; ties are broken by id.")
class TransactionSortField(enum.Enum):
    CREATED_TIME = strawberry.enum_value("CREATED_TIME", description="When the transaction was created.")


@strawberry.input(description="Sort order of the payments table.")
class TransactionSort:
    field: TransactionSortField = strawberry.field(default=TransactionSortField.CREATED_TIME, description="Sort key.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Direction.")


@strawberry.input(description="Filters of the payments table; all given filters must match.")
class TransactionFilter:
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="One customer's transactions.")
    types: list[TransactionType] | None = strawberry.field(default=None, description="Any of these types.")
    statuses: list[TransactionStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    results: list[TransactionResult] | None = strawberry.field(default=None, description="Any of these results.")
    currency: str | None = strawberry.field(default=None, description="ISO 4217 currency code.")
    created_time: DateTimeRange | None = strawberry.field(default=None, description="Creation time range.")


@strawberry.enum(description="What to sort the Billing table by; ties are broken by id.")
class InvoiceSortField(enum.Enum):
    CREATED_TIME = strawberry.enum_value("CREATED_TIME", description="When the invoice was made.")


@strawberry.input(description="Sort order of the Billing table.")
class InvoiceSort:
    field: InvoiceSortField = strawberry.field(default=InvoiceSortField.CREATED_TIME, description="Sort key.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Direction.")


@strawberry.input(description="Filters of the Billing table (invoices); all given filters must match.")
class InvoiceFilter:
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="One customer's invoices.")
    order_id: strawberry.ID | None = strawberry.field(default=None, description="One order's invoices.")
    statuses: list[InvoiceStatus] | None = strawberry.field(
        default=None, description="Any of these statuses (the guide's Billing segments, e.g. UNPAID and PAST_DUE)."
    )
    types: list[InvoiceType] | None = strawberry.field(default=None, description="Any of these types.")
    currency: str | None = strawberry.field(default=None, description="ISO 4217 currency code.")
    created_time: DateTimeRange | None = strawberry.field(default=None, description="Creation time range.")
    due_time: DateTimeRange | None = strawberry.field(default=None, description="Due time range.")
