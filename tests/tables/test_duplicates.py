"""Duplicate suggestions: shared email, phone, card fingerprint, or name with date of birth, ranked."""

from __future__ import annotations

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { code field message } } }"""
ADD_CARD = """mutation($input: PaymentInstrumentAddInput!) { paymentInstrumentAdd(input: $input) {
  paymentInstrument { id } userErrors { code field } } }"""
DUPS = """query($id: ID!) { customer(id: $id) { possibleDuplicates { customer { id } score reasons } } }"""
SUGGESTIONS = """query($after: String) { customerDuplicateSuggestions(first: 3, after: $after) {
  edges { node { customer { id } bestScore duplicates { customer { id } } } }
  pageInfo { hasNextPage endCursor } } }"""
PHONE = "+44 20 7946 0958"
CARD = {"number": "4111111111111111", "expMonth": 12, "expYear": 2039}


async def add(org, cid: str, **fields) -> None:
    r = await org.gql(CREATE, {"input": {"id": cid, "websiteId": org.website_id, **fields}})
    assert r["customerCreate"]["userErrors"] == [], r


async def card(org, cid: str) -> None:
    r = await org.gql(ADD_CARD, {"input": {"customerId": cid, "card": CARD}})
    assert r["paymentInstrumentAdd"]["userErrors"] == [], r


async def people(org) -> None:
    await add(org, "a", firstName="Ada", lastName="Lovelace", dateOfBirth="1985-12-10",
              emails=[{"value": "ada@example.com"}], phoneNumbers=[{"value": PHONE}])
    await add(org, "b", firstName="A.", lastName="King", emails=[{"value": "ADA@example.com"}])
    await add(org, "c", firstName="Charles", phoneNumbers=[{"value": "+442079460958"}])
    await add(org, "d", firstName="Dora")
    await add(org, "e", firstName="ada", lastName="LOVELACE", dateOfBirth="1985-12-10", phoneNumbers=[{"value": PHONE}])
    await add(org, "f", firstName="Ada", lastName="Lovelace", dateOfBirth="1990-01-01", emails=[{"value": "f@example.com"}])
    await card(org, "a")
    await card(org, "d")


async def test_possible_duplicates_are_ranked_by_what_they_share(org):
    await people(org)
    data = (await org.gql(DUPS, {"id": "a"}))["customer"]["possibleDuplicates"]
    assert data == [
        {"customer": {"id": "e"}, "score": 60, "reasons": ["SAME_NAME_AND_DATE_OF_BIRTH", "SAME_PHONE"]},
        {"customer": {"id": "b"}, "score": 40, "reasons": ["SAME_EMAIL"]},
        {"customer": {"id": "d"}, "score": 40, "reasons": ["SAME_CARD"]},
        {"customer": {"id": "c"}, "score": 30, "reasons": ["SAME_PHONE"]},
    ]
    # Same name but another date of birth is not a match.
    assert (await org.gql(DUPS, {"id": "f"}))["customer"]["possibleDuplicates"] == []
    assert [d["customer"]["id"] for d in (await org.gql(DUPS, {"id": "d"}))["customer"]["possibleDuplicates"]] == ["a"]


async def test_suggestions_list_pages_through_customers_with_duplicates(org):
    await people(org)
    seen, after, pages = [], None, 0
    while True:
        page = (await org.gql(SUGGESTIONS, {"after": after}))["customerDuplicateSuggestions"]
        pages += 1
        seen += [(e["node"]["customer"]["id"], e["node"]["bestScore"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 2
    # Newest first by page (f, e, d | c, b, a), best score first within a page; f has none.
    assert seen == [("e", 60), ("d", 40), ("a", 60), ("b", 40), ("c", 30)]
