"""Shared pieces of the contract: Node, UserError and its codes, Money, connections, scalars."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

import dateutil.parser
import strawberry
from graphql import GraphQLError
from iso4217 import Currency
from strawberry.exceptions import StrawberryInputCoercionError

# ---------------------------------------------------------------------------------------------- errors


@strawberry.enum(description="Why an input was refused. Clients switch on these; the message is for people.")
class UserErrorCode(enum.Enum):
    INVALID = strawberry.enum_value("INVALID", description="The value is malformed or not allowed here.")
    REQUIRED = strawberry.enum_value("REQUIRED", description="A required value is missing or empty.")
    TOO_LONG = strawberry.enum_value("TOO_LONG", description="The value is longer than its limit.")
    TOO_MANY = strawberry.enum_value("TOO_MANY", description="The list has more items than its limit.")
    INVALID_EMAIL = strawberry.enum_value("INVALID_EMAIL", description="Not a valid email address.")
    INVALID_PHONE = strawberry.enum_value(
        "INVALID_PHONE", description="Not a phone number that can be written in E.164 form."
    )
    INVALID_COUNTRY = strawberry.enum_value(
        "INVALID_COUNTRY", description="Not an ISO 3166-1 alpha-2 country code."
    )
    DATE_IN_FUTURE = strawberry.enum_value("DATE_IN_FUTURE", description="The date lies in the future.")
    PRIMARY_REQUIRED = strawberry.enum_value(
        "PRIMARY_REQUIRED", description="A list of emails or phone numbers needs exactly one primary entry."
    )
    DUPLICATE = strawberry.enum_value("DUPLICATE", description="The same value appears twice in the input.")
    ALREADY_EXISTS = strawberry.enum_value("ALREADY_EXISTS", description="An entity with this id already exists.")
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No such entity in this organization (it may belong to another one)."
    )
    WRONG_ID_TYPE = strawberry.enum_value("WRONG_ID_TYPE", description="The id names an entity of another type.")
    RESERVED_ID = strawberry.enum_value(
        "RESERVED_ID", description="Merchant-chosen ids may not start with a prefix the gateway generates."
    )
    REVISION_CONFLICT = strawberry.enum_value(
        "REVISION_CONFLICT", description="`expectedRevision` is stale: the entity changed since it was read."
    )
    NOTHING_TO_CHANGE = strawberry.enum_value("NOTHING_TO_CHANGE", description="The input changes nothing.")
    NOT_AUTHOR = strawberry.enum_value(
        "NOT_AUTHOR",
        description="Only the author of a note or attachment (same user, or same API key) may change it.",
    )
    NOT_EDITABLE = strawberry.enum_value(
        "NOT_EDITABLE",
        description="This timeline entry is recorded by the system and cannot be edited or removed.",
    )
    FILE_TOO_LARGE = strawberry.enum_value("FILE_TOO_LARGE", description="The file is over the upload limit.")
    FILE_EMPTY = strawberry.enum_value("FILE_EMPTY", description="The file has no content.")
    UNSUPPORTED_FILE_TYPE = strawberry.enum_value(
        "UNSUPPORTED_FILE_TYPE",
        description="The file is not of an accepted type (PDF, PNG, JPEG, GIF, plain text, CSV, Markdown).",
    )
    CONTENT_TYPE_MISMATCH = strawberry.enum_value(
        "CONTENT_TYPE_MISMATCH", description="The declared content type does not match the file's content."
    )
    NOT_A_USER = strawberry.enum_value(
        "NOT_A_USER",
        description="The API key does not belong to a user, and this needs one (e.g. notifications).",
    )
    TOO_MANY_DECIMALS = strawberry.enum_value(
        "TOO_MANY_DECIMALS", description="The amount has more decimals than the currency's minor unit allows."
    )
    CURRENCY_NOT_ACCEPTED = strawberry.enum_value(
        "CURRENCY_NOT_ACCEPTED", description="No (or not the chosen) gateway account accepts this currency."
    )
    DECLINED = strawberry.enum_value(
        "DECLINED", description="The gateway refused a refund; nothing was refunded. (Declined payments are "
        "an outcome, not a user error: see `CustomerPaymentCollectPayload.decline`.)"
    )
    GATEWAY_TIMEOUT = strawberry.enum_value(
        "GATEWAY_TIMEOUT",
        description="No longer returned: a payment that timed out is recorded and reported in "
        "`CustomerPaymentCollectPayload.decline`.",
        deprecation_reason="Reported in `CustomerPaymentCollectPayload.decline` (a recorded outcome, not an "
        "input error).",
    )
    BLOCKED = strawberry.enum_value(
        "BLOCKED",
        description="A blocklist entry matches the payment (the message names the blocklist type); "
        "nothing was charged.",
    )
    NOT_REFUNDABLE = strawberry.enum_value(
        "NOT_REFUNDABLE",
        description="The transaction cannot be refunded (declined, voided, a refund or a payout).",
    )
    OVER_REFUND = strawberry.enum_value(
        "OVER_REFUND", description="The refund is larger than what remains refundable on the transaction."
    )
    NOT_SETTLED = strawberry.enum_value(
        "NOT_SETTLED", description="Before settlement only the whole amount can be refunded (as a void)."
    )
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value(
        "IDEMPOTENCY_KEY_REUSED", description="The idempotency key was used before with a different input."
    )
    IDEMPOTENCY_REQUEST_IN_PROGRESS = strawberry.enum_value(
        "IDEMPOTENCY_REQUEST_IN_PROGRESS",
        description="A request with this idempotency key is still being processed; retry shortly.",
    )
    INVALID_STATUS = strawberry.enum_value(
        "INVALID_STATUS", description="The entity's current status does not allow this change."
    )
    EXACTLY_ONE_REQUIRED = strawberry.enum_value(
        "EXACTLY_ONE_REQUIRED", description="Give exactly one of the alternative fields (e.g. `card`, `bankAccount`, `other`)."
    )
    INVALID_CARD_NUMBER = strawberry.enum_value(
        "INVALID_CARD_NUMBER",
        description="Not a card number: wrong length, failed the Luhn check, or no known brand's BIN range.",
    )
    INVALID_CVV = strawberry.enum_value("INVALID_CVV", description="The CVV must be 3 digits (4 for American Express).")
    CARD_EXPIRED = strawberry.enum_value("CARD_EXPIRED", description="The expiry month/year lies in the past.")
    INVALID_BANK_ACCOUNT = strawberry.enum_value(
        "INVALID_BANK_ACCOUNT", description="An IBAN, BIC, routing or account number that fails its format or checksum."
    )
    INSTRUMENT_DEACTIVATED = strawberry.enum_value(
        "INSTRUMENT_DEACTIVATED", description="The payment instrument is deactivated; that is final."
    )
    INSTRUMENT_EXPIRED = strawberry.enum_value(
        "INSTRUMENT_EXPIRED", description="The payment card has expired; update its expiry date first."
    )
    NOT_A_CARD = strawberry.enum_value("NOT_A_CARD", description="Only payment cards have this (e.g. an expiry date).")
    INVALID_TAX_ID = strawberry.enum_value(
        "INVALID_TAX_ID", description="The tax ID fails the format or check digits of its type."
    )
    INVALID_IP_ADDRESS = strawberry.enum_value("INVALID_IP_ADDRESS", description="Not an IPv4 or IPv6 address.")
    INVALID_URL = strawberry.enum_value("INVALID_URL", description="Not an absolute http(s) URL.")
    DATE_IN_PAST = strawberry.enum_value("DATE_IN_PAST", description="The time lies in the past.")
    # money (issue 18)
    NO_PAYOUT_DESTINATION = strawberry.enum_value(
        "NO_PAYOUT_DESTINATION",
        description="The customer has no active payment card or bank account to receive a payout.",
    )
    # text hygiene and custom fields (issue 18)
    INVALID_CHARACTERS = strawberry.enum_value(
        "INVALID_CHARACTERS",
        description="The text holds control characters (e.g. NUL; multi-line text allows tabs and line breaks) "
        "or bidirectional overrides/isolates; remove them.",
    )
    NOTHING_TO_BLOCK = strawberry.enum_value(
        "NOTHING_TO_BLOCK", description="The customer has no value for this attribute (e.g. no address country)."
    )
    # tables (segments, exports, merges)
    NOT_OWNER = strawberry.enum_value(
        "NOT_OWNER", description="Only the operator who saved this segment (same user, or same API key) may change it."
    )
    BUILT_IN = strawberry.enum_value(
        "BUILT_IN", description="A built-in segment (Leads, Customers) cannot be edited or deleted; save a copy."
    )
    ALREADY_MERGED = strawberry.enum_value(
        "ALREADY_MERGED", description="The customer was merged into another one; its id now resolves to that one."
    )
    MERGE_IN_PROGRESS = strawberry.enum_value(
        "MERGE_IN_PROGRESS", description="The customer is part of a merge that has not finished; repeat that merge."
    )
    # links (deposit requests, billing portals, instrument set-up links)
    NO_DEPOSIT_AMOUNTS = strawberry.enum_value(
        "NO_DEPOSIT_AMOUNTS",
        description="A deposit request would offer no amount: its limits exclude every preset and custom amount.",
    )
    PORTAL_INACTIVE = strawberry.enum_value(
        "PORTAL_INACTIVE", description="The billing portal is inactive: its links would not open."
    )
    # compliance (KYC)
    KYC_ATTEMPTS_EXHAUSTED = strawberry.enum_value(
        "KYC_ATTEMPTS_EXHAUSTED", description="Every upload attempt the KYC request allows for this document is used."
    )
    EDD_NOT_REQUIRED = strawberry.enum_value(
        "EDD_NOT_REQUIRED", description="EDD is not required for this customer: turn it on (customerEddSet) first."
    )
    # billing clock (issue 12): usage, reactivation, scheduled pauses
    NOT_METERED = strawberry.enum_value(
        "NOT_METERED", description="Usage is reported only for order items of metered plans."
    )
    USAGE_PERIOD_CLOSED = strawberry.enum_value(
        "USAGE_PERIOD_CLOSED", description="The usage time lies before the order's current period: that period is invoiced."
    )
    # billing (issue 11): catalog, orders, invoices
    METERED_NEEDS_POSTPAID = strawberry.enum_value(
        "METERED_NEEDS_POSTPAID", description="Metered billing is only for plans billed in arrears (POSTPAID)."
    )
    PERIOD_MISMATCH = strawberry.enum_value(
        "PERIOD_MISMATCH", description="All items of a subscription must share one billing period length."
    )
    CURRENCY_MISMATCH = strawberry.enum_value(
        "CURRENCY_MISMATCH", description="All items of an order must share one currency."
    )
    ORDER_TYPE_MISMATCH = strawberry.enum_value(
        "ORDER_TYPE_MISMATCH",
        description="The plan's type does not fit the order (a one-time order takes ONE_TIME plans only; "
        "a subscription takes SUBSCRIPTION and TRIAL_ONLY plans).",
    )
    QUANTITY_OUT_OF_RANGE = strawberry.enum_value(
        "QUANTITY_OUT_OF_RANGE", description="The quantity is outside the plan's minimum/maximum or brackets."
    )
    INACTIVE = strawberry.enum_value(
        "INACTIVE", description="The product or plan is deactivated: it takes no new orders."
    )
    INSTRUMENT_NOT_USABLE = strawberry.enum_value(
        "INSTRUMENT_NOT_USABLE",
        description="The payment instrument cannot pay this order (another customer's, deactivated, expired, "
        "or a method the gateway does not charge).",
    )
    OVER_PAYMENT = strawberry.enum_value(
        "OVER_PAYMENT", description="The payment is larger than the invoice's amount due."
    )
    # billing III (issue 13): coupons, credit memos, quotes
    COUPON_NOT_REDEEMABLE = strawberry.enum_value(
        "COUPON_NOT_REDEEMABLE",
        description="The coupon cannot be redeemed by this customer now (draft, expired, past its paid-by time, or "
        "restricted to other customers, countries or tags).",
    )
    REDEMPTION_LIMIT_REACHED = strawberry.enum_value(
        "REDEMPTION_LIMIT_REACHED",
        description="The coupon's total redemptions or redemptions per customer are used up.",
    )
    COUPON_IN_USE = strawberry.enum_value(
        "COUPON_IN_USE", description="The coupon was redeemed: its discount and issued time are final."
    )
    OVER_ALLOCATION = strawberry.enum_value(
        "OVER_ALLOCATION",
        description="More than the credit memo's unused amount (or the customer's credit balance) was allocated.",
    )
    NOTHING_DUE = strawberry.enum_value(
        "NOTHING_DUE", description="The invoice has no amount due (or is not payable) to allocate credit to."
    )
    # billing (issue 11): shipping rate tables, calculated shipping
    NO_SHIPPING_RATE = strawberry.enum_value(
        "NO_SHIPPING_RATE",
        description="No rate of the website's shipping rate table applies to the order (its currency, items "
        "subtotal or delivery country and region).",
    )
    SHIPPING_RATE_NOT_APPLICABLE = strawberry.enum_value(
        "SHIPPING_RATE_NOT_APPLICABLE",
        description="The shipping rate named does not apply to the order (another website, another currency, or "
        "its subtotal, country or region conditions do not hold).",
    )


@strawberry.type(description="An expected problem with a mutation's input. Nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, from the mutation's `input` (e.g. `emails`, `1`, `value`)."
    )
    message: str = strawberry.field(description="What is wrong, in words for a person.")
    code: UserErrorCode = strawberry.field(description="What is wrong, for programs.")


class ClientError(GraphQLError):
    """A top-level error caused by the request, never masked: carries `extensions.code`."""

    def __init__(self, message: str, code: str = "BAD_USER_INPUT") -> None:
        super().__init__(message, extensions={"code": code})


# The request's API log collects the codes of every user error raised while it runs (set by the view;
# unset elsewhere), so a log entry knows them even when the client did not select `userErrors`.
USER_ERROR_SINK: ContextVar[list[str] | None] = ContextVar("user_error_sink", default=None)


# The customers the current request concerns, for its API log entry: the view binds it to the request's
# `Context.touched_customers` (resolvers/app.py); the shared lookups (a customer, an instrument, a transaction by id) call
# `touch` for every customer they find, so a mutation is logged with its customer whether it changed it
# or was refused, without each resolver having to remember to.
TOUCHED_CUSTOMERS: ContextVar[set[str] | None] = ContextVar("touched_customers", default=None)


def touch(customer_id: str | None) -> None:
    touched = TOUCHED_CUSTOMERS.get()
    if touched is not None and customer_id:
        touched.add(customer_id)



class Problems(Exception):
    """A collection of user errors for one input; raise it to refuse the whole input at once."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[UserError] = []

    def add(self, path: list[str | int] | None, message: str, code: UserErrorCode) -> None:
        self.errors.append(
            UserError(field=[str(p) for p in path] if path is not None else None, message=message, code=code)
        )
        sink = USER_ERROR_SINK.get()
        if sink is not None:
            sink.append(code.name)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self


# ---------------------------------------------------------------------------------------------- nodes


@strawberry.interface(
    description="An object with a stable, readable, globally unique id. Refetch any of them with `node(id:)`."
)
class Node:
    id: strawberry.ID = strawberry.field(description="Stable id, e.g. `cus_01J…`; readable, never base64.")


@strawberry.interface(
    description="Something a timeline note can link to (a customer; transactions join when they exist). "
    "Ask for the concrete type's fields with fragments."
)
class Linkable(Node):
    pass


# ---------------------------------------------------------------------------------------------- money

CurrencyCode = strawberry.enum(  # type: ignore[call-overload]
    enum.Enum(
        "CurrencyCode",
        {
            c.code: strawberry.enum_value(c.code, description=c.currency_name)
            for c in sorted(Currency, key=lambda c: c.code)
            if c.exponent is not None
        },
    ),
    description="ISO 4217 currency code (currencies with minor units; funds and metals excluded).",
)


@functools.lru_cache(maxsize=512)
def currency_exponent(code: str) -> int:
    # cached: `Currency(code)` is an enum lookup by value (a scan), thousands per billing page
    exponent = Currency(code).exponent
    if exponent is None:
        raise ValueError(f"{code} has no minor unit")
    return int(exponent)


def minor_to_decimal(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-currency_exponent(currency))


@strawberry.type(description="An amount of money: a decimal in major units (`\"10.50\"`) and its currency.")
class Money:
    amount: Decimal = strawberry.field(description="Amount in major units, exact (a decimal string).")
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency.")  # type: ignore[valid-type]

    @classmethod
    def from_minor(cls, amount_minor: int, currency: str) -> Money:
        return cls(amount=minor_to_decimal(amount_minor, currency), currency=CurrencyCode[currency])


# ---------------------------------------------------------------------------------------------- scalars
# The one place where Decimal and DateTime inputs are parsed (variables and literals alike), so no
# resolver ever sees a non-finite, exponent-notation or non-ASCII-digit Decimal, or a zone-less time.
# Registered in the schema's `scalar_map` over Strawberry's built-ins; output is unchanged.

DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
MAX_DECIMAL_CHARS = 40


def parse_decimal(value: object) -> Decimal:
    """Plain ASCII decimal notation only: `10`, `-3.5`, `.25`. Refused: NaN, sNaN, Infinity, exponents
    (`1e9`), other scripts' digits (`١٢`, which Python's Decimal would accept), over 40 characters."""
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if not isinstance(text, str) or len(text) > MAX_DECIMAL_CHARS or not DECIMAL_RE.fullmatch(text.strip()):
        raise StrawberryInputCoercionError(
            "Value cannot represent a Decimal: give a plain decimal string of ASCII digits, e.g. \"10.50\" "
            f"(no exponent, NaN or Infinity; at most {MAX_DECIMAL_CHARS} characters)."
        )
    return Decimal(text.strip())


def parse_datetime(value: object) -> datetime:
    """ISO 8601 with a time zone (`2026-01-01T00:00:00Z`, `…+02:00`); a zone-less time is ambiguous."""
    if not isinstance(value, str):
        raise StrawberryInputCoercionError("Value cannot represent a DateTime: expected an ISO 8601 string.")
    try:
        parsed = dateutil.parser.isoparse(value)
    except (ValueError, OverflowError):
        raise StrawberryInputCoercionError(
            "Value cannot represent a DateTime: expected ISO 8601, e.g. \"2026-01-01T00:00:00Z\"."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise StrawberryInputCoercionError(
            "Value cannot represent a DateTime: it has no time zone; add `Z` for UTC or an offset like `+02:00`."
        )
    return parsed


SCALARS: dict[object, Any] = {
    Decimal: strawberry.scalar(
        name="Decimal",
        description="An exact decimal as a string of ASCII digits, e.g. `\"10.50\"` (no exponent, NaN or Infinity).",
        serialize=str,
        parse_value=parse_decimal,
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description="A point in time, ISO 8601 with a time zone, e.g. `\"2026-01-01T00:00:00Z\"`.",
        serialize=datetime.isoformat,
        parse_value=parse_datetime,
    ),
}

# ---------------------------------------------------------------------------------------------- lists


@strawberry.enum(description="Sort direction.")
class SortDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first.")
    DESC = strawberry.enum_value("DESC", description="Largest (or newest) first.")


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow `endCursor` (with `last`: true whenever `before` was given).")
    has_previous_page: bool = strawberry.field(
        description="Items precede `startCursor` (with `first`: true whenever `after` was given).")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge; pass it as `before`.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge; pass it as `after`.")


class EdgesPageInfo(PageInfo):
    """A `PageInfo` whose start and end cursors are read from its page's edges when they are selected:
    a dashboard of 100 customers has hundreds of nested connections whose page info it never reads."""

    def __init__(self, has_next_page: bool, has_previous_page: bool, edges: list[Any]) -> None:
        self.has_next_page = has_next_page
        self.has_previous_page = has_previous_page
        self._edges = edges

    @property
    def start_cursor(self) -> str | None:  # type: ignore[override]
        return self._edges[0].cursor if self._edges else None

    @property
    def end_cursor(self) -> str | None:  # type: ignore[override]
        return self._edges[-1].cursor if self._edges else None


T = TypeVar("T")


@strawberry.type(description="One item of a connection and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque keyset cursor; stays valid when rows are inserted.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, Relay style, with keyset cursors.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    _count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="Number of items matching the filter (all pages). Costs one count query.")
    async def total_count(self) -> int:
        return await self._count()  # type: ignore[misc]

    @classmethod
    def build(
        cls, edges: list[Edge[T]], *, page: Page, has_next: bool, count: Callable[[], Awaitable[int]],
        start_cursor: str | None = None, end_cursor: str | None = None,
    ) -> Connection[T]:
        """A page with Relay's page info; `count` runs only when `totalCount` is selected. `has_next`: more
        items lie beyond the page in the direction it was read (for a `last` page, before its start). The
        cursors default to those of the first and last edge."""
        if page.backward:
            has_next_page, has_previous_page = page.cursor is not None, has_next
        else:
            has_next_page, has_previous_page = has_next, page.cursor is not None
        return cls(
            edges=edges,
            page_info=EdgesPageInfo(has_next_page, has_previous_page, edges) if start_cursor is None and end_cursor is None
            else PageInfo(
                has_next_page=has_next_page,
                has_previous_page=has_previous_page,
                start_cursor=start_cursor if start_cursor is not None else edges[0].cursor if edges else None,
                end_cursor=end_cursor if end_cursor is not None else edges[-1].cursor if edges else None,
            ),
            _count=count,
        )


MAX_PAGE = 100

# The arguments every connection field takes (tests/edge/test_paging.py checks that each one does):
# `first` (+ `after`) pages forward, `last` (+ `before`) backward; exactly one of `first` and `last`.
First = Annotated[int | None, strawberry.argument(description="Page size, 1–100, from the start (or after `after`).")]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page (with `first`).")]
Last = Annotated[int | None, strawberry.argument(
    description="Page size, 1–100, from the end (or before `before`); instead of `first`.")]
Before = Annotated[str | None, strawberry.argument(description="`startCursor` of the next page (with `last`).")]


class Page(NamedTuple):
    """Which page a connection field asks for: `size` items after `cursor` (forward, `first`/`after`)
    or before it (backward, `last`/`before`), in the list's own order either way. A tuple: made for every
    nested connection of a dashboard page and part of loader keys, so built and hashed in C."""

    size: int
    cursor: str | None
    backward: bool

    @property
    def argument(self) -> str:
        """The name of the argument the cursor came in (for error messages)."""
        return "before" if self.backward else "after"


def page_of(first: int | None, after: str | None, last: int | None = None, before: str | None = None) -> Page:
    """The page asked for; a clear error for a missing, out-of-range or mixed combination. An empty
    cursor is no cursor (the start, or the end, of the list)."""
    if (first is None) == (last is None):
        raise ClientError("Give exactly one of `first` (with `after`) and `last` (with `before`).")
    if first is not None:
        if before is not None:
            raise ClientError("`before` goes with `last`, not `first`.")
        check_first(first)
        return Page(first, after or None, False)
    assert last is not None
    if after is not None:
        raise ClientError("`after` goes with `first`, not `last`.")
    if last < 1 or last > MAX_PAGE:
        raise ClientError(f"`last` must be between 1 and {MAX_PAGE} (got {last})")
    return Page(last, before or None, True)


def check_first(first: int) -> None:
    if first < 1 or first > MAX_PAGE:
        raise ClientError(f"`first` must be between 1 and {MAX_PAGE} (got {first})")
