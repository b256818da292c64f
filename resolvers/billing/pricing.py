"""Pricing formulas and period arithmetic of plans: pure functions, exact decimals, no I/O.

A plan's prices are decimal strings in major units (they may carry more decimals than the currency,
e.g. a unit price of 0.125). A line's amount is computed exactly with `Decimal` and rounded ONCE, to
the currency's exponent, half up; totals add rounded lines in integer minor units.

Formulas (the reference's §19 table):
- FIXED_FEE: the price, whatever the quantity.
- FLAT_RATE: price x quantity.
- STAIRSTEP: the total price of the bracket the quantity falls in.
- TIERED: the sum over brackets of (bracket unit price x units of the quantity inside that bracket).
- VOLUME: every unit at the unit price of the bracket the whole quantity falls in.
Brackets are ordered by `maxQuantity`; the first starts at 1, each next one after the previous
`maxQuantity`; the last may be unbounded (`maxQuantity` null).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from schema.common import currency_exponent

FORMULAS = ("FIXED_FEE", "FLAT_RATE", "STAIRSTEP", "TIERED", "VOLUME")
BRACKET_FORMULAS = ("STAIRSTEP", "TIERED", "VOLUME")


@dataclass(frozen=True, slots=True)
class Bracket:
    price: Decimal
    max_quantity: int | None


class QuantityOutOfRange(ValueError):
    """The quantity lies outside what the pricing allows (below its minimum, above its maximum)."""


def round_minor(amount: Decimal, currency: str) -> int:
    """Major-unit decimal -> integer minor units, rounded half up once."""
    scaled = amount.scaleb(currency_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def brackets_of(pricing: dict[str, Any]) -> list[Bracket]:
    return [
        Bracket(Decimal(b["price"]), b.get("maxQuantity")) for b in pricing.get("brackets") or ()
    ]


def quantity_bounds(pricing: dict[str, Any]) -> tuple[int, int | None]:
    """The smallest and largest quantity this pricing accepts (None: no maximum)."""
    formula = pricing["formula"]
    low = pricing.get("minQuantity") or (1 if formula != "FIXED_FEE" else 0)
    if formula in BRACKET_FORMULAS:
        brackets = brackets_of(pricing)
        high = brackets[-1].max_quantity if brackets else None
    else:
        high = pricing.get("maxQuantity")
    return low, high


def line_amount(pricing: dict[str, Any], quantity: int) -> Decimal:
    """The exact (unrounded) price of `quantity` units under `pricing`."""
    formula = pricing["formula"]
    low, high = quantity_bounds(pricing)
    if quantity < low or (high is not None and quantity > high):
        raise QuantityOutOfRange(f"quantity {quantity} is outside {low}..{high if high is not None else '∞'}")
    if formula == "FIXED_FEE":
        return Decimal(pricing["price"])
    if formula == "FLAT_RATE":
        return Decimal(pricing["price"]) * quantity
    brackets = brackets_of(pricing)
    if formula == "STAIRSTEP":
        return _bracket_for(brackets, quantity).price
    if formula == "VOLUME":
        return _bracket_for(brackets, quantity).price * quantity
    if formula == "TIERED":
        total, start = Decimal(0), 0
        for b in brackets:
            end = quantity if b.max_quantity is None else min(quantity, b.max_quantity)
            if end > start:
                total += b.price * (end - start)
            if b.max_quantity is None or b.max_quantity >= quantity:
                break
            start = b.max_quantity
        return total
    raise ValueError(f"unknown formula {formula}")


def _bracket_for(brackets: Sequence[Bracket], quantity: int) -> Bracket:
    for b in brackets:
        if b.max_quantity is None or quantity <= b.max_quantity:
            return b
    raise QuantityOutOfRange(f"quantity {quantity} is above the last bracket")


def line_minor(pricing: dict[str, Any], quantity: int, currency: str) -> int:
    """The price of one invoice line in minor units (rounded once)."""
    return round_minor(line_amount(pricing, quantity), currency)


def unit_price(pricing: dict[str, Any], quantity: int) -> Decimal:
    """The unit price shown on an invoice line: the line's exact amount per unit (FIXED_FEE and
    STAIRSTEP are one line of quantity 1 at their total)."""
    amount = line_amount(pricing, quantity)
    if pricing["formula"] in ("FIXED_FEE", "STAIRSTEP") or quantity == 0:
        return amount
    return amount / quantity


# ---------------------------------------------------------------------------------------------- periods

UNITS = ("DAY", "WEEK", "MONTH", "YEAR")


def add_period(start: datetime, unit: str, length: int, times: int = 1) -> datetime:
    """`start` plus `times` periods of `length` `unit`s. Months and years keep the day of month,
    clamped to the last day of a shorter month (Jan 31 + 1 month = Feb 28/29)."""
    n = length * times
    if unit == "DAY":
        return start + timedelta(days=n)
    if unit == "WEEK":
        return start + timedelta(weeks=n)
    months = n if unit == "MONTH" else 12 * n
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def period_days(unit: str, length: int) -> Decimal:
    """The average length of a period in days, for MRR (a month is 365/12 days)."""
    per = {"DAY": Decimal(1), "WEEK": Decimal(7), "MONTH": Decimal(365) / 12, "YEAR": Decimal(365)}[unit]
    return per * length


def monthly_minor(amount_minor: int, unit: str, length: int) -> int:
    """An amount per period expressed per month (MRR), in minor units, rounded half up."""
    monthly = Decimal(amount_minor) * (Decimal(365) / 12) / period_days(unit, length)
    return int(monthly.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def same_length(a: tuple[str, int], b: tuple[str, int]) -> bool:
    """Whether two periods have the same length (1 YEAR = 12 MONTH, 1 WEEK = 7 DAY)."""

    def norm(p: tuple[str, int]) -> tuple[str, int]:
        unit, length = p
        if unit == "YEAR":
            return "MONTH", 12 * length
        if unit == "WEEK":
            return "DAY", 7 * length
        return unit, length

    return norm(a) == norm(b)
