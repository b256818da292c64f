"""The compiled fast path (resolvers/fastpath.py) on small schemas: what it answers itself, what it hands
to standard execution, and that both give exactly the stock response.

The real schema over real data is covered by tests/test_executor_differential.py (generated
operations, byte-identical responses); these tests pin the mechanics: plan caching, DataLoader batches
per level, resolve-info paths, abstract types, arguments from variables, and the fallback (fresh
loaders, no coroutine left unawaited).
"""

from __future__ import annotations

import datetime
import decimal
import enum
from typing import Annotated, Any

import orjson
import pytest
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.extensions import ParserCache
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig

from resolvers import direct as direct_module
from resolvers.direct import direct_call
from resolvers.fastpath import FastPathExecutionContext, FastPathMixin, FastPathStockExecutionContext
from schema.common import SCALARS

FAST_CLASSES = [FastPathExecutionContext, FastPathStockExecutionContext]


def same(a: Any, b: Any) -> None:
    assert orjson.dumps(a.data) == orjson.dumps(b.data)
    assert [e.formatted for e in a.errors or ()] == [e.formatted for e in b.errors or ()]


class Counts:
    def __init__(self) -> None:
        self.stats = dict(FastPathMixin.stats)

    def delta(self) -> tuple[int, int]:
        now = FastPathMixin.stats
        return now["planned"] - self.stats["planned"], now["bailouts"] - self.stats["bailouts"]


# ----------------------------------------------------------------------------- batches, paths, arguments


class Ctx:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.paths: list[list[str | int]] = []
        self.restarts = 0
        self.loader = DataLoader(self.load)

    async def load(self, keys: list[int]) -> list[Child]:
        self.batches.append(list(keys))
        return [Child(n=k) for k in keys]

    def restart_execution(self) -> None:
        self.restarts += 1
        self.loader = DataLoader(self.load)


@strawberry.type
class Child:
    n: int

    @strawberry.field
    async def grandchild(self, info: strawberry.Info) -> Child:
        info.context.paths.append(info.path.as_list())
        return await info.context.loader.load(self.n + 1000)

    @strawberry.field
    async def fails(self) -> int:
        if self.n == 3:
            raise ValueError("three fails")
        return self.n


@strawberry.type
class Parent:
    n: int
    label: str | None

    @strawberry.field
    async def child(self, info: strawberry.Info) -> Child:
        info.context.paths.append(info.path.as_list())
        return await info.context.loader.load(self.n)

    @strawberry.field
    def scaled(self, by: Annotated[int, strawberry.argument(description="Factor.")] = 1) -> int:
        return self.n * by


@strawberry.type
class TreeQuery:
    @strawberry.field
    def parents(self, count: int = 5) -> list[Parent]:
        return [Parent(n=i, label=None if i % 2 else f"p{i}") for i in range(count)]


TREE = """query($by: Int!, $count: Int!) { parents(count: $count) { n label scaled(by: $by)
  child { n grandchild { n } } } }"""


@pytest.mark.parametrize("fast_class", FAST_CLASSES)
async def test_each_level_loads_in_one_batch_with_the_paths_stock_gives(fast_class):
    fast = strawberry.Schema(query=TreeQuery, execution_context_class=fast_class)
    stock = strawberry.Schema(query=TreeQuery)
    variables = {"by": 3, "count": 40}
    fast_ctx, stock_ctx = Ctx(), Ctx()
    counts = Counts()
    a = await fast.execute(TREE, variable_values=variables, context_value=fast_ctx)
    b = await stock.execute(TREE, variable_values=variables, context_value=stock_ctx)
    assert counts.delta() == (1, 0)
    same(a, b)
    assert a.errors is None and len(a.data["parents"]) == 40
    assert fast_ctx.batches == stock_ctx.batches == [list(range(40)), [n + 1000 for n in range(40)]]
    assert sorted(fast_ctx.paths, key=str) == sorted(stock_ctx.paths, key=str)
    assert ["parents", 7, "child", "grandchild"] in fast_ctx.paths


async def test_one_plan_serves_every_request_of_a_document_with_its_own_variables():
    # as in the gateway (resolvers/schema.py): the parser cache hands every request the same document
    schema = strawberry.Schema(query=TreeQuery, execution_context_class=FastPathExecutionContext,
                               extensions=[lambda: ParserCache(maxsize=8)])
    first = await schema.execute(TREE, variable_values={"by": 2, "count": 3}, context_value=Ctx())
    plans = {id(entry[2]) for entry in FastPathMixin.plan_cache.values()}
    second = await schema.execute(TREE, variable_values={"by": 10, "count": 4}, context_value=Ctx())
    assert {id(entry[2]) for entry in FastPathMixin.plan_cache.values()} == plans, "compiled once"
    assert [p["scaled"] for p in first.data["parents"]] == [0, 2, 4]
    assert [p["scaled"] for p in second.data["parents"]] == [0, 10, 20, 30]


async def test_include_and_skip_follow_each_requests_variables():
    schema = strawberry.Schema(query=TreeQuery, execution_context_class=FastPathExecutionContext)
    stock = strawberry.Schema(query=TreeQuery)
    query = "query($with: Boolean!) { parents(count: 2) { n label @include(if: $with) child @skip(if: $with) { n } } }"
    for flag in (True, False, True):
        counts = Counts()
        a = await schema.execute(query, variable_values={"with": flag}, context_value=Ctx())
        assert counts.delta() == (1, 0)
        same(a, await stock.execute(query, variable_values={"with": flag}, context_value=Ctx()))
        assert ("label" in a.data["parents"][0]) is flag and ("child" in a.data["parents"][0]) is not flag


@pytest.mark.parametrize("fast_class", FAST_CLASSES)
@pytest.mark.parametrize("query", [
    "{ parents(count: 6) { n child { n fails } } }",  # an async error in a nullable position: data and an error
    "{ parents(count: 6) { child { grandchild { n } n fails } label } }",
    "query($by: Int!) { parents { scaled(by: $by) } }",  # a variable missing: no execution at all
])
async def test_errors_go_to_standard_execution_on_fresh_loaders(fast_class, query):
    fast = strawberry.Schema(query=TreeQuery, execution_context_class=fast_class)
    stock = strawberry.Schema(query=TreeQuery)
    fast_ctx, stock_ctx = Ctx(), Ctx()
    counts = Counts()
    a = await fast.execute(query, context_value=fast_ctx)
    b = await stock.execute(query, context_value=stock_ctx)
    same(a, b)
    assert a.errors
    if "$by" not in query:
        assert counts.delta() == (0, 1)
        assert fast_ctx.restarts == 1
        # the rerun loaded everything again, in the same batches as a first execution
        assert fast_ctx.batches[-len(stock_ctx.batches):] == stock_ctx.batches


# ----------------------------------------------------------------------------- what always takes standard execution


@strawberry.type
class Counter:
    value: int


COUNTER = Counter(value=0)


@strawberry.type
class CounterMutation:
    @strawberry.mutation
    def bump(self) -> Counter:
        COUNTER.value += 1
        return COUNTER


@strawberry.type
class CounterQuery:
    @strawberry.field
    def counter(self) -> Counter:
        return COUNTER


def test_mutations_and_introspection_take_standard_execution():
    schema = strawberry.Schema(query=CounterQuery, mutation=CounterMutation,
                               execution_context_class=FastPathExecutionContext)
    counts = Counts()
    before = COUNTER.value
    assert schema.execute_sync("mutation { bump { value } }").data == {"bump": {"value": before + 1}}
    assert schema.execute_sync("{ __schema { queryType { name } } }").data == {"__schema": {"queryType": {"name": "CounterQuery"}}}
    assert schema.execute_sync("{ counter { value __typename } }").data == {
        "counter": {"value": before + 1, "__typename": "Counter"}}
    assert counts.delta() == (1, 0), "only the plain query ran on a plan; the mutation ran once"


# ----------------------------------------------------------------------------- abstract types


@strawberry.interface
class Shape:
    name: str


@strawberry.type
class Circle(Shape):
    radius: float


@strawberry.type
class Square(Shape):
    side: int


@strawberry.type
class Blob:
    """Not a Shape: a resolver returning it where a Shape belongs is a runtime type error."""

    name: str


@strawberry.type
class Label:
    text: str


Item = Annotated[Circle | Label, strawberry.union("Item")]


@strawberry.type
class ShapeQuery:
    @strawberry.field
    def shapes(self) -> list[Shape]:
        return [Circle(name="c", radius=1.5), Square(name="s", side=2), Circle(name="d", radius=0.5)]

    @strawberry.field
    def odd_shapes(self) -> list[Shape | None]:
        return [Circle(name="c", radius=1.0), Blob(name="b"), None]  # type: ignore[list-item]

    @strawberry.field
    def items(self) -> list[Item]:
        return [Label(text="x"), Circle(name="e", radius=2.0)]

    @strawberry.field
    async def later(self) -> Shape:
        return Square(name="later", side=9)


@pytest.mark.parametrize("query, planned", [
    ("{ shapes { __typename name ... on Circle { radius } ... on Square { side } } }", True),
    ("{ items { __typename ... on Label { text } ... on Circle { name radius } } }", True),
    ("{ later { name ... on Square { side } } shapes { name } }", True),
    ("{ oddShapes { name ... on Circle { radius } } }", False),
])
async def test_interfaces_and_unions_resolve_as_standard_execution_does(query, planned):
    fast = strawberry.Schema(query=ShapeQuery, types=[Circle, Square], execution_context_class=FastPathExecutionContext)
    stock = strawberry.Schema(query=ShapeQuery, types=[Circle, Square])
    counts = Counts()
    a = await fast.execute(query)
    same(a, await stock.execute(query))
    assert counts.delta() == ((1, 0) if planned else (0, 1))
    assert bool(a.errors) is not planned


def test_a_synchronous_schema_runs_its_plan_synchronously():
    schema = strawberry.Schema(query=ShapeQuery, types=[Circle, Square], execution_context_class=FastPathExecutionContext)
    counts = Counts()
    result = schema.execute_sync("{ shapes { name } items { ... on Label { text } } }")
    assert result.errors is None and result.data["shapes"][1] == {"name": "s"}
    assert counts.delta() == (1, 0)


# ----------------------------------------------------------------------------- no coroutine left behind


@strawberry.type
class Slow:
    n: int

    @strawberry.field
    async def value(self) -> int:
        return self.n

    @strawberry.field
    async def deeper(self) -> Slow:
        return Slow(n=self.n + 1)


@strawberry.type
class SlowQuery:
    @strawberry.field
    async def broken(self) -> int | None:  # nullable: stock graphql-core itself leaks coroutines when a
        raise RuntimeError("broken at the first level")  # non-null root field fails and cancels the rest

    @strawberry.field
    async def slows(self) -> list[Slow]:
        return [Slow(n=1), Slow(n=2)]

    @strawberry.field
    def bad_leaf(self) -> Slow:
        return Slow(n="not an int")  # type: ignore[arg-type]


@pytest.mark.parametrize("query", [
    # the error comes while the next level's coroutines are already made: they must be closed, not leaked
    "{ slows { value deeper { value deeper { value } } } broken }",
    "{ badLeaf { n value deeper { value } } slows { value } }",
])
async def test_a_fallback_closes_the_coroutines_it_made(query):
    # pytest turns "coroutine ... was never awaited" into a failure (filterwarnings = error)
    fast = strawberry.Schema(query=SlowQuery, execution_context_class=FastPathExecutionContext)
    stock = strawberry.Schema(query=SlowQuery)
    counts = Counts()
    a = await fast.execute(query)
    same(a, await stock.execute(query))
    assert a.errors and counts.delta() == (0, 1)


# ----------------------------------------------------------------------------- resolvers without Strawberry's wrapper


@strawberry.enum
class Tone(enum.Enum):
    LOW = "low"
    HIGH = "high"


@strawberry.input
class Window:
    start: int = 0
    size: int = 2


class AllowOdd(BasePermission):
    message = "only odd rows"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return source.n % 2 == 1


@strawberry.type
class Row:
    n: int

    @strawberry.field
    def echo(self, info: strawberry.Info, tone: Tone, tones: list[Tone], label: str | None = None,
             window: Window | None = None) -> str:
        info.context.seen.append((self.n, info.path.as_list(), tones, window))
        tones.append(Tone.LOW)  # a resolver may change its own list: the next row must not see it
        shown = f"{window.start}+{window.size}" if window is not None else "-"
        return f"{self.n}:{tone.value}:{','.join(t.value for t in tones)}:{label}:{shown}"

    @strawberry.field
    def loaded(self, info: strawberry.Info) -> Child:
        return info.context.loader.load(self.n)  # the loader's future itself: no coroutine per row

    @strawberry.field(permission_classes=[AllowOdd])
    def guarded(self) -> int:
        return self.n

    @strawberry.field
    def parent_value(self, parent: strawberry.Parent[Row]) -> int:
        return parent.n * 10


@strawberry.type
class RowQuery:
    @strawberry.field
    def rows(self, count: int = 4) -> list[Row]:
        return [Row(n=i) for i in range(count)]


class RowCtx(Ctx):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, list[str | int], Any, Any]] = []  # keeps the arguments alive


def test_strawberry_resolvers_are_recognised_unless_an_extension_wraps_them():
    # a Strawberry upgrade that changes its wrapper makes this fail, instead of quietly losing the speed-up
    schema = strawberry.Schema(query=RowQuery)
    fields = schema._schema.type_map["Row"].fields  # type: ignore[attr-defined]
    assert direct_call(fields["echo"].resolve) is not None
    assert direct_call(fields["loaded"].resolve) is not None
    assert direct_call(fields["parentValue"].resolve) is not None
    assert direct_call(fields["guarded"].resolve) is None  # permission classes are a field extension


@pytest.mark.parametrize("fast_class", FAST_CLASSES)
async def test_arguments_are_converted_once_per_step_and_each_call_gets_its_own_lists(fast_class, monkeypatch):
    conversions: list[str] = []
    real = direct_module.get_arguments

    def counted(**kwargs: Any) -> Any:
        conversions.append(kwargs["field"].name)
        return real(**kwargs)

    monkeypatch.setattr(direct_module, "get_arguments", counted)
    fast = strawberry.Schema(query=RowQuery, execution_context_class=fast_class)
    stock = strawberry.Schema(query=RowQuery)
    query = """query($tones: [Tone!]!) { rows(count: 5) { n a: echo(tone: HIGH, tones: $tones)
      b: echo(tone: LOW, tones: [HIGH], label: "x", window: {start: 3}) parentValue } }"""
    variables = {"tones": ["HIGH", "LOW"]}
    fast_ctx, stock_ctx = RowCtx(), RowCtx()
    counts = Counts()
    a = await fast.execute(query, variable_values=variables, context_value=fast_ctx)
    b = await stock.execute(query, variable_values=variables, context_value=stock_ctx)
    assert counts.delta() == (1, 0)
    same(a, b)
    assert a.data["rows"][4] == {"n": 4, "a": "4:high:high,low,low:None:-", "b": "4:low:high,low:x:3+2", "parentValue": 40}
    # `a` shares its converted arguments (enums and a list of enums); `b` has an input object: per call
    assert conversions.count("echo") == 1 + 5 and conversions.count("parent_value") == 1
    assert [(n, path) for n, path, _, _ in fast_ctx.seen] == [(n, path) for n, path, _, _ in stock_ctx.seen]
    lists = [tones for _, path, tones, _ in fast_ctx.seen if path[-1] == "a"]
    windows = [window for _, path, _, window in fast_ctx.seen if path[-1] == "b"]
    assert len({id(x) for x in lists}) == 5, "each call has its own list"
    assert len({id(x) for x in windows}) == 5, "an input object is built for every call, as Strawberry builds it"


@pytest.mark.parametrize("fast_class", FAST_CLASSES)
async def test_futures_of_a_level_are_awaited_in_one_batch_and_extensions_keep_their_wrapper(fast_class):
    fast = strawberry.Schema(query=RowQuery, execution_context_class=fast_class)
    stock = strawberry.Schema(query=RowQuery)
    fast_ctx, stock_ctx = RowCtx(), RowCtx()
    query = "{ rows(count: 30) { n loaded { n grandchild { n } } } }"
    counts = Counts()
    a = await fast.execute(query, context_value=fast_ctx)
    same(a, await stock.execute(query, context_value=stock_ctx))
    assert counts.delta() == (1, 0)
    assert fast_ctx.batches == stock_ctx.batches == [list(range(30)), [n + 1000 for n in range(30)]]
    # a permission class refuses the even rows: errors, so standard execution answers, as stock does
    query = "{ rows(count: 3) { n guarded } }"
    counts = Counts()
    a = await fast.execute(query, context_value=RowCtx())
    same(a, await stock.execute(query, context_value=RowCtx()))
    assert counts.delta() == (0, 1) and a.errors
    counts = Counts()
    a = await fast.execute("{ rows(count: 1) { guarded } }", context_value=RowCtx())
    assert a.errors and counts.delta() == (0, 1)


# ----------------------------------------------------------------------------- scalars of the schema's scalar_map


@strawberry.type
class Stamp:
    at: datetime.datetime
    amount: decimal.Decimal


@strawberry.type
class StampQuery:
    @strawberry.field
    def stamps(self, bad: bool = False) -> list[Stamp]:
        when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        rows = [Stamp(at=when, amount=decimal.Decimal("10.50")), Stamp(at=when, amount=decimal.Decimal("-0.01"))]
        if bad:  # a date where a DateTime belongs: the coercion fails, as in standard execution
            rows.append(Stamp(at=datetime.date(2026, 1, 2), amount=decimal.Decimal(1)))  # type: ignore[arg-type]
        return rows


async def test_scalars_of_the_scalar_map_are_coerced_inline_with_the_same_result():
    config = StrawberryConfig(scalar_map=SCALARS)
    fast = strawberry.Schema(query=StampQuery, execution_context_class=FastPathExecutionContext, config=config)
    stock = strawberry.Schema(query=StampQuery, config=config)
    counts = Counts()
    a = await fast.execute("{ stamps { at amount } }")
    same(a, await stock.execute("{ stamps { at amount } }"))
    assert counts.delta() == (1, 0)
    assert a.data["stamps"][0] == {"at": "2026-01-02T03:04:05+00:00", "amount": "10.50"}
    plan = next(entry[2] for entry in FastPathMixin.plan_cache.values() if entry[1] is fast._schema)
    item = plan.steps[0][4].item
    assert {step[4].exact for step in item.plan.steps} == {datetime.datetime, decimal.Decimal}
    counts = Counts()
    a = await fast.execute("{ stamps(bad: true) { at amount } }")
    same(a, await stock.execute("{ stamps(bad: true) { at amount } }"))
    assert a.errors and counts.delta() == (0, 1)
