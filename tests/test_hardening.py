"""Limits (depth, aliases, tokens, body size, page size), error codes and masking, IDE switches."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx2
from graphql.language import Lexer, Source, TokenKind
from strawberry.extensions.validation_cache import _get_validate_cache

from resolvers.app import create_app
from resolvers.settings import Settings
from store import auth
from store.customers import customers

LIST = "{ customers(first: 1) { edges { node { id } } } }"


@asynccontextmanager
async def client_with(store, **settings):
    app = create_app(Settings(api_key_cache_seconds=0, **settings), store)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def post(client, key: str, query: str, **extra) -> httpx2.Response:
    return await client.post("/graphql", json={"query": query, **extra}, headers={"Authorization": f"Bearer {key}"})


def token_count(query: str) -> int:
    lexer, n = Lexer(Source(query)), 0
    while lexer.advance().kind != TokenKind.EOF:
        n += 1
    return n


async def test_depth_limit_accepts_the_limit_and_refuses_one_more(org, store):
    at = "{ customers(first: 1) { edges { node { website { name } } } } }"  # depth 5
    past = "{ customers(first: 1) { edges { node { timeline(first: 1) { edges { node { id } } } } } } }"  # depth 6
    async with client_with(store, max_depth=5) as c:
        assert "errors" not in (await post(c, org.write_key, at)).json()
        body = (await post(c, org.write_key, past)).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "exceeds maximum operation depth of 5" in body["errors"][0]["message"]


async def test_a_document_is_validated_once_with_the_limits_still_enforced(org, store):
    validate = _get_validate_cache(512)  # the gateway's ValidationCache(maxsize=512), shared per maxsize
    query = "query OncePerProcess { customers(first: 2) { edges { node { id firstName } } } }"
    async with client_with(store) as c:
        assert "errors" not in (await post(c, org.write_key, query)).json()
        before = validate.cache_info()
        for _ in range(3):
            assert "errors" not in (await post(c, org.write_key, query)).json()
        after = validate.cache_info()
        # the same rule classes on every request, so the cache answers: no validation ran again
        assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)
        deep = "{ customers(first: 1) { edges { node { timeline(first: 1) { edges { node { author { name } } } } } } } }"
        assert "errors" not in (await post(c, org.write_key, deep)).json()
    async with client_with(store, max_depth=5) as c:  # another schema, other limits: not the same answer
        body = (await post(c, org.write_key, deep)).json()
        assert "exceeds maximum operation depth of 5" in body["errors"][0]["message"]


async def test_alias_limit_is_twenty(org):
    at = "{ " + " ".join(f"a{i}: customers(first: 1) {{ totalCount }}" for i in range(20)) + " }"
    past = "{ " + " ".join(f"a{i}: customers(first: 1) {{ totalCount }}" for i in range(21)) + " }"
    assert "a19" in await org.gql(at)
    errors = await org.errors(past)
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "aliases" in errors[0]["message"]


async def test_token_limit_is_three_thousand(org):
    def query(n: int) -> str:
        kinds = "CUSTOMER_CREATED " * n
        return "{ customers(first: 1) { edges { node { timeline(first: 1, kinds: [" + kinds + "]) { totalCount } } } } }"

    base = token_count(query(0))
    at, past = query(3000 - base), query(3001 - base)
    assert token_count(at) == 3000 and token_count(past) == 3001
    await org.gql(at)
    errors = await org.errors(past)
    assert errors[0]["extensions"]["code"] in {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}
    assert "token" in errors[0]["message"].lower()


async def test_body_limit_is_256_kib(org, http):
    def body(size: int) -> bytes:
        start = b'{"query": "{ customers(first: 1) { totalCount } }", "extensions": {"pad": "'
        end = b'"}}'
        return start + b"x" * (size - len(start) - len(end)) + end

    headers = {"Authorization": f"Bearer {org.write_key}", "Content-Type": "application/json"}
    ok = await http.post("/graphql", content=body(256 * 1024), headers=headers)
    assert ok.status_code == 200, ok.text
    too_big = await http.post("/graphql", content=body(256 * 1024 + 1), headers=headers)
    assert too_big.status_code == 413


async def test_parse_and_validation_errors_carry_codes(org):
    assert (await org.errors("{ customers(first: 1) { "))[0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert (await org.errors("{ nope }"))[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    errors = await org.errors("query($n: Int!) { customers(first: $n) { totalCount } }", {"n": "ten"})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_internal_errors_are_masked_with_a_code(org, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("pymongo exploded at db-host:27017")

    monkeypatch.setattr(customers, "list_page", broken)
    body = (await org.post(LIST)).json()
    assert body["errors"] == [{"message": "Internal server error", "locations": [{"line": 1, "column": 3}],
                               "path": ["customers"], "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    assert "pymongo" not in str(body)


async def test_introspection_can_be_switched_off(org, store):
    query = "{ __schema { queryType { name } } }"
    assert (await org.gql(query))["__schema"]["queryType"]["name"] == "Query"
    async with client_with(store, introspection_enabled=False) as c:
        body = (await post(c, org.write_key, query)).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_graphiql_page_is_served_from_local_assets_and_can_be_switched_off(http, store):
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "unpkg.com" not in page.text
    assert "/graphiql-assets/graphiql/graphiql.min.js" in page.text
    for asset in ("graphiql/graphiql.min.js", "graphiql/graphiql.min.css", "react/umd/react.production.min.js",
                  "@graphiql/plugin-explorer/dist/index.umd.js"):
        assert (await http.get(f"/graphiql-assets/{asset}")).status_code == 200, asset
    async with client_with(store, graphiql_enabled=False) as c:
        assert (await c.get("/graphql", headers={"Accept": "text/html"})).status_code != 200


async def test_health_and_schema_routes(http):
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    sdl = (await http.get("/schema.graphql")).text
    assert "type Customer implements " in sdl and "interface Node" in sdl


async def test_read_key_scope_is_checked_before_any_write(org, store, commands):
    before = commands.count(store.db.name)
    body = (await org.post('mutation { websiteCreate(input: {name: "x"}) { website { id } } }', key=org.read_key)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The key lookup, then the API log entry of the refused request: no data write (the key's cost bucket
    # is not counted, see tests/helpers.py).
    assert commands.names(store.db.name)[before:] == ["find", "insert"]
    assert await store.for_org(org.id)["api_logs"].count({"outcome": "ERROR"}) == 1
    assert await store.for_org(org.id)["websites"].count({"name": "x"}) == 0
    assert isinstance(await auth.find_api_key(store, org.read_key), dict)
    assert datetime.now(UTC)
