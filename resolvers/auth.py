"""API-key authentication and the write-scope permission."""

from __future__ import annotations

import time
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from resolvers.context import Principal
from store import auth
from store.db import Store


class KeyCache:
    """Resolves bearer secrets to principals, caching hits briefly (revocation takes effect within `ttl`)."""

    def __init__(self, store: Store, ttl: float, max_entries: int = 10_000) -> None:
        self.store = store
        self.ttl = ttl
        self.max_entries = max_entries
        self._hits: dict[str, tuple[float, Principal]] = {}

    async def principal(self, secret: str) -> Principal | None:
        key = auth.hash_key(secret)
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
