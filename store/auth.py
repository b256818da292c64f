"""Organizations and their API keys. Keys are stored as SHA-256 hashes and never returned again.

These are the lookups that establish the tenant, so they read the raw collections; everything after
authentication goes through `Store.for_org`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.db import Doc, Store
from store.ids import new_id

ORGANIZATIONS = "organizations"
API_KEYS = "api_keys"
# One document `{id: "revocations", epoch: n}`: +1 per revocation. Every gateway process reads it about
# once a second (one indexed find) and drops its key cache when it moved, so a revocation reaches every
# process within a second or two without a store read per request.
AUTH_STATE = "auth_state"
REVOCATIONS_ID = "revocations"
SCOPES = ("read", "write")
KEY_PREFIX = "cgk_"

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    ORGANIZATIONS: [([("id", ASCENDING)], {"unique": True, "name": "id_unique"})],
    AUTH_STATE: [([("id", ASCENDING)], {"unique": True, "name": "id_unique"})],
    API_KEYS: [
        ([("hash", ASCENDING)], {"unique": True, "name": "hash_unique"}),
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("id", ASCENDING)], {"unique": True, "name": "id_unique"}),
    ],
}


def hash_key(secret: str) -> str:
    # API keys are 256-bit random secrets, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_organization(store: Store, name: str, now: datetime, org_id: str | None = None) -> Doc:
    doc = {"id": org_id or new_id("org"), "name": name, "createdTime": now}
    await store.raw(ORGANIZATIONS).insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get_organization(store: Store, org_id: str) -> Doc | None:
    return await store.raw(ORGANIZATIONS).find_one({"id": org_id}, {"_id": 0})


async def create_api_key(
    store: Store, org_id: str, scope: str, name: str, now: datetime, user_id: str | None = None,
    user_name: str | None = None, trusted_documents: bool = False,
) -> tuple[str, Doc]:
    """Creates a key; returns the secret (shown once) and the stored document (without it)."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    doc = {
        "id": new_id("key"),
        "organizationId": org_id,
        "name": name,
        "scope": scope,
        "userId": user_id,
        "userName": user_name,  # shown as the author of what the key's user does (Principal.actor)
        "hash": hash_key(secret),
        "hint": secret[:8] + "…",
        "createdTime": now,
        "revoked": False,
        "trustedDocuments": trusted_documents,  # runs only registered documents (resolvers/edge/persisted.py)
    }
    await store.raw(API_KEYS).insert_one(doc)
    doc.pop("_id", None)
    return secret, doc


async def find_api_key(store: Store, secret: str) -> Doc | None:
    if not secret.startswith(KEY_PREFIX):
        return None
    return await store.raw(API_KEYS).find_one({"hash": hash_key(secret), "revoked": False}, {"_id": 0, "hash": 0})


async def list_api_keys(store: Store, org_id: str | None = None) -> list[Doc]:
    """Keys (never their hash), oldest first; of one organization or all."""
    query = {"organizationId": org_id} if org_id else {}
    return await store.raw(API_KEYS).find(query, {"_id": 0, "hash": 0}).sort("createdTime", ASCENDING).to_list()


async def revoke_api_key(store: Store, key_id: str, now: datetime, org_id: str | None = None) -> Doc | None:
    """Revokes a key for good (by id, optionally only within `org_id`); None when there is no such key.
    Revoking a revoked key changes nothing. Then moves the revocation epoch, which every process watches."""
    query: Doc = {"id": key_id, **({"organizationId": org_id} if org_id else {})}
    doc = await store.raw(API_KEYS).find_one(query, {"_id": 0, "hash": 0})
    if doc is None:
        return None
    if not doc.get("revoked"):
        await store.raw(API_KEYS).update_one(
            {**query, "revoked": False}, {"$set": {"revoked": True, "revokedTime": now}}
        )
        doc = {**doc, "revoked": True, "revokedTime": now}
    await store.raw(AUTH_STATE).update_one(
        {"id": REVOCATIONS_ID}, {"$inc": {"epoch": 1}, "$set": {"updatedTime": now}}, upsert=True
    )
    return doc


async def revocation_epoch(store: Store) -> int:
    doc = await store.raw(AUTH_STATE).find_one({"id": REVOCATIONS_ID}, {"_id": 0, "epoch": 1})
    return int(doc["epoch"]) if doc else 0


async def key_active(store: Store, key_id: str) -> bool:
    return await store.raw(API_KEYS).find_one({"id": key_id, "revoked": False}, {"_id": 0, "id": 1}) is not None
