"""The compiled fast path (resolvers/fastpath.py) and the leaf shortcut (resolvers/executor.py) against
stock execution: many generated operations over real data, byte-identical responses.

Operations are generated from the schema itself (random sub-selections of every type reachable from
the root, aliases, repeated fields, inline fragments, @include/@skip, abstract types through
`node`/`nodes` and the timeline, arguments drawn from real ids, enums and booleans), so new types and
fields are covered without touching this file. Both apps share one database seeded with the demo data
plus notes, mentions, links, tax ids, a lead source, a blocklist entry and a refund.
"""

from __future__ import annotations

import enum
import gc
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any, NamedTuple

import httpx2
import orjson
import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_schema,
    get_named_type,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.app import create_app
from resolvers.executor import LeafShortcutExecutionContext, Nested
from resolvers.fastpath import FastPathExecutionContext, FastPathMixin, FastPathStockExecutionContext
from resolvers.schema import sdl
from resolvers.seed import DEMO_ORG_ID, seed
from resolvers.settings import Settings
from store import auth
from store.db import Store

# Stock graphql-core leaves the coroutines of sibling fields un-started when a non-null field fails
# (its gather is cancelled before they are awaited); the generated operations now reach such fields
# among the newer root fields. The fast path closes the coroutines it made (tests/test_fastpath.py
# checks that no coroutine of a plan is left unawaited), so here only that known stock leak is ignored.
pytestmark = [
    pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]




@pytest.fixture(autouse=True)
def _collect_the_leak_here() -> Iterator[None]:
    """Collects this module's leaked coroutines before its tests end, while the filters above apply: left to
    the garbage collector, they were reported as errors in the setup of whichever test ran next."""
    yield
    gc.collect()


OPERATIONS = 400
# The cost budget is not what this compares: no maximum, and no bucket (whose level differs between apps).
LIMITS = {"max_depth": 14, "max_aliases": 200, "max_tokens": 20_000, "max_query_cost": 10**9, "cost_bucket_size": 0}
SKIPPED_ROOTS = {"__schema", "__type"}  # introspection is graphql-core's own resolvers either way


class Generator:
    """Random operations over a graphql-core schema; `ids` feed `id`/`ids` arguments."""

    def __init__(self, schema: GraphQLSchema, ids: list[str], seed_value: int) -> None:
        self.schema = schema
        self.ids = ids
        self.rnd = random.Random(seed_value)
        self.alias_count = 0

    def operation(self) -> str:
        query = self.schema.query_type
        assert query is not None
        return "query {\n" + self.selection(query, depth=0, minimum=1) + "\n}"

    def selection(self, parent: GraphQLObjectType | GraphQLInterfaceType, depth: int, minimum: int = 1) -> str:
        names = [n for n in parent.fields if n not in SKIPPED_ROOTS]
        self.rnd.shuffle(names)
        chosen = names[: self.rnd.randint(minimum, max(minimum, min(len(names), 7 if depth else 3)))]
        parts = [p for p in (self.field(parent, name, depth) for name in chosen) if p]
        if not parts or self.rnd.random() < 0.3:
            parts.append("__typename")
        if self.rnd.random() < 0.2:  # the same field again, under its own name or an alias
            parts.append(self.rnd.choice(parts))
        if self.rnd.random() < 0.15:
            cut = self.rnd.randint(0, len(parts))
            parts[cut:] = ["... {\n" + "\n".join(parts[cut:] or ["__typename"]) + "\n}"]
        if self.rnd.random() < 0.1 and isinstance(parent, GraphQLObjectType):
            parts.append(f"... on {parent.name} {{ __typename }}")
        return "\n".join(parts)

    def field(self, parent: Any, name: str, depth: int) -> str | None:
        field: GraphQLField = parent.fields[name]
        args = self.arguments(field)
        if args is None:
            return None
        named = get_named_type(field.type)
        head = name
        if self.rnd.random() < 0.2:
            self.alias_count += 1
            head = f"a{self.alias_count}: {name}"
        head += args
        roll = self.rnd.random()
        if roll < 0.05:
            head += " @skip(if: true)"
        elif roll < 0.1:
            head += " @include(if: true)"
        if is_leaf_type(named):
            return head
        if depth >= 6:
            return None
        if isinstance(named, GraphQLObjectType):
            return head + " {\n" + self.selection(named, depth + 1) + "\n}"
        possible = self.schema.get_possible_types(named)  # interface or union
        branches = self.rnd.sample(list(possible), k=min(len(possible), self.rnd.randint(1, 3)))
        inner = ["__typename"]
        if isinstance(named, GraphQLInterfaceType) and self.rnd.random() < 0.5:
            inner.append(self.selection(named, depth + 1))
        inner += [f"... on {t.name} {{\n{self.selection(t, depth + 1)}\n}}" for t in branches]
        assert isinstance(named, GraphQLInterfaceType | GraphQLUnionType)
        return head + " {\n" + "\n".join(inner) + "\n}"

    def arguments(self, field: GraphQLField) -> str | None:
        """Literal arguments, or None when a required one cannot be filled."""
        out = []
        for arg_name, arg in field.args.items():
            # a connection needs one of `first` and `last`: always `first` (backward pages: tests/edge/test_paging.py)
            required = (isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined) or arg_name == "first"
            inner = arg.type.of_type if isinstance(arg.type, GraphQLNonNull) else arg.type
            value = self.value(arg_name, inner)
            if value is None or (not required and self.rnd.random() < 0.6):
                if required:
                    return None
                continue
            out.append(f"{arg_name}: {value}")
        return f"({', '.join(out)})" if out else ""

    def value(self, arg_name: str, arg_type: Any) -> str | None:
        if arg_name == "first":  # now and then out of range: a client error, and the fast path's fallback
            return str(self.rnd.choice([0, 101])) if self.rnd.random() < 0.03 else str(self.rnd.randint(1, 12))
        if arg_name == "id":
            return f'"{self.rnd.choice(self.ids)}"'
        if arg_name == "ids" and isinstance(arg_type, GraphQLList):
            return "[" + ", ".join(f'"{i}"' for i in self.rnd.sample(self.ids, k=self.rnd.randint(1, 6))) + "]"
        if isinstance(arg_type, GraphQLEnumType):
            return self.rnd.choice(list(arg_type.values))
        if getattr(arg_type, "name", "") == "Boolean":
            return self.rnd.choice(["true", "false"])
        return None


async def add_variety(client: httpx2.AsyncClient, key: str, customer_ids: list[str], user_id: str) -> None:
    """Events and details the demo data does not have, made through the API."""

    async def gql(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await client.post("/graphql", json={"query": query, "variables": variables},
                                     headers={"Authorization": f"Bearer {key}"})
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    a, b = customer_ids[0], customer_ids[1]
    await gql("""mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) {
        userErrors { code } } }""", {"input": {"customerId": a, "message": "Call **back** on Monday @support",
                                                "format": "MARKDOWN", "mentionedIds": [user_id], "linkIds": [b]}})
    await gql("""mutation($input: CustomerTaxIdAddInput!) { customerTaxIdAdd(input: $input) {
        userErrors { code } } }""",
              {"input": {"customerId": a, "type": "EU_VAT", "value": "DE136695976"}})
    await gql("""mutation($input: CustomerLeadSourceUpdateInput!) { customerLeadSourceUpdate(input: $input) {
        userErrors { code } } }""",
              {"input": {"customerId": b, "campaign": "spring", "medium": "email", "ipAddress": "192.0.2.7"}})
    await gql("""mutation($input: CustomerBlockInput!) { customerBlock(input: $input) { userErrors { code } } }""",
              {"input": {"customerId": b, "attributes": ["CUSTOMER_ID"]}})


class Apps(NamedTuple):
    fast: httpx2.AsyncClient  # the default: compiled plans, the shortcut where standard execution runs
    shortcut: httpx2.AsyncClient  # FAST_PATH=false
    stock: httpx2.AsyncClient  # FAST_PATH=false LEAF_SHORTCUT=false
    key: str
    ids: list[str]

    async def bodies(self, body: dict[str, Any]) -> list[tuple[int, bytes]]:
        headers = {"Authorization": f"Bearer {self.key}"}
        responses = [await c.post("/graphql", json=body, headers=headers) for c in (self.fast, self.shortcut, self.stock)]
        return [(r.status_code, r.content) for r in responses]


@pytest.fixture
async def apps(store: Store) -> AsyncIterator[Apps]:
    await seed(store, count=30)
    from datetime import UTC, datetime

    key, _ = await auth.create_api_key(store, DEMO_ORG_ID, "write", "differential", datetime.now(UTC))

    def app(**overrides: Any) -> httpx2.AsyncClient:
        settings = Settings(mongodb_uri=None, api_key_cache_seconds=0, **LIMITS, **overrides)
        return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=create_app(settings, store)), base_url="http://test")

    org = store.for_org(DEMO_ORG_ID)
    customers = [c["id"] for c in await org["customers"].find_list({}, sort=[("id", 1)])]
    users = [u["id"] for u in await org["users"].find_list({})]
    async with app() as fast, app(fast_path=False) as shortcut, app(fast_path=False, leaf_shortcut=False) as stock:
        await add_variety(fast, key, customers, users[0])
        ids = customers[:10] + users + ["cus_does_not_exist", "not-an-id"]
        for collection in ("payment_instruments", "transactions", "timeline", "tags", "websites"):
            ids += [d["id"] for d in await org[collection].find_list({}, limit=5)]
        yield Apps(fast, shortcut, stock, key, ids)


def test_the_fast_path_and_shortcut_are_on_by_default_and_off_on_request():
    assert Settings().leaf_shortcut is True and Settings().fast_path is True
    from resolvers.schema import build_schema as build

    assert build(Settings()).execution_context_class is FastPathExecutionContext
    assert build(Settings(leaf_shortcut=False)).execution_context_class is FastPathStockExecutionContext
    assert build(Settings(fast_path=False)).execution_context_class is LeafShortcutExecutionContext
    assert build(Settings(fast_path=False, leaf_shortcut=False)).execution_context_class is StrawberryGraphQLCoreExecutionContext


async def test_generated_operations_give_byte_identical_responses(apps):
    generator = Generator(build_schema(sdl()), apps.ids, seed_value=20261125)
    with_data = with_errors = bailouts = 0
    for _ in range(OPERATIONS):
        op = generator.operation()
        before = dict(FastPathMixin.stats)
        fast, shortcut, stock = await apps.bodies({"query": op})
        assert fast == stock, op
        assert shortcut == stock, op
        body = orjson.loads(fast[1])
        with_data += bool(body.get("data"))
        with_errors += bool(body.get("errors"))
        # Every operation that succeeds is answered by its plan; only one with errors goes back to standard
        # execution (or never reaches execution: validation errors).
        counts = (FastPathMixin.stats["planned"] - before["planned"], FastPathMixin.stats["bailouts"] - before["bailouts"])
        assert counts in ({(0, 1), (0, 0)} if "errors" in body else {(1, 0)}), op
        bailouts += counts[1]
    # The generator must reach real data, and some error paths, to prove anything.
    assert with_data > OPERATIONS * 0.8
    assert with_errors > OPERATIONS * 0.1 and bailouts > OPERATIONS * 0.1


DASHBOARD = """query($first: Int!) { customers(first: $first, segment: ALL) { totalCount
  edges { cursor node { id firstName lastName isLead paymentCount createdTime revision
    f: firstName firstName averageValue { amount currency } lifetimeRevenue { amount currency }
    address { line1 city country postalCode } emails { value primary } phoneNumbers { value primary }
    defaultPaymentInstrument { id status isBlocked ... on PaymentInstrument { fingerprint } }
    paymentInstruments { id method status summary card { last4 } billingAddress { country } }
    tags { id name } taxIds { type value isDefault } isBlocked
    timeline(first: 20) { edges { node { __typename id kind occurredTime message
      ... on NoteEvent { format mentions { __typename } links { __typename } } } } } } } } }"""


async def test_a_dashboard_page_is_byte_identical_and_mostly_leaves(apps):
    before = FastPathMixin.stats["planned"]
    fast, shortcut, stock = await apps.bodies({"query": DASHBOARD, "variables": {"first": 30}})
    assert fast == shortcut == stock
    assert FastPathMixin.stats["planned"] == before + 1, "a plan answered the dashboard"
    body = orjson.loads(fast[1])
    assert "errors" not in body and len(body["data"]["customers"]["edges"]) == 30
    # The short path really ran (plans are only made on it): an always-present empty middleware
    # manager once sent every field to standard execution, and identical responses could not tell.
    planned = {(t.name, f) for (t, f), plan in LeafShortcutExecutionContext.plans.items() if plan is not None}
    assert {("Customer", "firstName"), ("Money", "amount"), ("PaymentInstrument", "status")} <= planned
    assert ("Customer", "timeline") not in planned
    nested = {(t.name, f) for (t, f), plan in LeafShortcutExecutionContext.plans.items() if isinstance(plan, Nested)}
    assert {("Customer", "address"), ("Customer", "emails"), ("Customer", "lifetimeRevenue")} <= nested


# Values real data never has, so the generated operations cannot reach them: the short path and the
# compiled plans must hand each of these to standard execution, which reports them exactly as before.
FAST_CLASSES = [LeafShortcutExecutionContext, FastPathExecutionContext, FastPathStockExecutionContext]

@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Odd:
    name: str
    count: int
    maybe: int | None
    colour: Colour
    score: float


class Raising:
    """A source whose attributes fail when read."""

    colour = Colour.RED
    score = 0.5

    @property
    def name(self) -> str:
        raise RuntimeError("getter failed")

    @property
    def count(self) -> int:
        raise KeyError("count")

    maybe = property(lambda self: 1 // 0)


ODD = [
    Odd(name="ok", count=1, maybe=None, colour=Colour.RED, score=1.5),
    Odd(name=None, count=2, maybe=3, colour=Colour.RED, score=2.0),  # type: ignore[arg-type] # null, non-null field
    Odd(name=7, count="abc", maybe="x", colour="RED", score="nan"),  # type: ignore[arg-type] # uncoercible
    Odd(name="big", count=2**40, maybe=True, colour=Colour.RED, score=float("inf")),  # out of Int range
    Odd(name=RuntimeError("as value"), count=ValueError("v"), maybe=1, colour=Colour.RED, score=0.0),  # type: ignore[arg-type]
    Raising(),  # type: ignore[list-item]
    Odd(name="u", count=Undefined, maybe=Undefined, colour=Colour.RED, score=Undefined),  # type: ignore[arg-type]
]


@strawberry.type
class OddQuery:
    @strawberry.field
    def odd(self) -> list[Odd | None]:
        return ODD  # type: ignore[return-value]

    @strawberry.field
    def strict(self) -> list[Odd]:
        return ODD

    @strawberry.field
    def one(self) -> Odd:
        return ODD[1]


@pytest.mark.parametrize("query", [
    "{ odd { name count maybe colour score } }",
    "{ strict { name } }",
    "{ strict { maybe colour } }",
    "{ one { count maybe name } }",
    "{ one { n: name, c: count, name } odd { ... on Odd { maybe score } } }",
])
@pytest.mark.parametrize("fast_class", FAST_CLASSES)
def test_bad_values_give_the_same_errors_and_nulls(query, fast_class):
    fast = strawberry.Schema(query=OddQuery, execution_context_class=fast_class)
    stock = strawberry.Schema(query=OddQuery)
    a, b = fast.execute_sync(query), stock.execute_sync(query)
    assert a.errors, "each query meets at least one bad value"
    assert orjson.dumps(a.data) == orjson.dumps(b.data)
    assert [e.formatted for e in a.errors] == [e.formatted for e in b.errors]


@strawberry.type
class Inner:
    label: str

    @strawberry.field
    async def later(self) -> str:
        if self.label == "fail-later":
            raise RuntimeError("async child failed")
        return self.label.upper()


@strawberry.type
class Holder:
    inner: Inner
    maybe_inner: Inner | None
    inners: list[Inner]
    loose: list[Inner | None] | None


HOLDERS = [
    Holder(inner=Inner(label="a"), maybe_inner=None, inners=[Inner(label="b")], loose=[Inner(label="c"), None]),
    Holder(inner=None, maybe_inner=Inner(label="d"), inners=[Inner(label="e")], loose=None),  # type: ignore[arg-type]
    Holder(inner=Inner(label=None), maybe_inner=Inner(label=None), inners=[Inner(label="f"), None], loose="not a list"),  # type: ignore[arg-type,list-item]
    Holder(inner=Inner(label="g"), maybe_inner=RuntimeError("as value"), inners=(Inner(label="t"),), loose=[ValueError("v")]),  # type: ignore[arg-type,list-item]
    Holder(inner=Inner(label="fail-later"), maybe_inner=Inner(label="fail-later"), inners=[Inner(label="h"), Inner(label="fail-later")],
           loose=[Inner(label="fail-later"), Inner(label=None)]),
    Holder(inner=Inner(label=7), maybe_inner=Inner(label="i"), inners=[], loose=[]),  # type: ignore[arg-type]
]


@strawberry.type
class HolderQuery:
    @strawberry.field
    def holders(self) -> list[Holder | None]:
        return HOLDERS


@pytest.mark.parametrize("query", [
    "{ holders { inner { label } } }",
    "{ holders { maybeInner { label } } }",
    "{ holders { inners { label } } }",
    "{ holders { loose { label } } }",
    "{ holders { inner { later } maybeInner { later label } } }",
    "{ holders { inners { later } loose { later } } }",
    "{ holders { a: inner { label } b: inner { later } inners { l: label label } } }",
])
@pytest.mark.parametrize("fast_class", FAST_CLASSES)
async def test_bad_nested_values_give_the_same_errors_and_nulls(query, fast_class):
    fast = strawberry.Schema(query=HolderQuery, execution_context_class=fast_class)
    stock = strawberry.Schema(query=HolderQuery)
    a, b = await fast.execute(query), await stock.execute(query)
    assert a.errors, "each query meets at least one bad value"
    assert orjson.dumps(a.data) == orjson.dumps(b.data)
    assert [e.formatted for e in a.errors] == [e.formatted for e in b.errors]
    if fast_class is not LeafShortcutExecutionContext:
        return  # the plan met a bad value and handed the operation to standard execution (with the shortcut)
    nested = {f for (t, f), p in LeafShortcutExecutionContext.plans.items() if t.name == "Holder" and isinstance(p, Nested)}
    assert nested & {"inner", "maybeInner", "inners", "loose"}, "the nested short path ran"
