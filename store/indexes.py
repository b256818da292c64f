"""Every index of the project, declared next to its collection and created at start-up."""

from __future__ import annotations

from typing import Any

from store import api_logs, auth, blocklists, customers, files, notifications, payment_instruments, tags, timeline, users, websites
from store.db import Store

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
}


async def ensure_indexes(store: Store) -> None:
    for collection, indexes in ALL.items():
        coll = store.raw(collection)
        for keys, options in indexes:
            await coll.create_index(keys, **options)
