"""The amounts a deposit request resolves to, against values worked out by hand (docs/links.md)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from resolvers.links.amounts import BUILT_IN, CustomRange, Ladder, Strategy, custom_ok, resolve

ABS = Strategy(Ladder("ABSOLUTE", D(10), (D(20), D(50), D(100))), CustomRange(D(5), D(500), D(5)))
PCT = Strategy(Ladder("PERCENT", D(10), (D(20), D(50), D(100)), default_index=2), None)
HIDE = Strategy(Ladder("ABSOLUTE", D(25), (D(25), D(75)), default_index=1, hide_base=True), None)
ADJUST = Strategy(Ladder("PERCENT", D(10), (D(50), D(100)), adjust_to_last_deposit=True, minimum_base=D(20)), None)
ODD = Strategy(Ladder("PERCENT", D("9.99"), (D("12.5"),)), CustomRange(D("1.50"), D("10.50"), D("0.75")))

# (case, currency, strategy, options, amounts (minor), default (minor), custom (min, max, step) minor)
CASES = [
    # the reference's examples: absolute 10 + [20, 50, 100]; percent 10 x (1 + [20, 50, 100] / 100)
    ("absolute ladder, strategy custom", "USD", ABS, {}, (1000, 3000, 6000, 11000), 1000, (500, 50000, 500)),
    ("percent ladder, default index 2", "USD", PCT, {}, (1000, 1200, 1500, 2000), 1500, None),
    ("built-in default strategy", "USD", BUILT_IN, {}, (1000, 2000, 3000), 1000, (100, 1000000, 100)),
    ("hidden base: index counts shown amounts", "EUR", HIDE, {}, (5000, 10000), 10000, None),
    ("0-decimal currency", "JPY", PCT, {}, (10, 12, 15, 20), 15, None),
    ("3-decimal currency", "KWD", PCT, {}, (10000, 12000, 15000, 20000), 15000, None),
    # 9.99 x 1.125 = 11.23875 → 11.24 USD, 11 JPY (half up); custom 1.50…10.50 step 0.75 in JPY: 2…10 step 1
    ("rounding half up", "USD", ODD, {}, (999, 1124), 999, (150, 1050, 75)),
    ("rounding on JPY", "JPY", ODD, {}, (10, 11), 10, (2, 10, 1)),
    ("deny custom", "USD", ABS, {"custom_mode": "DENY"}, (1000, 3000, 6000, 11000), 1000, None),
    ("allow with no range anywhere: 1…10000 step 1", "USD", PCT, {"custom_mode": "ALLOW"},
     (1000, 1200, 1500, 2000), 1500, (100, 1000000, 100)),
    ("allow with the request's range", "USD", ABS,
     {"custom_mode": "ALLOW", "custom": CustomRange(D(20), D(80), D(20))}, (1000, 3000, 6000, 11000), 1000,
     (2000, 8000, 2000)),
    ("allow falls back to the strategy's range", "USD", ABS, {"custom_mode": "ALLOW"},
     (1000, 3000, 6000, 11000), 1000, (500, 50000, 500)),
    ("fixed amounts replace the ladder", "USD", ABS, {"fixed": [D(15), D("27.50")]}, (1500, 2750), 1500,
     (500, 50000, 500)),
    ("fixed amounts with a default", "USD", ABS, {"fixed": [D(15), D("27.50")], "fixed_default": D("27.50")},
     (1500, 2750), 2750, (500, 50000, 500)),
    ("fixed duplicates shown once", "USD", ABS, {"fixed": [D(15), D("15.00")], "custom_mode": "DENY"}, (1500,), 1500, None),
    # limits 25…100: amounts 30, 60 stay; custom 5…500 step 5 narrows to 25…100 step 5; default 10 falls to 30
    ("amount limits", "USD", ABS, {"limits": (D(25), D(100))}, (3000, 6000), 3000, (2500, 10000, 500)),
    # limits 12…98 with step 5 from 5: the first step at or above 12 is 15, the last at or below 98 is 95
    ("limits realign the custom range", "USD", ABS, {"limits": (D(12), D(98))}, (3000, 6000), 3000, (1500, 9500, 500)),
    ("only a maximum limit", "USD", PCT, {"limits": (None, D(14))}, (1000, 1200), 1000, None),
    ("limits exclude everything", "USD", PCT, {"limits": (D(21), D(30))}, (), None, None),
    # last deposit 40: percent [50, 100] → 40, 60, 80; a last deposit of 15 is raised to the minimum base 20
    ("base adjusted to the last deposit", "USD", ADJUST, {"last_deposit": D(40)}, (4000, 6000, 8000), 4000, None),
    ("adjusted base kept at its minimum", "USD", ADJUST, {"last_deposit": D(15)}, (2000, 3000, 4000), 2000, None),
    ("no last deposit: the configured base (raised to the minimum)", "USD", ADJUST, {}, (2000, 3000, 4000), 2000, None),
]


@pytest.mark.parametrize(("case", "currency", "strategy", "options", "amounts", "default", "custom"), CASES,
                         ids=[c[0] for c in CASES])
def test_resolved_amounts_match_the_hand_computed_values(case, currency, strategy, options, amounts, default, custom):
    got = resolve(currency, strategy, **options)
    assert (got.amounts, got.default, got.custom) == (amounts, default, custom)


def test_custom_amount_must_be_on_a_step_within_the_range():
    rng = (500, 50000, 500)
    assert [custom_ok(v, rng) for v in (500, 1000, 50000, 499, 750, 50500)] == [True, True, True, False, False, False]
