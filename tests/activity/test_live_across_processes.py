"""Live activity across gateway processes: two real gateways (uvicorn subprocesses) on one store.

A note written through gateway A reaches a subscriber connected to gateway B; a subscriber that comes
back after a gateway restart, passing the last event it saw as `after`, gets every event since in
order, none twice. Both processes stop with the test (bounded waits).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.collab import add_customer
from tests.processes import WAIT

ACTIVITY = gql("""subscription($customerId: ID!, $after: ID) {
  customerActivity(customerId: $customerId, after: $after) { id kind message } }""")
NOTE_ADD = """mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) {
  note { id } userErrors { code } } }"""


async def note(address: str, key: str, customer_id: str, message: str) -> str:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT) as client:
        response = await client.post("/graphql", headers={"Authorization": f"Bearer {key}"}, json={
            "query": NOTE_ADD, "variables": {"input": {"customerId": customer_id, "message": message}}})
    data = response.json()["data"]["timelineNoteAdd"]
    assert data["userErrors"] == []
    return data["note"]["id"]


def ws(address: str, key: str) -> Client:
    return Client(transport=WebsocketsTransport(
        url=f"ws://{address}/graphql", init_payload={"Authorization": f"Bearer {key}"},
        subprotocols=["graphql-transport-ws"], connect_timeout=WAIT, ack_timeout=WAIT, close_timeout=WAIT))


async def until_listening(session, variables: dict) -> tuple:  # type: ignore[no-untyped-def]
    """Subscribes; returns (the generator, the task of its first event)."""
    ACTIVITY.variable_values = variables
    events = session.subscribe(ACTIVITY)
    return events, asyncio.create_task(anext(events))


@pytest.mark.slow
async def test_a_note_written_through_one_gateway_reaches_a_subscriber_on_another(gateways, org) -> None:
    a, b = await gateways().start(), await gateways().start()
    cid = await add_customer(org)
    async with ws(b.address, org.read_key) as session:
        events, first = await until_listening(session, {"customerId": cid})
        await asyncio.sleep(0.5)  # the subscription is registered on B before A writes
        written = await note(a.address, org.write_key, cid, "from A")
        got = (await asyncio.wait_for(first, WAIT))["customerActivity"]
        assert (got["id"], got["message"]) == (written, "from A")
        await events.aclose()


@pytest.mark.slow
async def test_after_a_gateway_restart_a_subscriber_resumes_with_nothing_lost_or_repeated(gateways, org) -> None:
    a, b = await gateways().start(), await gateways().start()
    cid = await add_customer(org)
    async with ws(b.address, org.read_key) as session:
        events, first = await until_listening(session, {"customerId": cid})
        await asyncio.sleep(0.5)
        seen = await note(a.address, org.write_key, cid, "one")
        assert (await asyncio.wait_for(first, WAIT))["customerActivity"]["id"] == seen
        await b.kill()  # the subscriber's gateway dies; writes go on through A
        with pytest.raises(Exception):  # noqa: B017 - whichever way the dead socket surfaces
            await asyncio.wait_for(anext(events), WAIT)
    missed = [await note(a.address, org.write_key, cid, m) for m in ("two", "three", "four")]
    b2 = await gateways().start()
    async with ws(b2.address, org.read_key) as session:
        ACTIVITY.variable_values = {"customerId": cid, "after": seen}
        events = session.subscribe(ACTIVITY)
        replayed = [(await asyncio.wait_for(anext(events), WAIT))["customerActivity"]["id"] for _ in missed]
        assert replayed == missed
        later = asyncio.create_task(anext(events))
        live = await note(a.address, org.write_key, cid, "five")
        assert (await asyncio.wait_for(later, WAIT))["customerActivity"]["id"] == live
        await events.aclose()


@pytest.mark.slow
async def test_resuming_after_an_event_of_another_customer_is_refused(gateways, org) -> None:
    a = await gateways().start()
    cid, other = await add_customer(org), await add_customer(org, "Other")
    foreign_event = await note(a.address, org.write_key, other, "not yours")
    async with ws(a.address, org.read_key) as session:
        ACTIVITY.variable_values = {"customerId": cid, "after": foreign_event}
        with pytest.raises(TransportQueryError) as refused:
            await asyncio.wait_for(anext(session.subscribe(ACTIVITY)), WAIT)
    assert refused.value.errors[0]["message"] == f"`after`: no timeline event {foreign_event} of customer {cid}"
    assert refused.value.errors[0]["extensions"]["code"] == "NOT_FOUND"
