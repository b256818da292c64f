"""Plan settings: from inputs to the stored form, customisation of a plan for one order item, and every
rule of the reference (§19) checked at once. Pure: no I/O."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from resolvers.billing.pricing import BRACKET_FORMULAS
from resolvers.validation import Path, text
from schema.billing.catalog import PlanCreateInput, PlanOverrideInput, PricingInput
from schema.common import Problems, UserErrorCode

MAX_BRACKETS = 50
MAX_QUANTITY = 999_999_999
MAX_LENGTH = 1000
MAX_PRICE = Decimal(10) ** 12
MAX_PRICE_DECIMALS = 6

# The stored keys of a plan's settings (also the keys an order item's copy has).
SETTINGS = (
    "name", "description", "currency", "type", "pricing", "recurringInterval", "billingTiming", "trial",
    "setupPrice", "meteredBilling", "periodAnchorDay", "invoiceIssueShift", "invoiceDueShift",
)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _pricing(p: PricingInput) -> dict[str, Any]:
    return {
        "formula": p.formula.name,
        "price": _dec(p.price),
        "brackets": [{"price": _dec(b.price), "maxQuantity": b.max_quantity} for b in p.brackets]
        if p.brackets is not None else None,
        "minQuantity": p.min_quantity,
        "maxQuantity": p.max_quantity,
    }


def _obj(value: Any) -> dict[str, Any] | None:
    """An input object of plain fields as a stored dict (enums by name, decimals as strings)."""
    if value is None:
        return None
    out: dict[str, Any] = {}
    for key, v in vars(value).items():
        camel = key.split("_")[0] + "".join(w.title() for w in key.split("_")[1:])
        if hasattr(v, "name") and hasattr(v, "value"):
            v = v.name
        elif isinstance(v, Decimal):
            v = _dec(v)
        out[camel] = v
    return out


def from_create(inp: PlanCreateInput) -> dict[str, Any]:
    return {
        "name": inp.name,
        "description": inp.description,
        "currency": inp.currency.value,
        "type": inp.type.name,
        "pricing": _pricing(inp.pricing),
        "recurringInterval": _obj(inp.recurring_interval),
        "billingTiming": inp.billing_timing.name,
        "trial": _obj(inp.trial),
        "setupPrice": _dec(inp.setup_price),
        "meteredBilling": _obj(inp.metered_billing),
        "periodAnchorDay": inp.period_anchor_day,
        "invoiceIssueShift": _obj(inp.invoice_issue_shift),
        "invoiceDueShift": _obj(inp.invoice_due_shift),
    }


def apply_override(base: dict[str, Any], o: PlanOverrideInput) -> tuple[dict[str, Any], list[str]]:
    """The settings of `base` with the given overrides; and the names of the settings changed."""
    out = {k: base.get(k) for k in SETTINGS}
    given: dict[str, Any] = {}
    if o.name is not None and o.name.value is not None:  # null: the plan's own value
        given["name"] = o.name.value
    if o.description is not None:
        given["description"] = o.description.value
    if o.currency is not None and o.currency.value is not None:  # null: the plan's own value
        given["currency"] = o.currency.value.value
    if o.type is not None and o.type.value is not None:  # null: the plan's own value
        given["type"] = o.type.value.name
    if o.pricing is not None and o.pricing.value is not None:  # null: the plan's own value
        given["pricing"] = _pricing(o.pricing.value)
    if o.recurring_interval is not None:
        given["recurringInterval"] = _obj(o.recurring_interval.value)
    if o.billing_timing is not None and o.billing_timing.value is not None:  # null: the plan's own value
        given["billingTiming"] = o.billing_timing.value.name
    if o.trial is not None:
        given["trial"] = _obj(o.trial.value)
    if o.setup_price is not None:
        given["setupPrice"] = _dec(o.setup_price.value)
    if o.metered_billing is not None:
        given["meteredBilling"] = _obj(o.metered_billing.value)
    if o.period_anchor_day is not None:
        given["periodAnchorDay"] = o.period_anchor_day.value
    if o.invoice_issue_shift is not None:
        given["invoiceIssueShift"] = _obj(o.invoice_issue_shift.value)
    if o.invoice_due_shift is not None:
        given["invoiceDueShift"] = _obj(o.invoice_due_shift.value)
    changed = [k for k, v in given.items() if out.get(k) != v]
    out.update(given)
    return out, changed


def _price(problems: Problems, path: Path, raw: str | None, *, positive: bool = False) -> None:
    if raw is None:
        return
    try:
        value = Decimal(raw)
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        problems.add(path, f"{raw} is not an amount", UserErrorCode.INVALID)
        return
    if value < 0 or (positive and value == 0):
        problems.add(path, "must be greater than zero" if positive else "may not be negative", UserErrorCode.INVALID)
    elif value > MAX_PRICE:
        problems.add(path, "is too large", UserErrorCode.INVALID)
    elif -value.as_tuple().exponent > MAX_PRICE_DECIMALS:  # type: ignore[operator]
        problems.add(path, f"has more than {MAX_PRICE_DECIMALS} decimals", UserErrorCode.TOO_MANY_DECIMALS)


def _length(problems: Problems, path: Path, value: int, low: int = 1, high: int = MAX_LENGTH) -> None:
    if not low <= value <= high:
        problems.add(path, f"must be between {low} and {high}", UserErrorCode.INVALID)


def check(problems: Problems, path: Path, s: dict[str, Any]) -> dict[str, Any]:
    """Checks settings in their stored form against every rule; adds each problem; returns them normalised."""
    s["name"] = text(problems, [*path, "name"], s.get("name"), 255, required=True)
    s["description"] = text(problems, [*path, "description"], s.get("description"), 65535)
    kind = s["type"]
    _pricing_rules(problems, [*path, "pricing"], s["pricing"])
    rec = s.get("recurringInterval")
    if kind == "SUBSCRIPTION" and rec is None:
        problems.add([*path, "recurringInterval"], "a SUBSCRIPTION plan needs a billing period", UserErrorCode.REQUIRED)
    if kind != "SUBSCRIPTION" and rec is not None:
        problems.add([*path, "recurringInterval"], f"a {kind} plan has no billing period", UserErrorCode.INVALID)
    if rec is not None:
        _length(problems, [*path, "recurringInterval", "length"], rec["length"])
        if rec.get("limit") is not None:
            _length(problems, [*path, "recurringInterval", "limit"], rec["limit"], 1, 65535)
    trial = s.get("trial")
    if kind == "TRIAL_ONLY" and trial is None:
        problems.add([*path, "trial"], "a TRIAL_ONLY plan needs a trial", UserErrorCode.REQUIRED)
    if kind == "ONE_TIME" and trial is not None:
        problems.add([*path, "trial"], "a ONE_TIME plan has no trial", UserErrorCode.INVALID)
    if trial is not None:
        _price(problems, [*path, "trial", "price"], trial["price"])
        _length(problems, [*path, "trial", "length"], trial["length"])
    _price(problems, [*path, "setupPrice"], s.get("setupPrice"), positive=True)
    metered = s.get("meteredBilling")
    if metered is not None:
        if s.get("billingTiming") != "POSTPAID":
            problems.add(
                [*path, "meteredBilling"], "metered billing needs POSTPAID billing timing", UserErrorCode.METERED_NEEDS_POSTPAID
            )
        if kind != "SUBSCRIPTION":
            problems.add([*path, "meteredBilling"], "only SUBSCRIPTION plans are metered", UserErrorCode.INVALID)
        low, high = metered.get("minQuantity"), metered.get("maxQuantity")
        for key, raw in (("minQuantity", low), ("maxQuantity", high)):
            if raw is not None and Decimal(raw) < Decimal("0.01"):
                problems.add([*path, "meteredBilling", key], "must be at least 0.01", UserErrorCode.INVALID)
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            problems.add([*path, "meteredBilling", "maxQuantity"], "is below the minimum", UserErrorCode.INVALID)
    if s.get("billingTiming") == "POSTPAID" and kind != "SUBSCRIPTION":
        problems.add([*path, "billingTiming"], "only SUBSCRIPTION plans can be POSTPAID", UserErrorCode.INVALID)
    day = s.get("periodAnchorDay")
    if day is not None:
        if kind != "SUBSCRIPTION":
            problems.add([*path, "periodAnchorDay"], "only SUBSCRIPTION plans have a service anchor", UserErrorCode.INVALID)
        _length(problems, [*path, "periodAnchorDay"], day, 1, 31)
    for key in ("invoiceIssueShift", "invoiceDueShift"):
        if s.get(key) is not None:
            _length(problems, [*path, key, "length"], s[key]["length"])
    return s


def _pricing_rules(problems: Problems, path: Path, p: dict[str, Any]) -> None:
    formula = p["formula"]
    if p.get("minQuantity") is not None:
        _length(problems, [*path, "minQuantity"], p["minQuantity"], 1, MAX_QUANTITY)
    if formula in BRACKET_FORMULAS:
        brackets = p.get("brackets")
        if p.get("price") is not None:
            problems.add([*path, "price"], f"{formula} prices by brackets, not one price", UserErrorCode.INVALID)
        if p.get("maxQuantity") is not None:
            problems.add([*path, "maxQuantity"], "the last bracket bounds a bracket formula", UserErrorCode.INVALID)
        if not brackets:
            problems.add([*path, "brackets"], f"{formula} needs at least one bracket", UserErrorCode.REQUIRED)
            return
        if len(brackets) > MAX_BRACKETS:
            problems.add([*path, "brackets"], f"at most {MAX_BRACKETS} brackets", UserErrorCode.TOO_MANY)
        previous = 0
        for i, b in enumerate(brackets):
            _price(problems, [*path, "brackets", i, "price"], b["price"])
            top = b.get("maxQuantity")
            if top is None and i != len(brackets) - 1:
                problems.add([*path, "brackets", i, "maxQuantity"], "only the last bracket may be unbounded",
                             UserErrorCode.INVALID)
            elif top is not None:
                if top <= previous:
                    problems.add([*path, "brackets", i, "maxQuantity"],
                                 f"must be above the previous bracket's {previous}", UserErrorCode.INVALID)
                elif top > MAX_QUANTITY:
                    problems.add([*path, "brackets", i, "maxQuantity"], "is too large", UserErrorCode.INVALID)
                previous = max(previous, top)
        if p.get("minQuantity") and brackets[-1].get("maxQuantity") is not None and p["minQuantity"] > brackets[-1]["maxQuantity"]:
            problems.add([*path, "minQuantity"], "is above the last bracket", UserErrorCode.INVALID)
        p["price"] = None
        return
    if p.get("brackets"):
        problems.add([*path, "brackets"], f"{formula} has one price, not brackets", UserErrorCode.INVALID)
    p["brackets"] = None
    if p.get("price") is None:
        problems.add([*path, "price"], f"{formula} needs a price", UserErrorCode.REQUIRED)
    else:
        _price(problems, [*path, "price"], p["price"])
    if formula == "FIXED_FEE":
        for key in ("minQuantity", "maxQuantity"):
            if p.get(key) is not None:
                problems.add([*path, key], "a FIXED_FEE price has no quantity bounds", UserErrorCode.INVALID)
    if p.get("maxQuantity") is not None:
        _length(problems, [*path, "maxQuantity"], p["maxQuantity"], 1, MAX_QUANTITY)
        if p.get("minQuantity") is not None and p["minQuantity"] > p["maxQuantity"]:
            problems.add([*path, "maxQuantity"], "is below the minimum quantity", UserErrorCode.INVALID)
