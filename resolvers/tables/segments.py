"""Saved segments of the data tables: read (built-ins included), create, edit, delete your own."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from iso4217 import Currency

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import INPUT, Context, Info, now
from resolvers.customers.customers import check_customer_id, check_website
from schema.common import ClientError, Problems, UserErrorCode
from schema.customers.customers import CustomerFilter, DateTimeRange
from schema.tables.segments import (
    CustomerSegmentDefinitionInput,
    InvoiceSegmentDefinitionInput,
    Segment,
    SegmentCreateInput,
    SegmentCreatePayload,
    SegmentDeleteInput,
    SegmentDeletePayload,
    SegmentUpdateInput,
    SegmentUpdatePayload,
    TransactionSegmentDefinitionInput,
)
from schema.tables.tables import DataTable, DataTableColumn, InvoiceFilter, TransactionFilter
from store.errors import NotFound, RevisionConflict
from store.ids import new_id, type_of_id
from store.tables import columns as catalog
from store.tables import segments

Path = list[str | int]
MAX_NAME = 100
MAX_TAGS = 20


def _range(problems: Problems, path: Path, value: DateTimeRange | None) -> dict[str, Any] | None:
    if value is None or (value.from_ is None and value.to is None):
        return None
    if value.from_ is not None and value.to is not None and value.from_ >= value.to:
        problems.add(path, "`from` must be before `to`", UserErrorCode.INVALID)
    return {"from": value.from_, "to": value.to}


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: val for k, val in d.items() if val not in (None, [], "")}


def stored_definition(problems: Problems, path: Path, value: Any) -> Any:
    """A definition as it is stored: every string in it passes the text hygiene of free texts (no
    control or bidi characters) and holds no card number (a filter value is not masked: it is refused)."""
    if isinstance(value, str):
        if v.mask_card_numbers(value) != value:
            problems.add(path, "contains a card number; card numbers are not stored", UserErrorCode.INVALID)
            return value
        return v.clean_text(problems, path, value)
    if isinstance(value, dict):
        return {k: stored_definition(problems, [*path, k], x) for k, x in value.items()}
    if isinstance(value, list):
        return [stored_definition(problems, [*path, i], x) for i, x in enumerate(value)]
    return value



async def customers_definition(
    ctx: Context, problems: Problems, path: Path, inp: CustomerSegmentDefinitionInput
) -> dict[str, Any]:
    """A customers segment's definition in stored form (the filter's own values, validated)."""
    f = inp.filter or CustomerFilter()
    fp: Path = [*path, "filter"]
    website = str(f.website_id) if f.website_id else None
    if website is not None:
        await check_website(ctx, problems, [*fp, "websiteId"], website)
    tags = sorted({t.strip().lower() for t in f.tags or () if t.strip()})
    if len(tags) > MAX_TAGS:
        problems.add([*fp, "tags"], f"at most {MAX_TAGS} tags", UserErrorCode.TOO_MANY)
    flt = _clean({
        "search": v.text(problems, [*fp, "search"], f.search, 200),
        "email": v.text(problems, [*fp, "email"], f.email, 255),
        "country": v.country(problems, [*fp, "country"], f.country),
        "websiteId": website,
        "createdTime": _range(problems, [*fp, "createdTime"], f.created_time),
        "tags": tags,
    })
    sort = {"field": inp.sort.field.name, "direction": inp.sort.direction.name} if inp.sort else {
        "field": "CREATED_TIME", "direction": "DESC"}
    return stored_definition(problems, path, {"segment": inp.segment.name, "filter": flt, "sort": sort})


def transactions_definition(problems: Problems, path: Path, inp: TransactionSegmentDefinitionInput) -> dict[str, Any]:
    f = inp.filter or TransactionFilter()
    fp: Path = [*path, "filter"]
    customer = str(f.customer_id) if f.customer_id else None
    if customer is not None:
        check_customer_id(problems, [*fp, "customerId"], customer)
    currency = _currency(problems, [*fp, "currency"], f.currency)
    flt = _clean({
        "customerId": customer,
        "types": sorted({t.name for t in f.types or ()}),
        "statuses": sorted({t.name for t in f.statuses or ()}),
        "results": sorted({t.name for t in f.results or ()}),
        "currency": currency,
        "createdTime": _range(problems, [*fp, "createdTime"], f.created_time),
    })
    sort = {"field": inp.sort.field.name, "direction": inp.sort.direction.name} if inp.sort else {
        "field": "CREATED_TIME", "direction": "DESC"}
    return stored_definition(problems, path, {"segment": inp.segment.name, "filter": flt, "sort": sort})


def _currency(problems: Problems, path: Path, value: str | None) -> str | None:
    currency = value.strip().upper() if value else None
    if currency is not None and (currency not in Currency.__members__ or Currency(currency).exponent is None):
        problems.add(path, f"{value} is not an ISO 4217 currency code", UserErrorCode.INVALID)
    return currency


def invoices_definition(problems: Problems, path: Path, inp: InvoiceSegmentDefinitionInput) -> dict[str, Any]:
    """A Billing (invoices) segment's definition in stored form."""
    f = inp.filter or InvoiceFilter()
    fp: Path = [*path, "filter"]
    customer = str(f.customer_id) if f.customer_id else None
    if customer is not None:
        check_customer_id(problems, [*fp, "customerId"], customer)
    order = str(f.order_id) if f.order_id else None
    if order is not None and type_of_id(order) not in (None, "Order"):
        problems.add([*fp, "orderId"], f"{order} is a {type_of_id(order)} id, not an Order id",
                     UserErrorCode.WRONG_ID_TYPE)
    flt = _clean({
        "customerId": customer,
        "orderId": order,
        "statuses": sorted({t.name for t in f.statuses or ()}),
        "types": sorted({t.name for t in f.types or ()}),
        "currency": _currency(problems, [*fp, "currency"], f.currency),
        "createdTime": _range(problems, [*fp, "createdTime"], f.created_time),
        "dueTime": _range(problems, [*fp, "dueTime"], f.due_time),
    })
    sort = {"field": inp.sort.field.name, "direction": inp.sort.direction.name} if inp.sort else {
        "field": "CREATED_TIME", "direction": "DESC"}
    return stored_definition(problems, path, {"filter": flt, "sort": sort})


async def definition_of(
    ctx: Context, problems: Problems, customers: CustomerSegmentDefinitionInput | None,
    transactions: TransactionSegmentDefinitionInput | None, invoices: InvoiceSegmentDefinitionInput | None,
) -> tuple[str, dict[str, Any]]:
    """The table and stored definition of the one definition given (the caller checked there is one)."""
    if customers is not None:
        return "CUSTOMERS", await customers_definition(ctx, problems, ["customers"], customers)
    if transactions is not None:
        return "TRANSACTIONS", transactions_definition(problems, ["transactions"], transactions)
    assert invoices is not None
    return "INVOICES", invoices_definition(problems, ["invoices"], invoices)


def check_columns(problems: Problems, path: Path, table: str, names: list[str] | None) -> list[str]:
    """Column names in order, each known to the table and given once; the defaults when none are given."""
    if not names:
        return list(catalog.DEFAULTS[table])
    known = catalog.COLUMNS[table]
    if len(names) > catalog.MAX_COLUMNS:
        problems.add(path, f"at most {catalog.MAX_COLUMNS} columns", UserErrorCode.TOO_MANY)
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name not in known:
            problems.add([*path, i], f"{name!r} is not a column of the {table} table (see `dataTableColumns`)",
                         UserErrorCode.INVALID)
        elif name in seen:
            problems.add([*path, i], f"{name!r} is listed twice", UserErrorCode.DUPLICATE)
        seen.add(name)
    return list(names)


def _name(problems: Problems, value: str) -> str:
    return v.text(problems, ["name"], value, MAX_NAME, required=True) or ""


def is_owner(ctx: Context, doc: dict[str, Any]) -> bool:
    owner = doc.get("owner") or {}
    actor = ctx.actor()
    return owner.get("type") == actor["type"] and owner.get("id") == actor["id"]


async def own_segment(ctx: Context, problems: Problems, segment_id: str, expected: int | None) -> dict[str, Any] | None:
    """The segment a mutation may change, or None with the reason in `problems`."""
    kind = type_of_id(segment_id)
    if kind != "Segment":
        problems.add(["id"], f"{segment_id} is {'a ' + kind if kind else 'not a Segment'} id; expected `seg_…`",
                     UserErrorCode.WRONG_ID_TYPE)
        return None
    doc = await segments.get(ctx.org, segment_id)
    if doc is None:
        problems.add(["id"], f"no segment {segment_id} in this organization", UserErrorCode.NOT_FOUND)
        return None
    if doc.get("builtIn"):
        problems.add(["id"], f"{doc['name']} is a built-in segment; save a copy to change it", UserErrorCode.BUILT_IN)
        return None
    if not is_owner(ctx, doc):
        problems.add(["id"], f"only its owner ({doc['owner'].get('name')}) may change this segment",
                     UserErrorCode.NOT_OWNER)
        return None
    if expected is not None and expected != doc["revision"]:
        problems.add(["expectedRevision"], f"the segment is at revision {doc['revision']}, not {expected}",
                     UserErrorCode.REVISION_CONFLICT)
    return doc


@strawberry.type
class SegmentQueries:
    @strawberry.field(description="One saved or built-in segment by id; null when there is none in this organization.")
    async def segment(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Segment id (`seg_…`).")]
    ) -> Segment | None:
        kind = type_of_id(str(id))
        if kind != "Segment":
            raise ClientError(f"{id} is {'a ' + kind if kind else 'not a Segment'} id; expected `seg_…`")
        doc = await segments.get(info.context.org, str(id))
        return Segment.from_doc(doc) if doc else None

    @strawberry.field(
        description=f"A table's segments: the built-in ones first, then the saved ones oldest first "
        f"(at most {segments.MAX_PER_TABLE} per table), everyone's in the organization."
    )
    async def segments(
        self, info: Info, table: Annotated[DataTable, strawberry.argument(description="Which table.")]
    ) -> list[Segment]:
        return [Segment.from_doc(d) for d in await segments.of_table(info.context.org, table.name)]

    @strawberry.field(description="The columns a table can show and export, in their default order first.")
    def data_table_columns(
        self, table: Annotated[DataTable, strawberry.argument(description="Which table.")]
    ) -> list[DataTableColumn]:
        defaults = catalog.DEFAULTS[table.name]
        cols = catalog.COLUMNS[table.name]
        order = defaults + [c for c in cols if c not in defaults]
        return [DataTableColumn(name=c, description=cols[c][0], default=c in defaults) for c in order]


@strawberry.type
class SegmentMutations:
    @mutation("Saves a segment of a data table (a named filter with sort and columns), shared in the organization.")
    async def segment_create(self, info: Info, input: Annotated[SegmentCreateInput, INPUT]) -> SegmentCreatePayload:
        ctx = info.context
        problems = Problems()
        name = _name(problems, input.name)
        if sum(x is not None for x in (input.customers, input.transactions, input.invoices)) != 1:
            problems.add(None, "give exactly one of `customers`, `transactions` and `invoices`",
                         UserErrorCode.EXACTLY_ONE_REQUIRED)
            return SegmentCreatePayload(segment=None, user_errors=problems.errors)
        table, definition = await definition_of(ctx, problems, input.customers, input.transactions, input.invoices)
        cols = check_columns(problems, ["columns"], table, input.columns)
        if not problems and await segments.count(ctx.org, table) >= segments.MAX_PER_TABLE:
            problems.add(None, f"the {table} table has {segments.MAX_PER_TABLE} segments already", UserErrorCode.TOO_MANY)
        if problems:
            return SegmentCreatePayload(segment=None, user_errors=problems.errors)
        t = now()
        doc = await segments.insert(ctx.org, {
            "id": new_id("seg"), "table": table, "name": name, "builtIn": False, "owner": ctx.actor(),
            "definition": definition, "columns": cols, "revision": 1, "createdTime": t, "updatedTime": t,
        })
        return SegmentCreatePayload(segment=Segment.from_doc(doc), user_errors=[])

    @mutation("Renames or edits your own segment: its filter, sort or columns (fields left out stay).")
    async def segment_update(self, info: Info, input: Annotated[SegmentUpdateInput, INPUT]) -> SegmentUpdatePayload:
        ctx = info.context
        problems = Problems()
        doc = await own_segment(ctx, problems, str(input.id), input.expected_revision)
        if doc is None:
            return SegmentUpdatePayload(segment=None, user_errors=problems.errors)
        changes: dict[str, Any] = {}
        if input.name is not None:
            changes["name"] = _name(problems, input.name)
        table = doc["table"]
        for name, given in (("customers", input.customers), ("transactions", input.transactions),
                            ("invoices", input.invoices)):
            if given is not None and given.value is None:  # the definition can be replaced, not removed
                problems.add([name], "a segment's definition cannot be null; leave it out to keep it", UserErrorCode.REQUIRED)
        if input.customers is not None and input.customers.value is not None:
            if table != "CUSTOMERS":
                problems.add(["customers"], f"this is a segment of the {table} table", UserErrorCode.INVALID)
            else:
                changes["definition"] = await customers_definition(ctx, problems, ["customers"], input.customers.value)
        if input.transactions is not None and input.transactions.value is not None:
            if table != "TRANSACTIONS":
                problems.add(["transactions"], f"this is a segment of the {table} table", UserErrorCode.INVALID)
            else:
                changes["definition"] = transactions_definition(problems, ["transactions"], input.transactions.value)
        if input.invoices is not None and input.invoices.value is not None:
            if table != "INVOICES":
                problems.add(["invoices"], f"this is a segment of the {table} table", UserErrorCode.INVALID)
            else:
                changes["definition"] = invoices_definition(problems, ["invoices"], input.invoices.value)
        if input.columns is not None:
            changes["columns"] = check_columns(problems, ["columns"], table, input.columns)
        if problems:
            return SegmentUpdatePayload(segment=None, user_errors=problems.errors)
        changes = {k: val for k, val in changes.items() if doc.get(k) != val}
        if not changes:
            return SegmentUpdatePayload(segment=Segment.from_doc(doc), user_errors=[])
        try:
            updated = await segments.update(ctx.org, doc["id"], doc["revision"], changes, now())
        except (NotFound, RevisionConflict) as exc:
            current = exc.current if isinstance(exc, RevisionConflict) else None
            problems.add(["expectedRevision"] if current is not None else ["id"],
                         f"the segment changed meanwhile (now revision {current})" if current is not None
                         else f"no segment {doc['id']} in this organization",
                         UserErrorCode.REVISION_CONFLICT if current is not None else UserErrorCode.NOT_FOUND)
            return SegmentUpdatePayload(segment=None, user_errors=problems.errors)
        return SegmentUpdatePayload(segment=Segment.from_doc(updated), user_errors=[])

    @mutation("Deletes your own segment (the rows it listed stay as they are).")
    async def segment_delete(self, info: Info, input: Annotated[SegmentDeleteInput, INPUT]) -> SegmentDeletePayload:
        ctx = info.context
        problems = Problems()
        doc = await own_segment(ctx, problems, str(input.id), input.expected_revision)
        if doc is None or problems:
            return SegmentDeletePayload(deleted_segment_id=None, user_errors=problems.errors)
        if not await segments.delete(ctx.org, doc["id"], doc["revision"]):
            problems.add(["expectedRevision"], "the segment changed or was deleted meanwhile", UserErrorCode.REVISION_CONFLICT)
            return SegmentDeletePayload(deleted_segment_id=None, user_errors=problems.errors)
        return SegmentDeletePayload(deleted_segment_id=strawberry.ID(doc["id"]), user_errors=[])
