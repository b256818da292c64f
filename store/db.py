"""The MongoDB client and the one place where tenant scope is applied.

`Store` owns the `AsyncMongoClient`. `Store.for_org(org_id)` gives an `OrgDb` whose collections are
`Scoped`: every filter, update, insert and count they send starts with `organizationId`, so no caller
can forget it. Only the organization and API-key lookups that establish the tenant use `Store.raw`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandListener

Doc = dict[str, Any]
# An index list of a collection: (keys, create_index options) pairs, declared beside the collection.
IndexList = list[tuple[list[tuple[str, int]], dict[str, Any]]]
Filter = Mapping[str, Any]
SortSpec = Sequence[tuple[str, int]]


def make_client(
    uri: str, *, listeners: Sequence[CommandListener] = (), timeout_ms: int = 10_000
) -> AsyncMongoClient[Doc]:
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        event_listeners=list(listeners),
        appname="customer-graph",
    )


class Scoped:
    """A collection seen through one organization."""

    __slots__ = ("coll", "org_id")

    def __init__(self, coll: AsyncCollection[Doc], org_id: str) -> None:
        self.coll = coll
        self.org_id = org_id

    def _f(self, flt: Filter) -> Doc:
        return {"organizationId": self.org_id, **flt}

    async def find_one(self, flt: Filter, projection: Mapping[str, Any] | None = None) -> Doc | None:
        return await self.coll.find_one(self._f(flt), projection)

    def find(
        self,
        flt: Filter,
        projection: Mapping[str, Any] | None = None,
        *,
        sort: SortSpec | None = None,
        limit: int = 0,
        expect: int = 0,
    ) -> AsyncCursor[Doc]:
        """`expect`: how many documents may come back at most; the first batch is sized for them so
        the result arrives in one round trip (the driver's default first batch is 101 documents)."""
        cursor = self.coll.find(self._f(flt), projection)
        if sort:
            cursor = cursor.sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        if expect or limit:
            # One more than can come back: FerretDB keeps a cursor open after a full batch (an empty getMore follows).
            cursor = cursor.batch_size(max(expect, limit) + 1)
        return cursor

    async def find_list(
        self,
        flt: Filter,
        projection: Mapping[str, Any] | None = None,
        *,
        sort: SortSpec | None = None,
        limit: int = 0,
        expect: int = 0,
    ) -> list[Doc]:
        return await self.find(flt, projection, sort=sort, limit=limit, expect=expect).to_list()

    async def by_ids(self, ids: Sequence[str], key: str = "id") -> list[Doc | None]:
        """Documents whose `key` is in `ids`, in the order of `ids` (None where absent): one `$in` query,
        its first batch sized so the answer arrives in one round trip."""
        docs = await self.find_list({key: {"$in": list(set(ids))}}, {"_id": 0}, expect=len(ids))
        found = {d[key]: d for d in docs}
        return [found.get(i) for i in ids]

    async def count(self, flt: Filter) -> int:
        return await self.coll.count_documents(self._f(flt))

    async def insert_one(self, doc: Doc) -> None:
        doc["organizationId"] = self.org_id
        await self.coll.insert_one(doc)

    async def insert_many(self, docs: list[Doc]) -> None:
        for doc in docs:
            doc["organizationId"] = self.org_id
        if docs:
            await self.coll.insert_many(docs, ordered=False)

    async def update_one(self, flt: Filter, update: Mapping[str, Any], *, upsert: bool = False) -> int:
        if upsert:
            update = {**update, "$setOnInsert": {**update.get("$setOnInsert", {}), "organizationId": self.org_id}}
        result = await self.coll.update_one(self._f(flt), update, upsert=upsert)
        return result.modified_count + (1 if result.upserted_id is not None else 0)

    async def update_many(self, flt: Filter, update: Mapping[str, Any]) -> int:
        result = await self.coll.update_many(self._f(flt), update)
        return result.modified_count

    async def find_one_and_update(
        self, flt: Filter, update: Mapping[str, Any], *, upsert: bool = False
    ) -> Doc | None:
        """Applies `update` to one document and returns it as it is afterwards (None: no match)."""
        if upsert:
            update = {**update, "$setOnInsert": {**update.get("$setOnInsert", {}), "organizationId": self.org_id}}
        return await self.coll.find_one_and_update(
            self._f(flt), update, return_document=ReturnDocument.AFTER, upsert=upsert
        )

    async def delete_one(self, flt: Filter) -> int:
        return (await self.coll.delete_one(self._f(flt))).deleted_count

    async def delete_many(self, flt: Filter) -> int:
        return (await self.coll.delete_many(self._f(flt))).deleted_count


@dataclass(frozen=True, slots=True)
class OrgDb:
    """Every collection of one organization's data, scoped."""

    db: AsyncDatabase[Doc]
    org_id: str

    def __getitem__(self, name: str) -> Scoped:
        return Scoped(self.db[name], self.org_id)


class Store:
    def __init__(self, client: AsyncMongoClient[Doc], database: str) -> None:
        self.client = client
        self.db: AsyncDatabase[Doc] = client[database]

    def for_org(self, org_id: str) -> OrgDb:
        return OrgDb(self.db, org_id)

    def raw(self, name: str) -> AsyncCollection[Doc]:
        """Unscoped access, for the lookups that establish the tenant (API keys, organizations)."""
        return self.db[name]

    async def close(self) -> None:
        await self.client.close()
