"""A customer's lead source: the marketing attribution (UTM-style) of how the customer came."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Maybe

from schema.common import UserError

if TYPE_CHECKING:
    from schema.customers.customers import Customer


@strawberry.type(description="Attribution values (each ≤ 512 characters).")
class LeadSourceValues:
    campaign: str | None = strawberry.field(description="Campaign name (utm_campaign).")
    medium: str | None = strawberry.field(description="Medium, e.g. `email`, `cpc` (utm_medium).")
    source: str | None = strawberry.field(description="Source, e.g. `google` (utm_source).")
    term: str | None = strawberry.field(description="Paid search term (utm_term).")
    content: str | None = strawberry.field(description="Ad content variant (utm_content).")
    affiliate: str | None = strawberry.field(description="Affiliate.")
    sub_affiliate: str | None = strawberry.field(description="Sub-affiliate.")
    sales_agent: str | None = strawberry.field(description="Sales agent.")
    click_id: str | None = strawberry.field(description="Click id of the ad network.")
    path: str | None = strawberry.field(description="Landing path.")
    referrer: str | None = strawberry.field(description="Referring URL (≤ 2083).")
    ip_address: str | None = strawberry.field(description="IP address the lead came from (IPv4 or IPv6).")

    @classmethod
    def values_of(cls, d: dict[str, Any]) -> dict[str, Any]:
        return {
            "campaign": d.get("campaign"),
            "medium": d.get("medium"),
            "source": d.get("source"),
            "term": d.get("term"),
            "content": d.get("content"),
            "affiliate": d.get("affiliate"),
            "sub_affiliate": d.get("subAffiliate"),
            "sales_agent": d.get("salesAgent"),
            "click_id": d.get("clickId"),
            "path": d.get("path"),
            "referrer": d.get("referrer"),
            "ip_address": d.get("ipAddress"),
        }


@strawberry.type(description="How the customer came: the guide's *Edit or view lead source information*.")
class LeadSource(LeadSourceValues):
    original: LeadSourceValues | None = strawberry.field(
        description="The first attribution, unchanged by later edits."
    )
    created_time: datetime = strawberry.field(description="When it was first set.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> LeadSource:
        original = d.get("original")
        return cls(
            **cls.values_of(d),
            original=LeadSourceValues(**LeadSourceValues.values_of(original)) if original else None,
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
        )


@strawberry.input(description="A partial edit of the lead source: fields left out stay; `null` clears one.")
class CustomerLeadSourceUpdateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless the customer is at this revision."
    )
    campaign: Maybe[str | None] = strawberry.field(default=None, description="Campaign (≤ 512).")
    medium: Maybe[str | None] = strawberry.field(default=None, description="Medium (≤ 512).")
    source: Maybe[str | None] = strawberry.field(default=None, description="Source (≤ 512).")
    term: Maybe[str | None] = strawberry.field(default=None, description="Term (≤ 512).")
    content: Maybe[str | None] = strawberry.field(default=None, description="Content (≤ 512).")
    affiliate: Maybe[str | None] = strawberry.field(default=None, description="Affiliate (≤ 512).")
    sub_affiliate: Maybe[str | None] = strawberry.field(default=None, description="Sub-affiliate (≤ 512).")
    sales_agent: Maybe[str | None] = strawberry.field(default=None, description="Sales agent (≤ 512).")
    click_id: Maybe[str | None] = strawberry.field(default=None, description="Click id (≤ 512).")
    path: Maybe[str | None] = strawberry.field(default=None, description="Landing path (≤ 512).")
    referrer: Maybe[str | None] = strawberry.field(
        default=None, description="Referring http(s) URL (≤ 2083)."
    )
    ip_address: Maybe[str | None] = strawberry.field(default=None, description="IPv4 or IPv6 address.")


@strawberry.type(description="Result of `customerLeadSourceUpdate`.")
class CustomerLeadSourceUpdatePayload:
    customer: Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None = strawberry.field(
        description="The customer afterwards (see `leadSource`); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )
