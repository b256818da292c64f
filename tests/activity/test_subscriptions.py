"""Live activity: `customerActivity` over graphql-transport-ws on a real uvicorn server, with the gql client.

The server runs in the test's event loop on 127.0.0.1 and a free port; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from gql import Client, FileVar, gql
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from resolvers.activity.events import BUS
from resolvers.app import create_app
from tests.collab import add_customer, add_user

WAIT = 10.0
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;"
ACTIVITY = gql("""subscription($customerId: ID!) { customerActivity(customerId: $customerId) {
  id kind message author { type name } customerId
  ... on NoteEvent { format } ... on AttachmentEvent { file { id } } } }""")
NOTE_ADD = """mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) {
  note { id } userErrors { code } } }"""
ATTACH = gql("""mutation($input: TimelineAttachmentAddInput!) { timelineAttachmentAdd(input: $input) {
  attachment { id file { downloadPath size } } userErrors { code } } }""")


@pytest.fixture
async def server(store, settings) -> AsyncIterator[str]:
    """The gateway on uvicorn, 127.0.0.1, port chosen by the OS; stops by itself after the test."""
    config = uvicorn.Config(
        create_app(settings, store),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws="websockets-sansio",
        log_level="warning",
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    async with asyncio.timeout(WAIT):
        while not srv.started:
            assert not task.done(), "uvicorn stopped while starting"
            await asyncio.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, WAIT)


def ws_client(address: str, key: str | None) -> Client:
    payload = {"Authorization": f"Bearer {key}"} if key else {}
    transport = WebsocketsTransport(
        url=f"ws://{address}/graphql",
        init_payload=payload,
        subprotocols=["graphql-transport-ws"],
        connect_timeout=WAIT,
        ack_timeout=WAIT,
        close_timeout=WAIT,
    )
    return Client(transport=transport)


async def post(address: str, key: str, query: str, variables: dict) -> dict:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def until_subscribed(org_id: str, customer_id: str) -> None:
    async with asyncio.timeout(WAIT):
        while BUS.subscriber_count(org_id, customer_id) == 0:  # noqa: ASYNC110 - polls a counter, bounded
            await asyncio.sleep(0.02)


async def test_new_timeline_entries_arrive_over_the_websocket(server, org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    cid = await add_customer(org)
    async with ws_client(server, org.read_key) as session:
        ACTIVITY.variable_values = {"customerId": cid}
        events = session.subscribe(ACTIVITY)
        first = asyncio.create_task(anext(events))
        await until_subscribed(org.id, cid)
        added = await post(
            server,
            ada.key,
            NOTE_ADD,
            {"input": {"customerId": cid, "message": "Live!", "format": "MARKDOWN"}},
        )
        event = (await asyncio.wait_for(first, WAIT))["customerActivity"]
        assert event == {
            "id": added["timelineNoteAdd"]["note"]["id"],
            "kind": "NOTE",
            "message": "Live!",
            "author": {"type": "USER", "name": "Ada Lovelace"},
            "customerId": cid,
            "format": "MARKDOWN",
        }
        second = asyncio.create_task(anext(events))
        await org.gql(
            NOTE_ADD, {"input": {"customerId": await add_customer(org, "Other"), "message": "elsewhere"}}
        )
        await org.gql(NOTE_ADD, {"input": {"customerId": cid, "message": "Second"}})
        assert (await asyncio.wait_for(second, WAIT))["customerActivity"]["message"] == "Second"
        await events.aclose()
    async with asyncio.timeout(WAIT):
        while BUS.subscriber_count(org.id, cid):  # noqa: ASYNC110 - polls a counter, bounded
            await asyncio.sleep(0.02)


async def test_gql_multipart_upload_reaches_the_subscriber(server, org):
    cid = await add_customer(org)
    async with ws_client(server, org.read_key) as live:
        ACTIVITY.variable_values = {"customerId": cid}
        events = live.subscribe(ACTIVITY)
        first = asyncio.create_task(anext(events))
        await until_subscribed(org.id, cid)
        http = HTTPXAsyncTransport(
            url=f"http://{server}/graphql",
            timeout=WAIT,
            headers={"Authorization": f"Bearer {org.write_key}", "Apollo-Require-Preflight": "true"},
        )
        async with Client(transport=http) as session:
            ATTACH.variable_values = {
                "input": {
                    "customerId": cid,
                    "description": "Receipt",
                    "file": FileVar(io.BytesIO(GIF), filename="pixel.gif", content_type="image/gif"),
                }
            }
            result = await session.execute(ATTACH, upload_files=True)
        attachment = result["timelineAttachmentAdd"]["attachment"]
        assert result["timelineAttachmentAdd"]["userErrors"] == [] and attachment["file"]["size"] == len(GIF)
        event = (await asyncio.wait_for(first, WAIT))["customerActivity"]
        assert (
            event["kind"] == "ATTACHMENT"
            and event["message"] == "Receipt"
            and event["id"] == attachment["id"]
        )
        await events.aclose()


async def test_websocket_without_a_valid_key_is_refused(server, org):
    for key in (None, "cgk_not_a_key"):
        with pytest.raises((TransportError, ConnectionClosed)):
            async with asyncio.timeout(WAIT), ws_client(server, key) as session:
                await session.execute(gql("{ viewer { apiKey { id } } }"))


async def test_another_organizations_customer_cannot_be_watched(server, org, other_org):
    foreign = await add_customer(other_org)
    async with ws_client(server, org.read_key) as session:
        ACTIVITY.variable_values = {"customerId": foreign}
        with pytest.raises(TransportQueryError) as raised:
            async with asyncio.timeout(WAIT):
                await anext(session.subscribe(ACTIVITY))
        assert raised.value.errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert BUS.subscriber_count(org.id, foreign) == BUS.subscriber_count(other_org.id, foreign) == 0


async def test_a_mutation_over_the_websocket_is_refused_with_where_to_send_it(server, org):
    cid = await add_customer(org)
    async with ws_client(server, org.write_key) as session:
        with pytest.raises(TransportQueryError) as raised:
            async with asyncio.timeout(WAIT):
                request = gql(NOTE_ADD)
                request.variable_values = {"input": {"customerId": cid, "message": "x"}}
                await session.execute(request)
        error = raised.value.errors[0]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "POST /graphql" in error["message"] and "read-only" not in error["message"]
