"""Deposit strategies, custom property sets and deposit requests (the guide's *Request deposit*)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.scalars import JSON

from schema.common import CurrencyCode, Money, Node, UserError, minor_to_decimal

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="How a strategy's preset amounts grow from its base amount.")
class DepositCalculator(enum.Enum):
    ABSOLUTE = strawberry.enum_value("ABSOLUTE", description="Base, then base + each increment.")
    PERCENT = strawberry.enum_value("PERCENT", description="Base, then base × (1 + increment / 100).")


@strawberry.enum(description="Whether a deposit request offers a free amount field.")
class CustomAmountMode(enum.Enum):
    STRATEGY = strawberry.enum_value("STRATEGY", description="As the strategy says (the default).")
    DENY = strawberry.enum_value("DENY", description="No custom amount.")
    ALLOW = strawberry.enum_value(
        "ALLOW", description="A custom amount: the request's range, else the strategy's, else 1…10000 step 1."
    )


@strawberry.enum(description="Where a deposit request stands.")
class DepositRequestStatus(enum.Enum):
    CREATED = strawberry.enum_value("CREATED", description="Not opened by the customer yet.")
    PENDING = strawberry.enum_value("PENDING", description="Opened; nothing paid yet.")
    INITIATED = strawberry.enum_value("INITIATED", description="A payment is being processed.")
    ATTEMPTED = strawberry.enum_value("ATTEMPTED", description="A payment was declined; the customer may retry.")
    COMPLETED = strawberry.enum_value("COMPLETED", description="Paid (permanent).")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Not paid before its expiry (permanent).")


@strawberry.type(description="A custom amount range: `minimum` to `maximum` in steps of `multipleOf`.")
class CustomAmountRange:
    minimum: Decimal = strawberry.field(description="Smallest amount (major units).")
    maximum: Decimal = strawberry.field(description="Largest amount: `minimum + k × multipleOf`.")
    multiple_of: Decimal = strawberry.field(description="Step from the minimum.")

    @classmethod
    def from_doc(cls, d: dict[str, Any] | None) -> CustomAmountRange | None:
        if not d:
            return None
        return cls(minimum=Decimal(d["minimum"]), maximum=Decimal(d["maximum"]), multiple_of=Decimal(d["multipleOf"]))


@strawberry.input(description="A custom amount range (major units, each ≥ 0.01, at most 2 decimals).")
class CustomAmountRangeInput:
    minimum: Decimal = strawberry.field(description="Smallest amount.")
    maximum: Decimal = strawberry.field(description="Largest amount; must be `minimum + k × multipleOf`.")
    multiple_of: Decimal = strawberry.field(description="Step from the minimum.")


@strawberry.type(description="How a strategy computes its preset amounts.")
class DepositAmounts:
    calculator: DepositCalculator = strawberry.field(description="How amounts grow from the base.")
    base_amount: Decimal = strawberry.field(description="The first amount (major units).")
    increments: list[Decimal] = strawberry.field(description="One more amount per increment.")
    default_index: int = strawberry.field(description="Which amount is preselected (0 = the first shown).")
    hide_base_amount: bool = strawberry.field(description="The base itself is not offered.")
    minimum_base_amount: Decimal | None = strawberry.field(description="The base never falls below this.")
    adjust_base_to_last_deposit: bool = strawberry.field(
        description="The base becomes the customer's last completed deposit in the currency."
    )


@strawberry.input(description="How a strategy computes its preset amounts (major units, at most 2 decimals).")
class DepositAmountsInput:
    calculator: DepositCalculator = strawberry.field(description="How amounts grow from the base.")
    base_amount: Decimal = strawberry.field(description="The first amount, ≥ 0.01.")
    increments: list[Decimal] = strawberry.field(description="Up to 20, each > 0 (percent: a percentage).")
    default_index: int = strawberry.field(default=0, description="Which amount is preselected (0 = the first shown).")
    hide_base_amount: bool = strawberry.field(default=False, description="Do not offer the base itself.")
    minimum_base_amount: Decimal | None = strawberry.field(default=None, description="The base never falls below this.")
    adjust_base_to_last_deposit: bool = strawberry.field(
        default=False, description="Use the customer's last completed deposit in the currency as the base."
    )


@strawberry.type(description="Rules that work out a deposit request's amounts.")
class DepositStrategy(Node):
    name: str = strawberry.field(description="Internal name.")
    currencies: list[CurrencyCode] = strawberry.field(
        description="Requests in these currencies use it (empty: any)."
    )
    website_ids: list[strawberry.ID] = strawberry.field(description="Requests from these websites use it (empty: any).")
    amounts: DepositAmounts = strawberry.field(description="The preset amounts.")
    custom_amount: CustomAmountRange | None = strawberry.field(description="The custom amount range; null: none.")
    priority: int = strawberry.field(description="Among matching active strategies the highest wins (then the oldest).")
    is_active: bool = strawberry.field(description="Only active strategies are chosen automatically.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> DepositStrategy:
        a = d["amounts"]
        return cls(
            id=strawberry.ID(d["id"]),
            name=d["name"],
            currencies=[CurrencyCode[c] for c in d.get("currencies", [])],
            website_ids=[strawberry.ID(w) for w in d.get("websiteIds", [])],
            amounts=DepositAmounts(
                calculator=DepositCalculator[a["calculator"]],
                base_amount=Decimal(a["baseAmount"]),
                increments=[Decimal(i) for i in a["increments"]],
                default_index=a["defaultIndex"],
                hide_base_amount=a["hideBaseAmount"],
                minimum_base_amount=Decimal(a["minimumBaseAmount"]) if a.get("minimumBaseAmount") else None,
                adjust_base_to_last_deposit=a["adjustBaseToLastDeposit"],
            ),
            custom_amount=CustomAmountRange.from_doc(d.get("customAmount")),
            priority=d["priority"],
            is_active=d["isActive"],
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


@strawberry.input(description="A new deposit strategy.")
class DepositStrategyCreateInput:
    name: str = strawberry.field(description="Internal name (≤ 100).")
    amounts: DepositAmountsInput = strawberry.field(description="The preset amounts.")
    custom_amount: CustomAmountRangeInput | None = strawberry.field(
        default=None, description="The custom amount range; null: requests based on this strategy offer none."
    )
    currencies: list[CurrencyCode] = strawberry.field(
        default_factory=list, description="Apply only to requests in these currencies (empty: any)."
    )
    website_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Apply only to requests from these websites (empty: any)."
    )
    priority: int = strawberry.field(default=0, description="0-1000; the highest matching active strategy wins.")
    is_active: bool = strawberry.field(default=True, description="Whether it is chosen automatically.")


@strawberry.input(description="Change a deposit strategy's name, priority or activity (fields left out stay).")
class DepositStrategyUpdateInput:
    id: strawberry.ID = strawberry.field(description="The strategy.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since.")
    name: str | None = strawberry.field(default=None, description="New name (≤ 100).")
    priority: int | None = strawberry.field(default=None, description="New priority, 0-1000.")
    is_active: bool | None = strawberry.field(default=None, description="Activate or deactivate it.")


@strawberry.type(description="Result of `depositStrategyCreate` / `depositStrategyUpdate`.")
class DepositStrategyPayload:
    deposit_strategy: DepositStrategy | None = strawberry.field(description="The strategy; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.enum(description="The kind of value a custom deposit property takes.")
class DepositPropertyType(enum.Enum):
    TEXT = strawberry.enum_value("TEXT", description="Free text (≤ 255).")
    NUMBER = strawberry.enum_value("NUMBER", description="A decimal number.")
    CHECKBOX = strawberry.enum_value("CHECKBOX", description="Yes or no.")


@strawberry.type(description="One extra field of a deposit form.")
class DepositProperty:
    name: str = strawberry.field(description="Key the value is stored under.")
    label: str = strawberry.field(description="What the customer sees.")
    type: DepositPropertyType = strawberry.field(description="The kind of value.")
    required: bool = strawberry.field(description="Whether the customer must fill it in.")


@strawberry.input(description="One extra field of a deposit form.")
class DepositPropertyInput:
    name: str = strawberry.field(description="Key (1-40 letters, digits, `_`), unique in the set.")
    label: str = strawberry.field(description="What the customer sees (≤ 100).")
    type: DepositPropertyType = strawberry.field(default=DepositPropertyType.TEXT, description="The kind of value.")
    required: bool = strawberry.field(default=False, description="Whether the customer must fill it in.")


@strawberry.type(description="Extra fields a deposit form asks for (the guide's *custom property set*).")
class DepositCustomPropertySet(Node):
    name: str = strawberry.field(description="Internal name.")
    properties: list[DepositProperty] = strawberry.field(description="The fields, in order.")
    created_time: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> DepositCustomPropertySet:
        return cls(
            id=strawberry.ID(d["id"]),
            name=d["name"],
            properties=[properties_of(p) for p in d["properties"]],
            created_time=d["createdTime"],
        )


def properties_of(p: dict[str, Any]) -> DepositProperty:
    return DepositProperty(name=p["name"], label=p["label"], type=DepositPropertyType[p["type"]], required=p["required"])


@strawberry.input(description="A new custom property set for deposit forms.")
class DepositCustomPropertySetCreateInput:
    name: str = strawberry.field(description="Internal name (≤ 100).")
    properties: list[DepositPropertyInput] = strawberry.field(description="1-20 fields.")


@strawberry.type(description="Result of `depositCustomPropertySetCreate`.")
class DepositCustomPropertySetCreatePayload:
    property_set: DepositCustomPropertySet | None = strawberry.field(description="The set; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="A hosted *add funds* form for one customer and currency, with a link to share.")
class DepositRequest(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    website_id: strawberry.ID = strawberry.field(description="The website the deposit is for.")
    currency: CurrencyCode = strawberry.field(description="Currency of every amount.")
    strategy_id: strawberry.ID | None = strawberry.field(
        description="The strategy the amounts came from; null: fixed amounts or the built-in default strategy."
    )
    amounts: list[Money] = strawberry.field(description="Preset amounts the page offers, in order.")
    default_amount: Money | None = strawberry.field(description="The preselected amount.")
    custom_amount: CustomAmountRange | None = strawberry.field(description="The custom amount range; null: none.")
    amount_limits_minimum: Money | None = strawberry.field(description="Lower amount limit set on the request.")
    amount_limits_maximum: Money | None = strawberry.field(description="Upper amount limit set on the request.")
    custom_property_set_id: strawberry.ID | None = strawberry.field(description="Extra form fields asked for.")
    properties: JSON | None = strawberry.field(description="Values the customer gave for those fields.")
    redirect_url: str | None = strawberry.field(description="Where the customer goes after paying.")
    status: DepositRequestStatus = strawberry.field(description="Where it stands.")
    expires_time: datetime = strawberry.field(description="After this the page takes no payment.")
    transaction_ids: list[strawberry.ID] = strawberry.field(description="Every payment attempt, oldest first.")
    paid_amount: Money | None = strawberry.field(description="The amount paid when COMPLETED.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @strawberry.field(description="The deposit page to share with the customer (holds the request's secret token).")
    def url(self, info: Info) -> str:
        return info.context.link_url("/deposit/", str(self.id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> DepositRequest:
        cur = d["currency"]
        status = d["status"]
        if status in ("CREATED", "PENDING", "ATTEMPTED") and d["expiresTime"] <= datetime.now(UTC):
            status = "EXPIRED"
        limits = d.get("amountLimits") or {}
        custom = d.get("customAmount")
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            website_id=strawberry.ID(d["websiteId"]),
            currency=CurrencyCode[cur],
            strategy_id=strawberry.ID(d["strategyId"]) if d.get("strategyId") else None,
            amounts=[Money.from_minor(a, cur) for a in d["amountsMinor"]],
            default_amount=Money.from_minor(d["defaultMinor"], cur) if d.get("defaultMinor") else None,
            custom_amount=CustomAmountRange(
                minimum=minor_to_decimal(custom[0], cur),
                maximum=minor_to_decimal(custom[1], cur),
                multiple_of=minor_to_decimal(custom[2], cur),
            ) if custom else None,
            amount_limits_minimum=Money.from_minor(limits["minimum"], cur) if limits.get("minimum") else None,
            amount_limits_maximum=Money.from_minor(limits["maximum"], cur) if limits.get("maximum") else None,
            custom_property_set_id=strawberry.ID(d["customPropertySetId"]) if d.get("customPropertySetId") else None,
            properties=JSON(d["properties"]) if d.get("properties") is not None else None,
            redirect_url=d.get("redirectUrl"),
            status=DepositRequestStatus[status],
            expires_time=d["expiresTime"],
            transaction_ids=[strawberry.ID(t) for t in d.get("transactionIds", [])],
            paid_amount=Money.from_minor(d["paidMinor"], cur) if d.get("paidMinor") else None,
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


@strawberry.input(description="The guide's *Request deposit* form.")
class DepositRequestCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    currency: CurrencyCode = strawberry.field(
        description="Currency of the deposit; a gateway account must accept it."
    )
    website_id: strawberry.ID | None = strawberry.field(
        default=None, description="The website the deposit is for (default: the customer's)."
    )
    strategy_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Use this strategy (default: the highest-priority active one matching currency and website, "
        "else the built-in default: base 10, increments [10, 20], custom 1…10000 step 1).",
    )
    amounts: list[Decimal] | None = strawberry.field(
        default=None, description="Fixed amounts (1-10, major units) instead of the strategy's preset amounts."
    )
    default_amount: Decimal | None = strawberry.field(
        default=None, description="With `amounts`: the preselected one (default: the first)."
    )
    custom_amounts: CustomAmountMode = strawberry.field(
        default=CustomAmountMode.STRATEGY, description="Whether the page offers a free amount field."
    )
    custom_amount: CustomAmountRangeInput | None = strawberry.field(
        default=None, description="With `customAmounts: ALLOW`: the range (default: the strategy's, else 1…10000)."
    )
    custom_property_set_id: strawberry.ID | None = strawberry.field(
        default=None, description="Extra fields the page asks for."
    )
    amount_limits_minimum: Decimal | None = strawberry.field(
        default=None, description="Amount limits: lowest amount allowed (overrides preset and custom amounts)."
    )
    amount_limits_maximum: Decimal | None = strawberry.field(
        default=None, description="Amount limits: highest amount allowed (overrides preset and custom amounts)."
    )
    redirect_url: str | None = strawberry.field(
        default=None, description="Where the customer goes after paying (default: the website's URL)."
    )
    expiration_time: datetime | None = strawberry.field(
        default=None, description="When the link stops working: in the future, ≤ 30 days (default: in one hour)."
    )


@strawberry.type(description="Result of `depositRequestCreate`.")
class DepositRequestCreatePayload:
    deposit_request: DepositRequest | None = strawberry.field(description="The request; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
