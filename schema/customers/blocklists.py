"""Blocklist entries: attribute values refused during payments."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.common import Node, UserError

if TYPE_CHECKING:
    from schema.customers.customers import Customer


@strawberry.enum(description="What a blocklist entry's value is.")
class BlocklistType(enum.Enum):
    CUSTOMER_ID = strawberry.enum_value("CUSTOMER_ID", description="A customer id.")
    EMAIL = strawberry.enum_value("EMAIL", description="An email address (case-insensitive).")
    EMAIL_DOMAIN = strawberry.enum_value(
        "EMAIL_DOMAIN", description="Every address at a domain, e.g. `spam.example`."
    )
    FINGERPRINT = strawberry.enum_value(
        "FINGERPRINT", description="A payment instrument's fingerprint (same card anywhere)."
    )
    PAYMENT_CARD = strawberry.enum_value(
        "PAYMENT_CARD", description="One payment card instrument, by id (`inst_…`)."
    )
    BANK_ACCOUNT = strawberry.enum_value(
        "BANK_ACCOUNT", description="One bank account instrument, by id (`inst_…`)."
    )
    BIN = strawberry.enum_value("BIN", description="Card BIN: the first 6 digits.")
    IP_ADDRESS = strawberry.enum_value("IP_ADDRESS", description="An IPv4 or IPv6 address.")
    COUNTRY = strawberry.enum_value("COUNTRY", description="ISO 3166-1 alpha-2 country (of the address).")
    ADDRESS = strawberry.enum_value(
        "ADDRESS", description="A postal address as free text (compared case-insensitively)."
    )


@strawberry.enum(description="Where a blocklist entry came from.")
class BlocklistSource(enum.Enum):
    MANUAL = strawberry.enum_value("MANUAL", description="Added by hand (`blocklistEntryAdd`).")
    CUSTOMER_BLOCK = strawberry.enum_value("CUSTOMER_BLOCK", description="Added by `customerBlock`.")


@strawberry.type(description="A blocked value. It blocks until removed or until `expirationTime` passes.")
class BlocklistEntry(Node):
    type: BlocklistType = strawberry.field(description="What the value is.")
    value: str = strawberry.field(description="The blocked value, normalised.")
    expiration_time: datetime | None = strawberry.field(
        description="When it stops blocking; null: permanent."
    )
    is_active: bool = strawberry.field(description="Blocks now (not expired).")
    source: BlocklistSource = strawberry.field(description="How it was added.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer it was taken from, if any."
    )
    created_time: datetime = strawberry.field(description="When it was first added.")
    updated_time: datetime = strawberry.field(
        description="When it was last added again (expiration replaced)."
    )

    @classmethod
    def from_doc(cls, d: dict[str, Any], now: datetime) -> BlocklistEntry:
        exp = d.get("expirationTime")
        return cls(
            id=strawberry.ID(d["id"]),
            type=BlocklistType[d["type"]],
            value=d["value"],
            expiration_time=exp,
            is_active=exp is None or exp > now,
            source=BlocklistSource[d.get("source") or "MANUAL"],
            customer_id=strawberry.ID(d["customerId"]) if d.get("customerId") else None,
            created_time=d["createdTime"],
            updated_time=d.get("updatedTime") or d["createdTime"],
        )


@strawberry.input(description="A value to block.")
class BlocklistEntryAddInput:
    type: BlocklistType = strawberry.field(description="What the value is.")
    value: str = strawberry.field(description="The value; checked and normalised for its type.")
    expiration_time: datetime | None = strawberry.field(
        default=None, description="When it stops blocking (in the future); permanent when absent."
    )


@strawberry.input(description="The entry to remove (unblock).")
class BlocklistEntryRemoveInput:
    id: strawberry.ID = strawberry.field(description="The entry (`blkl_…`).")


@strawberry.input(description="Filters of the blocklist; all given filters must match.")
class BlocklistFilter:
    type: BlocklistType | None = strawberry.field(default=None, description="Entries of this type.")
    value: str | None = strawberry.field(
        default=None, description="Entries with exactly this (normalised) value."
    )
    include_expired: bool = strawberry.field(
        default=False, description="Also list entries that no longer block."
    )


@strawberry.enum(description="Which of a customer's attributes `customerBlock` blocklists.")
class CustomerBlockAttribute(enum.Enum):
    CUSTOMER_ID = strawberry.enum_value("CUSTOMER_ID", description="The customer's id.")
    EMAIL = strawberry.enum_value("EMAIL", description="Every email address of the customer.")
    EMAIL_DOMAIN = strawberry.enum_value("EMAIL_DOMAIN", description="The domains of the customer's emails.")
    FINGERPRINT = strawberry.enum_value("FINGERPRINT", description="The fingerprints of every instrument.")
    PAYMENT_CARD = strawberry.enum_value("PAYMENT_CARD", description="Every payment card instrument (by id).")
    BANK_ACCOUNT = strawberry.enum_value("BANK_ACCOUNT", description="Every bank account instrument (by id).")
    BIN = strawberry.enum_value("BIN", description="The BINs of the customer's cards.")
    COUNTRY = strawberry.enum_value("COUNTRY", description="The country of the customer's address.")
    IP_ADDRESS = strawberry.enum_value("IP_ADDRESS", description="The IP address of the lead source.")


@strawberry.input(description="The guide's *Block customer*: which attributes to blocklist, and until when.")
class CustomerBlockInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    attributes: list[CustomerBlockAttribute] = strawberry.field(
        description="Attributes to block (at least one)."
    )
    expiration_time: datetime | None = strawberry.field(
        default=None, description="When the entries stop blocking (in the future); permanent when absent."
    )


@strawberry.type(description="Result of `blocklistEntryAdd`.")
class BlocklistEntryAddPayload:
    blocklist_entry: BlocklistEntry | None = strawberry.field(
        description="The entry (the existing one when the value was already blocked); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `blocklistEntryRemove`.")
class BlocklistEntryRemovePayload:
    removed_blocklist_entry_id: strawberry.ID | None = strawberry.field(description="The removed entry's id.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `customerBlock`.")
class CustomerBlockPayload:
    customer: Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None = strawberry.field(
        description="The customer afterwards (`isBlocked`); null when refused."
    )
    blocklist_entries: list[BlocklistEntry] = strawberry.field(description="The entries created or renewed.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )
