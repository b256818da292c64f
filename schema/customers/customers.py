"""Customers and leads: the customer type, its inputs, filters and payloads."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from schema.activity.api_logs import ApiLogEntry, ApiLogFilter
from schema.activity.timeline import TimelineEvent, TimelineEventKind
from schema.billing.invoices import Invoice, InvoiceStatus
from schema.billing.orders import GROUP_STATUSES, Order, OrderStatus, SubscriptionGroup
from schema.common import (
    After,
    Before,
    Connection,
    First,
    Last,
    Linkable,
    Money,
    SortDirection,
    UserError,
    page_of,
)
from schema.customers.lead_sources import LeadSource
from schema.customers.tags import Tag
from schema.customers.tax_ids import TaxId
from schema.customers.websites import Website
from schema.money.transactions import Transaction, TransactionSegment
from schema.wallet.payment_instruments import PaymentInstrument, PaymentInstrumentDetailsInput

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.billing.coupons import CouponRedemption
    from schema.billing.credit_memos import CreditMemo
    from schema.billing.quotes import Quote
    from schema.compliance.aml import AmlCheck
    from schema.compliance.edd import CustomerEdd
    from schema.compliance.kyc import KycDocument
    from schema.tables.duplicates import PossibleDuplicate

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info  # the typed form is for type checkers; Strawberry only needs to see `Info`


@strawberry.type(description="A postal address.")
class Address:
    line1: str | None = strawberry.field(description="Address line 1.")
    line2: str | None = strawberry.field(description="Address line 2.")
    city: str | None = strawberry.field(description="City.")
    region: str | None = strawberry.field(description="Region, state or province.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code, e.g. `US`.")
    postal_code: str | None = strawberry.field(description="Postal or ZIP code.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Address:
        return cls(
            line1=d.get("line1"), line2=d.get("line2"), city=d.get("city"), region=d.get("region"),
            country=d.get("country"), postal_code=d.get("postalCode"),
        )


@strawberry.type(description="One of the customer's email addresses.")
class Email:
    value: str = strawberry.field(description="The address, normalised.")
    label: str = strawberry.field(description="Free label, e.g. `work`.")
    primary: bool = strawberry.field(description="The customer's main address; exactly one is primary.")


@strawberry.type(description="One of the customer's phone numbers.")
class PhoneNumber:
    value: str = strawberry.field(description="The number in E.164 form, e.g. `+14155550100`.")
    label: str = strawberry.field(description="Free label, e.g. `mobile`.")
    primary: bool = strawberry.field(description="The customer's main number; exactly one is primary.")


@strawberry.type(
    description="A person or company that buys from the organization. With no payment yet it is a *lead*."
)
class Customer(Linkable):
    website_id: strawberry.ID = strawberry.field(description="Website where the customer was acquired.")
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    organization: str | None = strawberry.field(description="The customer's company or organization.")
    job_title: str | None = strawberry.field(description="Job title.")
    date_of_birth: date | None = strawberry.field(description="Date of birth.")
    address: Address | None = strawberry.field(description="Primary postal address.")
    emails: list[Email] = strawberry.field(description="Email addresses; one is primary.")
    phone_numbers: list[PhoneNumber] = strawberry.field(description="Phone numbers; one is primary.")
    email: str | None = strawberry.field(description="The primary email address.")
    phone_number: str | None = strawberry.field(description="The primary phone number (E.164).")
    custom_fields: JSON = strawberry.field(description="Merchant-defined data (a JSON object).")
    is_lead: bool = strawberry.field(description="True while the customer has made no payment (the leads segment).")
    payment_count: int = strawberry.field(description="Number of approved payments.")
    last_payment_time: datetime | None = strawberry.field(description="Time of the last approved payment.")
    lifetime_revenue: list[Money] = strawberry.field(
        description="Approved payments less refunds: one entry per currency the customer has ever paid in, "
        "sorted by currency; `0.00` when everything was refunded; `[]` only when they never paid."
    )
    average_value: list[Money] = strawberry.field(description="Average approved payment, per currency.")
    created_time: datetime = strawberry.field(description="When the customer was added.")
    updated_time: datetime = strawberry.field(description="When the customer last changed.")
    revision: int = strawberry.field(description="Increases by one with every change; pass it as `expectedRevision`.")
    tax_ids: list[TaxId] = strawberry.field(description="Tax ID numbers; exactly one is the default when any exist.")
    lead_source: LeadSource | None = strawberry.field(description="Marketing attribution; null when never set.")
    # tables: merging duplicates
    merged_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Ids of duplicates merged into this customer; `customer(id)` and `node(id)` with one of them "
        "return this customer.",
    )
    _timeline_seq: strawberry.Private[int] = 0
    _default_instrument_id: strawberry.Private[str | None] = None
    _tag_names: strawberry.Private[list[str]] = dataclasses.field(default_factory=list)
    _block_values: strawberry.Private[dict[str, list[str]]] = dataclasses.field(default_factory=dict)

    # compliance
    @strawberry.field(description="Uploaded KYC documents, newest first (at most 100): *View uploaded KYC documents*.")
    async def kyc_documents(self, info: Info) -> list[Annotated[KycDocument, strawberry.lazy("schema.compliance.kyc")]]:
        return await info.context.loaders.kyc_documents_by_customer_id.load(str(self.id))

    @strawberry.field(description="Completed AML checks, newest first (at most 100): *View completed AML customer checks*.")
    async def aml_checks(self, info: Info) -> list[Annotated[AmlCheck, strawberry.lazy("schema.compliance.aml")]]:
        return await info.context.loaders.aml_checks_by_customer_id.load(str(self.id))

    @strawberry.field(description="Enhanced Due Diligence: required or not, scores, next search, search logs; null: never turned on.")
    async def edd(self, info: Info) -> Annotated[CustomerEdd, strawberry.lazy("schema.compliance.edd")] | None:
        return await info.context.loaders.edd_by_customer_id.load(str(self.id))

    @strawberry.field(description="Payment instruments, oldest first (deactivated ones too, unless excluded).")
    async def payment_instruments(
        self,
        info: Info,
        include_deactivated: Annotated[
            bool, strawberry.argument(description="Also list deactivated instruments.")
        ] = True,
    ) -> list[PaymentInstrument]:
        items = await info.context.loaders.payment_instruments_by_customer_id.load(str(self.id))
        return [i for i in items if include_deactivated or i.status.value != "DEACTIVATED"]

    @strawberry.field(description="The default (primary) instrument, used for autopay; null when none.")
    async def default_payment_instrument(self, info: Info) -> PaymentInstrument | None:
        if not self._default_instrument_id:
            return None
        # from the customer's list (batched with `paymentInstruments`), not one more query by id
        items = await info.context.loaders.payment_instruments_by_customer_id.load(str(self.id))
        return next((i for i in items if i.id == self._default_instrument_id), None)

    @strawberry.field(description="The customer's tags, by name.")
    async def tags(self, info: Info) -> list[Tag]:
        found = await info.context.loaders.tag_by_name.load_many(self._tag_names)
        return sorted((t for t in found if t is not None), key=lambda t: t.name.lower())

    @strawberry.field(
        description="True when a blocklist entry in force matches the customer's id, an email or its domain, "
        "the address country, the lead source IP, or any instrument (id, fingerprint, BIN)."
    )
    async def is_blocked(self, info: Info) -> bool:
        values = {k: list(v) for k, v in self._block_values.items()}
        for inst in await info.context.loaders.payment_instruments_by_customer_id.load(str(self.id)):
            for k, vals in inst._block_values.items():
                values.setdefault(k, []).extend(vals)
        return await info.context.is_blocked(values)

    # tables: duplicate suggestions
    @strawberry.field(
        description="Other customers that are likely the same person (shared email, phone, card fingerprint, or "
        "name with date of birth), best match first; `customersMergePreview` shows what merging them would do."
    )
    async def possible_duplicates(
        self, info: Info
    ) -> list[Annotated[PossibleDuplicate, strawberry.lazy("schema.tables.duplicates")]]:
        return await info.context.loaders.possible_duplicates_by_customer_id.load(str(self.id))

    @strawberry.field(description="The website where the customer was acquired.")
    async def website(self, info: Info) -> Website | None:
        return await info.context.loaders.website_by_id.load(str(self.website_id))

    @strawberry.field(description="Activity on this customer, newest first.")
    async def timeline(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        kinds: Annotated[
            list[TimelineEventKind] | None, strawberry.argument(description="Only events of these kinds.")
        ] = None,
    ) -> Connection[TimelineEvent]:
        page = page_of(first, after, last, before)
        return await info.context.timeline_connection(self.id, self._timeline_seq, page, kinds)

    @strawberry.field(description="API requests that touched this customer, newest first (*View log data*).")
    async def api_logs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[ApiLogFilter | None, strawberry.argument(description="Outcome, time.")] = None,
    ) -> Connection[ApiLogEntry]:
        page = page_of(first, after, last, before)
        return await info.context.api_log_connection(str(self.id), page, filter)

    @strawberry.field(
        description="The customer's payments by the guide's payment segments, newest first by default."
    )
    async def transactions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        segment: Annotated[
            TransactionSegment, strawberry.argument(description="SALES, DECLINED, REFUNDS, PAYOUTS or ALL.")
        ] = TransactionSegment.ALL,
        direction: Annotated[
            SortDirection, strawberry.argument(description="By creation time: DESC newest first (default).")
        ] = SortDirection.DESC,
    ) -> Connection[Transaction]:
        page = page_of(first, after, last, before)
        descending = direction == SortDirection.DESC
        return await info.context.transactions_connection(self.id, page, segment, descending)

    # billing (issue 11): the guide's subscription groups, orders and invoices of the customer page
    @strawberry.field(
        description="Subscriptions by the guide's groups (*Active*, *Pending*, *Past subscriptions*), newest first."
    )
    def subscriptions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            SubscriptionGroup | None, strawberry.argument(description="ACTIVE, PENDING or PAST; null: all.")
        ] = None,
    ) -> Connection[Order]:
        page = page_of(first, after, last, before)
        statuses = GROUP_STATUSES[status.name] if status is not None else []
        # the loader's future: resolved with the other customers' pages in one batch (no task per customer)
        return info.context.orders_connection(self.id, page, statuses, "SUBSCRIPTION")

    @strawberry.field(description="Orders of every type (subscriptions and one-time), newest first.")
    def orders(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        statuses: Annotated[
            list[OrderStatus] | None, strawberry.argument(description="Only these statuses; null: all.")
        ] = None,
    ) -> Connection[Order]:
        page = page_of(first, after, last, before)
        return info.context.orders_connection(self.id, page, [s.name for s in statuses or ()], None)

    @strawberry.field(description="Invoices, newest first (the guide's *Billing* segments by status).")
    def invoices(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        statuses: Annotated[
            list[InvoiceStatus] | None, strawberry.argument(description="Only these statuses; null: all.")
        ] = None,
    ) -> Connection[Invoice]:
        page = page_of(first, after, last, before)
        return info.context.invoices_connection(self.id, page, [s.name for s in statuses or ()])

    # billing III (issue 13): coupon redemptions, credit memos and the credit balance
    @strawberry.field(description="Coupons redeemed for the customer (active and canceled), oldest first.")
    async def coupon_redemptions(
        self, info: Info
    ) -> list[Annotated[CouponRedemption, strawberry.lazy("schema.billing.coupons")]]:
        return await info.context.loaders.coupon_redemptions_by_customer_id.load(str(self.id))

    @strawberry.field(description="Unused credit per currency: the sum of unused amounts of issued and partially "
                      "applied credit memos (currencies without credit are left out).")
    async def credit_balance(self, info: Info) -> list[Money]:
        return await info.context.loaders.credit_balance_by_customer_id.load(str(self.id))

    @strawberry.field(description="Credit memos, newest first.")
    async def credit_memos(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[Annotated[CreditMemo, strawberry.lazy("schema.billing.credit_memos")]]:
        return await info.context.credit_memos_connection(self.id, page_of(first, after, last, before))

    @strawberry.field(description="Quotes, newest first.")
    async def quotes(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[Annotated[Quote, strawberry.lazy("schema.billing.quotes")]]:
        return await info.context.quotes_connection(self.id, page_of(first, after, last, before))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Customer:
        dob = d.get("dob")
        revenue = d.get("revenue") or {}
        return cls(
            id=strawberry.ID(d["id"]),
            website_id=strawberry.ID(d["websiteId"]),
            first_name=d.get("firstName"),
            last_name=d.get("lastName"),
            organization=d.get("organization"),
            job_title=d.get("jobTitle"),
            date_of_birth=date.fromisoformat(dob) if dob else None,
            address=Address.from_doc(d["address"]) if d.get("address") else None,
            emails=[Email(value=e["value"], label=e["label"], primary=e["primary"]) for e in d.get("emails", ())],
            phone_numbers=[
                PhoneNumber(value=p["value"], label=p["label"], primary=p["primary"]) for p in d.get("phoneNumbers", ())
            ],
            email=d.get("email"),
            phone_number=d.get("phoneNumber"),
            custom_fields=JSON(d.get("customFields") or {}),
            is_lead=d.get("paymentCount", 0) == 0,
            payment_count=d.get("paymentCount", 0),
            last_payment_time=d.get("lastPaymentTime"),
            lifetime_revenue=[Money.from_minor(v["amount"], cur) for cur, v in sorted(revenue.items())],
            average_value=[
                Money.from_minor(v["paid"] // v["count"], cur) for cur, v in sorted(revenue.items()) if v.get("count")
            ],
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
            tax_ids=[TaxId.from_doc(t) for t in d.get("taxIds") or ()],
            lead_source=LeadSource.from_doc(d["leadSource"]) if d.get("leadSource") else None,
            merged_ids=list(d.get("mergedIds") or ()),
            _timeline_seq=d.get("timelineSeq", 0),
            _default_instrument_id=d.get("defaultPaymentInstrumentId"),
            _tag_names=list(d.get("tags") or ()),
            _block_values=block_values(d),
        )


def block_values(d: dict[str, Any]) -> dict[str, list[str]]:
    """The customer's own attribute values a blocklist entry can match (instruments add theirs)."""
    emails = list(d.get("emailsLower") or ())
    out: dict[str, list[str]] = {"CUSTOMER_ID": [d["id"]]}
    if emails:
        out["EMAIL"] = emails
        out["EMAIL_DOMAIN"] = sorted({e.rpartition("@")[2] for e in emails})
    country = (d.get("address") or {}).get("country")
    if country:
        out["COUNTRY"] = [country]
    ip = (d.get("leadSource") or {}).get("ipAddress")
    if ip:
        out["IP_ADDRESS"] = [ip]
    return out


# ---------------------------------------------------------------------------------------------- inputs


@strawberry.input(description="A postal address. Every field is optional.")
class AddressInput:
    line1: str | None = strawberry.field(default=None, description="Address line 1 (≤ 60).")
    line2: str | None = strawberry.field(default=None, description="Address line 2 (≤ 60).")
    city: str | None = strawberry.field(default=None, description="City (≤ 45).")
    region: str | None = strawberry.field(default=None, description="Region, state or province (≤ 45).")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code, e.g. `DE`.")
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code (≤ 10).")


@strawberry.input(description="An email address.")
class EmailInput:
    value: str = strawberry.field(description="The address.")
    label: str = strawberry.field(default="main", description="Free label (≤ 45).")
    primary: bool | None = strawberry.field(
        default=None,
        description="Make this the primary address. A single address is primary unless this is `false`; "
        "with several, exactly one must say `true`.",
    )


@strawberry.input(description="A phone number.")
class PhoneNumberInput:
    value: str = strawberry.field(
        description="The number, in international form (`+1 415 555 0100`) or national form with `address.country`."
    )
    label: str = strawberry.field(default="main", description="Free label (≤ 45).")
    primary: bool | None = strawberry.field(
        default=None, description="Make this the primary number (same rule as for emails)."
    )


@strawberry.input(description="Everything of the guide's *Add a customer* form.")
class CustomerCreateInput:
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Merchant-chosen unique id (≤ 50 of letters, digits, `@~-._`); generated (`cus_…`) when absent.",
    )
    website_id: strawberry.ID = strawberry.field(description="Website the customer belongs to.")
    first_name: str | None = strawberry.field(default=None, description="First name (≤ 45).")
    last_name: str | None = strawberry.field(default=None, description="Last name (≤ 45).")
    organization: str | None = strawberry.field(default=None, description="Organization (≤ 255).")
    job_title: str | None = strawberry.field(default=None, description="Job title (≤ 255).")
    date_of_birth: date | None = strawberry.field(default=None, description="Date of birth; not in the future.")
    address: AddressInput | None = strawberry.field(default=None, description="Primary address.")
    phone_numbers: list[PhoneNumberInput] | None = strawberry.field(default=None, description="Phone numbers (≤ 10).")
    emails: list[EmailInput] | None = strawberry.field(default=None, description="Email addresses (≤ 10).")
    custom_fields: JSON | None = strawberry.field(default=None, description="Merchant-defined data: a JSON object.")
    default_payment_instrument: PaymentInstrumentDetailsInput | None = strawberry.field(
        default=None,
        description="The form's *Default payment instrument* (with *Allow use as a backup method*): added to the "
        "customer and made its default.",
    )


@strawberry.input(
    description="A partial edit: fields left out stay as they are; `null` clears a field. "
    "Emails and phones can be replaced whole (`emails`) or edited (`emailsAdd`, `emailsRemove`, `primaryEmail`)."
)
class CustomerUpdateInput:
    id: strawberry.ID = strawberry.field(description="The customer to edit.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse the edit with `REVISION_CONFLICT` unless the customer is at this revision."
    )
    website_id: Maybe[strawberry.ID | None] = strawberry.field(
        default=None, description="Move to another website. A customer always has one: `null` is refused (`REQUIRED`)."
    )
    first_name: Maybe[str | None] = strawberry.field(default=None, description="First name (≤ 45).")
    last_name: Maybe[str | None] = strawberry.field(default=None, description="Last name (≤ 45).")
    organization: Maybe[str | None] = strawberry.field(default=None, description="Organization (≤ 255).")
    job_title: Maybe[str | None] = strawberry.field(default=None, description="Job title (≤ 255).")
    date_of_birth: Maybe[date | None] = strawberry.field(default=None, description="Date of birth.")
    address: Maybe[AddressInput | None] = strawberry.field(default=None, description="Replaces the whole address.")
    custom_fields: Maybe[JSON | None] = strawberry.field(default=None, description="Replaces the custom fields.")
    emails: Maybe[list[EmailInput] | None] = strawberry.field(
        default=None, description="Replaces every email (`null` or `[]`: removes them all)."
    )
    emails_add: list[EmailInput] | None = strawberry.field(default=None, description="Emails to add.")
    emails_remove: list[str] | None = strawberry.field(default=None, description="Emails to remove (by address).")
    primary_email: str | None = strawberry.field(default=None, description="Make this existing address primary.")
    phone_numbers: Maybe[list[PhoneNumberInput] | None] = strawberry.field(
        default=None, description="Replaces every phone (`null` or `[]`: removes them all)."
    )
    phone_numbers_add: list[PhoneNumberInput] | None = strawberry.field(default=None, description="Phones to add.")
    phone_numbers_remove: list[str] | None = strawberry.field(
        default=None, description="Phones to remove (any form that normalises to the stored E.164 value)."
    )
    primary_phone_number: str | None = strawberry.field(default=None, description="Make this existing number primary.")


@strawberry.type(description="Result of `customerCreate`.")
class CustomerCreatePayload:
    customer: Customer | None = strawberry.field(description="The new customer; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="Result of `customerUpdate`.")
class CustomerUpdatePayload:
    customer: Customer | None = strawberry.field(description="The customer after the edit; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


# ---------------------------------------------------------------------------------------------- lists


@strawberry.enum(description="The customer data table's segments.")
class CustomerSegment(enum.Enum):
    ALL = strawberry.enum_value("ALL", description="Everyone.")
    LEADS = strawberry.enum_value("LEADS", description="No payment yet.")
    CUSTOMERS = strawberry.enum_value("CUSTOMERS", description="One or more payments.")


@strawberry.enum(description="What to sort customers by; ties are broken by id.")
class CustomerSortField(enum.Enum):
    CREATED_TIME = strawberry.enum_value("CREATED_TIME", description="When the customer was added.")
    LAST_NAME = strawberry.enum_value("LAST_NAME", description="Last name, case-insensitive; empty first.")
    PAYMENT_COUNT = strawberry.enum_value("PAYMENT_COUNT", description="Number of approved payments.")


@strawberry.input(description="Sort order of a customer list.")
class CustomerSort:
    field: CustomerSortField = strawberry.field(default=CustomerSortField.CREATED_TIME, description="Sort key.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Direction.")


@strawberry.input(description="A time range; either end may be left open.")
class DateTimeRange:
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive start.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive end.")


@strawberry.input(description="Filters of the customer list; all given filters must match.")
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Words that start a first name, last name or email (case-insensitive)."
    )
    email: str | None = strawberry.field(default=None, description="Exact email (any of the customer's, case-insensitive).")
    country: str | None = strawberry.field(default=None, description="Country of the address (ISO alpha-2).")
    website_id: strawberry.ID | None = strawberry.field(default=None, description="Website.")
    created_time: DateTimeRange | None = strawberry.field(default=None, description="Creation time range.")
    tags: list[str] | None = strawberry.field(default=None, description="Has every one of these tags.")


CustomerConnection = Connection[Customer]
