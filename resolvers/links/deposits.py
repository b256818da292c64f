"""Deposit strategies, custom property sets and deposit requests: `depositStrategyCreate`,
`depositStrategyUpdate`, `depositCustomPropertySetCreate`, `depositRequestCreate` and their queries.
The hosted deposit page is in `resolvers/links/pages.py`."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated

import strawberry

from resolvers.auth import mutation
from resolvers.context import Context, Info, now
from resolvers.links import amounts as calc
from resolvers.links import deposit_expiry
from resolvers.money import money
from schema.common import ClientError, Problems, UserErrorCode
from schema.links.deposits import (
    CustomAmountMode,
    CustomAmountRangeInput,
    DepositAmountsInput,
    DepositCustomPropertySet,
    DepositCustomPropertySetCreateInput,
    DepositCustomPropertySetCreatePayload,
    DepositRequest,
    DepositRequestCreateInput,
    DepositRequestCreatePayload,
    DepositStrategy,
    DepositStrategyCreateInput,
    DepositStrategyPayload,
    DepositStrategyUpdateInput,
)
from store.activity import timeline
from store.customers import websites
from store.db import Doc, OrgDb
from store.ids import new_id, type_of_id
from store.links import deposit_requests, deposit_strategies

Path = list[str | int]
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_STRATEGY_AMOUNT = Decimal(10**9)
MAX_INCREMENTS = 20
MAX_FIXED = 10
MAX_PRIORITY = 1000
MAX_DAYS = 30
PROPERTY_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,40}$")


def decimal_amount(problems: Problems, path: Path, value: Decimal, minimum: Decimal = Decimal("0.01")) -> Decimal:
    """A major-unit amount of a strategy or request: ≥ `minimum`, ≤ 10^9, at most 2 decimals."""
    try:
        if not value.is_finite():
            raise InvalidOperation
        if value != value.quantize(Decimal("0.01")):
            problems.add(path, f"{value} has more than 2 decimals", UserErrorCode.TOO_MANY_DECIMALS)
        elif value < minimum:
            problems.add(path, f"must be at least {minimum}", UserErrorCode.INVALID)
        elif value > MAX_STRATEGY_AMOUNT:
            problems.add(path, "is too large", UserErrorCode.INVALID)
    except InvalidOperation:
        problems.add(path, f"{value} is not an amount", UserErrorCode.INVALID)
        return Decimal(0)
    return value


def custom_range(problems: Problems, path: Path, inp: CustomAmountRangeInput | None) -> Doc | None:
    if inp is None:
        return None
    n = len(problems.errors)
    lo = decimal_amount(problems, [*path, "minimum"], inp.minimum)
    hi = decimal_amount(problems, [*path, "maximum"], inp.maximum)
    step = decimal_amount(problems, [*path, "multipleOf"], inp.multiple_of)
    if len(problems.errors) == n:
        if hi < lo:
            problems.add([*path, "maximum"], "must not be below the minimum", UserErrorCode.INVALID)
        elif (hi - lo) % step != 0:
            problems.add(
                [*path, "maximum"], f"must be the minimum plus a whole number of {step} steps", UserErrorCode.INVALID
            )
    return {"minimum": str(lo), "maximum": str(hi), "multipleOf": str(step)}


def strategy_amounts(problems: Problems, inp: DepositAmountsInput) -> Doc:
    path: Path = ["amounts"]
    base = decimal_amount(problems, [*path, "baseAmount"], inp.base_amount)
    if len(inp.increments) > MAX_INCREMENTS:
        problems.add([*path, "increments"], f"has {len(inp.increments)}; the limit is {MAX_INCREMENTS}", UserErrorCode.TOO_MANY)
    incs = [decimal_amount(problems, [*path, "increments", i], v) for i, v in enumerate(inp.increments)]
    minimum = (
        decimal_amount(problems, [*path, "minimumBaseAmount"], inp.minimum_base_amount)
        if inp.minimum_base_amount is not None else None
    )
    size = len(incs) + (0 if inp.hide_base_amount else 1)
    if size == 0:
        problems.add([*path, "increments"], "hiding the base leaves no amount: add an increment", UserErrorCode.REQUIRED)
    elif not 0 <= inp.default_index < size:
        problems.add([*path, "defaultIndex"], f"must be between 0 and {size - 1}", UserErrorCode.INVALID)
    return {
        "calculator": inp.calculator.name,
        "baseAmount": str(base),
        "increments": [str(i) for i in incs],
        "defaultIndex": inp.default_index,
        "hideBaseAmount": inp.hide_base_amount,
        "minimumBaseAmount": str(minimum) if minimum is not None else None,
        "adjustBaseToLastDeposit": inp.adjust_base_to_last_deposit,
    }


def strategy_of(doc: Doc | None) -> calc.Strategy:
    if doc is None:
        return calc.BUILT_IN
    a = doc["amounts"]
    ladder = calc.Ladder(
        a["calculator"],
        Decimal(a["baseAmount"]),
        tuple(Decimal(i) for i in a["increments"]),
        a["defaultIndex"],
        a["hideBaseAmount"],
        Decimal(a["minimumBaseAmount"]) if a.get("minimumBaseAmount") else None,
        a["adjustBaseToLastDeposit"],
    )
    c = doc.get("customAmount")
    rng = calc.CustomRange(Decimal(c["minimum"]), Decimal(c["maximum"]), Decimal(c["multipleOf"])) if c else None
    return calc.Strategy(ladder, rng)


def matching_strategy(strategies: list[Doc], currency: str, website_id: str) -> Doc | None:
    """The active strategy with the highest priority whose filter takes the request; the oldest on a tie."""
    best: Doc | None = None
    for s in strategies:  # oldest first
        if not s["isActive"]:
            continue
        if s.get("currencies") and currency not in s["currencies"]:
            continue
        if s.get("websiteIds") and website_id not in s["websiteIds"]:
            continue
        if best is None or s["priority"] > best["priority"]:
            best = s
    return best


async def _website_ids(org: OrgDb, problems: Problems, ids: list[strawberry.ID]) -> list[str]:
    out = [str(i) for i in ids]
    found = await websites.get_many(org, out)
    for i, (wid, doc) in enumerate(zip(out, found, strict=True)):
        if doc is None:
            problems.add(["websiteIds", i], f"no website {wid} in this organization", UserErrorCode.NOT_FOUND)
    return out


async def _create_strategy(ctx: Context, inp: DepositStrategyCreateInput) -> DepositStrategyPayload:
    org, problems, t = ctx.org, Problems(), now()
    name = money.text(problems, ["name"], inp.name, 100)
    if name is None:
        problems.add(["name"], "is required", UserErrorCode.REQUIRED)
    amounts = strategy_amounts(problems, inp.amounts)
    custom = custom_range(problems, ["customAmount"], inp.custom_amount)
    if not 0 <= inp.priority <= MAX_PRIORITY:
        problems.add(["priority"], f"must be between 0 and {MAX_PRIORITY}", UserErrorCode.INVALID)
    site_ids = await _website_ids(org, problems, inp.website_ids)
    if await deposit_strategies.count(org) >= deposit_strategies.MAX_PER_ORG:
        problems.add(None, f"an organization has at most {deposit_strategies.MAX_PER_ORG} strategies", UserErrorCode.TOO_MANY)
    if problems:
        return DepositStrategyPayload(deposit_strategy=None, user_errors=problems.errors)
    doc = {
        "id": new_id("dep_str"),
        "name": name,
        "currencies": sorted({c.value for c in inp.currencies}),
        "websiteIds": site_ids,
        "amounts": amounts,
        "customAmount": custom,
        "priority": inp.priority,
        "isActive": inp.is_active,
        "createdTime": t,
        "updatedTime": t,
        "revision": 1,
    }
    await deposit_strategies.insert(org, doc)
    return DepositStrategyPayload(deposit_strategy=DepositStrategy.from_doc(doc), user_errors=[])


async def _update_strategy(ctx: Context, inp: DepositStrategyUpdateInput) -> DepositStrategyPayload:
    org, problems, t = ctx.org, Problems(), now()
    sid = str(inp.id)
    changes: Doc = {}
    if inp.name is not None:
        changes["name"] = money.text(problems, ["name"], inp.name, 100)
        if changes["name"] is None:
            problems.add(["name"], "is required", UserErrorCode.REQUIRED)
    if inp.priority is not None:
        if not 0 <= inp.priority <= MAX_PRIORITY:
            problems.add(["priority"], f"must be between 0 and {MAX_PRIORITY}", UserErrorCode.INVALID)
        changes["priority"] = inp.priority
    if inp.is_active is not None:
        changes["isActive"] = inp.is_active
    if not money.check_id(problems, ["id"], sid, "DepositStrategy", "dep_str") or problems:
        return DepositStrategyPayload(deposit_strategy=None, user_errors=problems.errors)
    current = await deposit_strategies.get(org, sid)
    if current is None:
        problems.add(["id"], f"no deposit strategy {sid} in this organization", UserErrorCode.NOT_FOUND)
        return DepositStrategyPayload(deposit_strategy=None, user_errors=problems.errors)
    revision = inp.expected_revision
    if revision is not None and revision != current["revision"]:
        problems.add(
            ["expectedRevision"], f"the strategy is at revision {current['revision']}", UserErrorCode.REVISION_CONFLICT
        )
        return DepositStrategyPayload(deposit_strategy=DepositStrategy.from_doc(current), user_errors=problems.errors)
    doc = await deposit_strategies.update(org, sid, revision, changes, t)
    if doc is None:  # changed between the read and the write
        problems.add(["expectedRevision"], "the strategy changed meanwhile", UserErrorCode.REVISION_CONFLICT)
        return DepositStrategyPayload(deposit_strategy=None, user_errors=problems.errors)
    return DepositStrategyPayload(deposit_strategy=DepositStrategy.from_doc(doc), user_errors=[])


async def _create_property_set(
    ctx: Context, inp: DepositCustomPropertySetCreateInput
) -> DepositCustomPropertySetCreatePayload:
    org, problems, t = ctx.org, Problems(), now()
    name = money.text(problems, ["name"], inp.name, 100)
    if name is None:
        problems.add(["name"], "is required", UserErrorCode.REQUIRED)
    if not 1 <= len(inp.properties) <= 20:
        problems.add(["properties"], "must have 1-20 fields", UserErrorCode.TOO_MANY if inp.properties else UserErrorCode.REQUIRED)
    props, seen = [], set()
    for i, p in enumerate(inp.properties):
        if not PROPERTY_NAME_RE.fullmatch(p.name):
            problems.add(["properties", i, "name"], "must be 1-40 letters, digits or `_`", UserErrorCode.INVALID)
        elif p.name in seen:
            problems.add(["properties", i, "name"], f"{p.name} appears twice", UserErrorCode.DUPLICATE)
        seen.add(p.name)
        label = money.text(problems, ["properties", i, "label"], p.label, 100)
        if label is None:
            problems.add(["properties", i, "label"], "is required", UserErrorCode.REQUIRED)
        props.append({"name": p.name, "label": label, "type": p.type.name, "required": p.required})
    if await deposit_strategies.count(org, deposit_strategies.PROPERTY_SETS) >= deposit_strategies.MAX_PER_ORG:
        problems.add(None, f"an organization has at most {deposit_strategies.MAX_PER_ORG} sets", UserErrorCode.TOO_MANY)
    if problems:
        return DepositCustomPropertySetCreatePayload(property_set=None, user_errors=problems.errors)
    doc = {"id": new_id("dep_props"), "name": name, "properties": props, "createdTime": t}
    await deposit_strategies.insert(org, doc, deposit_strategies.PROPERTY_SETS)
    return DepositCustomPropertySetCreatePayload(property_set=DepositCustomPropertySet.from_doc(doc), user_errors=[])


async def _create_request(ctx: Context, inp: DepositRequestCreateInput) -> DepositRequestCreatePayload:
    org, problems, t = ctx.org, Problems(), now()
    currency = inp.currency.value
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    website = None
    if inp.website_id is not None:
        wid = str(inp.website_id)
        if money.check_id(problems, ["websiteId"], wid, "Website", "web"):
            website = (await websites.get_many(org, [wid]))[0]
            if website is None:
                problems.add(["websiteId"], f"no website {wid} in this organization", UserErrorCode.NOT_FOUND)
    elif customer is not None:
        website = (await websites.get_many(org, [customer["websiteId"]]))[0]
    account = await money.route_account(org, problems, currency, None)

    strategy_doc = None
    if inp.strategy_id is not None:
        sid = str(inp.strategy_id)
        if money.check_id(problems, ["strategyId"], sid, "DepositStrategy", "dep_str"):
            strategy_doc = await deposit_strategies.get(org, sid)
            if strategy_doc is None:
                problems.add(["strategyId"], f"no deposit strategy {sid} in this organization", UserErrorCode.NOT_FOUND)
    fixed = None
    if inp.amounts is not None:
        if not 1 <= len(inp.amounts) <= MAX_FIXED:
            problems.add(["amounts"], f"must have 1-{MAX_FIXED} amounts", UserErrorCode.TOO_MANY if inp.amounts else UserErrorCode.REQUIRED)
        fixed = [decimal_amount(problems, ["amounts", i], a) for i, a in enumerate(inp.amounts)]
    if inp.default_amount is not None:
        if fixed is None:
            problems.add(["defaultAmount"], "is only for fixed `amounts`", UserErrorCode.INVALID)
        elif inp.default_amount not in fixed:
            problems.add(["defaultAmount"], "must be one of `amounts`", UserErrorCode.INVALID)
    if inp.custom_amount is not None and inp.custom_amounts != CustomAmountMode.ALLOW:
        problems.add(["customAmount"], "is only for `customAmounts: ALLOW`", UserErrorCode.INVALID)
    custom = custom_range(problems, ["customAmount"], inp.custom_amount)
    low = decimal_amount(problems, ["amountLimitsMinimum"], inp.amount_limits_minimum) if inp.amount_limits_minimum is not None else None
    high = decimal_amount(problems, ["amountLimitsMaximum"], inp.amount_limits_maximum) if inp.amount_limits_maximum is not None else None
    if low is not None and high is not None and high < low:
        problems.add(["amountLimitsMaximum"], "must not be below the minimum", UserErrorCode.INVALID)
    property_set = None
    if inp.custom_property_set_id is not None:
        pid = str(inp.custom_property_set_id)
        if money.check_id(problems, ["customPropertySetId"], pid, "DepositCustomPropertySet", "dep_props"):
            property_set = await deposit_strategies.get_property_set(org, pid)
            if property_set is None:
                problems.add(["customPropertySetId"], f"no custom property set {pid} in this organization", UserErrorCode.NOT_FOUND)
    redirect = money.text(problems, ["redirectUrl"], inp.redirect_url, 2083)
    if redirect is not None and not URL_RE.match(redirect):
        problems.add(["redirectUrl"], f"{redirect!r} is not an http(s) URL", UserErrorCode.INVALID_URL)
    expires = inp.expiration_time or t + timedelta(hours=1)
    if inp.expiration_time is not None:
        if expires.tzinfo is None:
            problems.add(["expirationTime"], "must carry a timezone", UserErrorCode.INVALID)
        elif expires <= t:
            problems.add(["expirationTime"], "is in the past", UserErrorCode.DATE_IN_PAST)
        elif expires > t + timedelta(days=MAX_DAYS):
            problems.add(["expirationTime"], f"must be at most {MAX_DAYS} days ahead", UserErrorCode.INVALID)
    if problems or customer is None or website is None or account is None:
        return DepositRequestCreatePayload(deposit_request=None, user_errors=problems.errors)

    if strategy_doc is None and inp.strategy_id is None:
        strategy_doc = matching_strategy(await deposit_strategies.all_of(org), currency, website["id"])
    strategy = strategy_of(strategy_doc)
    last_deposit = None
    if strategy.ladder.adjust_to_last_deposit and not fixed:
        last = await deposit_requests.last_completed(org, customer["id"], currency)
        if last is not None:
            last_deposit = Decimal(last["paidMinor"]).scaleb(-calc.currency_exponent(currency))
    resolved = calc.resolve(
        currency,
        strategy,
        fixed=fixed,
        fixed_default=inp.default_amount,
        custom_mode=inp.custom_amounts.name,
        custom=calc.CustomRange(Decimal(custom["minimum"]), Decimal(custom["maximum"]), Decimal(custom["multipleOf"])) if custom else None,
        limits=(low, high) if low is not None or high is not None else None,
        last_deposit=last_deposit,
    )
    if not resolved.amounts and resolved.custom is None:
        problems.add(None, "no amount is left to offer (check the amount limits and custom amounts)", UserErrorCode.NO_DEPOSIT_AMOUNTS)
        return DepositRequestCreatePayload(deposit_request=None, user_errors=problems.errors)

    rid = new_id("dep_req")
    doc: Doc = {
        "id": rid,
        "customerId": customer["id"],
        "websiteId": website["id"],
        "currency": currency,
        "strategyId": strategy_doc["id"] if strategy_doc and not fixed else None,
        "amountsMinor": list(resolved.amounts),
        "defaultMinor": resolved.default,
        "customAmount": list(resolved.custom) if resolved.custom else None,
        "customAmountMode": inp.custom_amounts.name,
        "amountLimits": {
            "minimum": calc.to_minor(low, currency) if low is not None else None,
            "maximum": calc.to_minor(high, currency) if high is not None else None,
        },
        "customPropertySetId": property_set["id"] if property_set else None,
        "propertiesSchema": property_set["properties"] if property_set else [],
        "properties": None,
        "redirectUrl": redirect or website.get("url"),
        "gatewayAccountId": account["id"],
        "status": "CREATED",
        "tokenHash": money.token_hash(money.link_token(ctx.settings, rid)),
        "expiresTime": expires,
        "transactionIds": [],
        "createdTime": t,
        "updatedTime": t,
        "revision": 1,
    }
    # The expiry job first: a crash before the insert leaves a job that finds nothing; never a request without one.
    await deposit_expiry.schedule(org, doc, t)
    await deposit_requests.insert(org, doc)
    await timeline.record(
        org, customer["id"], "DEPOSIT_REQUEST_CREATED", ctx.actor(), t,
        {"depositRequestId": rid, "currency": currency}, f"Deposit requested ({currency})",
    )
    return DepositRequestCreatePayload(deposit_request=DepositRequest.from_doc(doc), user_errors=[])


async def load_request(ctx: Context, rid: str) -> DepositRequest | None:
    doc = await deposit_requests.get(ctx.org, rid)
    return DepositRequest.from_doc(doc) if doc else None


def _require(kind: str, prefix: str, value: str) -> None:
    if type_of_id(value) != kind:
        raise ClientError(f"{value} is not a {kind} id; expected `{prefix}_…`")


@strawberry.type
class DepositQueries:
    @strawberry.field(description="Every deposit strategy of the organization (at most 200), oldest first.")
    async def deposit_strategies(self, info: Info) -> list[DepositStrategy]:
        return [DepositStrategy.from_doc(d) for d in await deposit_strategies.all_of(info.context.org)]

    @strawberry.field(description="Every deposit custom property set of the organization (at most 200), oldest first.")
    async def deposit_custom_property_sets(self, info: Info) -> list[DepositCustomPropertySet]:
        docs = await deposit_strategies.all_of(info.context.org, deposit_strategies.PROPERTY_SETS)
        return [DepositCustomPropertySet.from_doc(d) for d in docs]

    @strawberry.field(description="One deposit request by id; null when there is none in this organization.")
    async def deposit_request(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Deposit request id.")]
    ) -> DepositRequest | None:
        _require("DepositRequest", "dep_req", str(id))
        return await load_request(info.context, str(id))

    @strawberry.field(description="A customer's deposit requests, newest first (at most `first` ≤ 100).")
    async def deposit_requests(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        first: Annotated[int, strawberry.argument(description="How many, 1-100.")] = 20,
    ) -> list[DepositRequest]:
        if not 1 <= first <= 100:
            raise ClientError("`first` must be between 1 and 100")
        docs = await deposit_requests.of_customer(info.context.org, str(customer_id), first)
        return [DepositRequest.from_doc(d) for d in docs]


@strawberry.type
class DepositMutations:
    @mutation("Makes a deposit strategy: how deposit requests' preset and custom amounts are worked out.")
    async def deposit_strategy_create(self, info: Info, input: DepositStrategyCreateInput) -> DepositStrategyPayload:
        return await _create_strategy(info.context, input)

    @mutation("Renames, reprioritises, activates or deactivates a deposit strategy (requests made keep their amounts).")
    async def deposit_strategy_update(self, info: Info, input: DepositStrategyUpdateInput) -> DepositStrategyPayload:
        return await _update_strategy(info.context, input)

    @mutation("Makes a custom property set: extra fields a deposit page asks the customer to fill in.")
    async def deposit_custom_property_set_create(
        self, info: Info, input: DepositCustomPropertySetCreateInput
    ) -> DepositCustomPropertySetCreatePayload:
        return await _create_property_set(info.context, input)

    @mutation(
        "The guide's *Request deposit*: a hosted deposit page for the customer, with amounts from the chosen, "
        "matching or built-in strategy (or fixed amounts), custom amounts, limits, a redirect URL and an expiry "
        "(default one hour). Share `depositRequest.url`."
    )
    async def deposit_request_create(self, info: Info, input: DepositRequestCreateInput) -> DepositRequestCreatePayload:
        return await _create_request(info.context, input)

