"""Every pricing formula against totals computed by hand (in the comments), rounded once per line."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from resolvers.billing.pricing import QuantityOutOfRange, add_period, line_amount, line_minor, monthly_minor

BRACKETS = [
    {"price": "10.00", "maxQuantity": 10},
    {"price": "8.00", "maxQuantity": 20},
    {"price": "5.00", "maxQuantity": None},
]
FINE = [{"price": "0.125", "maxQuantity": 3}, {"price": "0.333", "maxQuantity": None}]

CASES = [
    # formula, pricing, quantity, currency, expected minor units
    ("fixed fee ignores quantity", {"formula": "FIXED_FEE", "price": "29.99"}, 7, "USD", 2999),
    ("flat rate 3 x 19.99 = 59.97", {"formula": "FLAT_RATE", "price": "19.99"}, 3, "USD", 5997),
    ("flat rate 0.125 x 3 = 0.375 -> 0.38 (half up, once)", {"formula": "FLAT_RATE", "price": "0.125"}, 3, "USD", 38),
    ("flat rate in JPY (no decimals) 3 x 333.5 = 1000.5 -> 1001", {"formula": "FLAT_RATE", "price": "333.5"}, 3, "JPY", 1001),
    ("flat rate in KWD (3 decimals) 2 x 1.2345 = 2.469", {"formula": "FLAT_RATE", "price": "1.2345"}, 2, "KWD", 2469),
    ("stairstep 5 -> first bracket total 10.00", {"formula": "STAIRSTEP", "brackets": BRACKETS}, 5, "USD", 1000),
    ("stairstep 10 -> still first bracket (max inclusive)", {"formula": "STAIRSTEP", "brackets": BRACKETS}, 10, "USD", 1000),
    ("stairstep 11 -> second bracket total 8.00", {"formula": "STAIRSTEP", "brackets": BRACKETS}, 11, "USD", 800),
    ("stairstep 500 -> last bracket 5.00", {"formula": "STAIRSTEP", "brackets": BRACKETS}, 500, "USD", 500),
    ("tiered 5 = 5 x 10 = 50.00", {"formula": "TIERED", "brackets": BRACKETS}, 5, "USD", 5000),
    ("tiered 15 = 10 x 10 + 5 x 8 = 140.00", {"formula": "TIERED", "brackets": BRACKETS}, 15, "USD", 14000),
    ("tiered 25 = 100 + 10 x 8 + 5 x 5 = 205.00", {"formula": "TIERED", "brackets": BRACKETS}, 25, "USD", 20500),
    ("tiered fine 5 = 3 x 0.125 + 2 x 0.333 = 1.041 -> 1.04", {"formula": "TIERED", "brackets": FINE}, 5, "USD", 104),
    ("volume 5 = 5 x 10 = 50.00", {"formula": "VOLUME", "brackets": BRACKETS}, 5, "USD", 5000),
    ("volume 15 = 15 x 8 = 120.00", {"formula": "VOLUME", "brackets": BRACKETS}, 15, "USD", 12000),
    ("volume 25 = 25 x 5 = 125.00", {"formula": "VOLUME", "brackets": BRACKETS}, 25, "USD", 12500),
    ("volume fine 4 = 4 x 0.333 = 1.332 -> 1.33", {"formula": "VOLUME", "brackets": FINE}, 4, "USD", 133),
    ("flat rate at price 0 is free", {"formula": "FLAT_RATE", "price": "0"}, 4, "USD", 0),
]


@pytest.mark.parametrize(("name", "pricing", "quantity", "currency", "expected"), CASES, ids=[c[0] for c in CASES])
def test_formula_totals_match_hand_computed_values(name, pricing, quantity, currency, expected):
    assert line_minor(pricing, quantity, currency) == expected


def test_rounding_happens_once_per_line_not_per_unit():
    # 3 x 0.125 rounded per unit would be 3 x 0.13 = 0.39; the line is 0.375 -> 0.38.
    assert line_amount({"formula": "FLAT_RATE", "price": "0.125"}, 3) == Decimal("0.375")
    assert line_minor({"formula": "FLAT_RATE", "price": "0.125"}, 3, "USD") == 38


@pytest.mark.parametrize(
    ("pricing", "quantity"),
    [
        ({"formula": "FLAT_RATE", "price": "1", "minQuantity": 2}, 1),
        ({"formula": "FLAT_RATE", "price": "1", "maxQuantity": 5}, 6),
        ({"formula": "TIERED", "brackets": [{"price": "1", "maxQuantity": 10}]}, 11),
        ({"formula": "VOLUME", "brackets": BRACKETS, "minQuantity": 3}, 2),
    ],
)
def test_quantities_outside_the_bounds_are_refused(pricing, quantity):
    with pytest.raises(QuantityOutOfRange):
        line_amount(pricing, quantity)


def test_months_clamp_to_the_last_day_and_mrr_normalises_periods():
    jan31 = datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert add_period(jan31, "MONTH", 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert add_period(jan31, "YEAR", 1) == datetime(2027, 1, 31, 12, tzinfo=UTC)
    assert add_period(jan31, "WEEK", 2) == datetime(2026, 2, 14, 12, tzinfo=UTC)
    assert monthly_minor(12000, "YEAR", 1) == 1000  # 120.00 a year = 10.00 a month
    assert monthly_minor(1000, "MONTH", 1) == 1000
    assert monthly_minor(700, "WEEK", 1) == 3042  # 7.00 a week x (365/12)/7 = 30.4166… -> 30.42
