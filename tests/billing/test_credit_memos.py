"""Credit memos through GraphQL over HTTP on the real document server: the guide's form with totals
computed, edit while allowed, issue, void, allocation to an unpaid or upcoming invoice capped at
min(unused, due), the customer's credit balance per currency, and "allocate credit balance" on an invoice
(oldest first), each allocation once per idempotency key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from resolvers.billing.credit_memos import allocate
from store.billing import credit_memos as credit_memos_store
from tests.billing.helpers import ERR, add_card, add_plan, add_product, create_order
from tests.helpers import Org
from tests.money_helpers import add_account, add_customer, key

MEMO_FIELDS = """id number status reason description currency invoiceId revision
  items { description unitPrice quantity amount { amount } tax { amount } taxDescription invoiceItemId planId productId }
  subtotal { amount } shipping { amount } tax { amount } total { amount } unused { amount }
  allocations { invoiceId amount { amount } }"""
CREATE = f"""mutation($input: CreditMemoCreateInput!) {{ creditMemoCreate(input: $input) {{ creditMemo {{ {MEMO_FIELDS} }} {ERR} }} }}"""
UPDATE = f"""mutation($input: CreditMemoUpdateInput!) {{ creditMemoUpdate(input: $input) {{ creditMemo {{ {MEMO_FIELDS} }} {ERR} }} }}"""
ISSUE = f"""mutation($input: CreditMemoActionInput!) {{ creditMemoIssue(input: $input) {{ creditMemo {{ {MEMO_FIELDS} }} {ERR} }} }}"""
VOID = f"""mutation($input: CreditMemoActionInput!) {{ creditMemoVoid(input: $input) {{ creditMemo {{ {MEMO_FIELDS} }} {ERR} }} }}"""
INVOICE_PART = """id status total { amount } amountPaid { amount } amountDue { amount } creditApplied { amount }
  creditAllocations { creditMemoId amount { amount } }"""
ALLOCATE = f"""mutation($input: CreditMemoAllocateInput!) {{ creditMemoAllocate(input: $input) {{
  creditMemo {{ {MEMO_FIELDS} }} invoice {{ {INVOICE_PART} }} amount {{ amount }} {ERR} }} }}"""
BALANCE_ALLOCATE = f"""mutation($input: InvoiceCreditBalanceAllocateInput!) {{ invoiceCreditBalanceAllocate(input: $input) {{
  invoice {{ {INVOICE_PART} }} creditMemos {{ id number unused {{ amount }} status }} amount {{ amount }} {ERR} }} }}"""
CUSTOMER = """query($id: ID!) { customer(id: $id) { creditBalance { amount currency }
  creditMemos(first: 10) { totalCount edges { node { number status } } }
  timeline(first: 10, kinds: [CREDIT_MEMO_CREATED, CREDIT_MEMO_ISSUED, CREDIT_MEMO_UPDATED, CREDIT_MEMO_APPLIED, CREDIT_MEMO_VOIDED]) {
    edges { node { kind ... on CreditMemoEvent { creditMemoId invoiceId amount { amount } } } } } } }"""


def codes(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def memo(org: Org, customer_id: str, items: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    inp = {"customerId": customer_id, "reason": "CUSTOMER_CREDIT", "currency": "USD",
           "items": items or [{"unitPrice": "10.00", "quantity": 1}], **fields}
    result = (await org.gql(CREATE, {"input": inp}))["creditMemoCreate"]
    assert result["userErrors"] == [], result
    return result["creditMemo"]


async def unpaid_invoice(org: Org, customer_id: str, price: str = "50.00") -> dict[str, Any]:
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": price})
    made = await create_order(org, customer_id, [{"planId": plan["id"]}], autopay=False)
    assert made["userErrors"] == [], made
    return made["invoice"]


async def test_the_guides_form_makes_an_issued_memo_with_its_totals(org):
    cid = await add_customer(org)
    inv = await unpaid_invoice(org, cid)
    line = inv["items"][0]
    made = await memo(org, cid, description="Returned one seat", reason="RETURN", invoiceId=inv["id"], currency=None,
                      shippingAmount="4.00", items=[
                          {"unitPrice": "12.50", "quantity": 2, "taxAmount": "2.50", "taxDescription": "VAT 10%",
                           "description": "Seats", "invoiceItemId": None},
                          {"unitPrice": "0.333", "quantity": 3, "description": "Rounding"}])
    assert (made["status"], made["number"], made["currency"], made["invoiceId"]) == ("ISSUED", 1, "USD", inv["id"])
    assert made["items"][0]["amount"] == {"amount": "25.00"} and made["items"][1]["amount"] == {"amount": "1.00"}
    assert (made["subtotal"]["amount"], made["shipping"]["amount"], made["tax"]["amount"], made["total"]["amount"],
            made["unused"]["amount"]) == ("26.00", "4.00", "2.50", "32.50", "32.50")
    assert line["planId"]
    second = await memo(org, cid, invoiceId=inv["id"], currency=None, items=[{"unitPrice": "1", "invoiceItemId": None}])
    assert second["number"] == 2
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]
    assert seen["creditBalance"] == [{"amount": "33.50", "currency": "USD"}]
    assert seen["creditMemos"]["totalCount"] == 2


async def test_a_bad_memo_is_refused_with_every_problem_at_once(org, other_org):
    cid = await add_customer(org)
    other = await add_customer(org)
    inv = await unpaid_invoice(org, other)
    bad = (await org.gql(CREATE, {"input": {
        "customerId": cid, "reason": "OTHER", "invoiceId": inv["id"], "currency": "EUR", "shippingAmount": "-1",
        "items": [{"unitPrice": "0", "quantity": 1}, {"unitPrice": "1", "quantity": 0},
                  {"unitPrice": "1", "invoiceItemId": "ini_nope", "planId": "prod_x"}]}}))["creditMemoCreate"]
    assert sorted(codes(bad), key=str) == sorted([
        (["invoiceId"], "INVALID"), (["currency"], "CURRENCY_MISMATCH"), (["shippingAmount"], "INVALID"),
        (["items", "0", "unitPrice"], "INVALID"), (["items", "1", "quantity"], "INVALID"),
        (["items", "2", "invoiceItemId"], "NOT_FOUND"), (["items", "2", "planId"], "WRONG_ID_TYPE")], key=str)
    none = (await org.gql(CREATE, {"input": {"customerId": cid, "reason": "OTHER", "items": []}}))["creditMemoCreate"]
    assert sorted(codes(none), key=str) == sorted([(["currency"], "REQUIRED"), (["items"], "REQUIRED")], key=str)
    assert (await org.gql(CUSTOMER, {"id": cid}))["customer"]["creditMemos"]["totalCount"] == 0


async def test_draft_edit_issue_and_void(org):
    cid = await add_customer(org)
    draft = await memo(org, cid, draft=True)
    assert draft["status"] == "DRAFT"
    assert (await org.gql(CUSTOMER, {"id": cid}))["customer"]["creditBalance"] == []
    edited = (await org.gql(UPDATE, {"input": {"creditMemoId": draft["id"], "shippingAmount": "2.00", "reason": "WAIVER",
                                               "items": [{"unitPrice": "3.00", "quantity": 3}]}}))["creditMemoUpdate"]
    assert edited["userErrors"] == [] and edited["creditMemo"]["total"]["amount"] == "11.00"
    assert edited["creditMemo"]["reason"] == "WAIVER"
    issued = (await org.gql(ISSUE, {"input": {"creditMemoId": draft["id"]}}))["creditMemoIssue"]["creditMemo"]
    assert issued["status"] == "ISSUED"
    assert codes((await org.gql(ISSUE, {"input": {"creditMemoId": draft["id"]}}))["creditMemoIssue"]) == [
        (["creditMemoId"], "INVALID_STATUS")]
    stale = (await org.gql(UPDATE, {"input": {"creditMemoId": draft["id"], "expectedRevision": 1,
                                              "shippingAmount": "1"}}))["creditMemoUpdate"]
    assert codes(stale) == [(["expectedRevision"], "REVISION_CONFLICT")]
    assert (await org.gql(CUSTOMER, {"id": cid}))["customer"]["creditBalance"] == [{"amount": "11.00", "currency": "USD"}]
    voided = (await org.gql(VOID, {"input": {"creditMemoId": draft["id"]}}))["creditMemoVoid"]["creditMemo"]
    assert (voided["status"], voided["unused"]["amount"]) == ("VOIDED", "0.00")
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]
    assert seen["creditBalance"] == []
    assert [e["node"]["kind"] for e in seen["timeline"]["edges"]] == [
        "CREDIT_MEMO_VOIDED", "CREDIT_MEMO_ISSUED", "CREDIT_MEMO_UPDATED", "CREDIT_MEMO_CREATED"]
    late = (await org.gql(UPDATE, {"input": {"creditMemoId": draft["id"], "shippingAmount": "1"}}))["creditMemoUpdate"]
    assert codes(late) == [(["creditMemoId"], "INVALID_STATUS")]


async def test_allocation_is_capped_at_the_unused_amount_and_the_amount_due(org):
    cid = await add_customer(org)
    inv = await unpaid_invoice(org, cid, "50.00")
    small = await memo(org, cid, items=[{"unitPrice": "30.00"}])
    big = await memo(org, cid, items=[{"unitPrice": "100.00"}])
    first = (await org.gql(ALLOCATE, {"input": {"creditMemoId": small["id"], "invoiceId": inv["id"], "amount": "99",
                                                "idempotencyKey": "a1"}}))["creditMemoAllocate"]
    assert first["userErrors"] == [] and first["amount"] == {"amount": "30.00"}
    assert (first["creditMemo"]["status"], first["creditMemo"]["unused"]["amount"]) == ("APPLIED", "0.00")
    assert (first["invoice"]["status"], first["invoice"]["amountDue"]["amount"]) == ("PARTIALLY_PAID", "20.00")
    replay = (await org.gql(ALLOCATE, {"input": {"creditMemoId": small["id"], "invoiceId": inv["id"], "amount": "99",
                                                 "idempotencyKey": "a1"}}))["creditMemoAllocate"]
    assert replay["amount"] == {"amount": "30.00"} and replay["invoice"]["amountDue"]["amount"] == "20.00"
    second = (await org.gql(ALLOCATE, {"input": {"creditMemoId": big["id"], "invoiceId": inv["id"],
                                                 "idempotencyKey": "a2"}}))["creditMemoAllocate"]
    assert second["amount"] == {"amount": "20.00"}
    assert (second["creditMemo"]["status"], second["creditMemo"]["unused"]["amount"]) == ("PARTIALLY_APPLIED", "80.00")
    assert (second["invoice"]["status"], second["invoice"]["creditApplied"]["amount"]) == ("PAID", "50.00")
    assert [a["creditMemoId"] for a in second["invoice"]["creditAllocations"]] == [small["id"], big["id"]]
    paid = (await org.gql(ALLOCATE, {"input": {"creditMemoId": big["id"], "invoiceId": inv["id"],
                                               "idempotencyKey": "a3"}}))["creditMemoAllocate"]
    assert codes(paid) == [(["invoiceId"], "INVALID_STATUS")]
    used = (await org.gql(ALLOCATE, {"input": {"creditMemoId": small["id"], "invoiceId": inv["id"],
                                               "idempotencyKey": "a4"}}))["creditMemoAllocate"]
    assert sorted(codes(used), key=str) == sorted([(["creditMemoId"], "INVALID_STATUS"), (["invoiceId"], "INVALID_STATUS")], key=str)
    applied_edit = (await org.gql(UPDATE, {"input": {"creditMemoId": big["id"], "shippingAmount": "1"}}))["creditMemoUpdate"]
    assert codes(applied_edit) == [(["creditMemoId"], "INVALID_STATUS"), (["creditMemoId"], "NOT_EDITABLE")]
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]
    assert seen["creditBalance"] == [{"amount": "80.00", "currency": "USD"}]
    assert seen["timeline"]["edges"][0]["node"] == {"kind": "CREDIT_MEMO_APPLIED", "creditMemoId": big["id"],
                                                    "invoiceId": inv["id"], "amount": {"amount": "20.00"}}


async def test_another_customers_or_currencys_invoice_takes_no_credit(org):
    cid, other = await add_customer(org), await add_customer(org)
    mine = await memo(org, cid)
    theirs = await unpaid_invoice(org, other)
    euro = await memo(org, other, currency="EUR")
    a = (await org.gql(ALLOCATE, {"input": {"creditMemoId": mine["id"], "invoiceId": theirs["id"], "idempotencyKey": "x"}}))
    assert codes(a["creditMemoAllocate"]) == [(["invoiceId"], "INVALID")]
    b = (await org.gql(ALLOCATE, {"input": {"creditMemoId": euro["id"], "invoiceId": theirs["id"], "idempotencyKey": "y"}}))
    assert codes(b["creditMemoAllocate"]) == [(["invoiceId"], "CURRENCY_MISMATCH")]


async def test_the_credit_balance_pays_an_invoice_oldest_memo_first(org):
    cid = await add_customer(org)
    inv = await unpaid_invoice(org, cid, "50.00")
    m1 = await memo(org, cid, items=[{"unitPrice": "15.00"}])
    m2 = await memo(org, cid, items=[{"unitPrice": "25.00"}])
    m3 = await memo(org, cid, items=[{"unitPrice": "40.00"}])
    await memo(org, cid, currency="EUR", items=[{"unitPrice": "500"}])
    done = (await org.gql(BALANCE_ALLOCATE, {"input": {"invoiceId": inv["id"], "idempotencyKey": "bal"}}))[
        "invoiceCreditBalanceAllocate"]
    assert done["userErrors"] == [] and done["amount"] == {"amount": "50.00"}
    assert [(m["id"], m["unused"]["amount"], m["status"]) for m in done["creditMemos"]] == [
        (m1["id"], "0.00", "APPLIED"), (m2["id"], "0.00", "APPLIED"), (m3["id"], "30.00", "PARTIALLY_APPLIED")]
    assert done["invoice"]["status"] == "PAID"
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]
    assert seen["creditBalance"] == [{"amount": "500.00", "currency": "EUR"}, {"amount": "30.00", "currency": "USD"}]
    again = (await org.gql(BALANCE_ALLOCATE, {"input": {"invoiceId": inv["id"], "idempotencyKey": "bal"}}))[
        "invoiceCreditBalanceAllocate"]
    assert again["amount"] == {"amount": "50.00"}  # the replay allocates nothing more
    inv2 = await unpaid_invoice(org, cid, "10.00")
    chosen = (await org.gql(BALANCE_ALLOCATE, {"input": {"invoiceId": inv2["id"], "amount": "4.00",
                                                         "creditMemoIds": [m3["id"]], "idempotencyKey": "b2"}}))[
        "invoiceCreditBalanceAllocate"]
    assert chosen["amount"] == {"amount": "4.00"} and chosen["invoice"]["amountDue"]["amount"] == "6.00"
    poor = await add_customer(org)
    inv3 = await unpaid_invoice(org, poor)
    none = (await org.gql(BALANCE_ALLOCATE, {"input": {"invoiceId": inv3["id"], "idempotencyKey": "b3"}}))
    assert codes(none["invoiceCreditBalanceAllocate"]) == [(["invoiceId"], "OVER_ALLOCATION")]


async def test_concurrent_allocations_never_spend_more_than_the_memo(org):
    cid = await add_customer(org)
    m = await memo(org, cid, items=[{"unitPrice": "30.00"}])
    invs = [await unpaid_invoice(org, cid, "10.00") for _ in range(6)]
    results = await asyncio.gather(*(org.gql(ALLOCATE, {"input": {"creditMemoId": m["id"], "invoiceId": i["id"],
                                                                  "idempotencyKey": key("c")}}) for i in invs))
    amounts = [r["creditMemoAllocate"]["amount"]["amount"] for r in results if r["creditMemoAllocate"]["amount"]]
    assert amounts == ["10.00"] * 3
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]
    assert seen["creditBalance"] == []


REFUND = f"""mutation($input: CreditMemoRefundInput!) {{ creditMemoRefund(input: $input) {{
  creditMemo {{ status unused {{ amount }} refunded {{ amount }} }} amount {{ amount }} refundTransactionIds {ERR} }} }}"""


async def test_a_memo_is_refunded_through_its_invoices_payment(org, store):
    await add_account(org)
    cid = await add_customer(org)
    await add_card(org, cid)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "50.00"})
    made = await create_order(org, cid, [{"planId": plan["id"]}])
    assert made["invoice"]["status"] == "PAID", made
    m = await memo(org, cid, invoiceId=made["invoice"]["id"], currency=None, items=[{"unitPrice": "30.00"}])
    too_much = (await org.gql(REFUND, {"input": {"creditMemoId": m["id"], "amount": "31", "idempotencyKey": "r0"}}))
    assert codes(too_much["creditMemoRefund"]) == [(["amount"], "OVER_ALLOCATION")]
    unsettled = (await org.gql(REFUND, {"input": {"creditMemoId": m["id"], "amount": "10.00", "idempotencyKey": "r1"}}))
    assert codes(unsettled["creditMemoRefund"]) == [(["creditMemoId", "amount"], "NOT_SETTLED")]
    seen = (await org.gql("""query($id: ID!) { creditMemo(id: $id) { unused { amount } } }""", {"id": m["id"]}))
    assert seen["creditMemo"]["unused"] == {"amount": "30.00"}  # the reservation was given back
    past = datetime.now(UTC) - timedelta(days=1)
    await store.for_org(org.id)["transactions"].update_many({}, {"$set": {"settlementTime": past}})
    done = (await org.gql(REFUND, {"input": {"creditMemoId": m["id"], "amount": "10.00", "idempotencyKey": "r1"}}))[
        "creditMemoRefund"]
    assert done["userErrors"] == [] and done["amount"] == {"amount": "10.00"} and len(done["refundTransactionIds"]) == 1
    assert done["creditMemo"] == {"status": "PARTIALLY_APPLIED", "unused": {"amount": "20.00"}, "refunded": {"amount": "10.00"}}
    again = (await org.gql(REFUND, {"input": {"creditMemoId": m["id"], "amount": "10.00", "idempotencyKey": "r1"}}))[
        "creditMemoRefund"]
    assert again["refundTransactionIds"] == done["refundTransactionIds"]  # replayed, not refunded twice
    inv = (await org.gql("""query($id: ID!) { invoice(id: $id) { status amountRefunded { amount } } }""",
                         {"id": made["invoice"]["id"]}))["invoice"]
    assert inv == {"status": "PARTIALLY_REFUNDED", "amountRefunded": {"amount": "10.00"}}
    plain = await memo(org, cid)
    assert codes((await org.gql(REFUND, {"input": {"creditMemoId": plain["id"], "idempotencyKey": "r2"}}))[
        "creditMemoRefund"]) == [(["creditMemoId"], "NOT_REFUNDABLE")]


async def test_an_allocation_interrupted_after_the_memos_step_resumes_or_is_given_back(org, store):
    cid = await add_customer(org)
    m = await memo(org, cid, items=[{"unitPrice": "30.00"}])
    inv = await unpaid_invoice(org, cid, "20.00")
    db, t = store.for_org(org.id), datetime.now(UTC)
    memo_doc = await credit_memos_store.get(db, m["id"])
    assert memo_doc is not None
    # the memo's step as a crashed allocation left it: the amount taken, the invoice not yet paid
    entry = {"id": "cmal_crashed", "invoiceId": inv["id"], "amountMinor": 2000, "createdTime": t}
    await credit_memos_store.transition(db, m["id"], {}, {"unusedMinor": 1000, "status": "PARTIALLY_APPLIED"}, t,
                                        {"$push": {"allocations": entry}})
    _, after, amount = await allocate(db, {"type": "SYSTEM", "id": None, "name": "test"}, m["id"], inv["id"], None,
                                      "cmal_crashed", t)
    assert amount == 2000 and after is not None and after["status"] == "PAID"  # resumed: the invoice took it once
    again = await unpaid_invoice(org, cid, "20.00")
    entry2 = {"id": "cmal_late", "invoiceId": again["id"], "amountMinor": 1000, "createdTime": t}
    await credit_memos_store.transition(db, m["id"], {}, {"unusedMinor": 0, "status": "APPLIED"}, t,
                                        {"$push": {"allocations": entry2}})
    await db["invoices"].update_one({"id": again["id"]}, {"$set": {"status": "VOIDED"}})
    memo_after, _, given = await allocate(db, {"type": "SYSTEM", "id": None, "name": "test"}, m["id"], again["id"], None,
                                          "cmal_late", t)
    assert given == 0 and memo_after is not None
    assert (memo_after["unusedMinor"], memo_after["status"]) == (1000, "PARTIALLY_APPLIED")
    assert [a["id"] for a in memo_after["allocations"]] == ["cmal_crashed"]
