"""The executable schema: root types merged from the domain modules, limits and caches."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from pymongo.errors import ConnectionFailure
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError

from resolvers import activity, billing, compliance, customers, links, money, tables, wallet
from resolvers.executor import LeafShortcutExecutionContext
from resolvers.fastpath import FastPathExecutionContext, FastPathStockExecutionContext
from resolvers.nodes import NodeQueries
from resolvers.settings import Settings
from schema.common import SCALARS as COMMON_SCALARS

log = logging.getLogger("customer_graph.errors")

# The composition root: every context's root fields and types. The order is the SDL's: a new context
# appends its classes at the end of each tuple.
Query = merge_types(
    "Query",
    (customers.CustomerQueries, customers.WebsiteQueries, NodeQueries, activity.UserQueries, customers.TagQueries,
     customers.BlocklistQueries, money.TransactionQueries, money.GatewayAccountQueries, money.PayoutQueries,
     *links.QUERIES, *compliance.QUERIES, *tables.QUERIES, *billing.QUERIES),
)
Mutation = merge_types(
    "Mutation",
    (customers.CustomerMutations, customers.WebsiteMutations, activity.TimelineMutations,
     activity.NotificationMutations, wallet.PaymentInstrumentMutations, customers.TaxIdMutations,
     customers.TagMutations, customers.LeadSourceMutations, customers.BlocklistMutations, money.PaymentMutations,
     money.RefundMutations, money.PayoutMutations, money.GatewayAccountMutations, *links.MUTATIONS,
     *compliance.MUTATIONS, *tables.MUTATIONS, *billing.MUTATIONS),
)
Subscription = merge_types("Subscription", (activity.ActivitySubscriptions,))
TYPES = [
    customers.Customer, customers.Website, activity.User, activity.Team, wallet.PaymentInstrument, customers.Tag,
    customers.BlocklistEntry, *activity.EVENT_CLASSES, money.Transaction, money.PaymentLink, money.GatewayAccount,
    money.PayoutRequest, *links.TYPES, *compliance.TYPES, *tables.TYPES, *billing.TYPES,
]
SCALARS = {**COMMON_SCALARS, **wallet.SCALARS}


def unencodable_variables(variables: dict[str, Any] | None) -> list[GraphQLError]:
    """A BAD_USER_INPUT error per variable path whose string has a lone surrogate."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    found.append(path)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k, f"{path}.{k!a}")
                walk(v, f"{path}.{k}" if isinstance(k, str) and k.isascii() else f"{path}.{k!a}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    for name, value in (variables or {}).items():
        walk(value, f"${name}")
    return [
        GraphQLError(
            f"Variable {path} holds a lone UTF-16 surrogate (e.g. \\ud800), which is not text; send valid Unicode.",
            extensions={"code": "BAD_USER_INPUT"},
        )
        for path in found[:10]
    ]


def is_expected(error: GraphQLError) -> bool:
    """Errors caused by the request: parse, validation and variable errors (raised before execution,
    so they have no path), and client and permission errors (which carry a code)."""
    return error.original_error is None or error.path is None or bool((error.extensions or {}).get("code"))


def _unencodable(errors: list[GraphQLError]) -> ExecutionResult:
    return ExecutionResult(data=None, errors=errors)


class GatewaySchema(strawberry.Schema):
    """Refuses variables holding a string no UTF-8 encoder can write (a lone UTF-16 surrogate such as
    `"\\ud800"`, which JSON allows) before anything runs, for HTTP and websockets alike: the store,
    the response encoder and the API log all need UTF-8. Literals are refused by the parser already."""

    async def execute(self, query: str | None, variable_values: dict[str, Any] | None = None,
                      *args: Any, **kwargs: Any) -> ExecutionResult:
        errors = unencodable_variables(variable_values)
        if errors:
            return _unencodable(errors)
        return await super().execute(query, variable_values, *args, **kwargs)

    async def subscribe(self, query: str | None, variable_values: dict[str, Any] | None = None,
                        *args: Any, **kwargs: Any) -> Any:
        errors = unencodable_variables(variable_values)
        if errors:
            return PreExecutionError(data=None, errors=errors)
        return await super().subscribe(query, variable_values, *args, **kwargs)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if isinstance(error.original_error, ConnectionFailure):
                log.warning("document store unavailable: %s", error.original_error)
            elif not is_expected(error):
                log.error("internal error: %s", error.message, exc_info=error.original_error)


def execution_context_class(settings: Settings) -> type | None:
    """Compiled plans for queries (`FAST_PATH`), the plain-field shortcut for standard execution
    (`LEAF_SHORTCUT`), or stock graphql-core execution (None) when both are off."""
    if settings.fast_path:
        return FastPathExecutionContext if settings.leaf_shortcut else FastPathStockExecutionContext
    return LeafShortcutExecutionContext if settings.leaf_shortcut else None


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    # The depth and alias rules are made once per schema: `QueryDepthLimiter(...)` and
    # `MaxAliasesLimiter(...)` make a new rule class per instance, i.e. per request with factories, and
    # the validation cache, keyed by the rule classes too, then never hits (every request validated anew).
    limits: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(settings.max_depth, should_ignore=None),
        max_aliases.create_validator(settings.max_aliases),
    ]
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(limits),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=TYPES,
        extensions=extensions,
        execution_context_class=execution_context_class(settings),
        config=strawberry.schema.config.StrawberryConfig(
            disable_field_suggestions=not settings.introspection_enabled, scalar_map=SCALARS
        ),
    )


def sdl() -> str:
    return build_schema(Settings(introspection_enabled=True)).as_str() + "\n"
