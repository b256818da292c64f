"""AML checks (the guide's *View completed AML customer checks*) with their hits and review."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from schema.common import Node, UserError


@strawberry.enum(description="What started an AML check.")
class AmlCheckSource(enum.Enum):
    SIGN_UP = strawberry.enum_value("SIGN_UP", description="The customer was created.")
    PURCHASE = strawberry.enum_value("PURCHASE", description="The customer's first approved payment.")
    RECURRING = strawberry.enum_value("RECURRING", description="The recurring screening (every `AML_RECURRING_DAYS`).")


@strawberry.enum(description="Where an AML check stands.")
class AmlCheckStatus(enum.Enum):
    NO_MATCH = strawberry.enum_value("NO_MATCH", description="No hit on the watch list.")
    PENDING_REVIEW = strawberry.enum_value("PENDING_REVIEW", description="Possible matches await a review.")
    IN_REVIEW = strawberry.enum_value("IN_REVIEW", description="A reviewer is looking at it.")
    CONFIRMED_MATCH = strawberry.enum_value("CONFIRMED_MATCH", description="The reviewer confirmed a match.")
    FALSE_POSITIVE = strawberry.enum_value("FALSE_POSITIVE", description="The reviewer found the hits are someone else.")


@strawberry.enum(description="How sure a hit is (the reference's confidence levels).")
class AmlConfidence(enum.Enum):
    WEAK = strawberry.enum_value("WEAK", description="Weak.")
    MEDIUM = strawberry.enum_value("MEDIUM", description="Medium.")
    STRONG = strawberry.enum_value("STRONG", description="Strong.")
    VERY_STRONG = strawberry.enum_value("VERY_STRONG", description="Very strong.")


@strawberry.enum(description="How urgent a hit is: P0 critical … P3 low.")
class AmlPriority(enum.Enum):
    P0 = strawberry.enum_value("P0", description="Critical.")
    P1 = strawberry.enum_value("P1", description="High.")
    P2 = strawberry.enum_value("P2", description="Medium.")
    P3 = strawberry.enum_value("P3", description="Low.")


@strawberry.enum(description="The kind of list a hit comes from.")
class AmlSourceType(enum.Enum):
    SANCTIONS = strawberry.enum_value("SANCTIONS", description="A sanctions list.")
    PEP = strawberry.enum_value("PEP", description="Politically exposed persons.")
    ADVERSE_MEDIA = strawberry.enum_value("ADVERSE_MEDIA", description="Adverse media.")
    ENFORCEMENTS = strawberry.enum_value("ENFORCEMENTS", description="Enforcement actions.")
    STATE_OWNED_ENTERPRISE = strawberry.enum_value("STATE_OWNED_ENTERPRISE", description="State-owned enterprises.")


@strawberry.type(description="One possible match on the watch list.")
class AmlHit:
    entry_id: str = strawberry.field(description="The watch-list entry (the sandbox list is fictional).")
    first_name: str = strawberry.field(description="The entry's first name (or entity name).")
    last_name: str | None = strawberry.field(description="The entry's last name.")
    entity_type: str = strawberry.field(description="`INDIVIDUAL` or `ENTITY`.")
    source: str = strawberry.field(description="The list it is on.")
    source_types: list[AmlSourceType] = strawberry.field(description="Kinds of list.")
    confidence: AmlConfidence = strawberry.field(description="How sure the match is.")
    priority: AmlPriority = strawberry.field(description="How urgent it is.")
    name_score: int = strawberry.field(description="Fuzzy name similarity, 0-100.")
    match_criteria: list[str] = strawberry.field(description="Why it matched, e.g. `NAME_EXACT`, `DOB`, `COUNTRY_MATCH`.")
    dob: str | None = strawberry.field(description="The entry's date (or year) of birth.")
    country: str | None = strawberry.field(description="The entry's country.")


@strawberry.type(description="The customer as screened.")
class AmlScreenedPerson:
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    date_of_birth: str | None = strawberry.field(description="Date of birth (ISO).")
    country: str | None = strawberry.field(description="Address country.")


@strawberry.type(description="An AML screening of a customer (made by the system only).")
class AmlCheck(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    source: AmlCheckSource = strawberry.field(description="What started it.")
    status: AmlCheckStatus = strawberry.field(description="Where it stands.")
    priority: AmlPriority | None = strawberry.field(description="The highest priority among the hits.")
    provider: str = strawberry.field(description="The screening provider (`SANDBOX`).")
    screened: AmlScreenedPerson = strawberry.field(description="What was screened.")
    hits: list[AmlHit] = strawberry.field(description="Possible matches, strongest first.")
    no_match_reason: str | None = strawberry.field(description="`NO_HITS_FOUND` when there was nothing.")
    reviewer_name: str | None = strawberry.field(description="Who reviews or reviewed it.")
    review_start_time: datetime | None = strawberry.field(description="When the review started.")
    review_time: datetime | None = strawberry.field(description="When it was decided.")
    created_time: datetime = strawberry.field(description="When it ran.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> AmlCheck:
        s = d["screened"]
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            source=AmlCheckSource[d["source"]],
            status=AmlCheckStatus[d["status"]],
            priority=AmlPriority[d["priority"]] if d.get("priority") else None,
            provider=d["provider"],
            screened=AmlScreenedPerson(first_name=s.get("firstName"), last_name=s.get("lastName"),
                                       date_of_birth=s.get("dob"), country=s.get("country")),
            hits=[AmlHit(
                entry_id=h["entryId"], first_name=h["firstName"], last_name=h.get("lastName"), entity_type=h["entityType"],
                source=h["source"], source_types=[AmlSourceType[k] for k in h["sourceTypes"]],
                confidence=AmlConfidence[h["confidence"]], priority=AmlPriority[h["priority"]], name_score=h["nameScore"],
                match_criteria=h["matchCriteria"], dob=h.get("dob"), country=h.get("country"),
            ) for h in d["hits"]],
            no_match_reason=d.get("noMatchReason"),
            reviewer_name=d.get("reviewerName"),
            review_start_time=d.get("reviewStartTime"),
            review_time=d.get("reviewTime"),
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


@strawberry.input(description="Start (or stop) reviewing an AML check with possible matches.")
class AmlCheckReviewStartInput:
    id: strawberry.ID = strawberry.field(description="The check.")


@strawberry.enum(description="A reviewer's decision on an AML check.")
class AmlReviewDecision(enum.Enum):
    CONFIRMED_MATCH = strawberry.enum_value("CONFIRMED_MATCH", description="The customer is the listed person.")
    FALSE_POSITIVE = strawberry.enum_value("FALSE_POSITIVE", description="The hits are someone else.")


@strawberry.input(description="Decide an AML check: confirm the match or mark it a false positive.")
class AmlCheckReviewInput:
    id: strawberry.ID = strawberry.field(description="The check.")
    decision: AmlReviewDecision = strawberry.field(description="The decision.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since.")


@strawberry.type(description="Result of the AML review mutations.")
class AmlCheckPayload:
    aml_check: AmlCheck | None = strawberry.field(description="The check after the change; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")
