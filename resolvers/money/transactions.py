"""Transaction queries: `transaction(id)` (a customer's list is `Customer.transactions`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.context import Info
from schema.common import ClientError
from schema.money.transactions import Transaction
from store.ids import type_of_id


@strawberry.type
class TransactionQueries:
    @strawberry.field(description="One transaction by id; null when there is none in this organization.")
    async def transaction(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Transaction id (`txn_…`).")],
    ) -> Transaction | None:
        kind = type_of_id(str(id))
        if kind != "Transaction":
            raise ClientError(f"{id} is {'a ' + kind if kind else 'not a Transaction'} id; expected `txn_…`")
        return await info.context.loaders.transaction_by_id.load(str(id))
