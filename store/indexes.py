"""Every index of the project, declared next to its collection and created at start-up."""

from __future__ import annotations

from pymongo.errors import OperationFailure

from store import activity, auth, billing, compliance, cost_buckets, customers, jobs, links, money, persisted_documents, tables, wallet
from store.db import IndexList, Store

NOT_IMPLEMENTED = 238

# The store's composition root: every context's indexes. A new context adds its package here.
ALL: dict[str, IndexList] = {
    **customers.INDEXES,
    **wallet.INDEXES,
    **activity.INDEXES,
    **money.INDEXES,
    **auth.INDEXES,
    jobs.COLLECTION: jobs.INDEXES,
    **tables.INDEXES,
    **links.INDEXES,
    **compliance.INDEXES,
    persisted_documents.COLLECTION: persisted_documents.INDEXES,
    cost_buckets.COLLECTION: cost_buckets.INDEXES,
    **billing.INDEXES,
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
