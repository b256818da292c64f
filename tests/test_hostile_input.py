"""Hostile and malformed inputs (issue 18): each is a specific user error or a BAD_USER_INPUT error,
never INTERNAL_SERVER_ERROR, and nothing is written. Sent as raw JSON where Python's JSON encoder would
refuse the value (lone surrogates)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from resolvers.money.idempotency import input_hash
from resolvers.validation import mask_card_numbers
from tests.collab import snapshot
from tests.helpers import Org
from tests.money_helpers import add_account, add_customer, key, paid_outside

REFUND = """mutation($i: TransactionRefundInput!) { transactionRefund(input: $i) {
  refund { id amount { amount } } userErrors { field code message } } }"""
REFUND_MANY = """mutation($i: TransactionsRefundInput!) { transactionsRefund(input: $i) {
  results { refund { id } } userErrors { field code message } } }"""
PAYOUT = """mutation($i: PayoutSendInput!) { payoutSend(input: $i) {
  transaction { id } userErrors { field code message } } }"""
COLLECT = """mutation($i: CustomerPaymentCollectInput!) { customerPaymentCollect(input: $i) {
  transaction { id } userErrors { field code message } } }"""
TAX_ADD = """mutation($i: CustomerTaxIdAddInput!) { customerTaxIdAdd(input: $i) {
  customer { id } userErrors { field code message } } }"""
TAX_DELETE = """mutation($i: CustomerTaxIdInput!) { customerTaxIdDelete(input: $i) {
  customer { id } userErrors { field code message } } }"""
TAX_DEFAULT = """mutation($i: CustomerTaxIdInput!) { customerTaxIdSetDefault(input: $i) {
  customer { id } userErrors { field code message } } }"""
UPDATE = """mutation($i: CustomerUpdateInput!) { customerUpdate(input: $i) {
  customer { id firstName websiteId emails { value } customFields } userErrors { field code message } } }"""
CREATE = """mutation($i: CustomerCreateInput!) { customerCreate(input: $i) {
  customer { id firstName lastName } userErrors { field code message } } }"""
NOTE_ADD = """mutation($i: TimelineNoteAddInput!) { timelineNoteAdd(input: $i) {
  note { id message } userErrors { field code message } } }"""
NOTE_UPDATE = """mutation($i: TimelineNoteUpdateInput!) { timelineNoteUpdate(input: $i) {
  note { id message format } userErrors { field code message } } }"""
TAG_CREATE = """mutation($i: TagCreateInput!) { tagCreate(input: $i) { tag { id name } userErrors { field code } } }"""
SEARCH = """query($s: String) { customers(first: 5, filter: { search: $s }) { edges { node { id } } } }"""
NODE = """query($id: ID!) { node(id: $id) { id } }"""


async def raw(org: Org, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Posts with Python's ASCII-escaping JSON encoder, which writes lone surrogates as `\\ud800`."""
    response = await org.http.post(
        "/graphql", content=json.dumps({"query": query, "variables": variables}),
        headers={"Authorization": f"Bearer {org.write_key}", "Content-Type": "application/json"},
    )
    # 400 BAD_REQUEST: refused while reading the body (issue 16's JSON parser refuses lone surrogates)
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    for error in body.get("errors", ()):
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", body
    return body


def payload(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def bad_input(body: dict[str, Any]) -> str:
    assert body.get("data") is None and body["errors"], body
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes in ({"BAD_USER_INPUT"}, {"BAD_REQUEST"}), body
    return " ".join(e["message"] for e in body["errors"])


# ------------------------------------------------------------------------------------------ decimals

SPECIAL_DECIMALS = ["sNaN", "NaN", "-NaN", "Infinity", "-Infinity", "inf", "1e3", "1E+400", "١٠", "١.٠٠", "1" * 41,
                    "0x10", " ", ""]


@pytest.mark.parametrize("amount", SPECIAL_DECIMALS)
async def test_special_and_non_ascii_decimals_are_refused_everywhere_with_an_idempotency_key(store, org, amount):
    await add_account(org)
    cid = await add_customer(org)
    txn = await paid_outside(org, cid)
    before = await snapshot(store, "transactions", "idempotency_keys")
    for query, variables in [
        (REFUND_MANY, {"idempotencyKey": key(), "items": [{"transactionId": txn["id"], "amount": amount}]}),
        (REFUND, {"idempotencyKey": key(), "transactionId": txn["id"], "amount": amount}),
        (PAYOUT, {"idempotencyKey": key(), "customerId": cid, "amount": amount, "currency": "USD",
                  "requestId": key("p")}),
        (COLLECT, {"idempotencyKey": key(), "customerId": cid, "amount": amount, "currency": "USD",
                   "option": "PAID_OUTSIDE"}),
    ]:
        assert "ASCII digits" in bad_input(await raw(org, query, {"i": variables}))
    # as literals in the query text too
    literal = REFUND.replace("$i: TransactionRefundInput!", "").replace(
        "input: $i", f'input: {{ idempotencyKey: "{key()}", transactionId: "{txn["id"]}", amount: {json.dumps(amount)} }}')
    body = await raw(org, literal.replace("mutation()", "mutation"), {})
    assert {e["extensions"]["code"] for e in body["errors"]} <= {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}
    assert await snapshot(store, "transactions", "idempotency_keys") == before


async def test_plain_decimals_still_work(org):
    await add_account(org)
    cid = await add_customer(org)
    txn = await paid_outside(org, cid)
    result = payload(await raw(org, REFUND, {"i": {"idempotencyKey": key(), "transactionId": txn["id"],
                                                   "amount": " 1.5"}}), "transactionRefund")
    assert result["userErrors"] == [] and result["refund"]["amount"]["amount"] == "1.50"


def test_idempotency_hash_encodes_every_input_type():
    from datetime import UTC, datetime
    from decimal import Decimal

    from schema.common import UserErrorCode

    hostile = {"a": Decimal("sNaN"), "b": Decimal("-Infinity"), "c": 2**80, "d": "x\ud800", "e": UserErrorCode.INVALID,
               "f": datetime(2026, 1, 1, tzinfo=UTC), "g": {1, 2}, "h": (1, 2.5), "i": object()}
    assert len(input_hash("op", hostile)) == 64
    assert input_hash("op", {"a": Decimal("1.10")}) == input_hash("op", {"a": Decimal("1.1")})
    assert input_hash("op", {"a": Decimal("1.10"), "idempotency_key": "x"}) == input_hash("op", {"a": Decimal("1.1")})


# ------------------------------------------------------------------------------------------ tax ids


@pytest.mark.parametrize("value", ["XX123", "DE", "1", "ÉÉ12345", "EL" + "9" * 80])
async def test_tax_ids_the_library_raises_on_are_user_errors(store, org, value):
    cid = await add_customer(org)
    before = await snapshot(store, "customers")
    result = payload(await raw(org, TAX_ADD, {"i": {"customerId": cid, "type": "EU_VAT", "value": value}}),
                     "customerTaxIdAdd")
    assert [e["code"] for e in result["userErrors"]] == ["INVALID_TAX_ID"] and result["customer"] is None
    for query, name in [(TAX_DELETE, "customerTaxIdDelete"), (TAX_DEFAULT, "customerTaxIdSetDefault")]:
        result = payload(await raw(org, query, {"i": {"customerId": cid, "type": "EU_VAT", "value": value}}), name)
        assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]
    assert await snapshot(store, "customers") == before


# ------------------------------------------------------------------------------------------ surrogates


async def test_a_lone_surrogate_in_any_string_variable_is_bad_input(store, org):
    cid = await add_customer(org)
    before = await snapshot(store, "customers", "timeline")
    cases = [
        (SEARCH, {"s": "a\ud800"}),
        (NODE, {"id": "a\ud800"}),
        (NODE, {"id": "cus_\udfff"}),
        (UPDATE, {"i": {"id": cid, "firstName": "x\ud800"}}),
        (CREATE, {"i": {"websiteId": org.website_id, "firstName": "\ud83d"}}),
        (NOTE_ADD, {"i": {"customerId": cid, "message": "a\ud800"}}),
        (UPDATE, {"i": {"id": cid, "customFields": {"k\ud800": "v"}}}),
        (TAG_CREATE, {"i": {"name": "x\udc00"}}),
    ]
    for query, variables in cases:
        message = bad_input(await raw(org, query, variables))
        assert "lone UTF-16 surrogate" in message or "surrogate" in message, message
    assert await snapshot(store, "customers", "timeline") == before
    # a proper pair (an emoji) is text
    assert payload(await raw(org, NOTE_ADD, {"i": {"customerId": cid, "message": "ok \U0001f600"}}),
                   "timelineNoteAdd")["userErrors"] == []


# ------------------------------------------------------------------------------------------ custom fields


@pytest.mark.parametrize("fields,path,code", [
    ({"a\u0000b": 1}, ["customFields", "a\\0b"], "INVALID"),
    ({"$where": 1}, ["customFields", "$where"], "INVALID"),
    ({"a.b": 1}, ["customFields", "a.b"], "INVALID"),
    ({"": 1}, ["customFields"], "INVALID"),
    ({"k" * 65: 1}, ["customFields", "k" * 64], "TOO_LONG"),
    ({"s": "nul\u0000"}, ["customFields", "s"], "INVALID"),
    ({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, ["customFields", "a", "b", "c", "d", "e"], "INVALID"),
    ({"big": "x" * 17000}, ["customFields"], "TOO_LONG"),
])
async def test_custom_fields_the_store_cannot_hold_are_refused(store, org, fields, path, code):
    cid = await add_customer(org)
    before = await snapshot(store, "customers")
    for query, variables, name in [
        (UPDATE, {"id": cid, "customFields": fields}, "customerUpdate"),
        (CREATE, {"websiteId": org.website_id, "customFields": fields}, "customerCreate"),
    ]:
        result = payload(await raw(org, query, {"i": variables}), name)
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(path, code)], result
    assert await snapshot(store, "customers") == before


def test_custom_field_integers_beyond_64_bits_are_refused():
    """Checked on the parsed value (the request-body parser may already turn such numbers into floats)."""
    from resolvers.validation import custom_fields
    from schema.common import Problems

    for value, path in [({"n": 2**63}, ["customFields", "n"]), ({"n": -(2**63) - 1}, ["customFields", "n"]),
                        ({"n": [1, {"deep": 10**30}]}, ["customFields", "n", "1", "deep"])]:
        problems = Problems()
        assert custom_fields(problems, ["customFields"], value) == {}
        assert [(e.field, e.code.name) for e in problems.errors] == [(path, "INVALID")]


async def test_custom_fields_within_the_limits_are_kept(org):
    cid = await add_customer(org)
    fields = {"plan": "pro", "n": 2**63 - 1, "list": [1, "a", None, True, 1.5], "a": {"b": {"c": {"d": 1}}}}
    result = payload(await raw(org, UPDATE, {"i": {"id": cid, "customFields": fields}}), "customerUpdate")
    assert result["userErrors"] == [] and result["customer"]["customFields"] == fields


async def test_many_custom_field_problems_are_reported_at_once_and_bounded(org):
    cid = await add_customer(org)
    fields = {f"${i}": 1 for i in range(500)}
    result = payload(await raw(org, UPDATE, {"i": {"id": cid, "customFields": fields}}), "customerUpdate")
    assert 1 < len(result["userErrors"]) <= 52


# ------------------------------------------------------------------------------------------ times, nulls


@pytest.mark.parametrize("when", ["2026-01-01T00:00:00", "2026-01-01", "2026-01-01T00:00:00.5", "yesterday", "9" * 30])
async def test_a_time_without_a_zone_is_bad_input(org, when):
    await add_account(org)
    cid = await add_customer(org)
    body = await raw(org, COLLECT, {"i": {"idempotencyKey": key(), "customerId": cid, "amount": "1.00",
                                          "currency": "USD", "option": "PAID_OUTSIDE",
                                          "paidOutside": {"processedTime": when}}})
    assert "DateTime" in bad_input(body)


async def test_a_time_with_a_zone_is_accepted(org):
    await add_account(org)
    cid = await add_customer(org)
    body = await raw(org, COLLECT, {"i": {"idempotencyKey": key(), "customerId": cid, "amount": "1.00",
                                          "currency": "USD", "option": "PAID_OUTSIDE",
                                          "paidOutside": {"processedTime": "2026-01-01T01:00:00+01:00"}}})
    assert payload(body, "customerPaymentCollect")["userErrors"] == []


async def test_null_for_a_field_that_cannot_be_cleared_is_a_user_error(org):
    cid = await add_customer(org, emails=[{"value": "ada@example.com"}])
    result = payload(await raw(org, UPDATE, {"i": {"id": cid, "websiteId": None}}), "customerUpdate")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["websiteId"], "REQUIRED")]
    result = payload(await raw(org, UPDATE, {"i": {"id": cid, "emails": None}}), "customerUpdate")
    assert result["userErrors"] == [] and result["customer"]["emails"] == []
    note = payload(await raw(org, NOTE_ADD, {"i": {"customerId": cid, "message": "hi"}}), "timelineNoteAdd")["note"]
    for field, expected in [("message", [(["message"], "REQUIRED")]), ("format", [(["format"], "REQUIRED")]),
                            ("mentionedIds", []), ("linkIds", [])]:
        result = payload(await raw(org, NOTE_UPDATE, {"i": {"id": note["id"], field: None}}), "timelineNoteUpdate")
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == expected, field


def test_every_maybe_input_field_accepts_null_as_its_sdl_says():
    """`Maybe[T]` without `None` is nullable in the SDL but its null crashed in the resolver."""
    import typing

    import strawberry

    from resolvers.schema import build_schema

    schema = build_schema()
    offenders = []
    for definition in schema.schema_converter.type_map.values():
        origin = getattr(definition.definition, "origin", None)
        fields = getattr(definition.definition, "fields", None)
        if not getattr(definition.definition, "is_input", False) or fields is None:
            continue
        hints = typing.get_type_hints(origin, include_extras=True)
        for f in fields:
            hint = hints.get(f.python_name)
            if typing.get_origin(hint) is strawberry.Maybe or "Maybe[" in str(hint):
                if "None" not in str(hint) and "Optional" not in str(hint):
                    offenders.append(f"{origin.__name__}.{f.python_name}")
    assert offenders == []


# ------------------------------------------------------------------------------------------ text hygiene


@pytest.mark.parametrize("value", ["Ada\u0000", "Ad\u0007a", "A\u001bda", "Ada\u202e", "Ada\u2066x", "A\u0085da"])
async def test_control_and_bidi_characters_in_names_are_refused(store, org, value):
    cid = await add_customer(org)
    before = await snapshot(store, "customers")
    result = payload(await raw(org, UPDATE, {"i": {"id": cid, "firstName": value}}), "customerUpdate")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["firstName"], "INVALID_CHARACTERS")]
    result = payload(await raw(org, CREATE, {"i": {"websiteId": org.website_id, "lastName": value}}), "customerCreate")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["lastName"], "INVALID_CHARACTERS")]
    assert await snapshot(store, "customers") == before


async def test_notes_keep_line_breaks_and_tabs_but_refuse_nul(org):
    cid = await add_customer(org)
    result = payload(await raw(org, NOTE_ADD, {"i": {"customerId": cid, "message": "a\r\n\tb"}}), "timelineNoteAdd")
    assert result["userErrors"] == [] and result["note"]["message"] == "a\n\tb"
    result = payload(await raw(org, NOTE_ADD, {"i": {"customerId": cid, "message": "a\u0000b"}}), "timelineNoteAdd")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["message"], "INVALID_CHARACTERS")]


async def test_card_numbers_in_notes_are_masked(store, org):
    cid = await add_customer(org)
    message = "card 4111 1111 1111 1111, ref 4111-1111-1111-1112, order 12345678901234, amex 378282246310005"
    result = payload(await raw(org, NOTE_ADD, {"i": {"customerId": cid, "message": message}}), "timelineNoteAdd")
    assert result["note"]["message"] == (
        "card •••• •••• •••• 1111, ref 4111-1111-1111-1112, order 12345678901234, amex •••••••••••0005")
    stored = await snapshot(store, "timeline")
    assert "4111 1111 1111 1111" not in repr(stored) and "378282246310005" not in repr(stored)


def test_card_number_masking_keeps_other_digits():
    assert mask_card_numbers("4242424242424242") == "••••••••••••4242"
    assert mask_card_numbers("call 020 7946 0958") == "call 020 7946 0958"
    assert mask_card_numbers("x" * 5) == "x" * 5


async def test_tag_names_are_compared_in_nfc(org):
    combining, precomposed = "Cafe\u0301", "Caf\u00e9"
    first = payload(await raw(org, TAG_CREATE, {"i": {"name": combining}}), "tagCreate")
    assert first["userErrors"] == [] and first["tag"]["name"] == precomposed
    second = payload(await raw(org, TAG_CREATE, {"i": {"name": precomposed}}), "tagCreate")
    assert [e["code"] for e in second["userErrors"]] == ["ALREADY_EXISTS"]


async def test_names_are_stored_in_nfc_and_found_either_way(org):
    result = payload(await raw(org, CREATE, {"i": {"websiteId": org.website_id, "firstName": "Zoe\u0308"}}),
                     "customerCreate")
    assert result["customer"]["firstName"] == "Zo\u00eb"
    for search in ["Zoe\u0308", "Zo\u00eb"]:
        found = payload(await raw(org, SEARCH, {"s": search}), "customers")
        assert [e["node"]["id"] for e in found["edges"]] == [result["customer"]["id"]]
