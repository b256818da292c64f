"""CORS: preflights answered before authentication, only for the configured origins."""

from __future__ import annotations

from store.db import Store
from tests.edge.conftest import gateway
from tests.helpers import Org

DASHBOARD = "https://dash.example"
PREFLIGHT = {"Origin": DASHBOARD, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


async def test_a_preflight_from_an_allowed_origin_is_answered_before_auth(store: Store):
    async with gateway(store, cors_allow_origins=f"{DASHBOARD}, https://other.example") as client:
        response = await client.options("/graphql", headers=PREFLIGHT)
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].lower().split(",")}
    assert {"authorization", "content-type", "apollo-require-preflight"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "Origin" in response.headers["vary"]


async def test_the_actual_request_carries_the_cors_headers(org: Org, store: Store):
    async with gateway(store, cors_allow_origins=DASHBOARD) as client:
        response = await client.post("/graphql", json={"query": "{ customers(first: 1) { totalCount } }"},
                                     headers={"Origin": DASHBOARD, "Authorization": f"Bearer {org.write_key}"})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == DASHBOARD
        assert "Origin" in response.headers["vary"]
        # an authentication failure is readable by the dashboard too (its error link sees the code)
        refused = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": DASHBOARD})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == DASHBOARD
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_other_origins_get_no_cors_headers_and_a_refused_preflight(store: Store):
    async with gateway(store, cors_allow_origins=DASHBOARD) as client:
        response = await client.options("/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example"})
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
        assert response.json()["errors"][0]["extensions"]["code"] == "CORS_REJECTED"


async def test_no_origin_is_allowed_by_default_and_the_dev_regex_allows_localhost(store: Store):
    async with gateway(store) as client:
        response = await client.options("/graphql", headers=PREFLIGHT)
        assert response.status_code == 400
    async with gateway(store, cors_allow_origin_regex=r"https?://(localhost|127\.0\.0\.1)(:\d+)?") as client:
        response = await client.options("/graphql", headers={**PREFLIGHT, "Origin": "http://localhost:5173"})
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
