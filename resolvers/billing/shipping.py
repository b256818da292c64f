"""Shipping rate tables per website and the calculated shipping of an order.

A website's table is a small list of rates (at most `MAX_RATES`), each a price in one currency with its
conditions: minimum and maximum items subtotal (inclusive), delivery countries and regions (empty: any).
An order with calculated shipping takes the cheapest rate of its website whose conditions all hold (ties:
the oldest), or the rate it names if that one holds; none → `NO_SHIPPING_RATE` and nothing is written.
The chosen price, name and destination are copied onto the order (like its plans), so later edits or a
deleted rate leave existing orders as they were; every invoice of the order carries that shipping.

The items subtotal the bounds compare with is what one billing period of the items costs at their
quantities (each plan's pricing formula, rounded per line): setup fees, trial prices, metered usage and
coupon discounts are not counted, so the rate does not change between the initial invoice and renewals.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from resolvers.auth import mutation
from resolvers.billing import pricing
from resolvers.context import Info, now
from resolvers.loaders import Loaders, loader
from resolvers.money import money
from resolvers.validation import Path, address, country, text
from schema.billing.shipping import (
    CalculatedShippingInput,
    ShippingRate,
    ShippingRateCreateInput,
    ShippingRateDeleteInput,
    ShippingRateDeletePayload,
    ShippingRatePayload,
    ShippingRateUpdateInput,
)
from schema.common import Money, Problems, UserErrorCode
from store.billing import catalog, shipping_rates
from store.customers import websites
from store.db import Doc, OrgDb
from store.ids import new_id

MAX_RATES = 100  # per website
MAX_COUNTRIES = 250
MAX_REGIONS = 100


# ---------------------------------------------------------------------------------------------- checks


def _amount(problems: Problems, path: Path, value: Decimal, currency: str) -> int:
    """A non-negative amount in minor units (0 allowed: free shipping, no minimum)."""
    try:
        if not value.is_finite():
            raise InvalidOperation
        if value < 0:
            problems.add(path, "may not be negative", UserErrorCode.INVALID)
            return 0
        if value == 0:
            return 0
    except InvalidOperation:
        problems.add(path, f"{value} is not an amount", UserErrorCode.INVALID)
        return 0
    return money.to_minor(problems, path, value, currency)


def _countries(problems: Problems, path: Path, values: list[str] | None) -> list[str]:
    out: list[str] = []
    if values is not None and len(values) > MAX_COUNTRIES:
        problems.add(path, f"at most {MAX_COUNTRIES} countries", UserErrorCode.TOO_MANY)
        return out
    for i, value in enumerate(values or ()):
        if not value.strip():
            problems.add([*path, i], "is empty", UserErrorCode.REQUIRED)
            continue
        code = country(problems, [*path, i], value)
        if code in out:
            problems.add([*path, i], f"{code} appears twice", UserErrorCode.DUPLICATE)
        elif code is not None:
            out.append(code)
    return out


def _regions(problems: Problems, path: Path, values: list[str] | None) -> list[str]:
    out: list[str] = []
    if values is not None and len(values) > MAX_REGIONS:
        problems.add(path, f"at most {MAX_REGIONS} regions", UserErrorCode.TOO_MANY)
        return out
    for i, value in enumerate(values or ()):
        region = text(problems, [*path, i], value, 45, required=True)
        if region is not None and region.casefold() in {r.casefold() for r in out}:
            problems.add([*path, i], f"{region!r} appears twice", UserErrorCode.DUPLICATE)
        elif region is not None:
            out.append(region)
    return out


def _bounds(problems: Problems, low: int | None, high: int | None) -> None:
    if low is not None and high is not None and high < low:
        problems.add(["maxSubtotal"], "must be at least the minimum subtotal", UserErrorCode.INVALID)


async def _website(org: OrgDb, problems: Problems, website_id: str) -> bool:
    if not money.check_id(problems, ["websiteId"], website_id, "Website", "web"):
        return False
    if (await websites.get_many(org, [website_id]))[0] is None:
        problems.add(["websiteId"], f"no website {website_id} in this organization", UserErrorCode.NOT_FOUND)
        return False
    return True


async def _rate(org: OrgDb, problems: Problems, path: Path, rate_id: str) -> Doc | None:
    if not money.check_id(problems, path, rate_id, "ShippingRate", "ship_rate"):
        return None
    doc = await shipping_rates.get(org, rate_id)
    if doc is None:
        problems.add(path, f"no shipping rate {rate_id} in this organization", UserErrorCode.NOT_FOUND)
    return doc


def _stale(problems: Problems, doc: Doc, expected: int | None) -> None:
    if expected is not None and expected != doc["revision"]:
        problems.add(["expectedRevision"], f"the shipping rate is at revision {doc['revision']}",
                     UserErrorCode.REVISION_CONFLICT)


# ---------------------------------------------------------------------------------------------- selection


def _text(minor: int, currency: str) -> str:
    return f"{Money.from_minor(minor, currency).amount} {currency}"


def refusal(rate: Doc, currency: str, subtotal: int, destination: Doc) -> str | None:
    """Why `rate` does not apply to an order (None: it applies)."""
    if rate["currency"] != currency:
        return f"is in {rate['currency']}; the order is in {currency}"
    low, high = rate.get("minSubtotalMinor"), rate.get("maxSubtotalMinor")
    if low is not None and subtotal < low:
        return f"needs an items subtotal of at least {_text(low, currency)} (the order's is {_text(subtotal, currency)})"
    if high is not None and subtotal > high:
        return f"takes an items subtotal of at most {_text(high, currency)} (the order's is {_text(subtotal, currency)})"
    where = destination.get("country")
    if rate.get("countries") and where not in rate["countries"]:
        return f"does not ship to {where}" if where else "needs a delivery country (the address has none)"
    region = destination.get("region")
    if rate.get("regions") and (region or "").casefold() not in {r.casefold() for r in rate["regions"]}:
        return f"does not ship to the region {region!r}" if region else "needs a delivery region (the address has none)"
    return None


def items_subtotal(items: list[Doc], currency: str) -> int:
    """What one billing period of the order's items costs (metered items count 0)."""
    return sum(0 if i["plan"].get("meteredBilling") else pricing.line_minor(i["plan"]["pricing"], i["quantity"], currency)
               for i in items)


async def calculate(
    org: OrgDb, problems: Problems, inp: CalculatedShippingInput, website_id: str, currency: str, items: list[Doc],
    customer: Doc,
) -> tuple[Doc | None, Doc | None]:
    """(the order's shipping, its delivery address) for calculated shipping; (None, None) with the problems
    when no rate applies, the named one does not, or nothing in the order ships."""
    found = Problems()
    shipping, delivery = await _calculate(org, found, inp, website_id, currency, items, customer)
    problems.errors.extend(found.errors)
    return shipping, delivery


async def _calculate(
    org: OrgDb, problems: Problems, inp: CalculatedShippingInput, website_id: str, currency: str, items: list[Doc],
    customer: Doc,
) -> tuple[Doc | None, Doc | None]:
    path: Path = ["calculatedShipping"]
    delivery = address(problems, [*path, "deliveryAddress"], inp.delivery_address) if inp.delivery_address else None
    delivery = delivery or customer.get("address") or {}
    products = await catalog.get_many(org, catalog.PRODUCTS, list({i["plan"]["productId"] for i in items}))
    if items and not any(p and p.get("requiresShipping") for p in products):
        problems.add(path, "no item's product requires shipping (set `requiresShipping` on the product)",
                     UserErrorCode.INVALID)
    chosen = await _rate(org, problems, [*path, "rateId"], str(inp.rate_id)) if inp.rate_id is not None else None
    if problems:
        return None, None
    subtotal = items_subtotal(items, currency)
    destination = {"country": delivery.get("country"), "region": delivery.get("region")}
    if chosen is not None:
        if chosen["websiteId"] != website_id:
            problems.add([*path, "rateId"], f"{chosen['id']} belongs to website {chosen['websiteId']}, not the "
                         f"order's {website_id}", UserErrorCode.SHIPPING_RATE_NOT_APPLICABLE)
            return None, None
        reason = refusal(chosen, currency, subtotal, destination)
        if reason is not None:
            problems.add([*path, "rateId"], f"{chosen['name']} ({chosen['id']}) {reason}",
                         UserErrorCode.SHIPPING_RATE_NOT_APPLICABLE)
            return None, None
        rate = chosen
    else:
        table = await shipping_rates.of_website(org, website_id, MAX_RATES)
        fitting = [r for r in table if refusal(r, currency, subtotal, destination) is None]
        if not fitting:
            where = ", ".join(v for v in (destination["region"], destination["country"]) if v) or "no address"
            problems.add(path, f"no shipping rate of website {website_id} applies to this order ({currency}, items "
                         f"subtotal {_text(subtotal, currency)}, delivery to {where}); "
                         f"{len(table)} rate(s) in its table", UserErrorCode.NO_SHIPPING_RATE)
            return None, None
        rate = min(fitting, key=lambda r: r["priceMinor"])  # the table is oldest first: ties go to the oldest
    shipping = {"calculator": "CALCULATED", "amountMinor": rate["priceMinor"], "rateId": rate["id"],
                "rateName": rate["name"], "destination": destination}
    return shipping, (delivery or None)


# ---------------------------------------------------------------------------------------------- API


@loader
def shipping_rate_by_id(loaders: Loaders) -> DataLoader[str, ShippingRate | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[ShippingRate | None]:
        return [ShippingRate.from_doc(d) if d else None for d in await shipping_rates.get_many(org, ids)]

    return DataLoader(load)


@strawberry.type
class ShippingQueries:
    @strawberry.field(description=f"A website's shipping rate table, oldest first (at most {MAX_RATES} rates); "
                      "empty for a website of another organization.")
    async def shipping_rates(
        self, info: Info, website_id: Annotated[strawberry.ID, strawberry.argument(description="`web_…`")]
    ) -> list[ShippingRate]:
        docs = await shipping_rates.of_website(info.context.org, str(website_id), MAX_RATES)
        return [ShippingRate.from_doc(d) for d in docs]

    @strawberry.field(description="One shipping rate; null when there is none in this organization.")
    async def shipping_rate(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="`ship_rate_…`")]
    ) -> ShippingRate | None:
        return await info.context.loaders.shipping_rate_by_id.load(str(id))


@strawberry.type
class ShippingMutations:
    @mutation(f"Adds a rate to a website's shipping rate table (at most {MAX_RATES} per website).")
    async def shipping_rate_create(self, info: Info, input: ShippingRateCreateInput) -> ShippingRatePayload:
        org, problems, t = info.context.org, Problems(), now()
        currency = input.currency.value
        known = await _website(org, problems, str(input.website_id))
        name = text(problems, ["name"], input.name, 100, required=True)
        price = _amount(problems, ["price"], input.price, currency)
        low = _amount(problems, ["minSubtotal"], input.min_subtotal, currency) if input.min_subtotal is not None else None
        high = _amount(problems, ["maxSubtotal"], input.max_subtotal, currency) if input.max_subtotal is not None else None
        _bounds(problems, low, high)
        countries = _countries(problems, ["countries"], input.countries)
        regions = _regions(problems, ["regions"], input.regions)
        if known and await shipping_rates.count_of_website(org, str(input.website_id)) >= MAX_RATES:
            problems.add(["websiteId"], f"the website has {MAX_RATES} shipping rates already", UserErrorCode.TOO_MANY)
        if problems:
            return ShippingRatePayload(shipping_rate=None, user_errors=problems.errors)
        doc = {"id": new_id("ship_rate"), "websiteId": str(input.website_id), "name": name, "currency": currency,
               "priceMinor": price, "minSubtotalMinor": low, "maxSubtotalMinor": high, "countries": countries,
               "regions": regions, "revision": 1, "createdTime": t, "updatedTime": t}
        await shipping_rates.insert(org, doc)
        return ShippingRatePayload(shipping_rate=ShippingRate.from_doc(doc), user_errors=[])

    @mutation("Edits a shipping rate; absent fields stay as they are. Existing orders keep the shipping they were "
              "made with.")
    async def shipping_rate_update(self, info: Info, input: ShippingRateUpdateInput) -> ShippingRatePayload:
        org, problems, t = info.context.org, Problems(), now()
        doc = await _rate(org, problems, ["shippingRateId"], str(input.shipping_rate_id))
        if doc is None:
            return ShippingRatePayload(shipping_rate=None, user_errors=problems.errors)
        cur = doc["currency"]
        fields: Doc = {}
        if input.name is not None:
            fields["name"] = text(problems, ["name"], input.name.value, 100, required=True)
        if input.price is not None:
            if input.price.value is None:
                problems.add(["price"], "a rate needs a price (0 is free shipping)", UserErrorCode.REQUIRED)
            else:
                fields["priceMinor"] = _amount(problems, ["price"], input.price.value, cur)
        for key, given in (("minSubtotalMinor", input.min_subtotal), ("maxSubtotalMinor", input.max_subtotal)):
            if given is not None:
                path: Path = ["minSubtotal" if key.startswith("min") else "maxSubtotal"]
                fields[key] = _amount(problems, path, given.value, cur) if given.value is not None else None
        if input.countries is not None:
            fields["countries"] = _countries(problems, ["countries"], input.countries.value)
        if input.regions is not None:
            fields["regions"] = _regions(problems, ["regions"], input.regions.value)
        _bounds(problems, fields.get("minSubtotalMinor", doc.get("minSubtotalMinor")),
                fields.get("maxSubtotalMinor", doc.get("maxSubtotalMinor")))
        _stale(problems, doc, input.expected_revision)
        changed = {k: v for k, v in fields.items() if doc.get(k) != v}
        if not problems and not changed:
            problems.add(None, "the input changes nothing", UserErrorCode.NOTHING_TO_CHANGE)
        if problems:
            return ShippingRatePayload(shipping_rate=None, user_errors=problems.errors)
        after = await shipping_rates.update(org, doc["id"], doc["revision"], changed, t)
        if after is None:
            problems.add(["expectedRevision"], "the shipping rate changed meanwhile; read it again",
                         UserErrorCode.REVISION_CONFLICT)
            return ShippingRatePayload(shipping_rate=None, user_errors=problems.errors)
        return ShippingRatePayload(shipping_rate=ShippingRate.from_doc(after), user_errors=[])

    @mutation("Deletes a shipping rate. Orders that used it keep its price and name.")
    async def shipping_rate_delete(self, info: Info, input: ShippingRateDeleteInput) -> ShippingRateDeletePayload:
        org, problems = info.context.org, Problems()
        doc = await _rate(org, problems, ["shippingRateId"], str(input.shipping_rate_id))
        if doc is not None:
            _stale(problems, doc, input.expected_revision)
        if problems or doc is None:
            return ShippingRateDeletePayload(deleted_shipping_rate_id=None, user_errors=problems.errors)
        if not await shipping_rates.delete(org, doc["id"], doc["revision"]):
            problems.add(["expectedRevision"], "the shipping rate changed meanwhile; read it again",
                         UserErrorCode.REVISION_CONFLICT)
            return ShippingRateDeletePayload(deleted_shipping_rate_id=None, user_errors=problems.errors)
        return ShippingRateDeletePayload(deleted_shipping_rate_id=strawberry.ID(doc["id"]), user_errors=[])


