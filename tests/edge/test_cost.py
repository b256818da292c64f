"""Query cost: a static cost before execution, a maximum per request, a leaky bucket per key, a timeout."""

from __future__ import annotations

from datetime import UTC, datetime

from graphql import parse

from resolvers.edge.cost import compile_operation
from resolvers.schema import build_schema
from store import auth
from store.db import Store
from tests.edge.conftest import gateway
from tests.helpers import CommandCounter, Org

NESTED = "timeline(first: 100) { edges { node { id } } } apiLogs(first: 100) { edges { node { id } } } " \
         "transactions(first: 100) { edges { node { id } } }"
# The costly query: 20 aliases x customers(first: 100) x three nested connections of 100.
COSTLY = "{ " + " ".join(f"c{i}: customers(first: 100) {{ edges {{ node {{ id {NESTED} }} }} }}" for i in range(20)) + " }"
PAGE = "query($n: Int!) { customers(first: $n) { edges { node { id timeline(first: 20) { edges { node { id } } } } } } }"


def cost_of(query: str, variables: dict | None = None) -> int:
    schema = build_schema()._schema
    doc = parse(query)
    return compile_operation(schema, doc, doc.definitions[0]).evaluate(variables)


def test_connections_multiply_and_variables_are_read_per_request():
    assert cost_of(PAGE, {"n": 10}) == 10 * (1 + 1 + 1 + 20 * 3)
    assert cost_of(PAGE, {"n": 100}) == 100 * 63
    assert cost_of(PAGE, {}) == 100 * 63  # a missing page size counts as the largest page
    assert cost_of(PAGE, {"n": 10_000}) == 100 * 63  # larger pages are refused when the field runs
    assert cost_of("{ customers(first: 5) { totalCount } }") == 5
    assert cost_of('mutation { tagCreate(input: {name: "a"}) { tag { id } } }') == 10 + 1 + 1
    fragment = "query { ...F } fragment F on Query { customers(first: 2) { edges { node { id } } } }"
    assert cost_of(fragment) == 2 * 3
    assert cost_of(COSTLY) > 1_000_000


async def test_the_costly_query_is_refused_before_touching_the_store(org: Org, store: Store, commands: CommandCounter):
    before = commands.count(store.db.name)
    response = await org.post(COSTLY)
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"]["requestedQueryCost"] > 1_000_000
    assert error["extensions"]["cost"]["maximumAvailable"] == 25_000
    # only the API key was read
    assert commands.names(store.db.name)[before:] == ["find"]


async def test_a_response_reports_its_cost_and_the_bucket(org: Org):
    body = (await org.post(PAGE, {"n": 10})).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 630
    assert cost["throttleStatus"]["maximumAvailable"] == 200_000
    assert 200_000 - 1_000 < cost["throttleStatus"]["currentlyAvailable"] <= 200_000 - 630
    assert cost["throttleStatus"]["restoreRate"] == 20_000


async def test_an_empty_bucket_throttles_with_when_to_retry(org: Org, store: Store):
    fresh, _ = await auth.create_api_key(store, org.id, "read", "fresh", datetime.now(UTC))  # its bucket is untouched
    async with gateway(store, cost_bucket_size=1_000, cost_restore_rate=10) as client:
        headers = {"Authorization": f"Bearer {fresh}"}
        first = await client.post("/graphql", json={"query": PAGE, "variables": {"n": 10}}, headers=headers)
        assert first.status_code == 200 and first.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 370
        second = await client.post("/graphql", json={"query": PAGE, "variables": {"n": 10}}, headers=headers)
        assert second.status_code == 429, second.text
        [error] = second.json()["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        retry = error["extensions"]["retryAfterSeconds"]
        assert 25 <= retry <= 26  # (630 - 370 and what refilled since) / 10 per second, rounded up
        assert second.headers["retry-after"] == str(retry)
        # another key has its own bucket
        other = await client.post("/graphql", json={"query": PAGE, "variables": {"n": 10}},
                                  headers={"Authorization": f"Bearer {org.read_key}"})
        assert other.status_code == 200


async def test_a_query_past_the_timeout_is_stopped(org: Org, store: Store):
    async with gateway(store, query_timeout_seconds=0.000_001) as client:
        response = await client.post("/graphql", json={"query": PAGE, "variables": {"n": 10}},
                                     headers={"Authorization": f"Bearer {org.write_key}"})
        assert response.status_code == 504, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
