"""Customer queries and mutations: list with segments and filters, read, create, update."""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import Context, Info, now
from resolvers.pagination import encode_cursor, position
from resolvers.wallet import payment_instruments as instruments
from schema.common import After, Before, ClientError, Connection, Edge, First, Last, Problems, SortDirection, UserErrorCode, page_of
from schema.customers.customers import (
    Customer,
    CustomerCreateInput,
    CustomerCreatePayload,
    CustomerFilter,
    CustomerSegment,
    CustomerSort,
    CustomerSortField,
    CustomerUpdateInput,
    CustomerUpdatePayload,
    DateTimeRange,
)
from store.activity import timeline
from store.customers import customers
from store.errors import AlreadyExists, NotFound, RevisionConflict
from store.ids import new_id, type_of_id
from store.tables import segments

MAX_UPDATE_RETRIES = 5
# The type of each sort's values in a cursor (store.customers.customers.SORT_FIELDS).
SORT_KINDS: dict[str, type] = {"CREATED_TIME": datetime, "LAST_NAME": str, "PAYMENT_COUNT": int}
# Steps other contexts run after a customer is created (e.g. compliance's sign-up AML screening).
AFTER_CREATE: list[Callable[[Context, dict[str, Any], datetime], Awaitable[None]]] = []


def check_customer_id(problems: Problems, path: list[str | int], value: str) -> bool:
    """A customer id is any id without another type's prefix."""
    kind = type_of_id(value)
    if kind is not None and kind != "Customer":
        problems.add(path, f"{value} is a {kind} id, not a Customer id", UserErrorCode.WRONG_ID_TYPE)
        return False
    return True


async def check_website(ctx: Context, problems: Problems, path: list[str | int], website_id: str) -> None:
    kind = type_of_id(website_id)
    if kind != "Website":
        what = f"a {kind} id" if kind else "not a Website id"
        problems.add(path, f"{website_id} is {what}; expected `web_…`", UserErrorCode.WRONG_ID_TYPE)
    elif await ctx.loaders.website_by_id.load(website_id) is None:
        problems.add(path, f"no website {website_id} in this organization", UserErrorCode.NOT_FOUND)


def list_query(filter: CustomerFilter | None, sort: CustomerSort | None, segment: CustomerSegment) -> customers.CustomerQuery:
    sort = sort or CustomerSort()
    f = filter or CustomerFilter()
    problems = Problems()
    country = v.country(problems, ["filter", "country"], f.country)
    if problems:
        raise ClientError(problems.errors[0].message)
    words = [w for w in unicodedata.normalize("NFC", f.search or "").lower().split() if w][:5]
    created = f.created_time
    return customers.CustomerQuery(
        sort=sort.field.name,
        descending=sort.direction == SortDirection.DESC,
        segment=segment.name,
        search_prefixes=words,
        email=f.email.strip() if f.email else None,
        country=country,
        website_id=str(f.website_id) if f.website_id else None,
        created_from=created.from_ if created else None,
        created_to=created.to if created else None,
        tags=[t.strip().lower() for t in f.tags or () if t.strip()],
    )


async def saved_segment(ctx: Context, segment_id: str, table: str) -> dict[str, Any]:
    """A saved segment of `table` named by a list query's `segmentId`; a clear error otherwise."""
    kind = type_of_id(segment_id)
    if kind != "Segment":
        raise ClientError(f"`segmentId` {segment_id} is {'a ' + kind if kind else 'not a Segment'} id; expected `seg_…`")
    doc = await segments.get(ctx.org, segment_id)
    if doc is None:
        raise ClientError(f"no segment {segment_id} in this organization", "NOT_FOUND")
    if doc["table"] != table:
        raise ClientError(f"segment {segment_id} belongs to the {doc['table']} table, not {table}")
    return doc


def _saved_range(d: dict[str, Any] | None) -> DateTimeRange | None:
    return DateTimeRange(from_=d.get("from"), to=d.get("to")) if d else None


def saved_customer_arguments(doc: dict[str, Any]) -> tuple[CustomerFilter, CustomerSort, CustomerSegment]:
    """A saved customers segment as the list's own arguments (so it runs through the same code)."""
    definition = doc["definition"]
    f = definition.get("filter") or {}
    sort = definition.get("sort") or {}
    return (
        CustomerFilter(
            search=f.get("search"), email=f.get("email"), country=f.get("country"), website_id=f.get("websiteId"),
            created_time=_saved_range(f.get("createdTime")), tags=f.get("tags") or None,
        ),
        CustomerSort(field=CustomerSortField[sort.get("field", "CREATED_TIME")],
                     direction=SortDirection[sort.get("direction", "DESC")]),
        CustomerSegment[definition.get("segment", "ALL")],
    )


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="The customer data table: customers and leads, filtered, sorted, keyset-paginated.")
    async def customers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[CustomerFilter | None, strawberry.argument(description="Filters; all must match.")] = None,
        sort: Annotated[CustomerSort | None, strawberry.argument(description="Default: newest first.")] = None,
        segment: Annotated[
            CustomerSegment, strawberry.argument(description="LEADS, CUSTOMERS or ALL.")
        ] = CustomerSegment.ALL,
        segment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A saved segment of the customers table (`seg_…`, or the built-in `seg_leads`, "
                "`seg_customers`): lists with its filter and sort (`sort` given here overrides the saved sort). "
                "Not together with `filter` or `segment`."
            ),
        ] = None,
    ) -> Connection[Customer]:
        page = page_of(first, after, last, before)
        ctx = info.context
        if segment_id is not None:
            if filter is not None or segment != CustomerSegment.ALL:
                raise ClientError("`segmentId` lists the saved segment's filter; do not also pass `filter` or `segment`")
            filter, saved_sort, segment = saved_customer_arguments(await saved_segment(ctx, str(segment_id), "CUSTOMERS"))
            sort = sort or saved_sort
        q = list_query(filter, sort, segment)
        at = position(page, q.sort, SORT_KINDS[q.sort])
        docs, has_next = await customers.list_page(ctx.org, q, at, page.size, page.backward)
        edges = []
        for d in docs:
            node = Customer.from_doc(d)
            ctx.loaders.customer_by_id.prime(d["id"], node)
            edges.append(Edge(cursor=encode_cursor(q.sort, customers.sort_value(q, d), d["id"]), node=node))

        async def total() -> int:
            return await customers.count(ctx.org, q)

        return Connection.build(edges, page=page, has_next=has_next, count=total)

    @strawberry.field(description="One customer or lead by id; null when there is none in this organization.")
    async def customer(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Customer id.")]
    ) -> Customer | None:
        problems = Problems()
        if not check_customer_id(problems, ["id"], str(id)):
            raise ClientError(problems.errors[0].message)
        return await info.context.loaders.customer_by_id.load(str(id))


def _contacts(
    problems: Problems,
    field: str,
    current: list[dict[str, Any]],
    replace: Any,
    add: Sequence[Any] | None,
    remove: Sequence[str] | None,
    primary: str | None,
    normalise_list: Callable[[list[str | int], Sequence[Any]], list[dict[str, Any]]],
    normalise_one: Callable[[list[str | int], str], str],
    names: tuple[str, str, str, str],
) -> list[dict[str, Any]]:
    """Applies replace, remove, add and make-primary to an email or phone list, in that order."""
    f_add, f_remove, f_primary, what = names
    items = [dict(c) for c in current]
    if replace is not None:
        items = normalise_list([field], replace.value or [])
    for i, value in enumerate(remove or ()):
        key = normalise_one([f_remove, i], value).lower()
        kept = [c for c in items if c["value"].lower() != key]
        if len(kept) == len(items):
            problems.add([f_remove, i], f"{value} is not one of the customer's {what}s", UserErrorCode.NOT_FOUND)
        items = kept
    if add:
        added = normalise_list([f_add], add)
        existing = {c["value"].lower() for c in items}
        for i, a in enumerate(added):
            if a["value"].lower() in existing:
                problems.add([f_add, i, "value"], f"{a['value']} is already there", UserErrorCode.DUPLICATE)
        if any(item.primary for item in add):
            for c in items:
                c["primary"] = False
        elif len(added) == 1 and items:
            added[0]["primary"] = False
        items += added
    if primary is not None:
        key = normalise_one([f_primary], primary).lower()
        if not any(c["value"].lower() == key for c in items):
            problems.add([f_primary], f"{primary} is not one of the customer's {what}s", UserErrorCode.NOT_FOUND)
            return items
        for c in items:
            c["primary"] = c["value"].lower() == key
    if items and sum(c["primary"] for c in items) != 1:
        if len(items) == 1:
            items[0]["primary"] = True
        else:
            problems.add([f_primary], f"say which {what} is primary", UserErrorCode.PRIMARY_REQUIRED)
    return items


def _updated_fields(ctx: Context, problems: Problems, inp: CustomerUpdateInput, doc: dict[str, Any]) -> dict[str, Any]:
    """The new values of every field the input touches (stored names)."""
    new: dict[str, Any] = {}
    for name, stored, limit in (
        ("first_name", "firstName", 45), ("last_name", "lastName", 45),
        ("organization", "organization", 255), ("job_title", "jobTitle", 255),
    ):
        value = getattr(inp, name)
        if value is not None:
            new[stored] = v.text(problems, [stored], value.value, limit)
    if inp.date_of_birth is not None:
        new["dob"] = v.date_of_birth(problems, ["dateOfBirth"], inp.date_of_birth.value, now().date())
    if inp.address is not None:
        new["address"] = v.address(problems, ["address"], inp.address.value)
    if inp.custom_fields is not None:
        new["customFields"] = v.custom_fields(problems, ["customFields"], inp.custom_fields.value)
    region = (new["address"] if "address" in new else doc.get("address") or {}) or {}
    if inp.emails is not None or inp.emails_add or inp.emails_remove or inp.primary_email is not None:
        new["emails"] = _contacts(
            problems, "emails", doc.get("emails", []), inp.emails, inp.emails_add, inp.emails_remove,
            inp.primary_email, lambda p, items: v.email_list(problems, p, items),
            lambda p, value: v.email(problems, p, value), ("emailsAdd", "emailsRemove", "primaryEmail", "email"),
        )
    if (inp.phone_numbers is not None or inp.phone_numbers_add or inp.phone_numbers_remove
            or inp.primary_phone_number is not None):
        country = region.get("country")
        new["phoneNumbers"] = _contacts(
            problems, "phoneNumbers", doc.get("phoneNumbers", []), inp.phone_numbers, inp.phone_numbers_add,
            inp.phone_numbers_remove, inp.primary_phone_number,
            lambda p, items: v.phone_list(problems, p, items, country),
            lambda p, value: v.phone(problems, p, value, country),
            ("phoneNumbersAdd", "phoneNumbersRemove", "primaryPhoneNumber", "phone number"),
        )
    return {k: val for k, val in new.items() if doc.get(k) != val}


@strawberry.type
class CustomerMutations:
    @mutation("Adds a customer (a lead until its first payment): the guide's *Add a customer*.")
    async def customer_create(self, info: Info, input: CustomerCreateInput) -> CustomerCreatePayload:
        ctx = info.context
        problems = Problems()
        t = now()
        cid = v.merchant_id(problems, ["id"], str(input.id)) if input.id is not None else new_id("cus")
        addr = v.address(problems, ["address"], input.address)
        country = (addr or {}).get("country")
        doc: dict[str, Any] = {
            "id": cid,
            "websiteId": str(input.website_id),
            "firstName": v.text(problems, ["firstName"], input.first_name, 45),
            "lastName": v.text(problems, ["lastName"], input.last_name, 45),
            "organization": v.text(problems, ["organization"], input.organization, 255),
            "jobTitle": v.text(problems, ["jobTitle"], input.job_title, 255),
            "dob": v.date_of_birth(problems, ["dateOfBirth"], input.date_of_birth, t.date()),
            "address": addr,
            "emails": v.email_list(problems, ["emails"], input.emails or []),
            "phoneNumbers": v.phone_list(problems, ["phoneNumbers"], input.phone_numbers or [], country),
            "customFields": v.custom_fields(problems, ["customFields"], input.custom_fields),
            "paymentCount": 0,
            "revenue": {},
            "lastPaymentTime": None,
            "tags": [],
            "createdTime": t,
            "updatedTime": t,
            "revision": 1,
            "timelineSeq": 1,
        }
        await check_website(ctx, problems, ["websiteId"], doc["websiteId"])
        instrument = instruments.hook_customer_create(ctx, problems, input.default_payment_instrument, doc, t)
        if input.id is not None and not problems and await customers.exists(ctx.org, cid):
            problems.add(["id"], f"a customer with id {cid} already exists", UserErrorCode.ALREADY_EXISTS)
        if problems:
            return CustomerCreatePayload(customer=None, user_errors=problems.errors)
        try:
            await customers.insert(ctx.org, customers.with_derived(doc))
        except AlreadyExists:
            problems.add(["id"], f"a customer with id {cid} already exists", UserErrorCode.ALREADY_EXISTS)
            return CustomerCreatePayload(customer=None, user_errors=problems.errors)
        await timeline.insert(ctx.org, timeline.event_doc(cid, 1, "CUSTOMER_CREATED", ctx.actor(), t))
        if instrument is not None:
            await instruments.store_new(ctx, instrument, t)
            doc = await customers.get(ctx.org, cid) or doc
        for step in AFTER_CREATE:
            await step(ctx, doc, t)
        ctx.touched_customers.add(cid)
        return CustomerCreatePayload(customer=Customer.from_doc(doc), user_errors=[])

    @mutation("Edits a customer: only the fields given change (`null` clears). The guide's *Edit customer information*.")
    async def customer_update(self, info: Info, input: CustomerUpdateInput) -> CustomerUpdatePayload:
        ctx = info.context
        cid = str(input.id)
        for _attempt in range(MAX_UPDATE_RETRIES):
            problems = Problems()
            if not check_customer_id(problems, ["id"], cid):
                return CustomerUpdatePayload(customer=None, user_errors=problems.errors)
            doc = await customers.get(ctx.org, cid)
            if doc is None:
                problems.add(["id"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND)
                return CustomerUpdatePayload(customer=None, user_errors=problems.errors)
            if input.expected_revision is not None and input.expected_revision != doc["revision"]:
                problems.add(
                    ["expectedRevision"],
                    f"the customer is at revision {doc['revision']}, not {input.expected_revision}",
                    UserErrorCode.REVISION_CONFLICT,
                )
            changes = _updated_fields(ctx, problems, input, doc)
            if input.website_id is not None and input.website_id.value is None:
                problems.add(["websiteId"], "a customer always belongs to a website; it cannot be cleared",
                             UserErrorCode.REQUIRED)
            elif input.website_id is not None and str(input.website_id.value) != doc["websiteId"]:
                changes["websiteId"] = str(input.website_id.value)
                await check_website(ctx, problems, ["websiteId"], changes["websiteId"])
            if problems:
                return CustomerUpdatePayload(customer=None, user_errors=problems.errors)
            if not changes:
                return CustomerUpdatePayload(customer=Customer.from_doc(doc), user_errors=[])
            derived = customers.with_derived({**doc, **changes})
            set_fields = {**changes, **{k: derived[k] for k in customers.DERIVED_FIELDS}}
            t = now()
            try:
                updated = await customers.update(ctx.org, cid, revision=doc["revision"], set_fields=set_fields, now=t)
            except NotFound:
                problems.add(["id"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND)
                return CustomerUpdatePayload(customer=None, user_errors=problems.errors)
            except RevisionConflict as exc:
                if input.expected_revision is not None:
                    problems.add(["expectedRevision"], f"the customer changed meanwhile (now revision {exc.current})",
                                 UserErrorCode.REVISION_CONFLICT)
                    return CustomerUpdatePayload(customer=None, user_errors=problems.errors)
                continue  # changed under us: recompute from the new state
            changed = sorted(_INPUT_NAMES.get(k, k) for k in changes)
            await timeline.insert(ctx.org, timeline.event_doc(
                cid, updated["timelineSeq"], "CUSTOMER_UPDATED", ctx.actor(), t, {"changedFields": changed},
                "Changed " + ", ".join(changed),
            ))
            customer = Customer.from_doc(updated)
            ctx.loaders.customer_by_id.prime(cid, customer, force=True)
            ctx.touched_customers.add(cid)
            return CustomerUpdatePayload(customer=customer, user_errors=[])
        raise RuntimeError(f"customer {cid} kept changing during {MAX_UPDATE_RETRIES} update attempts")


_INPUT_NAMES = {"dob": "dateOfBirth"}
