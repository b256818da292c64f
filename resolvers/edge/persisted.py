"""Persisted documents: Apollo's automatic persisted queries, document ids, and trusted-documents keys.

A request names a registered document in one of three ways:
* `extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}` (Apollo's APQ protocol, also
  over GET, so a CDN can cache a query by its URL). With the hash alone, an unknown document answers
  `PERSISTED_QUERY_NOT_FOUND` (message `PersistedQueryNotFound`), and the client sends the hash with
  the text, which registers it;
* `documentId: "sha256:<hex>"` (the GraphQL-over-HTTP persisted-documents proposal) or a bare id;
* `doc_id` / `id` (Relay's persisted queries).

A key in trusted-documents mode runs only documents registered from a client's manifest
(`python -m resolvers.cli register-documents`); anything else answers `DOCUMENT_NOT_TRUSTED`. Other keys
(analysts in GraphiQL) run any document. Documents are kept per organization in the document store;
each process remembers the ones it has seen (a bounded cache), so the fast path pays no round trip.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from strawberry.http import GraphQLRequestData

from resolvers.edge.envelope import RequestError
from store import persisted_documents
from store.db import OrgDb

HEX64 = re.compile(r"[0-9a-f]{64}")
# Query parameters by which a GET names a document to run (rather than asking for the GraphiQL page).
PERSISTED_PARAMS = frozenset({"query", "extensions", "documentId", "doc_id", "id"})
MAX_ID_LENGTH = 200


@dataclass
class RequestData(GraphQLRequestData):
    """A request's fields, plus the persisted-document id it names outside `extensions`."""

    document_id: str | None = None


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def not_found() -> RequestError:
    # Status 200 as Apollo Server answers it: every client reads it as a GraphQL error and retries.
    return RequestError(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")


def untrusted() -> RequestError:
    return RequestError(403, "DOCUMENT_NOT_TRUSTED",
                        "This API key runs only trusted documents: send the id of a document registered from your "
                        "client's manifest (docs/clients.md, \"Trusted documents\").")


def requested_id(data: RequestData) -> tuple[str | None, bool]:
    """(document id, whether it is an APQ hash that must match the text); refuses malformed ids."""
    extensions = data.extensions or {}
    apq = extensions.get("persistedQuery")
    if apq is not None:
        if not isinstance(apq, dict) or apq.get("version") != 1 or not isinstance(apq.get("sha256Hash"), str):
            raise RequestError(400, "BAD_REQUEST", "`extensions.persistedQuery` must be "
                               '{"version": 1, "sha256Hash": "<64 lowercase hex digits>"}.')
        digest = apq["sha256Hash"]
        if not HEX64.fullmatch(digest):
            raise RequestError(400, "BAD_REQUEST", "`persistedQuery.sha256Hash` must be 64 lowercase hex digits.")
        return digest, True
    document_id = data.document_id
    if document_id is None:
        return None, False
    if document_id.startswith("sha256:"):
        document_id = document_id.removeprefix("sha256:")
        if not HEX64.fullmatch(document_id):
            raise RequestError(400, "BAD_REQUEST", "`documentId` sha256:… must be followed by 64 lowercase hex digits.")
    if not document_id or len(document_id) > MAX_ID_LENGTH:
        raise RequestError(400, "BAD_REQUEST", f"A document id is 1 to {MAX_ID_LENGTH} characters.")
    return document_id, False


class PersistedDocuments:
    """Resolves a request to its document text; registers APQ documents; enforces trusted documents."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._known: dict[tuple[str, str], tuple[str, bool]] = {}  # (org, id) -> (text, trusted)

    def remember(self, org_id: str, document_id: str, query: str, trusted: bool) -> None:
        if len(self._known) >= self.max_entries:
            self._known.clear()
        self._known[(org_id, document_id)] = (query, trusted)

    async def lookup(self, org: OrgDb, document_id: str, *, need_trusted: bool) -> tuple[str, bool] | None:
        hit = self._known.get((org.org_id, document_id))
        if hit is not None and (hit[1] or not need_trusted):
            return hit
        doc = await persisted_documents.get(org, document_id)
        if doc is None:
            return None
        found = (str(doc["query"]), bool(doc.get("trusted")))
        self.remember(org.org_id, document_id, *found)
        return found

    async def resolve(self, org: OrgDb, data: RequestData, trusted_only: bool, now: datetime) -> str | None:
        """The text to run (None: the request has none, which the view reports)."""
        document_id, is_hash = requested_id(data)
        query = data.query
        if document_id is None:
            if trusted_only:
                if not query:
                    return None
                found = await self.lookup(org, sha256(query), need_trusted=True)
                if found is None or not found[1]:
                    raise untrusted()
            return query
        if query:
            if is_hash and sha256(query) != document_id:
                raise RequestError(400, "BAD_REQUEST", "`persistedQuery.sha256Hash` is not the SHA-256 of `query`.")
            if not is_hash:
                raise RequestError(400, "BAD_REQUEST", "Send either `query` or a document id, not both.")
            found = await self.lookup(org, document_id, need_trusted=trusted_only)
            if trusted_only and (found is None or not found[1]):
                raise untrusted()
            if found is None:  # APQ registration: the hash with its text
                await persisted_documents.register(org, document_id, query, now, trusted=False)
                self.remember(org.org_id, document_id, query, False)
            return query
        found = await self.lookup(org, document_id, need_trusted=trusted_only)
        if found is None:
            if trusted_only:
                raise untrusted()
            raise not_found()
        if trusted_only and not found[1]:
            raise untrusted()
        return found[0]


def manifest_documents(manifest: Any) -> list[tuple[str, str]]:
    """(id, text) of a client's manifest: Apollo's persisted query manifest
    (`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body", ...}]}`,
    each id the SHA-256 of its body, checked), or Relay's / graphql-codegen's `{"<id>": "<text>"}` map."""
    if isinstance(manifest, dict) and manifest.get("format") == "apollo-persisted-query-manifest":
        operations = manifest.get("operations")
        if manifest.get("version") != 1 or not isinstance(operations, list):
            raise ValueError("an Apollo manifest has version 1 and a list of operations")
        documents = []
        for i, op in enumerate(operations):
            if not isinstance(op, dict) or not isinstance(op.get("id"), str) or not isinstance(op.get("body"), str):
                raise ValueError(f"operation {i} needs a string id and body")
            if sha256(op["body"]) != op["id"]:
                raise ValueError(f"operation {i} ({op.get('name')}): its id is not the SHA-256 of its body")
            documents.append((op["id"], op["body"]))
        return documents
    if isinstance(manifest, dict) and manifest and all(
            isinstance(k, str) and isinstance(v, str) for k, v in manifest.items()):
        for k in manifest:
            if not k or len(k) > MAX_ID_LENGTH:
                raise ValueError(f"document id {k[:40]!r} is not 1 to {MAX_ID_LENGTH} characters")
        return [(k.removeprefix("sha256:"), v) for k, v in manifest.items()]
    raise ValueError('not a manifest: expected Apollo\'s {"format": "apollo-persisted-query-manifest", …} '
                     'or a {"<id>": "<document>"} map')
