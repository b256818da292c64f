"""Enhanced Due Diligence (the guide's *Activate EDD*, *Manually update a customer's EDD score*): our own
extension (EDD is gone from the upstream API)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.common import Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="How likely a risk factor is, from public sources.")
class EddLikelihood(enum.Enum):
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="Nothing found.")
    UNLIKELY = strawberry.enum_value("UNLIKELY", description="Unlikely.")
    UNCLEAR = strawberry.enum_value("UNCLEAR", description="Unclear.")
    PROBABLE = strawberry.enum_value("PROBABLE", description="Probable.")
    CONFIRMED = strawberry.enum_value("CONFIRMED", description="Confirmed.")


@strawberry.type(description="A likelihood per risk factor (null: no score yet).")
class EddScores:
    occupation: EddLikelihood | None = strawberry.field(description="Occupation information.")
    arrest: EddLikelihood | None = strawberry.field(description="Arrest records.")
    bankruptcy: EddLikelihood | None = strawberry.field(description="Bankruptcy records.")
    fraud: EddLikelihood | None = strawberry.field(description="Fraud reports.")

    @classmethod
    def from_doc(cls, d: dict[str, Any] | None) -> EddScores | None:
        if not d:
            return None
        return cls(**{k: EddLikelihood[d[k]] if d.get(k) else None for k in ("occupation", "arrest", "bankruptcy", "fraud")})


@strawberry.type(description="What one source said in an automatic search.")
class EddSearchResult:
    url: str = strawberry.field(description="Where it was found (sandbox: a reserved `.invalid` address).")
    details: str = strawberry.field(description="What was found.")


@strawberry.type(description="One automatic EDD search of one risk factor (kept whether or not it changed a score).")
class EddSearchLog(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    factor: str = strawberry.field(description="`occupation`, `arrest`, `bankruptcy` or `fraud`.")
    likelihood: EddLikelihood = strawberry.field(description="What the search concluded.")
    applied: bool = strawberry.field(description="False when a manual score kept the search from changing the score.")
    results: list[EddSearchResult] = strawberry.field(description="What the sources said.")
    provider: str = strawberry.field(description="The search provider (`SANDBOX`).")
    time: datetime = strawberry.field(description="When the search ran.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> EddSearchLog:
        return cls(
            id=strawberry.ID(d["id"]), customer_id=strawberry.ID(d["customerId"]), factor=d["factor"],
            likelihood=EddLikelihood[d["likelihood"]], applied=d["applied"],
            results=[EddSearchResult(url=r["url"], details=r["details"]) for r in d["results"]],
            provider=d["provider"], time=d["time"],
        )


@strawberry.type(description="A customer's Enhanced Due Diligence.")
class CustomerEdd:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    required: bool = strawberry.field(description="*EDD is required for this customer*.")
    scores: EddScores | None = strawberry.field(
        description="The effective scores: the manual ones where set, else the automatic ones; null until either exists."
    )
    manual_scores: EddScores | None = strawberry.field(description="Scores set by hand (never overwritten by a search).")
    automatic_scores: EddScores | None = strawberry.field(description="Scores of the latest automatic search.")
    manual_updated_time: datetime | None = strawberry.field(description="When the manual scores were last set.")
    manual_updated_by: str | None = strawberry.field(description="Who set them.")
    last_search_time: datetime | None = strawberry.field(description="When the latest automatic search ran.")
    next_search_time: datetime | None = strawberry.field(description="When the next automatic search is due (monthly).")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @strawberry.field(description="Search logs of the automatic searches, newest first (at most `first` ≤ 100).")
    async def search_logs(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many, 1-100.")] = 20
    ) -> list[EddSearchLog]:
        return await info.context.edd_search_logs(str(self.customer_id), first)

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> CustomerEdd:
        manual, auto = d.get("manualScores"), d.get("automaticScores")
        effective = {k: (manual or {}).get(k) or (auto or {}).get(k) for k in ("occupation", "arrest", "bankruptcy", "fraud")}
        return cls(
            customer_id=strawberry.ID(d["customerId"]), required=d["required"],
            scores=EddScores.from_doc(effective) if any(effective.values()) else None,
            manual_scores=EddScores.from_doc(manual), automatic_scores=EddScores.from_doc(auto),
            manual_updated_time=d.get("manualUpdatedTime"), manual_updated_by=d.get("manualUpdatedBy"),
            last_search_time=d.get("lastSearchTime"),
            next_search_time=d.get("nextSearchTime") if d["required"] else None,
            revision=d["revision"],
        )


@strawberry.input(description="*EDD is required for this customer* on or off.")
class CustomerEddSetInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    required: bool = strawberry.field(description="Whether EDD is required (on: the first automatic search is due now).")


@strawberry.input(description="*Edit manual scores*: a likelihood for each risk factor.")
class CustomerEddScoresUpdateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer (EDD must be required).")
    occupation: EddLikelihood = strawberry.field(description="Occupation information.")
    arrest: EddLikelihood = strawberry.field(description="Arrest records.")
    bankruptcy: EddLikelihood = strawberry.field(description="Bankruptcy records.")
    fraud: EddLikelihood = strawberry.field(description="Fraud reports.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if the EDD changed since.")


@strawberry.type(description="Result of `customerEddSet` / `customerEddScoresUpdate`.")
class CustomerEddPayload:
    edd: CustomerEdd | None = strawberry.field(description="The customer's EDD afterwards; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")
