"""Blocklists: list, add, remove entries, and the guide's *Block customer*."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import INPUT, Info, forget, now
from resolvers.customers.customers import check_customer_id
from resolvers.customers.lead_sources import ip_address
from resolvers.pagination import encode_cursor, position
from resolvers.validation import Path
from schema.common import After, Before, ClientError, Connection, Edge, First, Last, Problems, UserErrorCode, page_of
from schema.customers.blocklists import (
    BlocklistEntry,
    BlocklistEntryAddInput,
    BlocklistEntryAddPayload,
    BlocklistEntryRemoveInput,
    BlocklistEntryRemovePayload,
    BlocklistFilter,
    CustomerBlockInput,
    CustomerBlockPayload,
)
from schema.customers.customers import Customer
from store.activity import timeline
from store.customers import blocklists, customers
from store.ids import type_of_id
from store.wallet import payment_instruments as pi

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_VALUE = 255


def normalise(problems: Problems, path: Path, kind: str, value: str) -> str:
    """Checks a value for its type and returns it as entries store it (the form `find_blocked` matches)."""
    raw = v.clean_text(problems, path, value.strip())  # no control characters, no card numbers stored
    if not raw:
        problems.add(path, "is required", UserErrorCode.REQUIRED)
        return raw
    if kind == "EMAIL":
        return v.email(problems, path, raw).lower()
    if kind == "EMAIL_DOMAIN":
        domain = raw.lower().lstrip("@")
        if not DOMAIN_RE.fullmatch(domain):
            problems.add(path, f"{raw!r} is not a domain name", UserErrorCode.INVALID)
        return domain
    if kind == "IP_ADDRESS":
        return ip_address(problems, path, raw) or raw
    if kind == "COUNTRY":
        return v.country(problems, path, raw) or raw
    if kind == "BIN":
        if not (raw.isdigit() and len(raw) == 6):
            problems.add(path, "a BIN is the first 6 digits of a card number", UserErrorCode.INVALID)
        return raw
    if kind == "FINGERPRINT":
        if not FINGERPRINT_RE.fullmatch(raw.lower()):
            problems.add(
                path,
                "is not a fingerprint (64 hex digits, as `PaymentInstrument.fingerprint`)",
                UserErrorCode.INVALID,
            )
        return raw.lower()
    if kind in ("PAYMENT_CARD", "BANK_ACCOUNT"):
        if type_of_id(raw) != "PaymentInstrument":
            problems.add(
                path, f"{raw} is not a payment instrument id (`inst_…`)", UserErrorCode.WRONG_ID_TYPE
            )
        return raw
    if kind == "CUSTOMER_ID":
        check_customer_id(problems, path, raw)
        return raw
    if len(raw) > MAX_VALUE:
        problems.add(path, f"is {len(raw)} characters long; the limit is {MAX_VALUE}", UserErrorCode.TOO_LONG)
    return " ".join(raw.lower().split())


def expiration(problems: Problems, path: Path, value: datetime | None, t: datetime) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        problems.add(path, "give a time zone (e.g. `Z`)", UserErrorCode.INVALID)
        return None
    if value <= t:
        problems.add(path, "is not in the future", UserErrorCode.DATE_IN_PAST)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


@strawberry.type
class BlocklistQueries:
    @strawberry.field(
        description="The organization's blocklist, newest first; entries in force unless `includeExpired`."
    )
    async def blocklist_entries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            BlocklistFilter | None, strawberry.argument(description="Filters; all must match.")
        ] = None,
    ) -> Connection[BlocklistEntry]:
        page = page_of(first, after, last, before)
        ctx = info.context
        f = filter or BlocklistFilter()
        t = now()
        value = None
        if f.value is not None:
            problems = Problems()
            value = (
                normalise(problems, ["filter", "value"], f.type.name, f.value) if f.type else f.value.strip()
            )
            if problems:
                raise ClientError(problems.errors[0].message)
        at = position(page, "CREATED_TIME", datetime)
        docs, has_next = await blocklists.list_page(
            ctx.org,
            at,
            page.size,
            entry_type=f.type.name if f.type else None,
            value=value,
            include_expired=f.include_expired,
            now=t,
            backward=page.backward,
        )
        edges = [
            Edge(
                cursor=encode_cursor("CREATED_TIME", d["createdTime"], d["id"]),
                node=BlocklistEntry.from_doc(d, t),
            )
            for d in docs
        ]

        async def total() -> int:
            return await ctx.org[blocklists.COLLECTION].count(
                {} if f.include_expired else blocklists.active_filter(t)
            )

        return Connection.build(edges, page=page, has_next=has_next, count=total)


def _attribute_values(attr: str, customer: dict[str, Any], instruments: list[dict[str, Any]]) -> list[str]:
    emails = list(customer.get("emailsLower") or ())
    if attr == "CUSTOMER_ID":
        return [customer["id"]]
    if attr == "EMAIL":
        return emails
    if attr == "EMAIL_DOMAIN":
        return sorted({e.rpartition("@")[2] for e in emails})
    if attr == "COUNTRY":
        country = (customer.get("address") or {}).get("country")
        return [country] if country else []
    if attr == "IP_ADDRESS":
        ip = (customer.get("leadSource") or {}).get("ipAddress")
        return [ip] if ip else []
    if attr == "FINGERPRINT":
        return sorted({i["fingerprint"] for i in instruments if i.get("fingerprint")})
    if attr == "BIN":
        return sorted({i["card"]["bin"] for i in instruments if i.get("card")})
    if attr == "PAYMENT_CARD":
        return [i["id"] for i in instruments if i["method"] == "PAYMENT_CARD"]
    return [i["id"] for i in instruments if i["method"] == "BANK_ACCOUNT"]


@strawberry.type
class BlocklistMutations:
    @mutation(
        "Adds a value to the blocklist. Adding a listed value again keeps one entry, "
        "replacing its expiration."
    )
    async def blocklist_entry_add(
        self, info: Info, input: Annotated[BlocklistEntryAddInput, INPUT]
    ) -> BlocklistEntryAddPayload:
        ctx = info.context
        problems = Problems()
        t = now()
        value = normalise(problems, ["value"], input.type.name, input.value)
        exp = expiration(problems, ["expirationTime"], input.expiration_time, t)
        if problems:
            return BlocklistEntryAddPayload(blocklist_entry=None, user_errors=problems.errors)
        doc = await blocklists.add(ctx.org, input.type.name, value, exp, t)
        ctx.loaders.blocklist_entries_by_attribute.clear_all()
        return BlocklistEntryAddPayload(blocklist_entry=BlocklistEntry.from_doc(doc, t), user_errors=[])

    @mutation("Removes an entry from the blocklist (unblocks the value).")
    async def blocklist_entry_remove(
        self, info: Info, input: Annotated[BlocklistEntryRemoveInput, INPUT]
    ) -> BlocklistEntryRemovePayload:
        ctx = info.context
        problems = Problems()
        eid = str(input.id)
        kind = type_of_id(eid)
        if kind != "BlocklistEntry":
            problems.add(["id"], f"{eid} is not a blocklist entry id (`blkl_…`)", UserErrorCode.WRONG_ID_TYPE)
        elif await blocklists.remove(ctx.org, eid) is None:
            problems.add(["id"], f"no blocklist entry {eid} in this organization", UserErrorCode.NOT_FOUND)
        if problems:
            return BlocklistEntryRemovePayload(removed_blocklist_entry_id=None, user_errors=problems.errors)
        ctx.loaders.blocklist_entries_by_attribute.clear_all()
        return BlocklistEntryRemovePayload(removed_blocklist_entry_id=input.id, user_errors=[])

    @mutation(
        "Blocks a customer (*Block customer*): blocklists the chosen attributes (its id, emails, "
        "instruments' fingerprints, country ...) until `expirationTime`, or for good."
    )
    async def customer_block(
        self, info: Info, input: Annotated[CustomerBlockInput, INPUT]
    ) -> CustomerBlockPayload:
        ctx = info.context
        problems = Problems()
        t = now()
        cid = str(input.customer_id)
        exp = expiration(problems, ["expirationTime"], input.expiration_time, t)
        if not input.attributes:
            problems.add(["attributes"], "choose at least one attribute", UserErrorCode.REQUIRED)
        customer = None
        if check_customer_id(problems, ["customerId"], cid):
            customer = await customers.get(ctx.org, cid)
            if customer is None:
                problems.add(
                    ["customerId"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND
                )
        wanted: list[tuple[str, str]] = []
        if customer is not None:
            instruments = (await pi.by_customers(ctx.org, [cid]))[0]
            for i, attr in enumerate(dict.fromkeys(a.name for a in input.attributes)):
                values = _attribute_values(attr, customer, instruments)
                if not values:
                    problems.add(
                        ["attributes", i],
                        f"the customer has no {attr.lower().replace('_', ' ')} to block",
                        UserErrorCode.NOTHING_TO_BLOCK,
                    )
                wanted += [(attr, val) for val in values]
        if problems or customer is None:
            return CustomerBlockPayload(customer=None, blocklist_entries=[], user_errors=problems.errors)
        entries = [
            await blocklists.add(ctx.org, kind, val, exp, t, customer_id=cid, source="CUSTOMER_BLOCK")
            for kind, val in wanted
        ]
        attrs = list(dict.fromkeys(a.name for a in input.attributes))
        await timeline.record(
            ctx.org,
            cid,
            "CUSTOMER_BLOCKED",
            ctx.actor(),
            t,
            {"entryIds": [e["id"] for e in entries], "attributes": attrs, "expirationTime": exp},
            "Blocked " + ", ".join(a.lower().replace("_", " ") for a in attrs),
        )
        ctx.loaders.blocklist_entries_by_attribute.clear_all()
        forget(ctx.loaders.customer_by_id, cid)
        ctx.touched_customers.add(cid)
        updated = await customers.get(ctx.org, cid) or customer
        return CustomerBlockPayload(
            customer=Customer.from_doc(updated),
            blocklist_entries=[BlocklistEntry.from_doc(e, t) for e in entries],
            user_errors=[],
        )
