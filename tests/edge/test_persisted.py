"""Persisted documents: Apollo's APQ protocol (POST and GET), document ids, trusted-documents keys."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson

from store import auth, persisted_documents
from store.db import Store
from tests.edge.conftest import gateway
from tests.helpers import Org

QUERY = "query Count { customers(first: 1) { totalCount } }"
OTHER = "query Tags { tags(first: 1) { totalCount } }"


async def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Runs `python -m resolvers.cli ARGS` without blocking the event loop."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "resolvers.cli", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


async def test_apq_hash_only_then_with_text_then_hash_only_over_get(org: Org, store: Store):
    headers = {"Authorization": f"Bearer {org.write_key}"}
    first = await org.http.post("/graphql", json={"extensions": apq(QUERY)}, headers=headers)
    assert first.status_code == 200, first.text
    [error] = first.json()["errors"]
    assert error == {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    second = await org.http.post("/graphql", json={"query": QUERY, "extensions": apq(QUERY)}, headers=headers)
    assert second.json()["data"] == {"customers": {"totalCount": 0}}
    # stored in the document store, so every gateway process knows it
    stored = await persisted_documents.get(store.for_org(org.id), sha(QUERY))
    assert stored is not None and stored["query"] == QUERY and stored["trusted"] is False
    async with gateway(store) as another_process:
        third = await another_process.get("/graphql", params={"extensions": json.dumps(apq(QUERY))}, headers=headers)
    assert third.status_code == 200, third.text
    assert third.json()["data"] == {"customers": {"totalCount": 0}}
    # the text under a wrong hash is refused
    wrong = await org.http.post("/graphql", json={"query": OTHER, "extensions": apq(QUERY)}, headers=headers)
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_apq_documents_are_per_organization(org: Org, other_org: Org):
    await org.post(QUERY, headers={})  # plain
    await org.http.post("/graphql", json={"query": QUERY, "extensions": apq(QUERY)},
                        headers={"Authorization": f"Bearer {org.write_key}"})
    theirs = await other_org.http.post("/graphql", json={"extensions": apq(QUERY)},
                                       headers={"Authorization": f"Bearer {other_org.write_key}"})
    assert theirs.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_malformed_persisted_query_extensions_are_400(org: Org):
    headers = {"Authorization": f"Bearer {org.write_key}"}
    for ext in ({"persistedQuery": {"version": 2, "sha256Hash": sha(QUERY)}}, {"persistedQuery": {"version": 1}},
                {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}, {"persistedQuery": "x"}):
        response = await org.http.post("/graphql", json={"extensions": ext}, headers=headers)
        assert response.status_code == 400, (ext, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_trusted_documents_key_runs_only_its_manifest(org: Org, store: Store, mongodb_uri: str, tmp_path: Path):
    secret, _ = await auth.create_api_key(store, org.id, "read", "dashboard", datetime.now(UTC), trusted_documents=True)
    headers = {"Authorization": f"Bearer {secret}"}
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1,
                "operations": [{"id": sha(QUERY), "name": "Count", "type": "query", "body": QUERY}]}
    path = tmp_path / "manifest.json"
    path.write_bytes(orjson.dumps(manifest))
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": store.db.name}
    code, out, err = await cli("register-documents", org.id, str(path), "--client", "web", env=env)
    assert code == 0, err
    assert "registered 1 trusted documents" in out

    by_hash = await org.http.post("/graphql", json={"extensions": apq(QUERY)}, headers=headers)
    assert by_hash.json()["data"] == {"customers": {"totalCount": 0}}
    by_id = await org.http.post("/graphql", json={"documentId": f"sha256:{sha(QUERY)}"}, headers=headers)
    assert by_id.json()["data"] == {"customers": {"totalCount": 0}}
    by_text = await org.http.post("/graphql", json={"query": QUERY}, headers=headers)  # the same text is trusted
    assert by_text.json()["data"] == {"customers": {"totalCount": 0}}
    for body in ({"query": OTHER}, {"query": OTHER, "extensions": apq(OTHER)}, {"extensions": apq(OTHER)}):
        refused = await org.http.post("/graphql", json=body, headers=headers)
        assert refused.status_code == 403, (body, refused.text)
        assert refused.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_NOT_TRUSTED"
    # APQ registration by a trusted-documents key registered nothing
    assert await persisted_documents.get(store.for_org(org.id), sha(OTHER)) is None
    # the organization's other keys (analysts in GraphiQL) still run anything
    assert (await org.gql(OTHER))["tags"]["totalCount"] == 0


async def test_a_relay_map_registers_its_own_ids(org: Org, store: Store, mongodb_uri: str, tmp_path: Path):
    secret, _ = await auth.create_api_key(store, org.id, "read", "relay app", datetime.now(UTC), trusted_documents=True)
    path = tmp_path / "persisted_queries.json"
    path.write_text(json.dumps({"5d41402abc4b2a76b9719d911017c592": QUERY}))
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": store.db.name}
    code, _, err = await cli("register-documents", org.id, str(path), env=env)
    assert code == 0, err
    response = await org.http.post("/graphql", json={"doc_id": "5d41402abc4b2a76b9719d911017c592"},
                                   headers={"Authorization": f"Bearer {secret}"})
    assert response.json()["data"] == {"customers": {"totalCount": 0}}


def test_a_manifest_with_a_wrong_hash_is_refused(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                                "operations": [{"id": "0" * 64, "name": "Count", "type": "query", "body": QUERY}]}))
    done = subprocess.run([sys.executable, "-m", "resolvers.cli", "register-documents", "org_x", str(path)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "MONGODB_URI": "mongodb://127.0.0.1:1"})
    assert done.returncode != 0 and "not the SHA-256 of its body" in done.stderr


CREATE_TAG = 'mutation { tagCreate(input: {name: "fresh"}) { tag { id } userErrors { code } } }'
TAGS = "query Tags { tags(first: 5) { edges { node { name } } } }"


async def test_a_persisted_get_is_privately_cacheable_and_revalidates_with_an_etag(org: Org, store: Store):
    headers = {"Authorization": f"Bearer {org.write_key}"}
    await org.http.post("/graphql", json={"query": TAGS, "extensions": apq(TAGS)}, headers=headers)  # registered
    params = {"extensions": json.dumps(apq(TAGS))}
    first = await org.http.get("/graphql", params=params, headers=headers)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "private, max-age=0"
    assert {"Authorization", "Accept"} <= {v.strip() for v in first.headers["vary"].split(",")}  # (and CORS's Origin)
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    # the client's copy is current: 304, no body, the same validators
    again = await org.http.get("/graphql", params=params, headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"] == "private, max-age=0"
    # the data changed: a full answer with a new ETag
    assert (await org.gql(CREATE_TAG))["tagCreate"]["userErrors"] == []
    changed = await org.http.get("/graphql", params=params, headers={**headers, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert changed.json()["data"]["tags"]["edges"] == [{"node": {"name": "fresh"}}]
    # max-age is a setting
    async with gateway(store, persisted_get_max_age_seconds=30) as client:
        kept = await client.get("/graphql", params=params, headers=headers)
    assert kept.headers["cache-control"] == "private, max-age=30"


async def test_other_get_answers_are_not_stored(org: Org):
    headers = {"Authorization": f"Bearer {org.write_key}"}
    plain = await org.http.get("/graphql", params={"query": TAGS}, headers=headers)  # full text, not persisted
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-store" and "etag" not in plain.headers
    unknown = await org.http.get("/graphql", params={"extensions": json.dumps(apq(OTHER))}, headers=headers)
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.headers["cache-control"] == "no-store"
    failing = "query Bad { customer(id: \"cus_missing\") { id } nosuchfield }"
    await org.http.post("/graphql", json={"query": failing, "extensions": apq(failing)}, headers=headers)
    invalid = await org.http.get("/graphql", params={"extensions": json.dumps(apq(failing))}, headers=headers)
    assert invalid.json()["errors"] and invalid.headers["cache-control"] == "no-store"
    # a persisted mutation is never run by GET
    await org.http.post("/graphql", json={"query": CREATE_TAG, "extensions": apq(CREATE_TAG)}, headers=headers)
    by_get = await org.http.get("/graphql", params={"extensions": json.dumps(apq(CREATE_TAG))}, headers=headers)
    assert by_get.status_code == 405 and by_get.headers["cache-control"] == "no-store"
    assert (await org.gql("{ tags(first: 5) { edges { node { name } } } }"))["tags"]["edges"] == [{"node": {"name": "fresh"}}]
