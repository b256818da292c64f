"""One error envelope: every request-level failure is JSON `{"errors": [{"message", "extensions": {"code"}}]}`
with the right status, never a 500 or text/plain (issue 16 item 4, issue 18's request bodies)."""

from __future__ import annotations

import gzip

import orjson
import pytest

from tests.helpers import Org

CUSTOMERS = "{ customers(first: 1) { totalCount } }"
TWO_OPS = "query A { customers(first: 1) { totalCount } } mutation B { tagCreate(input: {name: \"x\"}) { tag { id } } }"
TAG_CREATE = 'mutation { tagCreate(input: {name: "vip"}) { tag { id } userErrors { code } } }'
SUBSCRIBE = "subscription { customerActivity(customerId: \"cus_x\") { kind } }"
TAGS = "{ tags(first: 10) { edges { node { name } } } }"


def only_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["message"]
    return error


def auth(org: Org) -> dict[str, str]:
    return {"Authorization": f"Bearer {org.write_key}"}


@pytest.mark.parametrize("body", [b"null", b"1", b'"a string"', b"true", b"\xff\xfe{}", b"[" * 50_000 + b"]" * 50_000,
                                  b"{", b'{"query": 1}', b'{"query": "{ a }", "variables": []}',
                                  b'{"query": "{ a }", "extensions": "x"}', b'{"query": "{ a }", "operationName": 2}'])
async def test_malformed_bodies_are_400_bad_request(org: Org, body: bytes):
    response = await org.http.post("/graphql", content=body, headers={**auth(org), "Content-Type": "application/json"})
    only_error(response, 400, "BAD_REQUEST")


async def test_a_gzip_body_is_inflated_and_runs(org: Org):
    raw = gzip.compress(orjson.dumps({"query": CUSTOMERS}))
    response = await org.http.post("/graphql", content=raw, headers={
        **auth(org), "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"customers": {"totalCount": 0}}


async def test_a_corrupt_or_oversized_gzip_body_is_refused(org: Org):
    headers = {**auth(org), "Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = await org.http.post("/graphql", content=b"\x1f\x8bnot gzip at all", headers=headers)
    only_error(response, 400, "BAD_REQUEST")
    bomb = gzip.compress(b'{"query": "' + b" " * 2_000_000 + b'{ a }"}')  # ~2 kB that inflates to 2 MB
    response = await org.http.post("/graphql", content=bomb, headers=headers)
    only_error(response, 413, "PAYLOAD_TOO_LARGE")
    response = await org.http.post("/graphql", content=b"{}", headers={**headers, "Content-Encoding": "br"})
    only_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_no_query_unknown_operation_and_several_operations_without_a_name(org: Org):
    response = await org.http.post("/graphql", json={"variables": {}}, headers=auth(org))
    only_error(response, 400, "BAD_REQUEST")
    response = await org.http.post("/graphql", json={"query": TWO_OPS, "operationName": "C"}, headers=auth(org))
    error = only_error(response, 400, "OPERATION_RESOLUTION_FAILURE")
    assert "'C'" in error["message"] and "A, B" in error["message"]
    response = await org.http.post("/graphql", json={"query": TWO_OPS}, headers=auth(org))
    only_error(response, 400, "GRAPHQL_VALIDATION_FAILED")
    # nothing ran: the mutation (second, and first-named in no way) did not create a tag
    assert (await org.gql(TAGS))["tags"]["edges"] == []
    response = await org.http.post("/graphql", json={"query": TWO_OPS, "operationName": "A"}, headers=auth(org))
    assert response.status_code == 200 and response.json()["data"] == {"customers": {"totalCount": 0}}


async def test_a_mutation_by_get_is_405_and_runs_nothing(org: Org):
    response = await org.http.get("/graphql", params={"query": TAG_CREATE}, headers=auth(org))
    only_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    assert (await org.gql(TAGS))["tags"]["edges"] == []


async def test_a_query_by_get_runs(org: Org):
    response = await org.http.get("/graphql", params={"query": CUSTOMERS}, headers=auth(org))
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"customers": {"totalCount": 0}}
    assert "Authorization" in response.headers["vary"]  # a CDN keys the answer by the key that asked


async def test_a_subscription_over_post_is_a_clear_400(org: Org, caplog: pytest.LogCaptureFixture):
    response = await org.http.post("/graphql", json={"query": SUBSCRIBE}, headers=auth(org))
    error = only_error(response, 400, "BAD_REQUEST")
    assert "websocket" in error["message"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_batch_is_refused_with_its_own_code(org: Org):
    response = await org.http.post("/graphql", json=[{"query": CUSTOMERS}, {"query": CUSTOMERS}], headers=auth(org))
    only_error(response, 400, "BATCHING_NOT_SUPPORTED")


async def test_other_methods_and_content_types(org: Org):
    response = await org.http.put("/graphql", json={"query": CUSTOMERS}, headers=auth(org))
    only_error(response, 405, "METHOD_NOT_ALLOWED")
    response = await org.http.post("/graphql", content=b"query=x", headers={
        **auth(org), "Content-Type": "application/xml"})
    only_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_unauthenticated_is_json_and_graphql_response_json_when_accepted(org: Org):
    response = await org.http.post("/graphql", json={"query": CUSTOMERS})
    only_error(response, 401, "UNAUTHENTICATED")
    response = await org.http.post("/graphql", json={"query": CUSTOMERS}, headers={
        "Authorization": "Bearer cgk_nope", "Accept": "application/graphql-response+json, application/json;q=0.9"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_validation_errors_are_400_with_the_graphql_response_media_type(org: Org):
    accept = {"Accept": "application/graphql-response+json"}
    response = await org.http.post("/graphql", json={"query": "{ nope }"}, headers={**auth(org), **accept})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    response = await org.http.post("/graphql", json={"query": "{ nope }"}, headers=auth(org))
    assert response.status_code == 200  # application/json: as before, for older clients


async def test_a_body_past_the_limit_is_413_in_the_envelope(org: Org):
    big = orjson.dumps({"query": "{ a }", "variables": {"x": "y" * 300_000}})
    response = await org.http.post("/graphql", content=big, headers={**auth(org), "Content-Type": "application/json"})
    only_error(response, 413, "PAYLOAD_TOO_LARGE")

    async def chunks():  # no Content-Length: the limit is found while reading
        for _ in range(30):
            yield b" " * 10_000

    response = await org.http.post("/graphql", content=chunks(), headers={**auth(org), "Content-Type": "application/json"})
    only_error(response, 413, "PAYLOAD_TOO_LARGE")
