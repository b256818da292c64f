"""API-key authentication and the write-scope permission."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from resolvers.context import Principal
from store import auth
from store.db import Store


class KeyCache:
    """Resolves bearer secrets to principals, caching hits for `ttl` seconds. A revocation still takes
    effect within about `epoch_seconds`: at most once per that interval, a request reads the store's
    revocation epoch (store/auth.py) and the cache is dropped when it moved. Per request that is one
    clock comparison; per process one small read a second, and only while requests arrive."""

    def __init__(self, store: Store, ttl: float, max_entries: int = 10_000, epoch_seconds: float = 1.0) -> None:
        self.store = store
        self.ttl = ttl
        self.max_entries = max_entries
        self.epoch_seconds = epoch_seconds
        self._hits: dict[str, tuple[float, Principal]] = {}
        self._epoch: int | None = None
        self._epoch_due = 0.0
        self._epoch_lock = asyncio.Lock()
        self._verified: dict[str, int] = {}  # key id -> epoch at which it was last seen active

    async def epoch(self) -> int:
        """The revocation epoch, read from the store at most once per `epoch_seconds`."""
        if time.monotonic() >= self._epoch_due or self._epoch is None:
            async with self._epoch_lock:
                if time.monotonic() >= self._epoch_due or self._epoch is None:
                    epoch = await auth.revocation_epoch(self.store)
                    if epoch != self._epoch:
                        self._hits.clear()
                        self._verified.clear()
                        self._epoch = epoch
                    self._epoch_due = time.monotonic() + self.epoch_seconds
        return self._epoch

    async def principal(self, secret: str) -> Principal | None:
        key = auth.hash_key(secret)
        if self.ttl > 0:
            await self.epoch()
            hit = self._hits.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        doc = await auth.find_api_key(self.store, secret)
        if doc is None:
            self._hits.pop(key, None)
            return None
        principal = Principal(
            organization_id=doc["organizationId"], key_id=doc["id"], key_name=doc["name"], scope=doc["scope"],
            user_id=doc.get("userId"), user_name=doc.get("userName"),
            trusted_documents=bool(doc.get("trustedDocuments")),
        )
        if self.ttl > 0:
            if len(self._hits) >= self.max_entries:
                self._hits.clear()
            self._hits[key] = (time.monotonic() + self.ttl, principal)
        return principal

    async def still_active(self, principal: Principal) -> bool:
        """For long-lived connections (websockets): is the key still unrevoked? Reads the key again only
        after the revocation epoch moved, so an idle check costs a clock comparison."""
        epoch = await self.epoch()
        if self._verified.get(principal.key_id) == epoch:
            return True
        if not await auth.key_active(self.store, principal.key_id):
            return False
        if len(self._verified) >= self.max_entries:
            self._verified.clear()
        self._verified[principal.key_id] = epoch
        return True


def bearer_secret(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class CanWrite(BasePermission):
    message = "This API key is read-only; mutations need a key with the `write` scope."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(info.context.principal.can_write)


def mutation(description: str) -> Any:
    """A mutation field: needs the write scope."""
    return strawberry.mutation(description=description, permission_classes=[CanWrite])
