"""Quotes through GraphQL over HTTP on the real document server: the guide's form, the lifecycle
(draft -> issued -> accepted / rejected / canceled / expired, recall to draft, edits only in draft),
acceptance creating, changing or reactivating the order (the PAYMENT condition only with the first
invoice paid in full), and the printable PDF with terms and signature line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from resolvers.billing.quote_jobs import QUOTE_EXPIRY
from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from store.billing import quotes as quote_store
from tests.billing.helpers import ERR, add_card, add_plan, add_product, create_order
from tests.billing.test_coupons import coupon
from tests.billing.test_invoice_documents import pdf_text
from tests.helpers import Org
from tests.money_helpers import INSUFFICIENT_FUNDS_CARD, add_account, add_customer, key

QUOTE_FIELDS = """id status type currency subtotal { amount } autopay acceptanceConditions paymentTerms
  signature { showSignatureLine signatoryName } redirectUrl expirationTime orderId invoiceId couponIds revision
  issuedTime acceptedTime rejectedTime canceledTime pdfPath
  items { planId name quantity amount { amount } recurring }
  order { id status items { quantity } } invoice { id status total { amount } discount { amount } }"""
CREATE = f"""mutation($input: QuoteCreateInput!) {{ quoteCreate(input: $input) {{ quote {{ {QUOTE_FIELDS} }} {ERR} }} }}"""
UPDATE = f"""mutation($input: QuoteUpdateInput!) {{ quoteUpdate(input: $input) {{ quote {{ {QUOTE_FIELDS} }} {ERR} }} }}"""
ACCEPT = f"""mutation($input: QuoteAcceptInput!) {{ quoteAccept(input: $input) {{ quote {{ {QUOTE_FIELDS} }} {ERR} }} }}"""
QUOTE = f"""query($id: ID!) {{ quote(id: $id) {{ {QUOTE_FIELDS} }} }}"""
TIMELINE = """query($id: ID!) { customer(id: $id) { quotes(first: 5) { totalCount }
  timeline(first: 10, kinds: [QUOTE_CREATED, QUOTE_UPDATED, QUOTE_ISSUED, QUOTE_RECALLED, QUOTE_ACCEPTED,
    QUOTE_REJECTED, QUOTE_CANCELED]) { edges { node { kind } } } } }"""


def action(name: str) -> str:
    return f"""mutation($input: QuoteActionInput!) {{ {name}(input: $input) {{ quote {{ {QUOTE_FIELDS} }} {ERR} }} }}"""


def codes(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def act(org: Org, name: str, quote_id: str) -> dict[str, Any]:
    return (await org.gql(action(name), {"input": {"quoteId": quote_id}}))[name]


async def make(org: Org, customer_id: str, plan_id: str, **fields: Any) -> dict[str, Any]:
    inp = {"customerId": customer_id, "items": [{"planId": plan_id, "quantity": 2}], **fields}
    result = (await org.gql(CREATE, {"input": inp}))["quoteCreate"]
    assert result["userErrors"] == [], result
    return result["quote"]


async def catalog(org: Org) -> dict[str, Any]:
    return await add_plan(org, await add_product(org), name="Seat", pricing={"formula": "FLAT_RATE", "price": "15.00"})


async def test_the_guides_form_makes_a_draft_priced_from_its_plans(org):
    cid = await add_customer(org)
    plan = await catalog(org)
    await coupon(org, id="Q10")
    quote = await make(org, cid, plan["id"], expirationTime="2099-01-01T00:00:00Z", redirectUrl="https://shop.example/done",
                       couponIds=["Q10"], autopay=True, acceptanceConditions=["CUSTOMER"], paymentTerms="Net 30",
                       signature={"showSignatureLine": True, "signatoryName": "Grace Hopper"})
    assert (quote["status"], quote["type"], quote["currency"], quote["subtotal"]) == ("DRAFT", "CREATION", "USD", {"amount": "30.00"})
    assert quote["items"] == [{"planId": plan["id"], "name": "Seat", "quantity": 2, "amount": {"amount": "30.00"},
                               "recurring": "every 1 MONTH"}]
    assert quote["signature"] == {"showSignatureLine": True, "signatoryName": "Grace Hopper"}
    bad = (await org.gql(CREATE, {"input": {
        "customerId": cid, "type": "CHANGE", "items": [{"planId": "plan_nope"}], "redirectUrl": "javascript:alert(1)",
        "couponIds": ["NOPE"], "acceptanceConditions": ["PAYMENT"], "expirationTime": "2000-01-01T00:00:00Z",
        "signature": {"signatoryName": "X"}}}))["quoteCreate"]
    assert sorted(codes(bad), key=str) == sorted([
        (["orderId"], "REQUIRED"), (["items", "0", "planId"], "NOT_FOUND"), (["redirectUrl"], "INVALID_URL"),
        (["couponIds", "0"], "NOT_FOUND"), (["expirationTime"], "DATE_IN_PAST"),
        (["signature", "signatoryName"], "INVALID")], key=str)
    assert (await org.gql(TIMELINE, {"id": cid}))["customer"]["quotes"]["totalCount"] == 1


async def test_lifecycle_edits_only_in_draft_recall_reject_cancel(org):
    cid = await add_customer(org)
    plan = await catalog(org)
    quote = await make(org, cid, plan["id"])
    edited = (await org.gql(UPDATE, {"input": {"quoteId": quote["id"], "items": [{"planId": plan["id"], "quantity": 3}],
                                               "paymentTerms": "Due on receipt"}}))["quoteUpdate"]
    assert edited["userErrors"] == [] and edited["quote"]["subtotal"] == {"amount": "45.00"}
    issued = (await act(org, "quoteIssue", quote["id"]))["quote"]
    assert issued["status"] == "ISSUED" and issued["expirationTime"]  # one month from now by default
    frozen = (await org.gql(UPDATE, {"input": {"quoteId": quote["id"], "autopay": True}}))["quoteUpdate"]
    assert codes(frozen) == [(["quoteId"], "INVALID_STATUS")]
    assert (await act(org, "quoteRecall", quote["id"]))["quote"]["status"] == "DRAFT"
    assert (await org.gql(UPDATE, {"input": {"quoteId": quote["id"], "autopay": True}}))["quoteUpdate"]["userErrors"] == []
    assert codes(await act(org, "quoteReject", quote["id"])) == [(["quoteId"], "INVALID_STATUS")]
    await act(org, "quoteIssue", quote["id"])
    rejected = (await act(org, "quoteReject", quote["id"]))["quote"]
    assert rejected["status"] == "REJECTED" and rejected["rejectedTime"]
    assert codes(await act(org, "quoteCancel", quote["id"])) == [(["quoteId"], "INVALID_STATUS")]
    other = await make(org, cid, plan["id"])
    assert (await act(org, "quoteCancel", other["id"]))["quote"]["status"] == "CANCELED"
    kinds = [e["node"]["kind"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert kinds == ["QUOTE_CANCELED", "QUOTE_CREATED", "QUOTE_REJECTED", "QUOTE_ISSUED", "QUOTE_UPDATED",
                     "QUOTE_RECALLED", "QUOTE_ISSUED", "QUOTE_UPDATED", "QUOTE_CREATED"]


async def test_an_issued_quote_past_its_expiration_reads_expired_and_cannot_be_accepted(org, store):
    cid = await add_customer(org)
    quote = await make(org, cid, (await catalog(org))["id"])
    await act(org, "quoteIssue", quote["id"])
    past = datetime.now(UTC) - timedelta(minutes=1)
    await store.for_org(org.id)[quote_store.COLLECTION].update_one({"id": quote["id"]}, {"$set": {"expirationTime": past}})
    assert (await org.gql(QUOTE, {"id": quote["id"]}))["quote"]["status"] == "EXPIRED"
    refused = (await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "idempotencyKey": key()}}))["quoteAccept"]
    assert codes(refused) == [(["quoteId"], "INVALID_STATUS")]
    assert codes(await act(org, "quoteRecall", quote["id"])) == [(["quoteId"], "INVALID_STATUS")]


async def test_accepting_a_creation_quote_makes_the_order_with_its_coupons_once(org):
    cid = await add_customer(org)
    plan = await catalog(org)
    await coupon(org, id="QUOTE5", discount={"type": "FIXED", "amount": "5", "currency": "USD"})
    quote = await make(org, cid, plan["id"], couponIds=["QUOTE5"])
    assert codes((await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "idempotencyKey": "k"}}))["quoteAccept"]) == [
        (["quoteId"], "INVALID_STATUS")]  # a draft cannot be accepted
    await act(org, "quoteIssue", quote["id"])
    accepted = (await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "idempotencyKey": "k"}}))["quoteAccept"]
    assert accepted["userErrors"] == [], accepted
    q = accepted["quote"]
    assert q["status"] == "ACCEPTED" and q["order"]["status"] == "PENDING" and q["order"]["items"] == [{"quantity": 2}]
    assert q["invoice"]["total"] == {"amount": "25.00"} and q["invoice"]["discount"] == {"amount": "5.00"}
    again = (await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "idempotencyKey": "k"}}))["quoteAccept"]
    assert again["quote"]["orderId"] == q["orderId"]
    other = (await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "idempotencyKey": "k2"}}))["quoteAccept"]
    assert codes(other) == [(["quoteId"], "INVALID_STATUS")]
    orders = await org.gql("""query($id: ID!) { customer(id: $id) { orders(first: 5) { totalCount } } }""", {"id": cid})
    assert orders["customer"]["orders"]["totalCount"] == 1


async def test_the_payment_condition_accepts_only_with_the_invoice_paid_in_full(org):
    cid = await add_customer(org)
    plan = await catalog(org)
    await add_account(org)
    quote = await make(org, cid, plan["id"], acceptanceConditions=["PAYMENT"])
    await act(org, "quoteIssue", quote["id"])
    no_card = (await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "idempotencyKey": key()}}))["quoteAccept"]
    assert codes(no_card) == [(["paymentInstrumentId"], "INSTRUMENT_NOT_USABLE")]
    assert (await org.gql(QUOTE, {"id": quote["id"]}))["quote"]["status"] == "ISSUED"
    declined = await add_card(org, cid, INSUFFICIENT_FUNDS_CARD, default=False)
    refused = (await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "paymentInstrumentId": declined,
                                                "idempotencyKey": key()}}))["quoteAccept"]
    assert [c for _, c in codes(refused)] == ["DECLINED"]
    orders = await org.gql("""query($id: ID!) { customer(id: $id) { orders(first: 5) { edges { node { status } } } } }""",
                           {"id": cid})
    assert {e["node"]["status"] for e in orders["customer"]["orders"]["edges"]} == {"VOIDED"}
    good = await add_card(org, cid)
    paid = (await org.gql(ACCEPT, {"input": {"quoteId": quote["id"], "paymentInstrumentId": good,
                                             "idempotencyKey": key()}}))["quoteAccept"]
    assert paid["userErrors"] == [], paid
    assert (paid["quote"]["status"], paid["quote"]["invoice"]["status"], paid["quote"]["order"]["status"]) == (
        "ACCEPTED", "PAID", "ACTIVE")


async def test_change_and_reactivation_quotes_apply_to_the_subscription(org):
    cid = await add_customer(org)
    plan = await catalog(org)
    await add_account(org)
    await add_card(org, cid)
    made = await create_order(org, cid, [{"planId": plan["id"], "quantity": 1}])
    assert made["order"]["status"] == "ACTIVE", made
    change = await make(org, cid, plan["id"], type="CHANGE", orderId=made["order"]["id"])
    await act(org, "quoteIssue", change["id"])
    done = (await org.gql(ACCEPT, {"input": {"quoteId": change["id"], "idempotencyKey": key()}}))["quoteAccept"]
    assert done["userErrors"] == [] and done["quote"]["order"]["items"] == [{"quantity": 2}]
    wrong = (await org.gql(CREATE, {"input": {"customerId": cid, "type": "REACTIVATION", "orderId": made["order"]["id"],
                                              "items": [{"planId": plan["id"]}]}}))["quoteCreate"]
    assert codes(wrong) == [(["orderId"], "INVALID_STATUS")]
    cancel = await org.gql("""mutation($input: OrderCancelInput!) { orderCancel(input: $input) { order { status } userErrors { code } } }""",
                           {"input": {"orderId": made["order"]["id"]}})
    assert cancel["orderCancel"]["userErrors"] == [], cancel
    back = await make(org, cid, plan["id"], type="REACTIVATION", orderId=made["order"]["id"])
    await act(org, "quoteIssue", back["id"])
    again = (await org.gql(ACCEPT, {"input": {"quoteId": back["id"], "idempotencyKey": key()}}))["quoteAccept"]
    assert again["userErrors"] == [], again
    assert again["quote"]["order"]["status"] == "ACTIVE"


async def test_the_printable_quote_has_items_terms_and_the_signature_line(org, other_org, tmp_path: Path):
    cid = await add_customer(org, lastName="Lovelace")
    quote = await make(org, cid, (await catalog(org))["id"], paymentTerms="Net 30; prices exclude VAT",
                       signature={"showSignatureLine": True, "signatoryName": "Grace Hopper"})
    response = await org.http.get(quote["pdfPath"], headers={"Authorization": f"Bearer {org.read_key}"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    for expected in ("Quote", quote["id"], "Ada Lovelace", "Seat", "30.00 USD", "Payment terms",
                     "Net 30; prices exclude VAT", "Grace Hopper", "_____"):
        assert expected in text, (expected, text)
    assert (await org.http.get(quote["pdfPath"])).status_code == 401
    assert (await other_org.http.get(quote["pdfPath"], headers={"Authorization": f"Bearer {other_org.read_key}"})).status_code == 404


async def test_the_scheduler_expires_an_issued_quote_at_its_expiration_time(org, store):
    cid = await add_customer(org)
    plan = await catalog(org)
    soon = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    quote = await make(org, cid, plan["id"], expirationTime=soon.isoformat())
    recalled = await make(org, cid, plan["id"], expirationTime=soon.isoformat())
    for q in (quote, recalled):
        await act(org, "quoteIssue", q["id"])
    await act(org, "quoteRecall", recalled["id"])
    clock = FixedClock(soon - timedelta(minutes=1))
    worker = Worker(store, Settings(mongodb_uri=None), clock=clock, kinds=[QUOTE_EXPIRY])
    assert await worker.run_due() == 0  # not due yet
    clock.advance(timedelta(minutes=2))
    assert await worker.run_due() == 2
    stored = await quote_store.get(store.for_org(org.id), quote["id"])
    assert stored is not None and stored["status"] == "EXPIRED"
    assert (await quote_store.get(store.for_org(org.id), recalled["id"]) or {})["status"] == "DRAFT"
    events = await org.gql("""query($id: ID!) { customer(id: $id) { timeline(first: 1, kinds: [QUOTE_EXPIRED]) {
      edges { node { ... on QuoteEvent { quoteId } } } } } }""", {"id": cid})
    assert events["customer"]["timeline"]["edges"] == [{"node": {"quoteId": quote["id"]}}]
