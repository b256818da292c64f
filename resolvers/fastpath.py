"""Compiled execution of queries: the plan of an operation is built once, then run without graphql-core's
per-field machinery. Anything out of the ordinary is answered by standard execution instead.

Standard execution (graphql-core) walks the response one field at a time: a `Path`, a resolve info,
the resolver or Strawberry's basic-field wrapper, `is_awaitable`, and several levels of
`complete_value` for every field of every object, and a coroutine plus `gather` for every object with
an async field. For a dashboard page that is most of the gateway's CPU (docs/performance.md).

`FastPathMixin.execute_operation` instead compiles a query operation (once per document while the
document has no directives; per request otherwise) into an `ObjectPlan` (resolvers/plans.py, where
each is written out as a small Python function): for every selection set the fields in response
order, each one of
* `__typename`: the type's name;
* a plain field (no resolver, arguments or extension; `executor.plain_field`): read with the same
  getter Strawberry uses, a leaf coerced with the same `coerce_output_value` graphql-core calls
  (strings and booleans that are already `str`/`bool` pass as they are, which is what it returns);
* a resolver field: called as graphql-core calls it (`field.resolve(source, info, **args)`, the same
  resolve info with the same path, the arguments coerced by `get_argument_values` once per request);
  for Strawberry's own wrapper of a resolver without field extensions, the resolver is called directly
  with its arguments converted once per step (resolvers/direct.py).
Values are completed by the plan of their type (non-null, list, object, interface or union: the runtime
type from the type's own `resolve_type`, remembered per Python class where Strawberry's rule depends
on nothing else). Async results are collected level by level and awaited together (`settle`: a level
of futures one after the other, any coroutine through `gather`), so DataLoaders see every key of a
level in one batch, as with standard execution.

The plan covers only the happy path. The first thing that would make the response differ from a plain
success - any error or exception, a null for a non-null field, a value that is not a `list` where a list
belongs, an awaitable or exception where a value belongs, a failed or empty coercion, an unexpected
runtime type - abandons the plan (`Bailout`; coroutines it made and did not start are closed) and the
operation runs again by standard execution on fresh DataLoaders (`Context.restart_execution`), which
produces that response itself, exactly as a first execution would. Queries have no side effects, so
running one twice changes nothing but the time. Introspection, `@defer`/`@stream` and directives other
than `@include`/`@skip` are never compiled; mutations and subscriptions always take standard execution.
tests/test_executor_differential.py requires byte-identical responses over generated operations on the
real schema (and that each one that succeeds was answered by its plan), and bad values on small schemas;
tests/test_fastpath.py pins batching, paths, caching, abstract types and the fallback.
"""
from __future__ import annotations

import asyncio
import enum
from asyncio import isfuture
from typing import Any

from graphql import GraphQLField, OperationType, Undefined
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import get_object_definition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from resolvers.executor import LeafShortcutExecutionContext
from resolvers.plans import K_LEAF, K_LIST, K_OBJECT, Bailout, CannotCompile, Compiler, Complete, ObjectPlan, strawberry_generated

PLAN_CACHE_SIZE = 512


class FastPathMixin:
    """`execute_operation` through a compiled plan for queries; standard execution for the rest."""

    # Plans per operation node (kept alive with it, so its id is not reused), shared by every request of
    # the process; only for documents without directives, whose field sets do not depend on variables.
    plan_cache: dict[int, tuple[Any, Any, ObjectPlan | None]] = {}
    # Operations answered by a plan, and those that started on one and went to standard execution.
    stats: dict[str, int] = {"planned": 0, "bailouts": 0}

    def execute_operation(self, serially: bool | None = None) -> Any:
        ex: Any = self
        if (
            ex.operation.operation is not OperationType.QUERY
            or serially
            or ex.abort_signal is not None
            or ex.hooks is not None
            or (ex.middleware_manager is not None and ex.middleware_manager.middlewares)
        ):
            return super().execute_operation(serially)  # type: ignore[misc]
        plan = self.plan()
        if plan is None:
            return super().execute_operation(serially)  # type: ignore[misc]
        return self.run(plan, serially)

    def plan(self) -> ObjectPlan | None:
        ex: Any = self
        operation = ex.operation
        cached = self.plan_cache.get(id(operation))
        if cached is not None and cached[0] is operation and cached[1] is ex.schema:
            return cached[2]
        try:
            plan: ObjectPlan | None = Compiler(ex).operation()
        except CannotCompile:
            plan = None
        loc = operation.loc
        if loc is not None and "@" not in loc.source.body:
            if len(self.plan_cache) >= PLAN_CACHE_SIZE:
                self.plan_cache.clear()
            self.plan_cache[id(operation)] = (operation, ex.schema, plan)
        return plan

    def run(self, plan: ObjectPlan, serially: bool | None) -> Any:
        """The result, or an awaitable of it when resolvers are async; standard execution on any surprise."""
        ex: Any = self
        runner = Runner(ex)
        try:
            data = plan.run(runner, ex.root_value, None)
        except Exception:  # Bailout, or a getter or coercion that failed: standard execution reports it
            return self.standard(runner, serially)
        if not runner.pending:
            self.stats["planned"] += 1
            return ex.finish(ex.build_response(data))
        return self.run_async(runner, data, serially)

    async def run_async(self, runner: Runner, data: dict[str, Any], serially: bool | None) -> Any:
        ex: Any = self
        try:
            await runner.drain()
        except Exception:
            result = self.standard(runner, serially)
            return (await result) if ex.is_awaitable(result) else result
        except BaseException:  # cancelled: the coroutines not started yet must not leak
            runner.close_pending()
            raise
        self.stats["planned"] += 1
        return ex.finish(ex.build_response(data))

    def standard(self, runner: Runner, serially: bool | None) -> Any:
        ex: Any = self
        runner.close_pending()
        self.stats["bailouts"] += 1
        # Warm DataLoader caches would change when each field completes, and with it which of several
        # errors wins a non-null propagation: a context that can forget its loads is asked to.
        restart = getattr(ex.context_value, "restart_execution", None)
        if restart is not None:
            restart()
        return super().execute_operation(serially)  # type: ignore[misc]


class Runner:
    """One execution of a plan: a synchronous walk per level, then the level's async results together.

    The generated `ObjectPlan.run` functions call back into it for what they do not inline."""

    __slots__ = ("args", "ex", "is_awaitable", "pending", "shared")

    def __init__(self, executor: Any) -> None:
        self.ex = executor
        self.is_awaitable = executor.is_awaitable
        self.pending: list[tuple[Any, dict[str, Any], str, Complete, Path | None]] = []
        self.args: dict[int, dict[str, Any]] = {}
        self.shared: dict[int, dict[str, Any]] = {}  # converted arguments every call of a step may share

    async def drain(self) -> None:
        """Awaits the pending results level by level, completing each into its place."""
        while self.pending:
            batch, self.pending = self.pending, []
            values = await settle([p[0] for p in batch])
            complete = self.complete
            for (_, container, key, c, path), value in zip(batch, values, strict=True):
                container[key] = complete(c, value, path)

    def close_pending(self) -> None:
        for awaitable, *_ in self.pending:
            close = getattr(awaitable, "close", None)
            if close is not None:  # a coroutine made by a resolver and never started
                close()
        self.pending = []

    def resolve(self, step: tuple[Any, ...], source: Any, path: Path | None, result: dict[str, Any]) -> None:
        """A field with a resolver, called as `execute_field` calls it; an async result waits its level."""
        _, key, resolve, _, c, type_name, field_def, nodes, parent_type, direct = step
        field_path = Path(path, key, type_name)
        info = self.ex.build_resolve_info(field_def, nodes, parent_type, field_path)
        if direct is None:
            value = resolve(source, info, **self.raw_arguments(step))
        else:  # Strawberry's resolver without its wrapper: arguments converted once per step (resolvers/direct.py)
            sinfo = direct.to_info(info)
            shared = self.shared.get(id(step))
            if shared is not None:
                value = direct.again(source, sinfo, shared)
            else:
                value, shared = direct.first(source, sinfo, self.raw_arguments(step))
                if shared is not None:
                    self.shared[id(step)] = shared
        if self.is_awaitable(value):
            result[key] = None
            self.pending.append((value, result, key, c, field_path))
        else:
            result[key] = self.complete(c, value, field_path)

    def raw_arguments(self, step: tuple[Any, ...]) -> dict[str, Any]:
        """The field's arguments as graphql-core coerces them, once per step and request."""
        args = self.args.get(id(step))
        if args is None:
            args = self.arguments(step[6], step[3])
            self.args[id(step)] = args
        return args

    def arguments(self, field_def: GraphQLField, details: FieldDetailsList) -> dict[str, Any]:
        node = details[0].node
        if not (field_def.args or node.arguments):
            return {}
        return get_argument_values(  # an invalid argument raises: standard execution reports it
            field_def, node, self.ex.variable_values, details[0].fragment_variable_values, self.ex.hide_suggestions
        )

    def leaf(self, c: Complete, value: Any) -> Any:
        if value is Undefined or isinstance(value, Exception) or self.is_awaitable(value):
            raise Bailout
        coerced = c.coerce(value)  # type: ignore[misc]  # may raise: standard execution reports it
        if coerced is None or coerced is Undefined:
            raise Bailout
        if c.memo is not None and isinstance(value, enum.Enum):
            c.memo[id(value)] = (value, coerced)
        return coerced

    def complete(self, c: Complete, value: Any, path: Path | None) -> Any:
        """`complete_value` for one value, for what the generated plans do not inline."""
        if value is None:
            if c.non_null:
                raise Bailout
            return None
        kind = c.kind
        if kind == K_OBJECT:
            plan = c.plan
            assert plan is not None
            if type(value) not in c.ok or getattr(value, TYPE_CAST_ATTRIBUTE, None) is not None:
                self.check_object(c, value, path)
            return plan.run(self, value, path)
        if kind == K_LIST:
            if type(value) is not list:
                raise Bailout
            item = c.item
            assert item is not None
            if path is None:
                return [self.complete(item, v, None) for v in value]
            return [self.complete(item, v, path.add_key(i, None)) for i, v in enumerate(value)]
        if kind == K_LEAF:
            if type(value) is c.passthrough:
                return value
            memo = c.memo
            hit = memo.get(id(value)) if memo is not None else None
            return hit[1] if hit is not None and hit[0] is value else self.leaf(c, value)
        plan = c.by_class.get(type(value))
        if plan is None or getattr(value, TYPE_CAST_ATTRIBUTE, None) is not None:
            plan = self.resolve_abstract(c, value, path)
        return plan.run(self, value, path)

    def info(self, c: Complete, path: Path | None) -> Any:
        # The resolve info of the field holding the value; the path is the real one wherever a
        # non-Strawberry `is_type_of`/`resolve_type` could look at it (`needs_path`).
        return self.ex.build_resolve_info(c.field_def, c.field_nodes, c.parent_type, path or Path(None, c.key, None))

    def check_object(self, c: Complete, value: Any, path: Path | None) -> None:
        """`complete_object_value`'s checks; remembers the classes that pass them where that is sound."""
        if isinstance(value, Exception) or self.is_awaitable(value):
            raise Bailout
        check = c.type_check
        if check is not None:
            if check(value, self.info(c, path)) is not True:
                raise Bailout
            if not strawberry_generated(check) or getattr(value, TYPE_CAST_ATTRIBUTE, None) is not None:
                return
        if get_object_definition(value) is not None:  # a Strawberry object: awaitable or not by class
            c.ok.add(type(value))

    def resolve_abstract(self, c: Complete, value: Any, path: Path | None) -> ObjectPlan:
        """`complete_abstract_value` + `ensure_valid_runtime_type` + `complete_object_value`'s check."""
        if isinstance(value, Exception) or self.is_awaitable(value):
            raise Bailout
        resolve_type = c.type_check or self.ex.type_resolver
        info = self.info(c, path)
        name = resolve_type(value, info, c.return_type)
        if not isinstance(name, str):
            if self.is_awaitable(name) and hasattr(name, "close"):
                name.close()
            raise Bailout
        plan = c.plans.get(name)
        if plan is None:
            raise Bailout
        is_type_of = plan.type.is_type_of
        if is_type_of is not None and is_type_of(value, info) is not True:
            raise Bailout
        definition = get_object_definition(value)
        if (
            strawberry_generated(resolve_type)
            and (is_type_of is None or strawberry_generated(is_type_of))
            and definition is not None
            and not definition.is_graphql_generic
            and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None
        ):
            c.by_class[type(value)] = plan
        return plan


async def settle(awaitables: list[Any]) -> list[Any]:
    """The results of one level, in order; an exception raises `Bailout` once every one has settled.

    Futures (a DataLoader's `load`, a task) already run by themselves, so they are awaited one after
    the other: once the batch that resolves them is done, the rest are done too and cost no callback,
    where `gather` would schedule one per future. Coroutines must run together (each one's loads join
    the level's batches), so as soon as there is one, all go through `gather` as before."""
    if len(awaitables) == 1:  # awaited in this task, as graphql-core awaits a lone awaitable
        try:
            return [await awaitables[0]]
        except Exception as error:
            raise Bailout from error
    if not all(isfuture(a) for a in awaitables):
        values = await asyncio.gather(*awaitables, return_exceptions=True)
        for value in values:
            if isinstance(value, Exception):
                raise Bailout from value
            if isinstance(value, BaseException):
                raise value
        return values
    values = []
    for i, future in enumerate(awaitables):
        try:
            values.append(await future)
        except Exception as error:
            # settled before standard execution takes over: no "exception was never retrieved"
            await asyncio.gather(*awaitables[i + 1:], return_exceptions=True)
            raise Bailout from error
    return values


class FastPathExecutionContext(FastPathMixin, LeafShortcutExecutionContext):
    """Compiled plans for queries; the shortcut for plain fields wherever standard execution runs."""


class FastPathStockExecutionContext(FastPathMixin, StrawberryGraphQLCoreExecutionContext):
    """Compiled plans for queries; stock execution wherever standard execution runs."""


__all__ = ["Bailout", "FastPathExecutionContext", "FastPathMixin", "FastPathStockExecutionContext"]
