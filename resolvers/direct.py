"""Strawberry resolvers called by the fast path without Strawberry's per-call wrapper.

For every call of a field with a resolver, Strawberry's wrapper (`GraphQLCoreConverter.from_resolver`:
`_resolver`/`_async_resolver` -> `extension_resolver` -> `get_arguments` -> `convert_arguments`)
builds the `Info`, renames and converts every argument (`to_camel_case` per argument per call, then
`convert_argument`), folds the field extensions around the call, and finally calls
`field.get_result`. On a page of 100 customers with two connection fields that is 200 identical
conversions of the same literal arguments, ~15 µs each before the resolver runs.

`direct_call(resolve)` recognises that wrapper (by its closure, so another Strawberry version whose
wrapper looks different is simply not recognised and keeps the standard call) for a field with no
field extension and no exception handler, and returns a `DirectCall` that does the same work in the
same order, except that the arguments are converted once per operation step and request and then
shared by every parent when each converted value is immutable (None, UNSET, str, int, float, bool,
Decimal, date/time, an enum member) or a list of such values (copied for every call, as Strawberry
copies it: a resolver may change its list). Arguments with any other value (input objects, `Maybe`,
`GlobalID`, custom scalars) are converted for every call, exactly as Strawberry does.
"""

from __future__ import annotations

import datetime
import decimal
import enum
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.schema.schema_converter import get_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UNSET

WRAPPERS = ("GraphQLCoreConverter.from_resolver.<locals>._resolver", "GraphQLCoreConverter.from_resolver.<locals>._async_resolver")
EXTENSIONS = "GraphQLCoreConverter.from_resolver.<locals>.wrap_field_extensions.<locals>.extension_resolver"
INFO = "GraphQLCoreConverter.from_resolver.<locals>._strawberry_info_from_graphql"
# exact types (a subclass might carry state of its own); enum members are singletons of any enum class
IMMUTABLE = frozenset({str, int, float, bool, decimal.Decimal, datetime.datetime, datetime.date, datetime.time,
                       datetime.timedelta})


def _cells(fn: Any) -> dict[str, Any] | None:
    code, closure = getattr(fn, "__code__", None), getattr(fn, "__closure__", None)
    if code is None or closure is None:
        return None
    try:
        return {name: cell.cell_contents for name, cell in zip(code.co_freevars, closure, strict=True)}
    except ValueError:  # an empty cell
        return None


def _shared(value: Any) -> bool:
    return value is None or value is UNSET or type(value) in IMMUTABLE or isinstance(value, enum.Enum)


def shareable(kwargs: dict[str, Any]) -> bool:
    """Converted arguments that every call may share (lists are copied per call)."""
    for value in kwargs.values():
        if type(value) is list:
            if not all(_shared(item) for item in value):
                return False
        elif not _shared(value):
            return False
    return True


class DirectCall:
    """One field's resolver, called as Strawberry's wrapper calls it (see the module's docstring)."""

    __slots__ = ("config", "field", "info_name", "parent_name", "root_name", "scalars", "self_first", "to_info")

    def __init__(self, field: StrawberryField, converter: Any, to_info: Callable[[GraphQLResolveInfo], Any]) -> None:
        resolver = field.base_resolver
        assert resolver is not None
        self.field = field
        self.config = converter.config
        self.scalars = converter.scalar_registry
        self.to_info = to_info  # the wrapper's own `Info` factory (the configured `info_class`)
        self.self_first = resolver.self_parameter is not None
        self.parent_name = p.name if (p := resolver.parent_parameter) is not None else None
        self.root_name = p.name if (p := resolver.root_parameter) is not None else None
        self.info_name = p.name if (p := resolver.info_parameter) is not None else None

    def first(self, source: Any, info: Any, raw: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
        """The first call of a step in a request, through Strawberry's own `get_arguments`; returns its
        result and the converted arguments later calls may share (None: convert for every call)."""
        args, kwargs = get_arguments(field=self.field, source=source, info=info, kwargs=raw, config=self.config,
                                     scalar_registry=self.scalars)
        reserved = (self.parent_name, self.root_name, self.info_name)
        converted = {k: v for k, v in kwargs.items() if k not in reserved}
        # lists copied before the resolver may change them
        shared = {k: list(v) if type(v) is list else v for k, v in converted.items()} if shareable(converted) else None
        return self.field.get_result(source, info=info, args=args, kwargs=kwargs), shared

    def again(self, source: Any, info: Any, shared: dict[str, Any]) -> Any:
        """A later call of the step: the shared arguments (lists copied), then what `get_arguments` adds."""
        kwargs = {k: list(v) if type(v) is list else v for k, v in shared.items()}
        args = [source] if self.self_first else []
        if self.parent_name is not None:
            kwargs[self.parent_name] = source
        if self.root_name is not None:
            kwargs[self.root_name] = source
        if self.info_name is not None:
            kwargs[self.info_name] = info
        return self.field.get_result(source, info=info, args=args, kwargs=kwargs)


def direct_call(resolve: Any) -> DirectCall | None:
    """The direct call for Strawberry's wrapper of a plain resolver, or None (keep the wrapper)."""
    if getattr(resolve, "__qualname__", "") not in WRAPPERS:
        return None
    cells = _cells(resolve)
    if cells is None or cells.get("field_exception_handlers"):
        return None
    inner, to_info = cells.get("_get_result_with_extensions"), cells.get("_strawberry_info_from_graphql")
    if getattr(inner, "__qualname__", "") != EXTENSIONS or getattr(to_info, "__qualname__", "") != INFO:
        return None
    inner_cells = _cells(inner)
    if inner_cells is None or inner_cells.get("extension_functions"):
        return None
    field, converter = inner_cells.get("field"), inner_cells.get("self")
    if not isinstance(field, StrawberryField) or field.extensions or field.base_resolver is None or converter is None:
        return None
    if not callable(to_info):
        return None
    return DirectCall(field, converter, to_info)
