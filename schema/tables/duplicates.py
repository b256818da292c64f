"""Duplicate suggestions: customers that are likely the same person."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.common import UserError

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.customers.customers import Customer

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers.customers")]


@strawberry.enum(description="Why two customers look like the same person.")
class DuplicateReason(enum.Enum):
    SAME_EMAIL = strawberry.enum_value("SAME_EMAIL", description="They share an email address (case-insensitive). Scores 40.")
    SAME_CARD = strawberry.enum_value(
        "SAME_CARD", description="They have a payment card or bank account with the same fingerprint. Scores 40."
    )
    SAME_PHONE = strawberry.enum_value("SAME_PHONE", description="They share a phone number (E.164). Scores 30.")
    SAME_NAME_AND_DATE_OF_BIRTH = strawberry.enum_value(
        "SAME_NAME_AND_DATE_OF_BIRTH", description="Same first and last name (case-insensitive) and date of birth. Scores 30."
    )


@strawberry.type(description="Another customer that is likely the same person.")
class PossibleDuplicate:
    customer: CustomerRef = strawberry.field(description="The other customer.")
    score: int = strawberry.field(description="Sum of the reasons' scores (see `DuplicateReason`); higher is likelier.")
    reasons: list[DuplicateReason] = strawberry.field(description="What they share.")


@strawberry.type(description="A customer and its likely duplicates.")
class DuplicateSuggestion:
    customer: CustomerRef = strawberry.field(description="The customer.")
    duplicates: list[PossibleDuplicate] = strawberry.field(description="Its likely duplicates, best first.")
    best_score: int = strawberry.field(description="The best duplicate's score.")


@strawberry.type(
    description="Two customers of the organization that look like the same person, from the duplicate ranking."
)
class DuplicatePair:
    id: strawberry.ID = strawberry.field(description="The pair: both customer ids, `<a>|<b>` in id order.")
    score: int = strawberry.field(description="Sum of the reasons' scores (see `DuplicateReason`); higher is likelier.")
    reasons: list[DuplicateReason] = strawberry.field(description="What they share.")
    _customer_ids: strawberry.Private[list[str]]

    @strawberry.field(description="The two customers, in id order (merge one into the other with `customersMerge`).")
    async def customers(self, info: Info) -> list[CustomerRef]:
        found = await info.context.loaders.customer_by_id.load_many(self._customer_ids)
        return [c for c in found if c is not None]


@strawberry.type(description="How current the organization's duplicate ranking is.")
class DuplicateRanking:
    refreshed_time: datetime | None = strawberry.field(
        description="When the ranking now shown was computed; null before the first refresh."
    )
    pair_count: int = strawberry.field(description="Pairs in the ranking now shown.")
    next_refresh_time: datetime | None = strawberry.field(
        description="When it is computed again (every `DUPLICATE_RANKING_REFRESH_MINUTES`); null before the first "
        "`customerDuplicateRankingRefresh`."
    )
    refreshing: bool = strawberry.field(description="A refresh is running now.")


@strawberry.input(description="Computes the organization's duplicate ranking again.")
class CustomerDuplicateRankingRefreshInput:
    at: datetime | None = strawberry.field(
        default=None, description="When to compute it (default: now; at most 30 days ahead)."
    )


@strawberry.type(description="Result of `customerDuplicateRankingRefresh`.")
class CustomerDuplicateRankingRefreshPayload:
    ranking: DuplicateRanking | None = strawberry.field(description="The ranking's state; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
