"""Demo data fills both segments; the CLI creates organizations and working keys."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from resolvers.seed import DEMO_ORG_ID, seed
from store import auth
from store.customers import customers

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


async def test_demo_data_populates_both_segments_once(store):
    result = await seed(store)
    assert result["created"] == "yes"
    assert (await seed(store))["created"] == "no"
    org = store.for_org(DEMO_ORG_ID)
    leads = await customers.count(org, customers.CustomerQuery(segment="LEADS"))
    paying = await customers.count(org, customers.CustomerQuery(segment="CUSTOMERS"))
    assert leads + paying == 200 and leads > 50 and paying > 50
    assert result["paying"] == str(paying)
    # the README states the count; it must be the data's
    assert f"200 customers — {paying} of whom" in README.replace("\n", " ")


async def test_demo_payments_are_never_dated_after_now(store):
    await seed(store)
    org = store.for_org(DEMO_ORG_ID)
    now = datetime.now(UTC)
    assert await org["transactions"].count({"createdTime": {"$gt": now}}) == 0
    assert await org["transactions"].count({"processedTime": {"$gt": now}}) == 0
    assert await org["customers"].count({"lastPaymentTime": {"$gt": now}}) == 0
    assert await org["timeline"].count({"time": {"$gt": now}}) == 0
    assert await org["transactions"].count({}) > 100  # the checks above looked at real data
    assert await org["websites"].count({}) == 2


def test_cli_creates_an_organization_and_a_key_that_works(mongodb_uri, store):
    env = {"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": store.db.name, "PATH": ""}

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "resolvers.cli", *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    org_id = run("create-org", "Acme")
    assert org_id.startswith("org_")
    key = run("create-key", org_id, "--scope", "read")
    assert key.startswith(auth.KEY_PREFIX)
    assert run("check-schema") == "schema/schema.graphql is up to date"


async def test_created_key_authenticates(store, http):
    org = await auth.create_organization(store, "X", datetime.now(UTC))
    key, _ = await auth.create_api_key(store, org["id"], "read", "k", datetime.now(UTC))
    response = await http.post("/graphql", json={"query": "{ websites(first: 1) { totalCount } }"},
                               headers={"Authorization": f"Bearer {key}"})
    assert response.json()["data"] == {"websites": {"totalCount": 0}}


async def test_demo_customers_who_paid_have_a_default_card_and_some_have_tags(store):
    await seed(store)
    org = store.for_org(DEMO_ORG_ID)
    paying = await org["customers"].find_list({"paymentCount": {"$gt": 0}})
    cards = await org["payment_instruments"].find_list({})
    assert len(cards) == len(paying)
    assert {c["customerId"] for c in cards} == {c["id"] for c in paying}
    assert all(c["defaultPaymentInstrumentId"] in {i["id"] for i in cards} for c in paying)
    assert all(i["status"] == "ACTIVE" and i["card"]["last4"] and "number" not in i["card"] for i in cards)
    assert await org["tags"].count({}) == 4
    assert await org["customers"].count({"tags": "vip"}) > 10
