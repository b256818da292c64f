"""Duplicate suggestions: customers that are likely the same person."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from schema.customers.customers import Customer

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
