"""Backward paging: `last`/`before` on every connection, keyset both ways, with Relay's page info.

Each connection of the schema has a case below that seeds its own items through the API (the first three
under a frozen clock, so they tie on their sort time and only the id orders them), then reads them in one
page, forward in pages and backward in pages: the same items in the same order, Relay's `hasNextPage` and
`hasPreviousPage` right at both ends, and bad cursors refused with a clear error. A test checks that no
connection of the schema is left without a case."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from graphql import GraphQLObjectType, build_schema, get_named_type

from resolvers.context import use_clock
from resolvers.pagination import decode_cursor, encode_cursor
from schema.common import MAX_PAGE
from store.db import Store
from tests.billing.helpers import add_plan, add_product, create_order
from tests.collab import add_customer, add_user
from tests.helpers import Org
from tests.money_helpers import paid_outside
from tests.tables.test_duplicate_ranking import REFRESH as RANKING_REFRESH
from tests.tables.test_duplicate_ranking import run_ranking
from tests.test_schema import SCHEMA_FILE

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
VARIABLES = "$first: Int, $after: String, $last: Int, $before: String"
ARGS = "first: $first, after: $after, last: $last, before: $before"
OK = "userErrors { code field message }"

NOTE_ADD = f"""mutation($input: TimelineNoteAddInput!) {{ timelineNoteAdd(input: $input) {{ note {{ id }} {OK} }} }}"""
TAG_CREATE = f"""mutation($input: TagCreateInput!) {{ tagCreate(input: $input) {{ tag {{ id }} {OK} }} }}"""
WEBSITE_CREATE = """mutation($input: WebsiteCreateInput!) { websiteCreate(input: $input) { website { id } } }"""
BLOCK = f"""mutation($input: BlocklistEntryAddInput!) {{ blocklistEntryAdd(input: $input) {{ {OK} }} }}"""
UPDATE = f"""mutation($input: CustomerUpdateInput!) {{ customerUpdate(input: $input) {{ {OK} }} }}"""
MEMO_CREATE = f"""mutation($input: CreditMemoCreateInput!) {{ creditMemoCreate(input: $input) {{ {OK} }} }}"""
QUOTE_CREATE = f"""mutation($input: QuoteCreateInput!) {{ quoteCreate(input: $input) {{ {OK} }} }}"""
COUPON_CREATE = f"""mutation($input: CouponCreateInput!) {{ couponCreate(input: $input) {{ {OK} }} }}"""
CUSTOMER_CREATE = f"""mutation($input: CustomerCreateInput!) {{ customerCreate(input: $input) {{ {OK} }} }}"""

ITEMS = 6  # per connection; the first TIED of them are made at one instant
TIED = 3
_numbers = itertools.count(1)


@contextmanager
def frozen_clock() -> Iterator[None]:
    """The API's `now()` stands still: what is made meanwhile has one creation time."""
    t = datetime.now(UTC)
    use_clock(lambda: t)
    try:
        yield
    finally:
        use_clock(None)


def ok(data: dict[str, Any]) -> None:
    (payload,) = data.values()
    assert payload.get("userErrors", []) == [], payload


# ---------------------------------------------------------------------------------------------- seeds
# A seed makes what its items need (returning the query's variables and the key to read with), then one
# item per call of `one(org, store, state, i)`.

Setup = Callable[[Org, Store], Awaitable[dict[str, Any]]]
One = Callable[[Org, Store, dict[str, Any], int], Awaitable[None]]


async def nothing(org: Org, store: Store) -> dict[str, Any]:
    return {}


async def a_customer(org: Org, store: Store) -> dict[str, Any]:
    return {"id": await add_customer(org, "Paging")}


async def a_reader(org: Org, store: Store) -> dict[str, Any]:
    reader = await add_user(store, org, "Reader", "reader@example.com")
    return {"id": await add_customer(org, "Paging"), "reader": reader.id, "key": reader.key}


async def a_plan(org: Org, store: Store) -> dict[str, Any]:
    plan = await add_plan(org, await add_product(org))
    return {"id": await add_customer(org, "Paging"), "plan": plan["id"]}


async def a_product(org: Org, store: Store) -> dict[str, Any]:
    return {"product": await add_product(org)}


async def one_customer(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    await add_customer(org, f"Name{i}", lastName=f"Same{i // 2}")  # LAST_NAME ties too


async def one_website(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    await org.gql(WEBSITE_CREATE, {"input": {"name": f"site {i}", "url": f"https://s{i}.example"}})


async def one_tag(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(TAG_CREATE, {"input": {"name": f"tag{i}"}}))


async def one_user(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    await add_user(store, org, "Sam Same" if i < TIED else f"User {i}", f"user{next(_numbers)}@example.com")


async def one_block(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(BLOCK, {"input": {"type": "EMAIL", "value": f"x{i}@spam.example"}}))


async def one_note(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(NOTE_ADD, {"input": {"customerId": state["id"], "message": f"note {i}"}}))


async def one_update(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(UPDATE, {"input": {"id": state["id"], "jobTitle": f"job {i}"}}))


async def one_payment(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    await paid_outside(org, state["id"], amount=f"{10 + i}.00")


async def one_mention(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(NOTE_ADD, {"input": {"customerId": state["id"], "message": f"cc {i}", "mentionedIds": [state["reader"]]}}))


async def one_order(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    made = await create_order(org, state["id"], [{"planId": state["plan"]}], autopay=False)
    assert made["userErrors"] == [], made


async def one_memo(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(MEMO_CREATE, {"input": {"customerId": state["id"], "reason": "CUSTOMER_CREDIT", "currency": "USD",
                                             "items": [{"unitPrice": f"{i + 1}.00", "quantity": 1}]}}))


async def one_quote(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(QUOTE_CREATE, {"input": {"customerId": state["id"], "items": [{"planId": state["plan"], "quantity": i + 1}]}}))


async def one_product(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    await add_product(org, f"Product {i}")


async def one_plan(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    await add_plan(org, state["product"], name=f"Plan {i}")


async def one_coupon(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    ok(await org.gql(COUPON_CREATE, {"input": {"discount": {"type": "PERCENT", "percent": str(i + 1)}}}))


async def one_duplicate_pair(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    """Two customers sharing an email, and one with nothing in common (an empty page to step over)."""
    email = f"twin{next(_numbers)}@example.com"
    for name in ("Twin", "Twain"):
        ok(await org.gql(CUSTOMER_CREATE, {"input": {"websiteId": org.website_id, "firstName": name,
                                                     "emails": [{"value": email}]}}))
    ok(await org.gql(CUSTOMER_CREATE, {"input": {"websiteId": org.website_id, "firstName": f"Loner{i}"}}))


async def one_ranked_pair(org: Org, store: Store, state: dict[str, Any], i: int) -> None:
    """One more pair of customers sharing an email, then the organization's ranking computed afresh by its job."""
    await one_duplicate_pair(org, store, state, i)
    ok(await org.gql(RANKING_REFRESH, {"input": {}}))
    assert await run_ranking(store) == 1


# ---------------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """A connection, how to reach it, and how to seed it."""

    name: str
    parent: str | None  # "customer", "viewer" or None (a root field)
    field: str
    setup: Setup
    one: One
    orders: tuple[str, ...] = ("",)  # extra arguments (sorts) each walked over the same items
    args: str = ""  # the one being walked
    node: str = "id"
    ident: Callable[[dict[str, Any]], str] = lambda n: str(n["id"])
    ties: bool = True  # items made at one instant share their sort value (only the id orders them)
    in_list_order: bool = True  # a page lists its items in the list's order (not so: duplicate suggestions)
    size: int = 2

    def query(self) -> str:
        args = f"{ARGS}, {self.args}" if self.args else ARGS
        inner = f"{self.field}({args}) {{ edges {{ cursor node {{ {self.node} }} }} {PAGE_INFO} }}"
        if self.parent == "customer":
            return f"query($id: ID!, {VARIABLES}) {{ customer(id: $id) {{ {inner} }} }}"
        if self.parent == "viewer":
            return f"query({VARIABLES}) {{ viewer {{ {inner} }} }}"
        return f"query({VARIABLES}) {{ {inner} }}"

    def pick(self, data: dict[str, Any]) -> dict[str, Any]:
        return data[self.parent][self.field] if self.parent else data[self.field]

    def schema_field(self) -> tuple[str, str]:
        return {"customer": "Customer", "viewer": "Viewer", None: "Query"}[self.parent], self.field


CASES = [
    Case("customers", None, "customers", nothing, one_customer, orders=("", "sort: {field: LAST_NAME, direction: ASC}")),
    Case("websites", None, "websites", nothing, one_website),
    Case("tags", None, "tags", nothing, one_tag, ties=False),  # by name, and names are unique
    Case("users", None, "users", nothing, one_user),
    Case("blocklistEntries", None, "blocklistEntries", nothing, one_block),
    Case("transactions (payments table)", None, "transactions", a_customer, one_payment,
         orders=("", "sort: {direction: ASC}")),
    Case("customerDuplicateSuggestions", None, "customerDuplicateSuggestions", nothing, one_duplicate_pair,
         node="customer { id }", ident=lambda n: str(n["customer"]["id"]), in_list_order=False),
    Case("customerDuplicatePairs", None, "customerDuplicatePairs", nothing, one_ranked_pair),  # ties: one score
    Case("invoices (billing table)", None, "invoices", a_plan, one_order),
    Case("products", None, "products", nothing, one_product),
    Case("plans", None, "plans", a_product, one_plan),
    Case("coupons", None, "coupons", nothing, one_coupon),
    Case("Customer.timeline", "customer", "timeline", a_customer, one_note, ties=False),  # by seq, unique
    Case("Customer.apiLogs", "customer", "apiLogs", a_customer, one_update),
    Case("Customer.transactions", "customer", "transactions", a_customer, one_payment, orders=("", "direction: ASC")),
    Case("Customer.subscriptions", "customer", "subscriptions", a_plan, one_order),
    Case("Customer.orders", "customer", "orders", a_plan, one_order),
    Case("Customer.invoices", "customer", "invoices", a_plan, one_order),
    Case("Customer.creditMemos", "customer", "creditMemos", a_customer, one_memo),
    Case("Customer.quotes", "customer", "quotes", a_plan, one_quote),
    Case("Viewer.notifications", "viewer", "notifications", a_reader, one_mention),
]


async def seeded(case: Case, org: Org, store: Store) -> tuple[dict[str, Any], str | None]:
    state = await case.setup(org, store)
    with frozen_clock():
        for i in range(TIED):
            await case.one(org, store, state, i)
    for i in range(TIED, ITEMS):
        await case.one(org, store, state, i)
    variables = {"id": state["id"]} if case.parent == "customer" else {}
    return variables, state.get("key")


async def read(case: Case, org: Org, key: str | None, variables: dict[str, Any], **page: Any) -> dict[str, Any]:
    return case.pick(await org.gql(case.query(), {**variables, **page}, key=key))


def idents(case: Case, page: dict[str, Any]) -> list[str]:
    return [case.ident(e["node"]) for e in page["edges"]]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_every_connection_pages_forward_and_backward_over_the_same_items(org: Org, other_org: Org, store: Store,
                                                                               case: Case):
    variables, key = await seeded(case, org, store)
    for args in case.orders:
        await walk(replace(case, args=args), org, other_org, key, variables)


async def walk(case: Case, org: Org, other_org: Org, key: str | None, variables: dict[str, Any]) -> None:
    everything = await read(case, org, key, variables, first=MAX_PAGE)
    ids = idents(case, everything)
    assert len(ids) >= 5 and len(set(ids)) == len(ids), ids
    assert everything["pageInfo"]["hasPreviousPage"] is False and everything["pageInfo"]["hasNextPage"] is False
    from_the_end = await read(case, org, key, variables, last=MAX_PAGE)
    assert idents(case, from_the_end) == ids, "`last` lists the same items in the same order"
    assert from_the_end["pageInfo"]["hasPreviousPage"] is False and from_the_end["pageInfo"]["hasNextPage"] is False
    if case.ties:  # the frozen clock made ties on the sort value: only the id tells those items apart
        values = [repr(decode_cursor(e["cursor"], decode_sort(e["cursor"]))[0]) for e in everything["edges"]]
        assert len(set(values)) < len(values), values

    forward: list[dict[str, Any]] = []
    after = None
    starts, ends = [], []  # of the forward pages
    while True:
        page = await read(case, org, key, variables, first=case.size, after=after)
        starts.append(page["pageInfo"]["startCursor"])
        ends.append(page["pageInfo"]["endCursor"])
        assert len(page["edges"]) <= case.size
        forward += page["edges"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if page["edges"] and case.in_list_order:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    forward_ids = [case.ident(e["node"]) for e in forward]

    backward: list[dict[str, Any]] = []
    before = None
    while True:
        page = await read(case, org, key, variables, last=case.size, before=before)
        assert len(page["edges"]) <= case.size
        backward = page["edges"] + backward
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        if page["edges"]:
            assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"] or not case.in_list_order
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    backward_ids = [case.ident(e["node"]) for e in backward]

    assert backward_ids == forward_ids, "backward pages, put together, are the forward pages"
    assert [e["cursor"] for e in backward] == [e["cursor"] for e in forward], "an item's cursor is the same both ways"
    if case.in_list_order:
        assert forward_ids == ids
    else:  # each page ranks its items by score: page by page the same items, not the one page's order
        assert sorted(forward_ids) == sorted(ids)

    # around an item's cursor: the page before it ends right before it, the page after it starts right after it
    middle = forward[3]["cursor"]
    before_middle = await read(case, org, key, variables, last=2, before=middle)
    after_middle = await read(case, org, key, variables, first=2, after=middle)
    if case.in_list_order:
        assert idents(case, before_middle) == forward_ids[1:3]
        assert idents(case, after_middle) == forward_ids[4:6]
    assert before_middle["pageInfo"]["hasNextPage"] is True and before_middle["pageInfo"]["hasPreviousPage"] is True
    assert after_middle["pageInfo"]["hasPreviousPage"] is True

    # past either end: an empty page that knows what lies on its other side
    past_the_end = await read(case, org, key, variables, first=2, after=ends[-1])
    assert past_the_end["edges"] == []
    assert past_the_end["pageInfo"]["hasNextPage"] is False and past_the_end["pageInfo"]["hasPreviousPage"] is True
    before_the_start = await read(case, org, key, variables, last=2, before=starts[0])
    assert before_the_start["edges"] == []
    assert before_the_start["pageInfo"]["hasPreviousPage"] is False and before_the_start["pageInfo"]["hasNextPage"] is True

    # bad cursors: a clear error naming the argument, not an internal error
    for page, argument in (({"last": 2, "before": "not-a-cursor"}, "before"), ({"first": 2, "after": "%%%"}, "after")):
        errors = await org.errors(case.query(), {**variables, **page}, key=key)
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", errors
        assert f"`{argument}` is not a cursor of this list" in errors[0]["message"]
    foreign = encode_cursor("SOME_OTHER_SORT", 1, "x_1")
    errors = await org.errors(case.query(), {**variables, "last": 2, "before": foreign}, key=key)
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT" and "is a cursor of a list sorted by" in errors[0]["message"]
    forged = encode_cursor(decode_sort(forward[0]["cursor"]), [1, 2], "x_1")  # the right list, a value of the wrong type
    errors = await org.errors(case.query(), {**variables, "first": 2, "after": forged}, key=key)
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", errors

    # another organization reading backward from this one's cursor sees none of its items
    if case.parent is None:
        theirs = await read(case, other_org, None, variables, last=MAX_PAGE, before=forward[-1]["cursor"])
        assert not set(idents(case, theirs)) & set(ids)


def decode_sort(cursor: str) -> str:
    """The sort name a cursor was made for (to decode it, and to forge one of the same list)."""
    return str(orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[0])


def test_every_connection_of_the_schema_takes_both_directions_and_has_a_case():
    schema = build_schema(SCHEMA_FILE.read_text())
    connections = set()
    for type_name, t in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(t, GraphQLObjectType):
            continue
        for field_name, f in t.fields.items():
            if get_named_type(f.type).name.endswith("Connection"):
                connections.add((type_name, field_name))
                args = {a: str(v.type) for a, v in f.args.items() if a in ("first", "after", "last", "before")}
                assert args == {"first": "Int", "after": "String", "last": "Int", "before": "String"}, (type_name, field_name)
    assert connections == {c.schema_field() for c in CASES}


BAD_PAGES = [
    ("", "exactly one of `first`"), ("first: 1, last: 1", "exactly one of `first`"),
    ("first: 1, before: \"x\"", "`before` goes with `last`"), ("last: 1, after: \"x\"", "`after` goes with `first`"),
    ("last: 0", "`last` must be between 1 and 100"), ("last: 101", "`last` must be between 1 and 100"),
    ("first: 0", "`first` must be between 1 and 100"), ("first: 101", "`first` must be between 1 and 100"),
]


async def test_page_arguments_are_checked_on_every_connection(org: Org, store: Store):
    state = await a_reader(org, store)
    for case in CASES:
        for args, message in BAD_PAGES:
            inner = f"{case.field}{f'({args})' if args else ''} {{ pageInfo {{ hasNextPage }} }}"
            if case.parent == "customer":
                query, variables = f"query($id: ID!) {{ customer(id: $id) {{ {inner} }} }}", {"id": state["id"]}
            elif case.parent == "viewer":
                query, variables = f"{{ viewer {{ {inner} }} }}", {}
            else:
                query, variables = f"{{ {inner} }}", {}
            errors = await org.errors(query, variables, key=state["key"])
            assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", (case.name, args, errors)
            assert message in errors[0]["message"], (case.name, args, errors)
