"""Customer activity: the timeline event interface, one type per kind, and its connection.

Adding a kind is one small addition: an enum value in `TimelineEventKind`, a type implementing
`TimelineEvent` with its kind-specific fields, and one entry in `EVENT_TYPES`.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from schema.common import Connection, Money, Node

if TYPE_CHECKING:
    from schema.money.transactions import Transaction


@strawberry.enum(description="What happened on a customer's timeline.")
class TimelineEventKind(enum.Enum):
    CUSTOMER_CREATED = strawberry.enum_value("CUSTOMER_CREATED", description="The customer was added.")
    CUSTOMER_UPDATED = strawberry.enum_value("CUSTOMER_UPDATED", description="The customer's details were edited.")
    NOTE = strawberry.enum_value(
        "NOTE", description="A note by a user or integration; may mention users or Support and link objects."
    )
    NOTE_EDITED = strawberry.enum_value("NOTE_EDITED", description="A note was edited by its author.")
    NOTE_DELETED = strawberry.enum_value("NOTE_DELETED", description="A note was deleted by its author.")
    ATTACHMENT = strawberry.enum_value("ATTACHMENT", description="A file was attached, with a description.")
    ATTACHMENT_REMOVED = strawberry.enum_value("ATTACHMENT_REMOVED", description="An attachment was removed.")
    PAYMENT_APPROVED = strawberry.enum_value(
        "PAYMENT_APPROVED", description="A payment was approved or registered."
    )
    PAYMENT_DECLINED = strawberry.enum_value(
        "PAYMENT_DECLINED", description="A payment was declined (or timed out) at the gateway."
    )
    PAYMENT_BLOCKED = strawberry.enum_value(
        "PAYMENT_BLOCKED", description="A payment was refused by a blocklist; nothing was charged."
    )
    PAYMENT_LINK_CREATED = strawberry.enum_value(
        "PAYMENT_LINK_CREATED", description="A hosted payment form link was made for the customer."
    )
    TRANSACTION_REFUNDED = strawberry.enum_value(
        "TRANSACTION_REFUNDED", description="A sale was (partly) refunded."
    )
    TRANSACTION_VOIDED = strawberry.enum_value(
        "TRANSACTION_VOIDED", description="A sale was voided before settling."
    )
    PAYOUT_SENT = strawberry.enum_value(
        "PAYOUT_SENT", description="A payout (credit) was sent to the customer."
    )
    CUSTOMER_MERGED = strawberry.enum_value(
        "CUSTOMER_MERGED", description="A duplicate customer was merged into this one (its records moved here)."
    )
    PAYOUT_REQUEST_CREATED = strawberry.enum_value(
        "PAYOUT_REQUEST_CREATED", description="A payout request was made on the customer's behalf."
    )
    PAYOUT_REQUEST_CHANGED = strawberry.enum_value(
        "PAYOUT_REQUEST_CHANGED",
        description="A payout request changed status (confirmed, fulfilled, canceled).",
    )
    PAYMENT_INSTRUMENT_ADDED = strawberry.enum_value(
        "PAYMENT_INSTRUMENT_ADDED", description="A payment instrument was added to the customer."
    )
    PAYMENT_INSTRUMENT_UPDATED = strawberry.enum_value(
        "PAYMENT_INSTRUMENT_UPDATED",
        description="A payment instrument's expiry, billing address, backup flag or sticky gateway changed.",
    )
    PAYMENT_INSTRUMENT_DEACTIVATED = strawberry.enum_value(
        "PAYMENT_INSTRUMENT_DEACTIVATED", description="A payment instrument was deactivated (final)."
    )
    DEFAULT_PAYMENT_INSTRUMENT_CHANGED = strawberry.enum_value(
        "DEFAULT_PAYMENT_INSTRUMENT_CHANGED", description="The customer's default payment instrument changed."
    )
    CUSTOMER_TAGGED = strawberry.enum_value("CUSTOMER_TAGGED", description="Tags were added to the customer.")
    CUSTOMER_UNTAGGED = strawberry.enum_value("CUSTOMER_UNTAGGED", description="Tags were removed from the customer.")
    TAX_ID_CHANGED = strawberry.enum_value(
        "TAX_ID_CHANGED", description="A tax ID number was added, deleted or made the default."
    )
    LEAD_SOURCE_CHANGED = strawberry.enum_value("LEAD_SOURCE_CHANGED", description="The lead source was edited.")
    CUSTOMER_BLOCKED = strawberry.enum_value(
        "CUSTOMER_BLOCKED", description="Attributes of the customer were added to the blocklist."
    )
    # billing (issue 11)
    ORDER_CREATED = strawberry.enum_value("ORDER_CREATED", description="An order (subscription or one-time) was made.")
    ORDER_ACTIVATED = strawberry.enum_value(
        "ORDER_ACTIVATED", description="An order's initial invoice was paid: it is active (one-time: completed)."
    )
    ORDER_CANCELED = strawberry.enum_value("ORDER_CANCELED", description="A subscription was canceled.")
    ORDER_PAUSED = strawberry.enum_value("ORDER_PAUSED", description="A subscription was paused.")
    ORDER_RESUMED = strawberry.enum_value("ORDER_RESUMED", description="A paused subscription was resumed.")
    ORDER_VOIDED = strawberry.enum_value("ORDER_VOIDED", description="A pending order was voided.")
    ORDER_ITEMS_CHANGED = strawberry.enum_value("ORDER_ITEMS_CHANGED", description="A subscription's items changed.")
    INVOICE_ISSUED = strawberry.enum_value("INVOICE_ISSUED", description="An invoice was issued (or reissued).")
    INVOICE_PAID = strawberry.enum_value("INVOICE_PAID", description="An invoice was paid in full.")
    INVOICE_VOIDED = strawberry.enum_value("INVOICE_VOIDED", description="An invoice was voided.")
    INVOICE_EMAILED = strawberry.enum_value("INVOICE_EMAILED", description="An invoice was emailed to the customer.")
    INVOICE_PAYMENT_LINK_CREATED = strawberry.enum_value(  # billing (issue 11)
        "INVOICE_PAYMENT_LINK_CREATED", description="A hosted payment link was made for an invoice."
    )
    # billing clock (issue 12): what happens to orders and invoices at a time
    ORDER_RENEWED = strawberry.enum_value("ORDER_RENEWED", description="A subscription moved to its next period.")
    ORDER_COMPLETED = strawberry.enum_value(
        "ORDER_COMPLETED", description="A subscription with an invoice limit ended after its last period."
    )
    ORDER_ABANDONED = strawberry.enum_value(
        "ORDER_ABANDONED", description="A pending order was not activated by its abandon time."
    )
    ORDER_TRIAL_ENDED = strawberry.enum_value("ORDER_TRIAL_ENDED", description="A subscription's trial ended.")
    ORDER_TRIAL_CONVERTED = strawberry.enum_value(
        "ORDER_TRIAL_CONVERTED", description="The first invoice after a trial was paid."
    )
    ORDER_CHURNED = strawberry.enum_value(
        "ORDER_CHURNED", description="A subscription canceled at the end of its period reached its churn time."
    )
    ORDER_DELINQUENCY_REACHED = strawberry.enum_value(
        "ORDER_DELINQUENCY_REACHED", description="An invoice was unpaid at its delinquency time: the order was canceled."
    )
    ORDER_REACTIVATED = strawberry.enum_value(
        "ORDER_REACTIVATED", description="A canceled or churned subscription was reactivated."
    )
    ORDER_PAUSE_SCHEDULED = strawberry.enum_value(
        "ORDER_PAUSE_SCHEDULED", description="A pause of a subscription was scheduled."
    )
    INVOICE_PAST_DUE = strawberry.enum_value("INVOICE_PAST_DUE", description="An invoice was unpaid after its due time.")
    INVOICE_PAYMENT_DECLINED = strawberry.enum_value(
        "INVOICE_PAYMENT_DECLINED", description="An automatic payment attempt of an invoice was declined."
    )
    INVOICE_ABANDONED = strawberry.enum_value("INVOICE_ABANDONED", description="An invoice was abandoned with its order.")
    USAGE_REPORTED = strawberry.enum_value("USAGE_REPORTED", description="Usage of a metered order item was reported.")
    # links
    DEPOSIT_REQUEST_CREATED = strawberry.enum_value(
        "DEPOSIT_REQUEST_CREATED", description="A deposit request (hosted deposit page) was made for the customer."
    )
    DEPOSIT_REQUEST_CHANGED = strawberry.enum_value(
        "DEPOSIT_REQUEST_CHANGED",
        description="A deposit request changed status (opened, payment started, declined, completed, expired).",
    )
    CUSTOMER_LINK_CREATED = strawberry.enum_value(
        "CUSTOMER_LINK_CREATED", description="An instrument set-up or billing portal link was made for the customer."
    )
    CUSTOMER_LINK_USED = strawberry.enum_value(
        "CUSTOMER_LINK_USED",
        description="The customer changed something through a link's page (added a card, updated the address).",
    )
    # compliance
    KYC_REQUEST_CREATED = strawberry.enum_value("KYC_REQUEST_CREATED", description="KYC documents were requested.")
    KYC_REQUEST_CHANGED = strawberry.enum_value(
        "KYC_REQUEST_CHANGED", description="A KYC request changed status (attempted, partial, fulfilled, failed, …)."
    )
    KYC_DOCUMENT_UPLOADED = strawberry.enum_value(
        "KYC_DOCUMENT_UPLOADED", description="A KYC document was uploaded and analysed."
    )
    KYC_DOCUMENT_REVIEWED = strawberry.enum_value(
        "KYC_DOCUMENT_REVIEWED", description="A reviewer started reviewing, accepted or rejected a KYC document."
    )
    AML_CHECK_COMPLETED = strawberry.enum_value(
        "AML_CHECK_COMPLETED", description="The customer was screened against the AML watch list (sign-up, purchase, recurring)."
    )
    AML_CHECK_REVIEWED = strawberry.enum_value(
        "AML_CHECK_REVIEWED", description="An AML check's review started, stopped or was decided."
    )
    EDD_CHANGED = strawberry.enum_value("EDD_CHANGED", description="EDD was turned on or off for the customer.")
    EDD_SCORES_UPDATED = strawberry.enum_value("EDD_SCORES_UPDATED", description="EDD scores were set by hand.")
    EDD_SEARCH_PERFORMED = strawberry.enum_value(
        "EDD_SEARCH_PERFORMED", description="The monthly automatic EDD search ran (its logs are in `Customer.edd`)."
    )
    # billing III (issue 13): coupons, credit memos, quotes
    COUPON_REDEEMED = strawberry.enum_value("COUPON_REDEEMED", description="A coupon was redeemed for the customer.")
    COUPON_REDEMPTION_CANCELED = strawberry.enum_value(
        "COUPON_REDEMPTION_CANCELED", description="A coupon redemption was canceled."
    )
    COUPON_APPLIED = strawberry.enum_value("COUPON_APPLIED", description="A redeemed coupon discounted an invoice.")
    CREDIT_MEMO_CREATED = strawberry.enum_value("CREDIT_MEMO_CREATED", description="A credit memo was created.")
    CREDIT_MEMO_ISSUED = strawberry.enum_value("CREDIT_MEMO_ISSUED", description="A draft credit memo was issued.")
    CREDIT_MEMO_UPDATED = strawberry.enum_value("CREDIT_MEMO_UPDATED", description="A credit memo was edited.")
    CREDIT_MEMO_APPLIED = strawberry.enum_value(
        "CREDIT_MEMO_APPLIED", description="Part of a credit memo was allocated to an invoice."
    )
    CREDIT_MEMO_VOIDED = strawberry.enum_value("CREDIT_MEMO_VOIDED", description="A credit memo was voided.")
    QUOTE_CREATED = strawberry.enum_value("QUOTE_CREATED", description="A quote was created (DRAFT).")
    QUOTE_UPDATED = strawberry.enum_value("QUOTE_UPDATED", description="A draft quote was edited.")
    QUOTE_ISSUED = strawberry.enum_value("QUOTE_ISSUED", description="A quote was issued to the customer.")
    QUOTE_RECALLED = strawberry.enum_value("QUOTE_RECALLED", description="An issued quote was recalled to draft.")
    QUOTE_ACCEPTED = strawberry.enum_value("QUOTE_ACCEPTED", description="A quote was accepted.")
    QUOTE_REJECTED = strawberry.enum_value("QUOTE_REJECTED", description="A quote was rejected.")
    QUOTE_CANCELED = strawberry.enum_value("QUOTE_CANCELED", description="A quote was canceled.")
    QUOTE_EXPIRED = strawberry.enum_value("QUOTE_EXPIRED", description="An issued quote expired (scheduler).")


@strawberry.enum(description="Who made a change.")
class ActorType(enum.Enum):
    USER = strawberry.enum_value("USER", description="A person in the organization.")
    API_KEY = strawberry.enum_value("API_KEY", description="An integration using an API key.")
    SYSTEM = strawberry.enum_value("SYSTEM", description="The gateway itself.")


@strawberry.type(description="The user, API key or system process behind an event.")
class Actor:
    type: ActorType = strawberry.field(description="Kind of actor.")
    id: str | None = strawberry.field(description="Id of the user or API key; null for the system.")
    name: str = strawberry.field(description="Display name.")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Actor:
        return _actor(doc["type"], doc.get("id"), doc.get("name") or "")


# Name -> member lookups without `Enum.__getitem__`'s Python call (thousands per dashboard page).
ACTOR_TYPES = ActorType.__members__


@functools.lru_cache(maxsize=4096)
def _actor(type_name: str, actor_id: str | None, name: str) -> Actor:
    # One Actor per distinct author, shared by its events (read-only values): a dashboard page has
    # thousands of events by a handful of users and keys.
    return Actor(type=ACTOR_TYPES[type_name], id=actor_id, name=name)


@strawberry.interface(description="One entry of a customer's activity. Ask for kind-specific fields with fragments.")
class TimelineEvent(Node):
    kind: TimelineEventKind = strawberry.field(description="What happened.")
    occurred_time: datetime = strawberry.field(description="When it happened (UTC).")
    author: Actor = strawberry.field(description="Who did it.")
    message: str | None = strawberry.field(description="Human-readable summary or note text.")
    customer_id: strawberry.ID = strawberry.field(description="The customer whose timeline this is.")


EVENT_KINDS = TimelineEventKind.__members__
E = TypeVar("E", bound="TimelineEvent")


def _event(cls: Callable[..., E], doc: dict[str, Any], **kind_fields: Any) -> E:
    """An event of type `cls` from its document: the fields every event has, then its kind's own. The
    fields are passed by name here rather than from a dict of them, one allocation fewer per event (a
    dashboard page builds 2,000). Ids are plain `str` at run time (`strawberry.ID` is a NewType)."""
    return cls(
        id=doc["id"],
        kind=EVENT_KINDS[doc["kind"]],
        occurred_time=doc["time"],
        author=Actor.from_doc(doc["actor"]),
        message=doc.get("message"),
        customer_id=doc["customerId"],
        **kind_fields,
    )


@strawberry.type(description="The customer was added.")
class CustomerCreatedEvent(TimelineEvent):
    pass


@strawberry.type(description="The customer's details were edited.")
class CustomerUpdatedEvent(TimelineEvent):
    changed_fields: list[str] = strawberry.field(description="Names of the fields that changed (input names).")


def _money(doc: dict[str, Any]) -> Money:
    return Money.from_minor(doc["data"]["amountMinor"], doc["data"]["currency"])


async def _transaction(
    root: Any, info: strawberry.Info
) -> Annotated[Transaction, strawberry.lazy("schema.money.transactions")] | None:
    return await info.context.loaders.transaction_by_id.load(str(root.transaction_id))


def transaction_field(what: str) -> Any:
    """The event's transaction itself (batched), so the timeline can refund without a second request."""
    return strawberry.field(resolver=_transaction, description=f"{what} (`transactionId`), to read or refund it.")


@strawberry.type(description="A payment was approved (or registered as paid outside the gateway).")
class PaymentApprovedEvent(TimelineEvent):
    transaction_id: strawberry.ID = strawberry.field(description="The sale.")
    transaction = transaction_field("The sale")
    amount: Money = strawberry.field(description="Amount paid.")


@strawberry.type(description="A payment was declined or timed out at the gateway.")
class PaymentDeclinedEvent(TimelineEvent):
    transaction_id: strawberry.ID = strawberry.field(description="The declined sale.")
    transaction = transaction_field("The declined sale")
    amount: Money = strawberry.field(description="Amount attempted.")
    reason_code: str = strawberry.field(description="The gateway's code, e.g. `INSUFFICIENT_FUNDS`.")


@strawberry.type(description="A payment was refused because a blocklist entry matched; nothing was charged.")
class PaymentBlockedEvent(TimelineEvent):
    amount: Money = strawberry.field(description="Amount attempted.")
    blocklist_type: str = strawberry.field(description="The blocklist type that matched, e.g. `EMAIL`.")


@strawberry.type(description="A hosted payment form link was made.")
class PaymentLinkCreatedEvent(TimelineEvent):
    payment_link_id: strawberry.ID = strawberry.field(description="The link.")
    amount: Money = strawberry.field(description="Amount to pay.")


@strawberry.type(description="A sale was refunded, fully or partly.")
class TransactionRefundedEvent(TimelineEvent):
    transaction_id: strawberry.ID = strawberry.field(description="The sale.")
    transaction = transaction_field("The sale")
    refund_transaction_id: strawberry.ID = strawberry.field(description="The REFUND child transaction.")
    amount: Money = strawberry.field(description="Amount refunded.")


@strawberry.type(description="A sale was voided before it settled.")
class TransactionVoidedEvent(TimelineEvent):
    transaction_id: strawberry.ID = strawberry.field(description="The sale.")
    transaction = transaction_field("The sale")
    void_transaction_id: strawberry.ID = strawberry.field(description="The VOID child transaction.")
    amount: Money = strawberry.field(description="Amount voided.")


@strawberry.type(description="A payout was sent to the customer.")
class PayoutSentEvent(TimelineEvent):
    transaction_id: strawberry.ID = strawberry.field(description="The CREDIT transaction.")
    transaction = transaction_field("The CREDIT transaction (payouts cannot be refunded)")
    amount: Money = strawberry.field(description="Amount paid out.")
    request_id: str = strawberry.field(description="The merchant's payout request ID.")


@strawberry.type(description="A payout request was made on the customer's behalf.")
class PayoutRequestCreatedEvent(TimelineEvent):
    payout_request_id: strawberry.ID = strawberry.field(description="The payout request.")
    amount: Money = strawberry.field(description="Amount requested.")


@strawberry.type(description="A payout request changed status.")
class PayoutRequestChangedEvent(TimelineEvent):
    payout_request_id: strawberry.ID = strawberry.field(description="The payout request.")
    status: str = strawberry.field(description="Its new status, e.g. `READY`, `FULFILLED`, `CANCELED`.")


@strawberry.type(description="A deposit request was made for the customer.")
class DepositRequestCreatedEvent(TimelineEvent):
    deposit_request_id: strawberry.ID = strawberry.field(description="The deposit request.")
    currency: str = strawberry.field(description="Its currency.")


@strawberry.type(description="A deposit request changed status.")
class DepositRequestChangedEvent(TimelineEvent):
    deposit_request_id: strawberry.ID = strawberry.field(description="The deposit request.")
    status: str = strawberry.field(description="Its new status: `PENDING`, `INITIATED`, `ATTEMPTED`, `COMPLETED`, `EXPIRED`.")
    transaction_id: strawberry.ID | None = strawberry.field(description="The payment attempt, when there was one.")


@strawberry.type(description="A link was made for the customer: `INSTRUMENT_SETUP` or `BILLING_PORTAL`.")
class CustomerLinkCreatedEvent(TimelineEvent):
    link_id: strawberry.ID = strawberry.field(description="The link.")
    link_kind: str = strawberry.field(description="`INSTRUMENT_SETUP` or `BILLING_PORTAL`.")


@strawberry.type(description="The customer used a link's page.")
class CustomerLinkUsedEvent(TimelineEvent):
    link_id: strawberry.ID = strawberry.field(description="The link.")
    action: str = strawberry.field(description="`CARD_ADDED` or `ADDRESS_UPDATED`.")
    payment_instrument_id: strawberry.ID | None = strawberry.field(description="The card added, if any.")


@strawberry.type(description="EDD was turned on or off for the customer.")
class EddChangedEvent(TimelineEvent):
    required: bool = strawberry.field(description="Whether EDD is now required.")


@strawberry.type(description="EDD scores were set by hand.")
class EddScoresUpdatedEvent(TimelineEvent):
    scores: list[str] = strawberry.field(description="`factor:LIKELIHOOD` pairs, e.g. `arrest:UNLIKELY`.")


@strawberry.type(description="The monthly automatic EDD search ran.")
class EddSearchPerformedEvent(TimelineEvent):
    manual_kept: list[str] = strawberry.field(description="Factors whose manual score the search did not overwrite.")


@strawberry.type(description="The customer was screened against the AML watch list.")
class AmlCheckCompletedEvent(TimelineEvent):
    aml_check_id: strawberry.ID = strawberry.field(description="The AML check.")
    source: str = strawberry.field(description="`SIGN_UP`, `PURCHASE` or `RECURRING`.")
    status: str = strawberry.field(description="`NO_MATCH` or `PENDING_REVIEW`.")
    hit_count: int = strawberry.field(description="How many possible matches.")
    priority: str | None = strawberry.field(description="The highest priority among the hits.")


@strawberry.type(description="An AML check's review moved.")
class AmlCheckReviewedEvent(TimelineEvent):
    aml_check_id: strawberry.ID = strawberry.field(description="The AML check.")
    status: str = strawberry.field(description="Its status afterwards.")


@strawberry.type(description="KYC documents were requested from the customer.")
class KycRequestCreatedEvent(TimelineEvent):
    kyc_request_id: strawberry.ID = strawberry.field(description="The KYC request.")
    document_types: list[str] = strawberry.field(description="The document types asked for.")


@strawberry.type(description="A KYC request changed status.")
class KycRequestChangedEvent(TimelineEvent):
    kyc_request_id: strawberry.ID = strawberry.field(description="The KYC request.")
    status: str = strawberry.field(description="Its new status, e.g. `PARTIAL`, `FULFILLED`, `FAILED`.")


@strawberry.type(description="A KYC document was uploaded and analysed.")
class KycDocumentUploadedEvent(TimelineEvent):
    kyc_document_id: strawberry.ID = strawberry.field(description="The document.")
    document_type: str = strawberry.field(description="Its type, e.g. `IDENTITY_PROOF`.")
    status: str = strawberry.field(description="Its status after the analysis: `ACCEPTED`, `REJECTED` or `PENDING`.")


@strawberry.type(description="A reviewer acted on a KYC document.")
class KycDocumentReviewedEvent(TimelineEvent):
    kyc_document_id: strawberry.ID = strawberry.field(description="The document.")
    status: str = strawberry.field(description="Its status afterwards.")
    rejection_reason: str | None = strawberry.field(description="The rejection reason, when rejected.")


@strawberry.type(description="A payment instrument was added to the customer.")
class PaymentInstrumentAddedEvent(TimelineEvent):
    payment_instrument_id: strawberry.ID = strawberry.field(description="The new instrument.")
    summary: str = strawberry.field(description="What it is, e.g. `Visa •••• 4242`.")


@strawberry.type(description="A payment instrument's details changed.")
class PaymentInstrumentUpdatedEvent(TimelineEvent):
    payment_instrument_id: strawberry.ID = strawberry.field(description="The instrument.")
    changed_fields: list[str] = strawberry.field(description="What changed (input names).")


@strawberry.type(description="A payment instrument was deactivated.")
class PaymentInstrumentDeactivatedEvent(TimelineEvent):
    payment_instrument_id: strawberry.ID = strawberry.field(description="The instrument.")
    was_default: bool = strawberry.field(description="It was the default, which is now cleared.")


@strawberry.type(description="The customer's default payment instrument changed.")
class DefaultPaymentInstrumentChangedEvent(TimelineEvent):
    payment_instrument_id: strawberry.ID = strawberry.field(
        description="The new default. (A default cleared by deactivation shows as PAYMENT_INSTRUMENT_DEACTIVATED.)"
    )


@strawberry.type(description="Tags were added to the customer.")
class CustomerTaggedEvent(TimelineEvent):
    tags: list[str] = strawberry.field(description="Names of the added tags.")


@strawberry.type(description="Tags were removed from the customer.")
class CustomerUntaggedEvent(TimelineEvent):
    tags: list[str] = strawberry.field(description="Names of the removed tags.")


@strawberry.enum(description="How a tax ID changed.")
class TaxIdChange(enum.Enum):
    ADDED = strawberry.enum_value("ADDED", description="It was added.")
    DELETED = strawberry.enum_value("DELETED", description="It was deleted.")
    DEFAULT_SET = strawberry.enum_value("DEFAULT_SET", description="It became the default.")


@strawberry.type(description="A tax ID number was added, deleted or made the default.")
class TaxIdChangedEvent(TimelineEvent):
    change: TaxIdChange = strawberry.field(description="What happened to it.")
    tax_id_type: str = strawberry.field(description="Its type (a `TaxIdType` value).")
    value: str = strawberry.field(description="Its value.")


@strawberry.type(description="The customer's lead source was edited.")
class LeadSourceChangedEvent(TimelineEvent):
    changed_fields: list[str] = strawberry.field(description="Names of the fields that changed.")


@strawberry.type(description="Attributes of the customer were blocklisted.")
class CustomerBlockedEvent(TimelineEvent):
    blocklist_entry_ids: list[strawberry.ID] = strawberry.field(description="The blocklist entries created or renewed.")
    attributes: list[str] = strawberry.field(description="The blocked attribute types (`BlocklistType` values).")
    expiration_time: datetime | None = strawberry.field(description="When the entries expire; null: permanent.")


EVENT_TYPES: dict[str, Callable[[dict[str, Any]], TimelineEvent]] = {
    "CUSTOMER_CREATED": lambda d: _event(CustomerCreatedEvent, d),
    "CUSTOMER_UPDATED": lambda d: _event(CustomerUpdatedEvent, d, changed_fields=d["data"].get("changedFields", [])),
    "PAYMENT_INSTRUMENT_ADDED": lambda d: _event(PaymentInstrumentAddedEvent, d,
        payment_instrument_id=d["data"]["paymentInstrumentId"], summary=d["data"].get("summary", "")
    ),
    "PAYMENT_INSTRUMENT_UPDATED": lambda d: _event(PaymentInstrumentUpdatedEvent, d, payment_instrument_id=d["data"]["paymentInstrumentId"],
        changed_fields=d["data"].get("changedFields", []),
    ),
    "PAYMENT_INSTRUMENT_DEACTIVATED": lambda d: _event(PaymentInstrumentDeactivatedEvent, d,
        payment_instrument_id=d["data"]["paymentInstrumentId"], was_default=d["data"].get("wasDefault", False)
    ),
    "DEFAULT_PAYMENT_INSTRUMENT_CHANGED": lambda d: _event(DefaultPaymentInstrumentChangedEvent, d,
        payment_instrument_id=d["data"]["paymentInstrumentId"]
    ),
    "CUSTOMER_TAGGED": lambda d: _event(CustomerTaggedEvent, d, tags=d["data"].get("tags", [])),
    "CUSTOMER_UNTAGGED": lambda d: _event(CustomerUntaggedEvent, d, tags=d["data"].get("tags", [])),
    "TAX_ID_CHANGED": lambda d: _event(TaxIdChangedEvent, d,
        change=TaxIdChange[d["data"]["change"]], tax_id_type=d["data"]["type"], value=d["data"]["value"]
    ),
    "LEAD_SOURCE_CHANGED": lambda d: _event(LeadSourceChangedEvent, d, changed_fields=d["data"].get("changedFields", [])),
    "CUSTOMER_BLOCKED": lambda d: _event(CustomerBlockedEvent, d,
        blocklist_entry_ids=d["data"].get("entryIds", []), attributes=d["data"].get("attributes", []),
        expiration_time=d["data"].get("expirationTime"),
    ),
    "PAYMENT_APPROVED": lambda d: _event(PaymentApprovedEvent, d, transaction_id=strawberry.ID(d["data"]["transactionId"]), amount=_money(d)),
    "PAYMENT_DECLINED": lambda d: _event(PaymentDeclinedEvent, d, transaction_id=strawberry.ID(d["data"]["transactionId"]), amount=_money(d),
        reason_code=d["data"].get("code", "")),
    "PAYMENT_BLOCKED": lambda d: _event(PaymentBlockedEvent, d, amount=_money(d), blocklist_type=d["data"].get("blocklistType", "")),
    "PAYMENT_LINK_CREATED": lambda d: _event(PaymentLinkCreatedEvent, d, payment_link_id=strawberry.ID(d["data"]["paymentLinkId"]), amount=_money(d)),
    "TRANSACTION_REFUNDED": lambda d: _event(TransactionRefundedEvent, d, transaction_id=strawberry.ID(d["data"]["transactionId"]),
        refund_transaction_id=strawberry.ID(d["data"]["childTransactionId"]), amount=_money(d)),
    "TRANSACTION_VOIDED": lambda d: _event(TransactionVoidedEvent, d, transaction_id=strawberry.ID(d["data"]["transactionId"]),
        void_transaction_id=strawberry.ID(d["data"]["childTransactionId"]), amount=_money(d)),
    "PAYOUT_SENT": lambda d: _event(PayoutSentEvent, d, transaction_id=strawberry.ID(d["data"]["transactionId"]), amount=_money(d),
        request_id=d["data"].get("requestId", "")),
    "PAYOUT_REQUEST_CREATED": lambda d: _event(PayoutRequestCreatedEvent, d,
        payout_request_id=strawberry.ID(d["data"]["payoutRequestId"]), amount=_money(d)),
    "PAYOUT_REQUEST_CHANGED": lambda d: _event(PayoutRequestChangedEvent, d, payout_request_id=strawberry.ID(d["data"]["payoutRequestId"]),
        status=d["data"].get("status", "")),
    "DEPOSIT_REQUEST_CREATED": lambda d: _event(DepositRequestCreatedEvent, d,
        deposit_request_id=strawberry.ID(d["data"]["depositRequestId"]), currency=d["data"]["currency"]),
    "DEPOSIT_REQUEST_CHANGED": lambda d: _event(DepositRequestChangedEvent, d,
        deposit_request_id=strawberry.ID(d["data"]["depositRequestId"]), status=d["data"]["status"],
        transaction_id=d["data"].get("transactionId")),
    "CUSTOMER_LINK_CREATED": lambda d: _event(CustomerLinkCreatedEvent, d,
        link_id=strawberry.ID(d["data"]["linkId"]), link_kind=d["data"]["linkKind"]),
    "KYC_REQUEST_CREATED": lambda d: _event(KycRequestCreatedEvent, d, kyc_request_id=strawberry.ID(d["data"]["kycRequestId"]),
        document_types=d["data"].get("documentTypes", [])),
    "KYC_REQUEST_CHANGED": lambda d: _event(KycRequestChangedEvent, d, kyc_request_id=strawberry.ID(d["data"]["kycRequestId"]),
        status=d["data"]["status"]),
    "KYC_DOCUMENT_UPLOADED": lambda d: _event(KycDocumentUploadedEvent, d, kyc_document_id=strawberry.ID(d["data"]["kycDocumentId"]),
        document_type=d["data"]["documentType"], status=d["data"]["status"]),
    "AML_CHECK_COMPLETED": lambda d: _event(AmlCheckCompletedEvent, d, aml_check_id=strawberry.ID(d["data"]["amlCheckId"]),
        source=d["data"]["source"], status=d["data"]["status"], hit_count=d["data"]["hitCount"], priority=d["data"].get("priority")),
    "EDD_CHANGED": lambda d: _event(EddChangedEvent, d, required=d["data"]["required"]),
    "EDD_SCORES_UPDATED": lambda d: _event(EddScoresUpdatedEvent, d, scores=[f"{k}:{v}" for k, v in d["data"]["scores"].items()]),
    "EDD_SEARCH_PERFORMED": lambda d: _event(EddSearchPerformedEvent, d, manual_kept=d["data"].get("manualKept", [])),
    "AML_CHECK_REVIEWED": lambda d: _event(AmlCheckReviewedEvent, d, aml_check_id=strawberry.ID(d["data"]["amlCheckId"]),
        status=d["data"]["status"]),
    "KYC_DOCUMENT_REVIEWED": lambda d: _event(KycDocumentReviewedEvent, d, kyc_document_id=strawberry.ID(d["data"]["kycDocumentId"]),
        status=d["data"]["status"], rejection_reason=d["data"].get("reason")),
    "CUSTOMER_LINK_USED": lambda d: _event(CustomerLinkUsedEvent, d,
        link_id=strawberry.ID(d["data"]["linkId"]), action=d["data"]["action"],
        payment_instrument_id=d["data"].get("paymentInstrumentId")),
}

# Every concrete event type, for the schema's `types=` (interfaces' implementations must be listed).
EVENT_CLASSES: list[type] = [
    CustomerCreatedEvent, CustomerUpdatedEvent, PaymentInstrumentAddedEvent, PaymentInstrumentUpdatedEvent,
    PaymentInstrumentDeactivatedEvent, DefaultPaymentInstrumentChangedEvent, CustomerTaggedEvent, CustomerUntaggedEvent,
    TaxIdChangedEvent, LeadSourceChangedEvent, CustomerBlockedEvent,
    PaymentApprovedEvent, PaymentDeclinedEvent, PaymentBlockedEvent, PaymentLinkCreatedEvent,
    TransactionRefundedEvent, TransactionVoidedEvent, PayoutSentEvent, PayoutRequestCreatedEvent,
    PayoutRequestChangedEvent, DepositRequestCreatedEvent, DepositRequestChangedEvent, CustomerLinkCreatedEvent,
    CustomerLinkUsedEvent, KycRequestCreatedEvent, KycRequestChangedEvent, KycDocumentUploadedEvent, KycDocumentReviewedEvent,
    AmlCheckCompletedEvent, AmlCheckReviewedEvent, EddChangedEvent, EddScoresUpdatedEvent, EddSearchPerformedEvent,
]


def event_from_doc(doc: dict[str, Any]) -> TimelineEvent:
    return EVENT_TYPES[doc["kind"]](doc)


TimelineEventConnection = Connection[TimelineEvent]
