"""Gateway accounts: list them, add a sandbox account with its accepted currencies."""

from __future__ import annotations

import strawberry

from resolvers.auth import mutation
from resolvers.context import Info, now
from resolvers.money import money
from schema.common import Problems, UserErrorCode
from schema.money.gateways import GatewayAccount, GatewayAccountCreateInput, GatewayAccountCreatePayload
from store.ids import new_id
from store.money import gateway_accounts

MAX_CURRENCIES = 50


@strawberry.type
class GatewayAccountQueries:
    @strawberry.field(description="The organization's gateway accounts, oldest first (at most 50).")
    async def gateway_accounts(self, info: Info) -> list[GatewayAccount]:
        return [GatewayAccount.from_doc(d) for d in await gateway_accounts.list_all(info.context.org)]


@strawberry.type
class GatewayAccountMutations:
    @mutation(
        "Adds a sandbox gateway account accepting the given currencies (the guide's *Set up a "
        "payment gateway*)."
    )
    async def gateway_account_create(
        self, info: Info, input: GatewayAccountCreateInput
    ) -> GatewayAccountCreatePayload:
        ctx = info.context
        problems = Problems()
        name = money.text(problems, ["name"], input.name)
        if name is None:
            problems.add(["name"], "is required", UserErrorCode.REQUIRED)
        codes = [c.value for c in input.accepted_currencies]
        if not codes:
            problems.add(["acceptedCurrencies"], "give at least one currency", UserErrorCode.REQUIRED)
        elif len(codes) > MAX_CURRENCIES:
            problems.add(
                ["acceptedCurrencies"],
                f"has {len(codes)} items; the limit is {MAX_CURRENCIES}",
                UserErrorCode.TOO_MANY,
            )
        for i, code in enumerate(codes):
            if code in codes[:i]:
                problems.add(["acceptedCurrencies", i], f"{code} appears twice", UserErrorCode.DUPLICATE)
        if len(await gateway_accounts.list_all(ctx.org)) >= gateway_accounts.MAX_ACCOUNTS:
            problems.add(
                None,
                f"an organization has at most {gateway_accounts.MAX_ACCOUNTS} gateway accounts",
                UserErrorCode.TOO_MANY,
            )
        if problems:
            return GatewayAccountCreatePayload(gateway_account=None, user_errors=problems.errors)
        doc = {
            "id": new_id("gwa"),
            "name": name,
            "gatewayName": "SANDBOX",
            "acceptedCurrencies": codes,
            "active": True,
            "createdTime": now(),
        }
        await gateway_accounts.insert(ctx.org, doc)
        return GatewayAccountCreatePayload(gateway_account=GatewayAccount.from_doc(doc), user_errors=[])
