"""Lead source through GraphQL: view on the customer, partial edits, validation, `original` kept."""

from __future__ import annotations

from typing import Any

from tests.helpers import Org

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id leadSource { source } } userErrors { code } } }"""

UPDATE = """mutation($input: CustomerLeadSourceUpdateInput!) { customerLeadSourceUpdate(input: $input) {
  customer { id revision leadSource { campaign medium source term content affiliate subAffiliate salesAgent
    clickId
    path referrer ipAddress original { source campaign ipAddress } } }
  userErrors { field message code } } }"""

READ = """query($id: ID!) { customer(id: $id) { revision leadSource { source campaign ipAddress }
  timeline(first: 5, kinds: [LEAD_SOURCE_CHANGED]) { edges { node {
    ... on LeadSourceChangedEvent { changedFields } } } } } }"""


async def new_customer(org: Org) -> str:
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "firstName": "Ada"}})
    assert data["customerCreate"]["customer"]["leadSource"] is None
    return str(data["customerCreate"]["customer"]["id"])


async def update(org: Org, cid: str, **fields: Any) -> dict[str, Any]:
    data = await org.gql(UPDATE, {"input": {"customerId": cid, **fields}})
    return data["customerLeadSourceUpdate"]


async def test_set_every_field_then_edit_some_and_clear_one(org: Org) -> None:
    cid = await new_customer(org)
    first = await update(
        org,
        cid,
        campaign="spring",
        medium="cpc",
        source="google",
        term="billing",
        content="ad-b",
        affiliate="aff1",
        subAffiliate="sub1",
        salesAgent="Grace",
        clickId="gclid-1",
        path="/pricing",
        referrer="https://search.example/?q=billing",
        ipAddress="2001:0db8:0000:0000:0000:0000:0000:0001",
    )
    assert first["userErrors"] == []
    ls = first["customer"]["leadSource"]
    assert ls["ipAddress"] == "2001:db8::1"
    assert (ls["campaign"], ls["subAffiliate"], ls["referrer"]) == (
        "spring",
        "sub1",
        "https://search.example/?q=billing",
    )
    second = await update(org, cid, source="newsletter", campaign=None)
    ls = second["customer"]["leadSource"]
    assert (ls["source"], ls["campaign"], ls["medium"]) == ("newsletter", None, "cpc")
    assert ls["original"] == {"source": "google", "campaign": "spring", "ipAddress": "2001:db8::1"}
    events = (await org.gql(READ, {"id": cid}))["customer"]["timeline"]["edges"]
    assert events[0]["node"]["changedFields"] == ["campaign", "source"]
    assert len(events) == 2


async def test_invalid_ip_referrer_and_overlong_values_are_all_refused_and_change_nothing(org: Org) -> None:
    cid = await new_customer(org)
    await update(org, cid, source="google")
    before = (await org.gql(READ, {"id": cid}))["customer"]
    result = await update(
        org, cid, ipAddress="300.1.1.1", referrer="javascript:alert(1)", term="x" * 513, source="bing"
    )
    assert {(tuple(e["field"]), e["code"]) for e in result["userErrors"]} == {
        (("ipAddress",), "INVALID_IP_ADDRESS"),
        (("referrer",), "INVALID_URL"),
        (("term",), "TOO_LONG"),
    }
    assert result["customer"] is None
    assert (await org.gql(READ, {"id": cid}))["customer"] == before


async def test_an_edit_that_changes_nothing_records_nothing(org: Org) -> None:
    cid = await new_customer(org)
    first = await update(org, cid, source="google")
    same = await update(org, cid, source="google")
    assert same["customer"]["revision"] == first["customer"]["revision"]
    assert len((await org.gql(READ, {"id": cid}))["customer"]["timeline"]["edges"]) == 1


async def test_stale_revision_wrong_id_and_other_organization_are_refused(org: Org, other_org: Org) -> None:
    cid = await new_customer(org)
    stale = await update(org, cid, source="x", expectedRevision=0)
    theirs = await update(other_org, cid, source="x")
    wrong = await update(org, "tag_01J0000000000000000000000", source="x")
    assert [(e["field"], e["code"]) for e in stale["userErrors"]] == [
        (["expectedRevision"], "REVISION_CONFLICT")
    ]
    assert [(e["field"], e["code"]) for e in theirs["userErrors"]] == [(["customerId"], "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [(["customerId"], "WRONG_ID_TYPE")]
    assert (await org.gql(READ, {"id": cid}))["customer"]["leadSource"] is None
