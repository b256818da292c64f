"""A customer's tax ID numbers: add (checked with python-stdnum), delete, set default."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Annotated, Any

import strawberry
from stdnum import exceptions as stdnum_errors
from stdnum.au import abn
from stdnum.br import cnpj
from stdnum.ca import bn
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.in_ import gstin
from stdnum.mx import rfc
from stdnum.no import mva
from stdnum.us import ein

from resolvers.auth import mutation
from resolvers.context import INPUT, Context, Info, forget, now
from resolvers.customers.customers import check_customer_id
from schema.common import Problems, UserError, UserErrorCode
from schema.customers.customers import Customer
from schema.customers.tax_ids import (
    CustomerTaxIdAddInput,
    CustomerTaxIdAddPayload,
    CustomerTaxIdDeletePayload,
    CustomerTaxIdInput,
    CustomerTaxIdSetDefaultPayload,
)
from store.activity import timeline
from store.customers import customers
from store.customers import tax_ids as store
from store.errors import NotFound, RevisionConflict

MAX_OTHER = 64
MAX_RETRIES = 5

VALIDATORS: dict[str, ModuleType] = {
    "EU_VAT": eu_vat,
    "GB_VAT": gb_vat,
    "CH_VAT": ch_vat,
    "NO_VAT": mva,
    "US_EIN": ein,
    "CA_BN": bn,
    "AU_ABN": abn,
    "IN_GSTIN": gstin,
    "BR_CNPJ": cnpj,
    "MX_RFC": rfc,
}


def tax_value(problems: Problems, path: list[str | int], kind: str, value: str) -> str:
    """The normalised number; checked when python-stdnum has a validator for the kind."""
    raw = value.strip()
    if not raw:
        problems.add(path, "is required", UserErrorCode.REQUIRED)
        return raw
    module = VALIDATORS.get(kind)
    if module is None:
        if len(raw) > MAX_OTHER:
            problems.add(
                path, f"is {len(raw)} characters long; the limit is {MAX_OTHER}", UserErrorCode.TOO_LONG
            )
        return raw
    try:
        return str(module.validate(raw))
    except (stdnum_errors.ValidationError, ValueError) as exc:
        problems.add(
            path, f"{raw!r} is not a valid {kind} number: {exc}", UserErrorCode.INVALID_TAX_ID
        )
        return _compact(module, raw)


def _compact(module: ModuleType, raw: str) -> str:
    """The number without separators, for comparing with stored ones. python-stdnum's `compact`
    raises too on some invalid input (an unknown EU country prefix, `XX123`): then the raw text."""
    if len(raw) > MAX_OTHER:
        return raw
    try:
        return str(module.compact(raw))
    except (stdnum_errors.ValidationError, ValueError):
        return raw


Change = Callable[[Problems, list[dict[str, Any]]], tuple[list[dict[str, Any]], dict[str, str] | None]]


async def _apply(
    ctx: Context, cid: str, expected_revision: int | None, change: Change
) -> tuple[Customer | None, list[UserError]]:
    """Reads the customer, computes its new tax ID list and stores it under the revision it read
    (retrying when someone else changed the customer meanwhile); records TAX_ID_CHANGED."""
    for _ in range(MAX_RETRIES):
        problems = Problems()
        if not check_customer_id(problems, ["customerId"], cid):
            return None, problems.errors
        doc = await customers.get(ctx.org, cid)
        if doc is None:
            problems.add(["customerId"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND)
            return None, problems.errors
        if expected_revision is not None and expected_revision != doc["revision"]:
            problems.add(
                ["expectedRevision"],
                f"the customer is at revision {doc['revision']}",
                UserErrorCode.REVISION_CONFLICT,
            )
        items, event = change(problems, list(doc.get("taxIds") or ()))
        if problems:
            return None, problems.errors
        if event is None:
            return Customer.from_doc(doc), []
        t = now()
        try:
            updated = await store.replace(ctx.org, cid, doc["revision"], items, t)
        except RevisionConflict:
            if expected_revision is not None:
                problems.add(
                    ["expectedRevision"], "the customer changed meanwhile", UserErrorCode.REVISION_CONFLICT
                )
                return None, problems.errors
            continue
        except NotFound:
            problems.add(["customerId"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND)
            return None, problems.errors
        await timeline.insert(
            ctx.org,
            timeline.event_doc(
                cid,
                updated["timelineSeq"],
                "TAX_ID_CHANGED",
                ctx.actor(),
                t,
                event,
                f"Tax ID {event['value']}: {event['change'].lower().replace('_', ' ')}",
            ),
        )
        forget(ctx.loaders.customer_by_id, cid)
        ctx.touched_customers.add(cid)
        return Customer.from_doc(updated), []
    raise RuntimeError(f"customer {cid} kept changing during {MAX_RETRIES} attempts")


def _find(problems: Problems, items: list[dict[str, Any]], kind: str, value: str) -> int | None:
    key = tax_value(Problems(), ["value"], kind, value)
    for n, item in enumerate(items):
        if item["type"] == kind and item["value"] == key:
            return n
    problems.add(["value"], f"the customer has no {kind} number {value.strip()!r}", UserErrorCode.NOT_FOUND)
    return None


@strawberry.type
class TaxIdMutations:
    @mutation("Adds a tax ID number to a customer (*Add tax ID number*); the first one becomes the default.")
    async def customer_tax_id_add(
        self, info: Info, input: Annotated[CustomerTaxIdAddInput, INPUT]
    ) -> CustomerTaxIdAddPayload:
        kind = input.type.name

        def change(
            problems: Problems, items: list[dict[str, Any]]
        ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
            value = tax_value(problems, ["value"], kind, input.value)
            if any(i["type"] == kind and i["value"] == value for i in items):
                problems.add(
                    ["value"], f"the customer already has {kind} number {value}", UserErrorCode.ALREADY_EXISTS
                )
            if len(items) >= store.MAX_PER_CUSTOMER:
                problems.add(
                    ["value"],
                    f"a customer has at most {store.MAX_PER_CUSTOMER} tax IDs",
                    UserErrorCode.TOO_MANY,
                )
            items = [*items, {"type": kind, "value": value, "isDefault": False}]
            return (
                store.with_one_default(items, len(items) - 1 if input.is_default else None),
                {"change": "ADDED", "type": kind, "value": value},
            )

        customer, errors = await _apply(info.context, str(input.customer_id), input.expected_revision, change)
        return CustomerTaxIdAddPayload(customer=customer, user_errors=errors)

    @mutation(
        "Deletes a tax ID number; when it was the default, the first remaining one becomes the default."
    )
    async def customer_tax_id_delete(
        self, info: Info, input: Annotated[CustomerTaxIdInput, INPUT]
    ) -> CustomerTaxIdDeletePayload:
        kind = input.type.name

        def change(
            problems: Problems, items: list[dict[str, Any]]
        ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
            n = _find(problems, items, kind, input.value)
            if n is None:
                return items, None
            gone = items[n]
            rest = items[:n] + items[n + 1 :]
            return store.with_one_default(rest), {"change": "DELETED", "type": kind, "value": gone["value"]}

        customer, errors = await _apply(info.context, str(input.customer_id), input.expected_revision, change)
        return CustomerTaxIdDeletePayload(customer=customer, user_errors=errors)

    @mutation("Makes a tax ID number the default (printed on invoices).")
    async def customer_tax_id_set_default(
        self, info: Info, input: Annotated[CustomerTaxIdInput, INPUT]
    ) -> CustomerTaxIdSetDefaultPayload:
        kind = input.type.name

        def change(
            problems: Problems, items: list[dict[str, Any]]
        ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
            n = _find(problems, items, kind, input.value)
            if n is None or items[n].get("isDefault"):
                return items, None
            return store.with_one_default(items, n), {
                "change": "DEFAULT_SET",
                "type": kind,
                "value": items[n]["value"],
            }

        customer, errors = await _apply(info.context, str(input.customer_id), input.expected_revision, change)
        return CustomerTaxIdSetDefaultPayload(customer=customer, user_errors=errors)
