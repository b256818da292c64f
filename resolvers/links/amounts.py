"""How a deposit request's amounts are worked out: the strategy's ladder of preset amounts, its custom
amount range, the request's own fixed amounts and custom-amount choice, and its amount limits.

Pure functions over decimals in major units; the result is in the request currency's minor units, each
amount rounded half up to the currency's decimals (a percent ladder on a 0-decimal currency rounds).

The rules (docs/links.md has worked examples):
- `ABSOLUTE`: base, then base plus each increment (10, [20, 50, 100] → 10, 30, 60, 110: the reference's
  example; its wording "running sum" would give 10, 30, 80, 180, which the example contradicts).
- `PERCENT`: base, then base * (1 + increment / 100) for each increment (10, [20, 50, 100] → 10, 12, 15, 20).
- `adjustBaseToLastDeposit`: the base is the customer's last completed deposit in the currency (when there
  is one); `minimumBaseAmount` then keeps the base from falling below it.
- `hideBaseAmount` drops the base from the list; `defaultIndex` counts in the list as shown.
- The request's fixed amounts replace the strategy's ladder (default: `defaultAmount`, else the first).
- Custom amounts: `STRATEGY` takes the strategy's range (none when it has none), `DENY` none, `ALLOW` the
  request's range, else the strategy's, else the built-in 1…10000 step 1.
- Amount limits drop preset amounts outside them and narrow the custom range to them (its maximum stays
  `minimum + k * multipleOf`); a default outside the limits falls back to the first amount left.
- Duplicates after rounding are shown once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from schema.common import currency_exponent


@dataclass(frozen=True, slots=True)
class CustomRange:
    minimum: Decimal
    maximum: Decimal
    multiple_of: Decimal


@dataclass(frozen=True, slots=True)
class Ladder:
    calculator: str  # ABSOLUTE | PERCENT
    base: Decimal
    increments: tuple[Decimal, ...]
    default_index: int = 0
    hide_base: bool = False
    minimum_base: Decimal | None = None
    adjust_to_last_deposit: bool = False


@dataclass(frozen=True, slots=True)
class Strategy:
    ladder: Ladder
    custom: CustomRange | None


# The reference's built-in strategy when none is chosen and none matches.
BUILT_IN = Strategy(
    Ladder("ABSOLUTE", Decimal(10), (Decimal(10), Decimal(20))),
    CustomRange(Decimal(1), Decimal(10000), Decimal(1)),
)
ALLOW_DEFAULT = BUILT_IN.custom


@dataclass(frozen=True, slots=True)
class Resolved:
    """Minor units of the request currency."""

    amounts: tuple[int, ...]
    default: int | None
    custom: tuple[int, int, int] | None  # (minimum, maximum, multipleOf)


def ladder_amounts(ladder: Ladder, last_deposit: Decimal | None = None) -> list[Decimal]:
    """The preset amounts of a strategy, in major units, before rounding."""
    base = ladder.base
    if ladder.adjust_to_last_deposit and last_deposit is not None:
        base = last_deposit
    if ladder.minimum_base is not None and base < ladder.minimum_base:
        base = ladder.minimum_base
    out = [base]
    if ladder.calculator == "ABSOLUTE":
        out += [base + inc for inc in ladder.increments]
    else:
        out += [base * (1 + inc / 100) for inc in ladder.increments]
    return out[1:] if ladder.hide_base else out


def ladder_size(ladder: Ladder) -> int:
    return len(ladder.increments) + (0 if ladder.hide_base else 1)


def to_minor(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> int:
    return int(amount.scaleb(currency_exponent(currency)).quantize(Decimal(1), rounding=rounding))


def resolve(
    currency: str,
    strategy: Strategy,
    *,
    fixed: list[Decimal] | None = None,
    fixed_default: Decimal | None = None,
    custom_mode: str = "STRATEGY",
    custom: CustomRange | None = None,
    limits: tuple[Decimal | None, Decimal | None] | None = None,
    last_deposit: Decimal | None = None,
) -> Resolved:
    if fixed:
        major = list(fixed)
        default_major: Decimal | None = fixed_default if fixed_default is not None else fixed[0]
    else:
        major = ladder_amounts(strategy.ladder, last_deposit)
        index = strategy.ladder.default_index
        default_major = major[index] if 0 <= index < len(major) else (major[0] if major else None)
    amounts: list[int] = []
    for a in major:
        m = to_minor(a, currency)
        if m > 0 and m not in amounts:
            amounts.append(m)
    default = to_minor(default_major, currency) if default_major is not None else None

    if custom_mode == "DENY":
        chosen: CustomRange | None = None
    elif custom_mode == "ALLOW":
        chosen = custom or strategy.custom or ALLOW_DEFAULT
    else:
        chosen = strategy.custom
    rng: tuple[int, int, int] | None = None
    if chosen is not None:
        step = max(1, to_minor(chosen.multiple_of, currency))
        rng = (to_minor(chosen.minimum, currency, ROUND_CEILING), to_minor(chosen.maximum, currency, ROUND_FLOOR), step)

    if limits is not None:
        low = to_minor(limits[0], currency, ROUND_CEILING) if limits[0] is not None else 0
        high = to_minor(limits[1], currency, ROUND_FLOOR) if limits[1] is not None else None
        amounts = [a for a in amounts if a >= low and (high is None or a <= high)]
        if rng is not None:
            lo, hi, step = rng
            if lo < low:  # the first multiple of the step (counted from the old minimum) at or above the limit
                lo += -(-(low - lo) // step) * step
            if high is not None and hi > high:
                hi = high
            hi = lo + (hi - lo) // step * step if hi >= lo else hi
            rng = (lo, hi, step) if lo <= hi else None
    if default not in amounts:
        default = amounts[0] if amounts else None
    if rng is not None and rng[0] <= 0:
        lo, hi, step = rng
        lo += -(-(1 - lo) // step) * step
        rng = (lo, hi, step) if lo <= hi else None
    return Resolved(tuple(amounts), default, rng)


def custom_ok(value: int, rng: tuple[int, int, int]) -> bool:
    lo, hi, step = rng
    return lo <= value <= hi and (value - lo) % step == 0
