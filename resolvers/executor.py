"""Execution with a short path for plain leaf fields.

Most of a dashboard response is leaves: a scalar or enum field with no resolver, no arguments and no
extension, whose value is an attribute of the parent object (`Customer.firstName`,
`TimelineEvent.kind`, ...). graphql-core gives each one a `Path`, a resolve-info object, a call through
Strawberry's basic-field wrapper and three levels of `complete_value`; that per-field machinery is
most of the gateway's CPU (docs/performance.md, "Profile").

`LeafShortcutExecutionContext.execute_fields` computes such a field directly: the same getter
Strawberry would call (`field.default_resolver(source, python_name)`) and the same
`coerce_output_value` graphql-core would call. Whenever the short path might differ from standard
execution - a null for a non-null field, a coercion that fails or returns nothing, an awaitable or
an exception as the value - it hands the field to the standard `execute_field`, which produces the
error exactly as before (reading an attribute twice has no side effect). Everything else (objects,
lists, abstract types, fields with resolvers or arguments, `__typename`) is standard execution.
`tests/test_executor_differential.py` runs generated operations through both and requires
byte-identical responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

STRAWBERRY_DEFINITION = "strawberry-definition"


class Leaf(NamedTuple):
    get: Callable[[Any, str], Any]
    attribute: str
    coerce: Callable[[Any], Any]
    non_null: bool


def leaf_plan(field_def: GraphQLField) -> Leaf | None:
    """How to read a plain leaf field directly, or None when standard execution must run it."""
    strawberry_field = (field_def.extensions or {}).get(STRAWBERRY_DEFINITION)
    resolve = field_def.resolve
    if (
        not isinstance(strawberry_field, StrawberryField)
        or not strawberry_field.is_basic_field
        or field_def.args
        or resolve is None
        or getattr(resolve, "__name__", "") != "_get_basic_result"
    ):
        return None
    return_type = field_def.type
    non_null = isinstance(return_type, GraphQLNonNull)
    named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if not is_leaf_type(named):
        return None
    leaf_type = cast(GraphQLLeafType, named)
    return Leaf(strawberry_field.default_resolver, strawberry_field.python_name, leaf_type.coerce_output_value, non_null)


class LeafShortcutExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # Plans per (parent type object, field name), shared by every request of the process: a schema's
    # types are fixed once built, and two schemas never share a type object.
    plans: dict[tuple[GraphQLObjectType, str], Leaf | None] = {}

    def plan_for(self, parent_type: GraphQLObjectType, field_name: str) -> Leaf | None:
        key = (parent_type, field_name)
        try:
            return self.plans[key]
        except KeyError:
            field_def = parent_type.fields.get(field_name)
            plan = leaf_plan(field_def) if field_def is not None else None
            self.plans[key] = plan
            return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            # Middleware wraps every resolver; Strawberry passes an empty manager, which wraps nothing.
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        plan_for = self.plan_for
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plan = plan_for(parent_type, field_details_list[0].node.name.value)
                if plan is not None:
                    # Any surprise (a raising getter or coercion, a null for a non-null field, an
                    # Undefined, awaitable or exception value) leaves `coerced` None: standard
                    # execution then handles the field as it always does.
                    coerced = None
                    try:
                        value = plan.get(source_value, plan.attribute)
                        if value is None:
                            if not plan.non_null:
                                results[response_name] = None
                                continue
                        elif value is not Undefined and not isinstance(value, Exception) and not is_awaitable(value):
                            coerced = plan.coerce(value)
                    except Exception:
                        pass
                    if coerced is not None and coerced is not Undefined:
                        results[response_name] = coerced
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self.gather_fields(results, awaitable_fields)

    async def gather_fields(self, results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        # Same as graphql-core's `get_results` inside `execute_fields`.
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results
