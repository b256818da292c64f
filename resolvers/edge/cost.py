"""Query cost: a static estimate from the document, before anything runs, and a leaky bucket per API key.

The cost of an operation is the number of objects it can return: every field of an object type counts
1, and a field with a page size (`first` or `last`, as on every connection) multiplies everything
under it by that size, as GitHub and Shopify count. A mutation's root field counts `MUTATION_COST`
more. Leaves are free: `customers(first: 100) { edges { node { id timeline(last: 20) { edges { node { id } } } } } }`
costs 100 x (1 + edges 1 x (1 + node 1 x (1 + timeline 20 x (1 + edges 1 x (1 + node 1))))) = 6,300.

The walk over the document is compiled once per cached document (`compile_operation`), into a small
tree whose page sizes are constants or variables; a request only evaluates that tree with its
variables (`evaluate`), a few additions per connection of the document.

Each key's leaky bucket, from which a request takes its cost, is resolvers/edge/budget.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

PAGE_ARGUMENTS = ("first", "last")
MAX_PAGE = 100  # the largest page any connection gives (a larger `first` is refused when the field runs)
DEFAULT_PAGE = MAX_PAGE  # a page size the document does not fix (a variable with no value)
MUTATION_COST = 10

# A page size: a constant, or (variable name, value when the variable has none or is not an Int).
Size = int | tuple[str, int]


class Node(NamedTuple):
    size: Size
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class OperationCost:
    roots: tuple[Node, ...]
    extra: int

    def evaluate(self, variables: dict[str, Any] | None) -> int:
        return self.extra + _sum(self.roots, variables or {})


def _sum(nodes: tuple[Node, ...], variables: dict[str, Any]) -> int:
    total = 0
    for size, children in nodes:
        if isinstance(size, tuple):
            name, fallback = size
            value = variables.get(name, fallback)
            n = value if type(value) is int else fallback
        else:
            n = size
        n = min(max(0, n), MAX_PAGE)
        total += n * (1 + _sum(children, variables)) if children else n
    return total


def compile_operation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) -> OperationCost:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    defaults: dict[str, int] = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            defaults[definition.variable.name.value] = int(definition.default_value.value)
    root = schema.get_root_type(operation.operation)
    if root is None:
        return OperationCost((), 0)
    walker = _Walker(schema, fragments, defaults)
    roots = tuple(walker.selections(root, operation.selection_set, frozenset()))
    extra = MUTATION_COST * len(roots) if operation.operation is OperationType.MUTATION else 0
    return OperationCost(roots, extra)


@dataclass
class _Walker:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    defaults: dict[str, int]

    def selections(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None,
                   seen: frozenset[str]) -> list[Node]:
        nodes: list[Node] = []
        if selection_set is None:
            return nodes
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", None) or {}
                field_def = fields.get(selection.name.value)
                if field_def is None:
                    continue  # __typename, or unknown (validation reports it)
                named = get_named_type(field_def.type)
                if is_leaf_type(named):
                    continue
                children = tuple(self.selections(named, selection.selection_set, seen))
                nodes.append(Node(self.page_size(field_def, selection), children))
            elif isinstance(selection, InlineFragmentNode):
                target = self.type_named(selection.type_condition.name.value) if selection.type_condition else parent
                nodes.extend(self.selections(target or parent, selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # unknown or cyclic: validation reports it
                    continue
                target = self.type_named(fragment.type_condition.name.value) or parent
                nodes.extend(self.selections(target, fragment.selection_set, seen | {name}))
        return nodes

    def type_named(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)

    def page_size(self, field_def: GraphQLField, node: FieldNode) -> Size:
        pageable = [name for name in PAGE_ARGUMENTS if name in field_def.args]
        if not pageable:
            return 1
        given = {arg.name.value: arg.value for arg in node.arguments or ()}
        sizes: list[Size] = []
        for name in pageable:
            value = given.get(name)
            if isinstance(value, IntValueNode):
                sizes.append(int(value.value))
            elif isinstance(value, VariableNode):
                sizes.append((value.name.value, self.defaults.get(value.name.value, DEFAULT_PAGE)))
            elif value is None:
                default = field_def.args[name].default_value
                if type(default) is int:
                    sizes.append(default)
        if not sizes:
            return DEFAULT_PAGE
        # `first` and `last` together (connections refuse it): the larger constant, else the variable
        constants = [s for s in sizes if isinstance(s, int)]
        return max(constants) if len(constants) == len(sizes) else next(s for s in sizes if not isinstance(s, int))
