"""Adding and editing customers: every field of the guide's form, validation, revisions, timeline."""

from __future__ import annotations

import asyncio

from store.activity import timeline
from store.customers import customers

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id websiteId firstName lastName organization jobTitle dateOfBirth
    address { line1 line2 city region country postalCode }
    emails { value label primary } phoneNumbers { value label primary } email phoneNumber customFields
    isLead paymentCount lifetimeRevenue { amount currency } averageValue { amount currency }
    createdTime updatedTime revision website { id name }
    timeline(first: 5) { edges { node { kind author { type name } } } } }
  userErrors { field message code } } }"""

UPDATE = """mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) {
  customer { id firstName lastName jobTitle dateOfBirth address { city country } emails { value primary }
    phoneNumbers { value primary } email phoneNumber customFields revision
    timeline(first: 10) { edges { node { kind message ... on CustomerUpdatedEvent { changedFields } } } } }
  userErrors { field message code } } }"""

GET = "query($id: ID!) { customer(id: $id) { id revision email firstName } }"


def full_input(website_id: str, **over: object) -> dict:
    base = {
        "id": "acme-42",
        "websiteId": website_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "organization": "Analytical Engines Ltd",
        "jobTitle": "Mathematician",
        "dateOfBirth": "1990-12-10",
        "address": {"line1": "12 St James's Square", "line2": "Flat 3", "city": "London", "country": "gb",
                    "region": "London", "postalCode": "SW1Y 4JH"},
        "phoneNumbers": [{"value": "+44 20 7946 0958", "label": "work", "primary": True},
                         {"value": "020 7946 0000", "label": "home"}],
        "emails": [{"value": "ada@example.com", "label": "work", "primary": True},
                   {"value": "Ada.Home@Example.com", "label": "home"}],
        "customFields": {"plan": "pro", "seats": 3},
    }
    base.update(over)
    return base


async def create(org, **over: object) -> dict:
    data = await org.gql(CREATE, {"input": full_input(org.website_id, **over)})
    assert data["customerCreate"]["userErrors"] == []
    return data["customerCreate"]["customer"]


async def test_create_stores_every_field_of_the_form(org):
    c = await create(org)
    assert c["id"] == "acme-42"
    assert c["websiteId"] == org.website_id and c["website"]["id"] == org.website_id
    assert (c["firstName"], c["lastName"], c["organization"], c["jobTitle"]) == (
        "Ada", "Lovelace", "Analytical Engines Ltd", "Mathematician")
    assert c["dateOfBirth"] == "1990-12-10"
    assert c["address"] == {"line1": "12 St James's Square", "line2": "Flat 3", "city": "London",
                            "region": "London", "country": "GB", "postalCode": "SW1Y 4JH"}
    # National numbers are read with the address's country and stored in E.164.
    assert c["phoneNumbers"] == [{"value": "+442079460958", "label": "work", "primary": True},
                                 {"value": "+442079460000", "label": "home", "primary": False}]
    assert c["email"] == "ada@example.com" and c["phoneNumber"] == "+442079460958"
    assert c["emails"][1] == {"value": "Ada.Home@example.com", "label": "home", "primary": False}
    assert c["customFields"] == {"plan": "pro", "seats": 3}
    assert c["isLead"] is True and c["paymentCount"] == 0
    assert c["lifetimeRevenue"] == [] and c["averageValue"] == []
    assert c["revision"] == 1 and c["createdTime"] == c["updatedTime"]
    assert c["createdTime"].endswith("+00:00")
    assert c["timeline"]["edges"] == [{"node": {"kind": "CUSTOMER_CREATED", "author": {"type": "API_KEY", "name": "Org A writer"}}}]


async def test_create_without_id_generates_a_prefixed_id(org):
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "emails": [{"value": "x@example.com"}]}})
    c = data["customerCreate"]["customer"]
    assert c["id"].startswith("cus_") and len(c["id"]) == 30
    assert c["emails"] == [{"value": "x@example.com", "label": "main", "primary": True}]


async def test_bad_input_reports_every_problem_and_writes_nothing(org, store):
    data = await org.gql(CREATE, {"input": full_input(
        org.website_id,
        id="bad id!",
        firstName="x" * 46,
        dateOfBirth="2999-01-01",
        address={"country": "XX"},
        emails=[{"value": "not-an-email", "primary": True}, {"value": "b@example.com", "primary": True}],
        phoneNumbers=[{"value": "12"}],
        customFields=["not", "an", "object"],
    )})
    payload = data["customerCreate"]
    assert payload["customer"] is None
    got = {(".".join(e["field"]), e["code"]) for e in payload["userErrors"]}
    assert got == {
        ("id", "INVALID"),
        ("firstName", "TOO_LONG"),
        ("dateOfBirth", "DATE_IN_FUTURE"),
        ("address.country", "INVALID_COUNTRY"),
        ("emails.0.value", "INVALID_EMAIL"),
        ("emails", "PRIMARY_REQUIRED"),
        ("phoneNumbers.0.value", "INVALID_PHONE"),
        ("customFields", "INVALID"),
    }
    assert all(e["message"] for e in payload["userErrors"])
    org_db = store.for_org(org.id)
    assert await org_db[customers.COLLECTION].count({}) == 0
    assert await org_db[timeline.COLLECTION].count({}) == 0


async def test_several_emails_without_a_primary_are_refused(org):
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id,
                                            "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}]}})
    assert data["customerCreate"]["userErrors"] == [
        {"field": ["emails"], "message": "exactly one email must be primary (found 0)", "code": "PRIMARY_REQUIRED"}]


async def test_duplicate_customer_id_is_already_exists(org, store):
    await create(org)
    data = await org.gql(CREATE, {"input": full_input(org.website_id, firstName="Other")})
    assert data["customerCreate"]["userErrors"] == [
        {"field": ["id"], "message": "a customer with id acme-42 already exists", "code": "ALREADY_EXISTS"}]
    assert (await org.gql(GET, {"id": "acme-42"}))["customer"]["firstName"] == "Ada"


async def test_concurrent_creates_with_one_id_make_one_customer(org, store):
    results = await asyncio.gather(*(org.gql(CREATE, {"input": full_input(org.website_id)}) for _ in range(5)))
    ok = [r for r in results if not r["customerCreate"]["userErrors"]]
    assert len(ok) == 1
    assert await store.for_org(org.id)[customers.COLLECTION].count({"id": "acme-42"}) == 1


async def test_unknown_website_and_wrong_id_types_are_refused(org):
    data = await org.gql(CREATE, {"input": {"websiteId": "web_01JUNKNOWNUNKNOWNUNKNOWNUN"}})
    assert data["customerCreate"]["userErrors"][0]["code"] == "NOT_FOUND"
    data = await org.gql(CREATE, {"input": {"websiteId": "cus_01JUNKNOWNUNKNOWNUNKNOWNUN"}})
    assert data["customerCreate"]["userErrors"][0]["code"] == "WRONG_ID_TYPE"
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "id": "web_mine"}})
    assert data["customerCreate"]["userErrors"][0] == {
        "field": ["id"], "message": "ids starting with `web_` are reserved for generated ids", "code": "RESERVED_ID"}
    errors = await org.errors(GET, {"id": org.website_id})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is a Website id" in errors[0]["message"]


async def test_update_changes_only_given_fields_and_null_clears(org):
    await create(org)
    data = await org.gql(UPDATE, {"input": {"id": "acme-42", "firstName": "Augusta", "jobTitle": None,
                                            "address": {"city": "Paris", "country": "FR"}}})
    payload = data["customerUpdate"]
    assert payload["userErrors"] == []
    c = payload["customer"]
    assert c["firstName"] == "Augusta" and c["lastName"] == "Lovelace" and c["jobTitle"] is None
    assert c["address"] == {"city": "Paris", "country": "FR"}
    assert c["dateOfBirth"] == "1990-12-10" and c["customFields"] == {"plan": "pro", "seats": 3}
    assert c["revision"] == 2
    first = c["timeline"]["edges"][0]["node"]
    assert first["kind"] == "CUSTOMER_UPDATED"
    assert first["changedFields"] == ["address", "firstName", "jobTitle"]
    assert [e["node"]["kind"] for e in c["timeline"]["edges"]] == ["CUSTOMER_UPDATED", "CUSTOMER_CREATED"]


async def test_update_adds_removes_emails_and_moves_primary(org):
    await create(org)
    data = await org.gql(UPDATE, {"input": {
        "id": "acme-42",
        "emailsAdd": [{"value": "lab@example.com", "label": "lab"}],
        "emailsRemove": ["ADA@example.com"],
        "primaryEmail": "lab@example.com",
        "phoneNumbersRemove": ["+44 20 7946 0958"],
    }})
    c = data["customerUpdate"]["customer"]
    assert data["customerUpdate"]["userErrors"] == []
    assert c["emails"] == [{"value": "Ada.Home@example.com", "primary": False}, {"value": "lab@example.com", "primary": True}]
    assert c["email"] == "lab@example.com"
    # The only phone left becomes primary.
    assert c["phoneNumbers"] == [{"value": "+442079460000", "primary": True}] and c["phoneNumber"] == "+442079460000"


async def test_update_with_no_change_keeps_the_revision(org):
    await create(org)
    data = await org.gql(UPDATE, {"input": {"id": "acme-42", "firstName": "Ada"}})
    assert data["customerUpdate"]["customer"]["revision"] == 1
    assert len(data["customerUpdate"]["customer"]["timeline"]["edges"]) == 1


async def test_stale_expected_revision_is_a_conflict_and_changes_nothing(org):
    await create(org)
    await org.gql(UPDATE, {"input": {"id": "acme-42", "firstName": "B", "expectedRevision": 1}})
    data = await org.gql(UPDATE, {"input": {"id": "acme-42", "firstName": "C", "expectedRevision": 1}})
    assert data["customerUpdate"] == {"customer": None, "userErrors": [
        {"field": ["expectedRevision"], "message": "the customer is at revision 2, not 1", "code": "REVISION_CONFLICT"}]}
    assert (await org.gql(GET, {"id": "acme-42"}))["customer"] == {
        "id": "acme-42", "revision": 2, "email": "ada@example.com", "firstName": "B"}


async def test_concurrent_updates_lose_nothing(org):
    await create(org, customFields=None)
    names = [f"name{i}" for i in range(8)]
    await asyncio.gather(*(org.gql(UPDATE, {"input": {"id": "acme-42", "jobTitle": n}}) for n in names))
    c = (await org.gql("query { customer(id: \"acme-42\") { revision timeline(first: 20) { edges { node { kind } } } } }"))["customer"]
    # Every accepted edit is one revision and one event.
    assert c["revision"] == 1 + len(c["timeline"]["edges"]) - 1
    assert c["revision"] >= 2


async def test_invalid_update_reports_all_problems_and_writes_nothing(org):
    await create(org)
    data = await org.gql(UPDATE, {"input": {"id": "acme-42", "lastName": "y" * 50, "emailsAdd": [{"value": "nope"}],
                                            "primaryPhoneNumber": "+1 415 555 0100", "dateOfBirth": "2999-01-01"}})
    got = {(".".join(e["field"]), e["code"]) for e in data["customerUpdate"]["userErrors"]}
    assert got == {("lastName", "TOO_LONG"), ("emailsAdd.0.value", "INVALID_EMAIL"),
                   ("primaryPhoneNumber", "NOT_FOUND"), ("dateOfBirth", "DATE_IN_FUTURE")}
    assert (await org.gql(GET, {"id": "acme-42"}))["customer"]["revision"] == 1


async def test_update_of_unknown_customer_is_not_found(org):
    data = await org.gql(UPDATE, {"input": {"id": "nobody", "firstName": "x"}})
    assert data["customerUpdate"]["userErrors"] == [
        {"field": ["id"], "message": "no customer nobody in this organization", "code": "NOT_FOUND"}]
