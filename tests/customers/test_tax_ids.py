"""Tax ID numbers through GraphQL: add (checked per type), delete, set default; one default always."""

from __future__ import annotations

from typing import Any

from tests.helpers import Org

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id revision } userErrors { code } } }"""

ADD = """mutation($input: CustomerTaxIdAddInput!) { customerTaxIdAdd(input: $input) {
  customer { id revision taxIds { type value isDefault } } userErrors { field message code } } }"""

DELETE = """mutation($input: CustomerTaxIdInput!) { customerTaxIdDelete(input: $input) {
  customer { id taxIds { type value isDefault } } userErrors { field message code } } }"""

SET_DEFAULT = """mutation($input: CustomerTaxIdInput!) { customerTaxIdSetDefault(input: $input) {
  customer { id taxIds { type value isDefault } } userErrors { field message code } } }"""

READ = """query($id: ID!) { customer(id: $id) { revision taxIds { type value isDefault }
  timeline(first: 10, kinds: [TAX_ID_CHANGED]) { edges { node {
    ... on TaxIdChangedEvent { change taxIdType value } } } } } }"""


async def new_customer(org: Org) -> str:
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "firstName": "Ada"}})
    return str(data["customerCreate"]["customer"]["id"])


async def add(org: Org, cid: str, kind: str, value: str, **extra: Any) -> dict[str, Any]:
    return (await org.gql(ADD, {"input": {"customerId": cid, "type": kind, "value": value, **extra}}))[
        "customerTaxIdAdd"
    ]


def errors(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def test_known_types_are_validated_and_normalised(org: Org) -> None:
    cid = await new_customer(org)
    vat = await add(org, cid, "EU_VAT", "DE 136,695 976")
    ein = await add(org, cid, "US_EIN", "04-2103594")
    other = await add(org, cid, "OTHER", "  Steuer-Nr 12/345/67890 ")
    assert vat["userErrors"] == ein["userErrors"] == other["userErrors"] == []
    assert other["customer"]["taxIds"] == [
        {"type": "EU_VAT", "value": "DE136695976", "isDefault": True},
        {"type": "US_EIN", "value": "042103594", "isDefault": False},
        {"type": "OTHER", "value": "Steuer-Nr 12/345/67890", "isDefault": False},
    ]


async def test_invalid_numbers_and_overlong_free_text_are_refused_and_change_nothing(org: Org) -> None:
    cid = await new_customer(org)
    before = (await org.gql(READ, {"id": cid}))["customer"]
    assert errors(await add(org, cid, "EU_VAT", "DE136695977")) == [(["value"], "INVALID_TAX_ID")]
    assert errors(await add(org, cid, "US_EIN", "12")) == [(["value"], "INVALID_TAX_ID")]
    assert errors(await add(org, cid, "AU_ABN", "51 824 753 557")) == [(["value"], "INVALID_TAX_ID")]
    assert errors(await add(org, cid, "OTHER", "x" * 65)) == [(["value"], "TOO_LONG")]
    assert errors(await add(org, cid, "OTHER", "   ")) == [(["value"], "REQUIRED")]
    after = (await org.gql(READ, {"id": cid}))["customer"]
    assert after == before


async def test_duplicates_are_refused(org: Org) -> None:
    cid = await new_customer(org)
    await add(org, cid, "EU_VAT", "DE136695976")
    assert errors(await add(org, cid, "EU_VAT", "de 136 695 976")) == [(["value"], "ALREADY_EXISTS")]


async def test_exactly_one_default_through_add_set_default_and_delete(org: Org) -> None:
    cid = await new_customer(org)
    await add(org, cid, "EU_VAT", "DE136695976")
    added = await add(org, cid, "GB_VAT", "GB 980 7806 84", isDefault=True)
    assert [t["isDefault"] for t in added["customer"]["taxIds"]] == [False, True]

    data = await org.gql(
        SET_DEFAULT, {"input": {"customerId": cid, "type": "EU_VAT", "value": "DE 136695976"}}
    )
    assert [t["isDefault"] for t in data["customerTaxIdSetDefault"]["customer"]["taxIds"]] == [True, False]

    data = await org.gql(DELETE, {"input": {"customerId": cid, "type": "EU_VAT", "value": "DE136695976"}})
    assert data["customerTaxIdDelete"]["customer"]["taxIds"] == [
        {"type": "GB_VAT", "value": "980780684", "isDefault": True}
    ]
    data = await org.gql(DELETE, {"input": {"customerId": cid, "type": "GB_VAT", "value": "980780684"}})
    assert data["customerTaxIdDelete"]["customer"]["taxIds"] == []

    events = [e["node"] for e in (await org.gql(READ, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert events == [
        {"change": "DELETED", "taxIdType": "GB_VAT", "value": "980780684"},
        {"change": "DELETED", "taxIdType": "EU_VAT", "value": "DE136695976"},
        {"change": "DEFAULT_SET", "taxIdType": "EU_VAT", "value": "DE136695976"},
        {"change": "ADDED", "taxIdType": "GB_VAT", "value": "980780684"},
        {"change": "ADDED", "taxIdType": "EU_VAT", "value": "DE136695976"},
    ]


async def test_deleting_or_defaulting_an_unknown_number_is_not_found(org: Org) -> None:
    cid = await new_customer(org)
    await add(org, cid, "EU_VAT", "DE136695976")
    missing = {"customerId": cid, "type": "US_EIN", "value": "04-2103594"}
    deleted = await org.gql(DELETE, {"input": missing})
    defaulted = await org.gql(SET_DEFAULT, {"input": missing})
    assert errors(deleted["customerTaxIdDelete"]) == [(["value"], "NOT_FOUND")]
    assert errors(defaulted["customerTaxIdSetDefault"]) == [(["value"], "NOT_FOUND")]


async def test_stale_revision_and_other_organizations_customers_are_refused(org: Org, other_org: Org) -> None:
    cid = await new_customer(org)
    stale = await add(org, cid, "EU_VAT", "DE136695976", expectedRevision=0)
    assert errors(stale) == [(["expectedRevision"], "REVISION_CONFLICT")]
    theirs = await add(other_org, cid, "EU_VAT", "DE136695976")
    assert errors(theirs) == [(["customerId"], "NOT_FOUND")]
    wrong = await add(org, "web_01J0000000000000000000000", "EU_VAT", "DE136695976")
    assert errors(wrong) == [(["customerId"], "WRONG_ID_TYPE")]
    assert (await org.gql(READ, {"id": cid}))["customer"]["taxIds"] == []
