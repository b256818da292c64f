"""Plans of query operations for the fast path (resolvers/fastpath.py): what to read, call and coerce,
in response order, compiled once from graphql-core's own field collection.

`Compiler` turns a validated operation into an `ObjectPlan` per selection set. A step is one response
key of the selection set:
* `TYPENAME`: the object type's name;
* `LEAF`: a plain field (`executor.plain_field`) of a scalar or enum type, read with Strawberry's getter;
* `VALUE`: a plain field holding an object, a list or an abstract value, completed by its `Complete`;
* `RESOLVE`: a field with a resolver, called as graphql-core calls it (Strawberry's resolvers without
  their per-call wrapper where resolvers/direct.py recognises it: arguments converted once per step).
`Complete` says how to complete a value of one output type at one position (non-null, list, leaf,
object, interface or union). Each `ObjectPlan` is then written out as a small Python function
(`ObjectPlan.run`) with its steps inlined: attribute reads, the checks that hand an operation to
standard execution (`Bailout`), leaf coercion and lists of objects, so the per-field cost is a few
bytecodes instead of graphql-core's path, info and `complete_value` chain.
"""
from __future__ import annotations

import builtins
import functools
import keyword
from collections.abc import Callable
from types import CodeType
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    Undefined,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet, collect_fields
from graphql.pyutils import Path
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from resolvers.direct import direct_call
from resolvers.executor import STRAWBERRY_DEFINITION, plain_field

ALLOWED_DIRECTIVES = frozenset({"include", "skip"})

# Step kinds of an object plan, and kinds of value completion.
TYPENAME, LEAF, VALUE, RESOLVE = range(4)
K_LEAF, K_LIST, K_OBJECT, K_ABSTRACT = range(4)


class Bailout(Exception):
    """The plan cannot answer this operation exactly; standard execution must."""


class CannotCompile(Exception):
    """The operation has something the plan does not cover: standard execution, always."""


def strawberry_generated(fn: Any) -> bool:
    """Strawberry's own `is_type_of`/`resolve_type`: for a non-generic Strawberry object that is not
    cast, their answer depends only on its class."""
    qualname = getattr(fn, "__qualname__", "")
    return qualname.startswith(("GraphQLCoreConverter.", "StrawberryUnion.get_type_resolver."))


Site = tuple[GraphQLField, list[Any], GraphQLObjectType, str]


class Complete:
    """How to complete a value of one output type at one position of the operation."""

    __slots__ = (
        "by_class", "coerce", "exact", "field_def", "field_nodes", "item", "key", "kind", "memo", "needs_path",
        "non_null", "ok", "parent_type", "passthrough", "plan", "plans", "return_type", "type_check",
    )

    def __init__(self, kind: int, return_type: GraphQLOutputType, site: Site) -> None:
        self.kind = kind
        self.return_type = return_type  # named or list type (non-null is `non_null`)
        self.non_null = False
        self.field_def, self.field_nodes, self.parent_type, self.key = site
        self.coerce: Callable[[Any], Any] | None = None
        self.passthrough: type | None = None  # leaf values of this exact type are their own coercion
        # Leaf values of this exact type (the scalar's own Python type: `datetime` for DateTime, `Decimal`,
        # `int`) cannot be Undefined, an exception or awaitable: they go straight to `coerce`.
        self.exact: type | None = None
        # Enums: id(member) -> (member, name). A member is a singleton whose coercion never changes, and
        # Strawberry's enum coercion scans every value of the enum (170 for CurrencyCode) each time.
        self.memo: dict[int, tuple[Any, Any]] | None = None
        self.item: Complete | None = None
        self.plan: ObjectPlan | None = None
        self.plans: dict[str, ObjectPlan] = {}
        self.type_check: Callable[..., Any] | None = None
        self.ok: set[type] = set()  # objects: classes known to pass `is_type_of` (and not awaitable)
        self.by_class: dict[type, ObjectPlan] = {}  # abstract: classes known to resolve to a type
        self.needs_path = False  # a resolver or a non-Strawberry type check below may read the path


class ObjectPlan:
    __slots__ = ("has_resolvers", "run", "steps", "type")

    def __init__(self, object_type: GraphQLObjectType, steps: list[tuple[Any, ...]]) -> None:
        self.type = object_type
        self.steps = steps
        self.has_resolvers = any(s[0] == RESOLVE or (s[0] == VALUE and s[4].needs_path) for s in steps)
        # run(runner, source, path) -> the completed dict
        self.run: Callable[[Any, Any, Path | None], dict[str, Any]] = generate(self)


class Compiler:
    """Builds the plan of one operation from graphql-core's own field collection."""

    def __init__(self, executor: Any) -> None:
        self.ex = executor

    def operation(self) -> ObjectPlan:
        ex = self.ex
        root_type = ex.schema.get_root_type(ex.operation.operation)
        if root_type is None:
            raise CannotCompile("no root type")
        grouped, defers, _forbidden = collect_fields(
            ex.schema, ex.fragments, ex.variable_values, root_type, ex.operation, ex.hide_suggestions
        )
        if defers:
            raise CannotCompile("@defer")
        return self.object(root_type, grouped)

    def object(self, object_type: GraphQLObjectType, grouped: GroupedFieldSet) -> ObjectPlan:
        steps: list[tuple[Any, ...]] = []
        for key, details in grouped.items():
            for detail in details:
                if detail.defer_usage is not None or detail.fragment_variable_values is not None:
                    raise CannotCompile("@defer or fragment arguments")
                if any(d.name.value not in ALLOWED_DIRECTIVES for d in detail.node.directives or ()):
                    raise CannotCompile("a directive other than @include/@skip")
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((TYPENAME, key, object_type.name))
                continue
            field_def = object_type.fields.get(name)
            if field_def is None or name.startswith("__"):
                raise CannotCompile("introspection (`__schema`, `__type`)")
            nodes = [d.node for d in details]
            complete = self.complete(field_def.type, details, (field_def, nodes, object_type, key))
            plain = plain_field(field_def)
            if plain is not None:
                kind = LEAF if complete.kind == K_LEAF else VALUE
                steps.append((kind, key, plain.default_resolver, plain.python_name, complete, object_type.name))
            else:
                resolve = field_def.resolve or self.ex.field_resolver
                steps.append((RESOLVE, key, resolve, details, complete, object_type.name, field_def, nodes, object_type,
                              direct_call(resolve)))
        return ObjectPlan(object_type, steps)

    def complete(self, return_type: GraphQLOutputType, details: FieldDetailsList, site: Site) -> Complete:
        if isinstance(return_type, GraphQLNonNull):
            inner = self.complete(return_type.of_type, details, site)
            inner.non_null = True
            return inner
        if isinstance(return_type, GraphQLList):
            c = Complete(K_LIST, return_type, site)
            c.item = self.complete(return_type.of_type, details, site)
            c.needs_path = c.item.needs_path
            return c
        if is_leaf_type(return_type):
            c = Complete(K_LEAF, return_type, site)
            c.coerce = return_type.coerce_output_value
            if return_type is GraphQLString or return_type is GraphQLID:
                c.passthrough = str
            elif return_type is GraphQLBoolean:
                c.passthrough = bool
            elif isinstance(return_type, GraphQLEnumType):
                c.memo = {}
            else:
                c.exact = exact_type(return_type, self.ex.schema)
            return c
        if is_object_type(return_type):
            assert isinstance(return_type, GraphQLObjectType)
            c = Complete(K_OBJECT, return_type, site)
            c.plan = self.object(return_type, self.ex.collect_subfields(return_type, details).grouped_field_set)
            c.type_check = return_type.is_type_of
            c.needs_path = c.plan.has_resolvers or (c.type_check is not None and not strawberry_generated(c.type_check))
            return c
        if is_abstract_type(return_type):
            assert isinstance(return_type, GraphQLAbstractType)
            c = Complete(K_ABSTRACT, return_type, site)
            for possible in self.ex.schema.get_possible_types(return_type):
                grouped = self.ex.collect_subfields(possible, details).grouped_field_set
                c.plans[possible.name] = self.object(possible, grouped)
            resolve_type = return_type.resolve_type
            c.type_check = resolve_type
            c.needs_path = any(p.has_resolvers for p in c.plans.values()) or not strawberry_generated(resolve_type)
            return c
        raise CannotCompile("an output type of unknown kind")


def exact_type(scalar: Any, schema: Any = None) -> type | None:
    """The Python type a scalar is made for: values of exactly that type need no checks before coercion."""
    if scalar is GraphQLInt:
        return int
    if scalar is GraphQLFloat:
        return float
    definition = (scalar.extensions or {}).get(STRAWBERRY_DEFINITION)
    origin = getattr(definition, "origin", None)
    if origin is None and definition is not None and schema is not None:
        # a scalar of the schema's `scalar_map` (DateTime, Decimal: schema/common.py `SCALARS`) has no
        # origin of its own: its Python type is the key it is registered under
        strawberry_schema = (schema.extensions or {}).get(STRAWBERRY_DEFINITION)
        scalar_map = getattr(getattr(strawberry_schema, "config", None), "scalar_map", None) or {}
        origin = next((python_type for python_type, d in scalar_map.items() if d is definition), None)
    if isinstance(origin, type) and not issubclass(origin, BaseException) and not hasattr(origin, "__await__"):
        return origin
    return None


# ---------------------------------------------------------------------------------------------- code


@functools.lru_cache(maxsize=2048)
def _code(source: str) -> CodeType:
    # Plans of the same shape (other documents, other requests of a document with directives) share
    # their source text, so the text is compiled once; only the constants differ.
    return compile(source, "<fast path plan>", "exec")


def generate(plan: ObjectPlan) -> Callable[[Any, Any, Path | None], dict[str, Any]]:
    """`plan.run` as Python source with the steps inlined, and its constants bound by name.

    `R` is the `Runner`: its `leaf`, `check_object`, `complete` and `resolve` are what standard
    execution's checks need when the inlined fast case does not apply."""
    ns: dict[str, Any] = {"Bailout": Bailout, "Path": Path, "CAST": TYPE_CAST_ATTRIBUTE, "Undefined": Undefined}
    out = ["def run(R, source, path):", "    r = {}"]

    def emit(depth: int, *lines: str) -> None:
        out.extend("    " * depth + line for line in lines)

    def read(i: int, get: Any, attribute: str) -> str:
        if get is builtins.getattr and attribute.isidentifier() and not keyword.iskeyword(attribute):
            return f"source.{attribute}"
        ns[f"g{i}"] = get
        return f"g{i}(source, {attribute!r})"

    def null(depth: int, non_null: bool, target: str) -> None:
        emit(depth, "raise Bailout" if non_null else f"{target} = None")

    for i, step in enumerate(plan.steps):
        kind, key = step[0], step[1]
        slot = f"r[{key!r}]"
        if kind == TYPENAME:
            emit(1, f"{slot} = {step[2]!r}")
        elif kind == LEAF:
            _, _, get, attribute, c, _ = step
            ns[f"c{i}"] = c
            emit(1, f"v = {read(i, get, attribute)}", "if v is None:")
            null(2, c.non_null, slot)
            if c.passthrough is not None:
                ns[f"t{i}"] = c.passthrough
                emit(1, f"elif type(v) is t{i}:", f"    {slot} = v")
            elif c.exact is not None:
                ns[f"t{i}"], ns[f"co{i}"] = c.exact, c.coerce
                emit(1, f"elif type(v) is t{i}:", f"    x = co{i}(v)", "    if x is None or x is Undefined:",
                     "        raise Bailout", f"    {slot} = x")
            emit(1, "else:")
            if c.memo is not None:
                ns[f"m{i}"] = c.memo
                emit(2, f"h = m{i}.get(id(v))", f"{slot} = h[1] if h is not None and h[0] is v else R.leaf(c{i}, v)")
            else:
                emit(2, f"{slot} = R.leaf(c{i}, v)")
        elif kind == VALUE:
            _, _, get, attribute, c, type_name = step
            ns[f"c{i}"] = c
            path = f"Path(path, {key!r}, {type_name!r})" if c.needs_path else "None"
            emit(1, f"v = {read(i, get, attribute)}", "if v is None:")
            null(2, c.non_null, slot)
            item = c.item
            if c.kind == K_OBJECT:
                assert c.plan is not None
                ns[f"f{i}"], ns[f"ok{i}"] = c.plan.run, c.ok
                emit(1, "else:", f"    p = {path}",
                     f"    if type(v) not in ok{i} or getattr(v, CAST, None) is not None:",
                     f"        R.check_object(c{i}, v, p)",
                     f"    {slot} = f{i}(R, v, p)")
            elif c.kind == K_LIST and item is not None and item.kind == K_OBJECT:
                assert item.plan is not None
                ns[f"f{i}"], ns[f"ok{i}"], ns[f"ci{i}"] = item.plan.run, item.ok, item
                emit(1, "elif type(v) is list:", f"    p = {path}", "    o = []")
                if item.needs_path:
                    emit(2, "for n, x in enumerate(v):", "    q = p.add_key(n, None)")
                else:
                    emit(2, "for x in v:", "    q = None")
                emit(3, "if x is None:")
                emit(4, *(["raise Bailout"] if item.non_null else ["o.append(None)", "continue"]))
                emit(3, f"if type(x) not in ok{i} or getattr(x, CAST, None) is not None:",
                     f"    R.check_object(ci{i}, x, q)",
                     f"o.append(f{i}(R, x, q))")
                emit(2, f"{slot} = o")
                emit(1, "else:", "    raise Bailout")
            elif c.kind == K_LIST and item is not None and item.kind == K_LEAF:
                ns[f"ci{i}"] = item
                emit(1, "elif type(v) is list:", "    o = []", "    for x in v:")
                if item.passthrough is not None:
                    ns[f"t{i}"] = item.passthrough
                    emit(3, f"if type(x) is t{i}:", "    o.append(x)", "else:",
                         f"    o.append(R.complete(ci{i}, x, None))")
                else:
                    emit(3, f"o.append(R.complete(ci{i}, x, None))")
                emit(2, f"{slot} = o")
                emit(1, "else:", "    raise Bailout")
            elif c.kind == K_ABSTRACT:
                ns[f"by{i}"] = c.by_class
                emit(1, "else:", f"    p = {path}", f"    pl = by{i}.get(type(v))",
                     "    if pl is None or getattr(v, CAST, None) is not None:",
                     f"        pl = R.resolve_abstract(c{i}, v, p)",
                     f"    {slot} = pl.run(R, v, p)")
            else:
                emit(1, "else:", f"    {slot} = R.complete(c{i}, v, {path})")
        else:
            ns[f"s{i}"] = step
            emit(1, f"R.resolve(s{i}, source, path, r)")
    emit(1, "return r")
    exec(_code("\n".join(out)), ns)
    run: Callable[[Any, Any, Path | None], dict[str, Any]] = ns["run"]
    return run
