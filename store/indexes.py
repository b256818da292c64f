"""Every index of the project, declared next to its collection and created at start-up."""

from __future__ import annotations

from typing import Any

from pymongo.errors import OperationFailure

from store import (
    api_logs,
    auth,
    blocklists,
    customers,
    files,
    gateway_accounts,
    idempotency,
    notifications,
    payment_instruments,
    payment_links,
    payouts,
    tables,
    tags,
    timeline,
    transactions,
    users,
    websites,
)
from store.db import Store

NOT_IMPLEMENTED = 238

IndexList = list[tuple[list[tuple[str, int]], dict[str, Any]]]

ALL: dict[str, IndexList] = {
    customers.COLLECTION: customers.INDEXES,
    websites.COLLECTION: websites.INDEXES,
    timeline.COLLECTION: timeline.INDEXES,
    payment_instruments.COLLECTION: payment_instruments.INDEXES,
    tags.COLLECTION: tags.INDEXES,
    blocklists.COLLECTION: blocklists.INDEXES,
    **auth.INDEXES,
    users.COLLECTION: users.INDEXES,
    notifications.COLLECTION: notifications.INDEXES,
    api_logs.COLLECTION: api_logs.INDEXES,
    **files.INDEXES,
    transactions.COLLECTION: transactions.INDEXES,
    gateway_accounts.COLLECTION: gateway_accounts.INDEXES,
    idempotency.COLLECTION: idempotency.INDEXES,
    payment_links.COLLECTION: payment_links.INDEXES,
    **payouts.INDEXES,
    **tables.INDEXES,
}


async def ensure_indexes(store: Store) -> None:
    for collection, indexes in ALL.items():
        coll = store.raw(collection)
        for keys, options in indexes:
            try:
                await coll.create_index(keys, **options)
            except OperationFailure as exc:
                if exc.code != NOT_IMPLEMENTED or "expireAfterSeconds" not in options:
                    raise
                # FerretDB v1 has no TTL indexes: keep the index without expiry; the collection's
                # module treats documents past their TTL as absent and removes them as it meets them.
                plain = {k: v for k, v in options.items() if k != "expireAfterSeconds"}
                await coll.create_index(keys, **plain)
