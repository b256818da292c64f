"""Execution with a short path for plain fields.

Most of a dashboard response is plain fields: a field with no resolver, no arguments and no
extension, whose value is an attribute of the parent object (`Customer.firstName`, `Money.amount`,
`Customer.address`, `Customer.emails`). graphql-core gives each one a `Path`, a resolve-info object, a
call through Strawberry's basic-field wrapper and several levels of `complete_value`; that per-field
machinery is most of the gateway's CPU (docs/performance.md, "Profile").

`LeafShortcutExecutionContext.execute_fields` computes such fields directly, with the same getter
Strawberry would call (`field.default_resolver(source, python_name)`):
* a scalar or enum (`Leaf`) through the same `coerce_output_value` graphql-core would call;
* an object, or a list of objects, of a type without `is_type_of` (`Nested`) through the same
  `collect_and_execute_subfields` and the same error handling (`handle_field_error`) as
  `execute_field`, `complete_value` and `complete_iterable_value`.
Whenever the short path might differ from standard execution - a null for a non-null field or in a
list, a coercion that fails or returns nothing, a raising getter, an Undefined, awaitable or
exception value, a list that is not a `list`, a directive on a list field (`@stream`) - it hands the
field to the standard `execute_field`, which handles it exactly as before (reading an attribute twice
has no side effect). Everything else (abstract types, fields with resolvers or arguments,
`__typename`, any schema with real middleware) is standard execution.
`tests/test_executor_differential.py` runs generated operations through both and requires
byte-identical responses, and runs bad values through both and requires identical errors.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

STRAWBERRY_DEFINITION = "strawberry-definition"


class Leaf(NamedTuple):
    get: Callable[[Any, str], Any]
    attribute: str
    coerce: Callable[[Any], Any]
    non_null: bool


class Nested(NamedTuple):
    """A plain field holding an object, or a list of objects, of a type without `is_type_of`."""

    get: Callable[[Any, str], Any]
    attribute: str
    object_type: GraphQLObjectType
    return_type: GraphQLOutputType  # the field's, for error handling
    non_null: bool
    item_type: GraphQLOutputType | None  # None: a single object


Plan = Leaf | Nested


def plain_field(field_def: GraphQLField) -> StrawberryField | None:
    """The Strawberry field behind a plain field (no resolver, arguments or extension), else None.

    Its value is `field.default_resolver(source, field.python_name)`: what Strawberry's basic-field
    wrapper (`_get_basic_result`) returns."""
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
    return strawberry_field


def leaf_plan(field_def: GraphQLField) -> Plan | None:
    """How to read a plain field directly, or None when standard execution must run it."""
    strawberry_field = plain_field(field_def)
    if strawberry_field is None:
        return None
    return_type = field_def.type
    non_null = isinstance(return_type, GraphQLNonNull)
    named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if isinstance(named, GraphQLList):
        item_type = named.of_type
        item = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if isinstance(item, GraphQLObjectType) and item.is_type_of is None:
            get, attribute = strawberry_field.default_resolver, strawberry_field.python_name
            return Nested(get, attribute, item, return_type, non_null, item_type)
        return None
    if isinstance(named, GraphQLObjectType):
        if named.is_type_of is not None:  # it may need the resolve info standard execution builds
            return None
        return Nested(strawberry_field.default_resolver, strawberry_field.python_name, named, return_type, non_null, None)
    if not is_leaf_type(named):
        return None
    leaf_type = cast(GraphQLLeafType, named)
    return Leaf(strawberry_field.default_resolver, strawberry_field.python_name, leaf_type.coerce_output_value, non_null)


class LeafShortcutExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # Plans per (parent type object, field name), shared by every request of the process: a schema's
    # types are fixed once built, and two schemas never share a type object.
    plans: dict[tuple[GraphQLObjectType, str], Plan | None] = {}

    def plan_for(self, parent_type: GraphQLObjectType, field_name: str) -> Plan | None:
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
                if isinstance(plan, Nested):
                    result = self.nested(plan, parent_type, source_value, field_details_list, path, response_name,
                                         position_context)
                    if result is not Undefined:
                        results[response_name] = result
                        if is_awaitable(result):
                            awaitable_fields.append(response_name)
                        continue
                elif plan is not None:
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

    def nested(
        self,
        plan: Nested,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        response_name: str,
        position_context: Any,
    ) -> Any:
        """The completed object or list, or Undefined when standard execution must run the field.

        Mirrors `execute_field` + `complete_value` + `complete_iterable_value` for values that need no
        resolve info: a non-null object of a type without `is_type_of`, or a plain list of them."""
        try:
            value = plan.get(source, plan.attribute)
        except Exception:
            return Undefined
        if value is None:
            return Undefined if plan.non_null else None
        is_awaitable = self.is_awaitable
        if value is Undefined or isinstance(value, Exception) or is_awaitable(value):
            return Undefined
        if plan.item_type is not None and (
            type(value) is not list
            or field_details_list[0].node.directives  # @stream and friends: standard execution
            or any(item is None or isinstance(item, Exception) or is_awaitable(item) for item in value)
        ):
            return Undefined
        field_path = Path(path, response_name, parent_type.name)
        try:
            if plan.item_type is None:
                completed = self.collect_and_execute_subfields(
                    plan.object_type, field_details_list, field_path, value, position_context
                )
            else:
                completed = self.object_list(plan, field_details_list, field_path, value, position_context)
            if is_awaitable(completed):
                return self.settle(completed, plan.return_type, field_details_list, field_path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
            return None
        return completed

    def object_list(
        self, plan: Nested, field_details_list: FieldDetailsList, path: Path, items: list[Any], position_context: Any
    ) -> Any:
        """`complete_iterable_value` for a list of objects with no None, awaitable or error items."""
        item_type = plan.item_type
        assert item_type is not None
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                try:
                    sub = self.collect_and_execute_subfields(
                        plan.object_type, field_details_list, item_path, item, position_context
                    )
                    if is_awaitable(sub):
                        completed.append(self.settle(sub, item_type, field_details_list, item_path))
                        awaitable_indices.append(index)
                    else:
                        completed.append(sub)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    completed.append(None)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed[i] for i in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed
        return self.gather_items(completed, awaitable_indices)

    async def settle(
        self, awaitable: Any, return_type: GraphQLOutputType, field_details_list: FieldDetailsList, path: Path
    ) -> Any:
        # graphql-core's `await_completed` in `execute_field` and `complete_list_item_value`.
        try:
            return await awaitable
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    async def gather_items(self, completed: list[Any], awaitable_indices: list[int]) -> list[Any]:
        # graphql-core's `get_completed_results` in `complete_iterable_value`.
        if len(awaitable_indices) == 1:
            index = awaitable_indices[0]
            completed[index] = await completed[index]
        else:
            awaited = await gather_with_cancel(*(completed[i] for i in awaitable_indices))
            for index, sub in zip(awaitable_indices, awaited, strict=True):
                completed[index] = sub
        return completed

    async def gather_fields(self, results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        # Same as graphql-core's `get_results` inside `execute_fields`.
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results
