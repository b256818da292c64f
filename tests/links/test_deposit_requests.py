"""Deposit strategies and `depositRequestCreate` through GraphQL, and the hosted deposit page over HTTP:
the amounts shown, a card taken through the sandbox gateway, the statuses, expiry and replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.money_helpers import APPROVE_CARD, INSUFFICIENT_FUNDS_CARD, add_account, add_customer, customer_money, path_of

STRATEGY = """mutation($input: DepositStrategyCreateInput!) { depositStrategyCreate(input: $input) {
  depositStrategy { id name priority isActive currencies amounts { calculator baseAmount increments defaultIndex }
    customAmount { minimum maximum multipleOf } revision }
  userErrors { field message code } } }"""
STRATEGY_UPDATE = """mutation($input: DepositStrategyUpdateInput!) { depositStrategyUpdate(input: $input) {
  depositStrategy { id isActive priority revision } userErrors { field message code } } }"""
PROPS = """mutation($input: DepositCustomPropertySetCreateInput!) { depositCustomPropertySetCreate(input: $input) {
  propertySet { id properties { name label type required } } userErrors { field message code } } }"""
REQUEST_FIELDS = """id status currency strategyId url expiresTime redirectUrl transactionIds
  amounts { amount currency } defaultAmount { amount } customAmount { minimum maximum multipleOf }
  amountLimitsMinimum { amount } amountLimitsMaximum { amount } paidAmount { amount } properties customPropertySetId"""
CREATE = f"""mutation($input: DepositRequestCreateInput!) {{ depositRequestCreate(input: $input) {{
  depositRequest {{ {REQUEST_FIELDS} }} userErrors {{ field message code }} }} }}"""
GET = f"""query($id: ID!) {{ depositRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 30) { edges { node { kind message
  ... on DepositRequestChangedEvent { status transactionId } ... on DepositRequestCreatedEvent { depositRequestId } } } } } }"""


def amounts(req):
    return [a["amount"] for a in req["amounts"]]


async def strategy(org, **fields):
    inp = {"name": "Ladder", "amounts": {"calculator": "ABSOLUTE", "baseAmount": "10", "increments": ["20", "50", "100"]},
           "customAmount": {"minimum": "5", "maximum": "500", "multipleOf": "5"}, **fields}
    data = (await org.gql(STRATEGY, {"input": inp}))["depositStrategyCreate"]
    assert data["userErrors"] == [], data
    return data["depositStrategy"]


async def request(org, cid, **fields):
    data = (await org.gql(CREATE, {"input": {"customerId": cid, "currency": "USD", **fields}}))["depositRequestCreate"]
    assert data["userErrors"] == [], data
    return data["depositRequest"]


async def kinds(org, cid):
    edges = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
    return [(e["node"]["kind"], e["node"].get("status")) for e in edges]


async def test_request_without_strategies_uses_the_built_in_default_for_an_hour(org):
    await add_account(org)
    cid = await add_customer(org)
    req = await request(org, cid)
    assert req["id"].startswith("dep_req_") and req["status"] == "CREATED" and req["strategyId"] is None
    assert amounts(req) == ["10.00", "20.00", "30.00"] and req["defaultAmount"]["amount"] == "10.00"
    assert req["customAmount"] == {"minimum": "1.00", "maximum": "10000.00", "multipleOf": "1.00"}
    expires = datetime.fromisoformat(req["expiresTime"])
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert req["url"].startswith("http://test/deposit/") and len(req["url"].rsplit("/", 1)[1]) >= 40
    assert ("DEPOSIT_REQUEST_CREATED", None) in await kinds(org, cid)


async def test_highest_priority_matching_active_strategy_is_chosen(org):
    await add_account(org, ["USD", "EUR"])
    cid = await add_customer(org)
    await strategy(org, name="low", priority=1)
    high = await strategy(org, name="high", priority=5, customAmount=None,
                          amounts={"calculator": "PERCENT", "baseAmount": "10", "increments": ["20", "50", "100"], "defaultIndex": 2})
    eur_only = await strategy(org, name="eur", priority=9, currencies=["EUR"])
    inactive = await strategy(org, name="off", priority=50)
    off = (await org.gql(STRATEGY_UPDATE, {"input": {"id": inactive["id"], "isActive": False, "expectedRevision": 1}}))
    assert off["depositStrategyUpdate"]["depositStrategy"]["isActive"] is False
    req = await request(org, cid)
    assert req["strategyId"] == high["id"]
    assert amounts(req) == ["10.00", "12.00", "15.00", "20.00"] and req["defaultAmount"]["amount"] == "15.00"
    assert req["customAmount"] is None
    eur = await request(org, cid, currency="EUR")
    assert eur["strategyId"] == eur_only["id"] and amounts(eur) == ["10.00", "30.00", "60.00", "110.00"]


async def test_every_option_of_the_guide(org):
    await add_account(org)
    cid = await add_customer(org)
    ladder = await strategy(org)
    props = (await org.gql(PROPS, {"input": {"name": "Bonus", "properties": [
        {"name": "bonusCode", "label": "Bonus code", "required": True}, {"name": "age", "label": "Age", "type": "NUMBER"}]}}))
    set_id = props["depositCustomPropertySetCreate"]["propertySet"]["id"]
    req = await request(org, cid, websiteId=org.website_id, strategyId=ladder["id"], customAmounts="ALLOW",
                        customAmount={"minimum": "20", "maximum": "200", "multipleOf": "20"},
                        customPropertySetId=set_id, amountLimitsMinimum="25", amountLimitsMaximum="150",
                        redirectUrl="https://shop.example/thanks",
                        expirationTime=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    assert amounts(req) == ["30.00", "60.00", "110.00"] and req["defaultAmount"]["amount"] == "30.00"
    assert req["customAmount"] == {"minimum": "40.00", "maximum": "140.00", "multipleOf": "20.00"}
    assert (req["amountLimitsMinimum"]["amount"], req["amountLimitsMaximum"]["amount"]) == ("25.00", "150.00")
    assert req["redirectUrl"] == "https://shop.example/thanks" and req["customPropertySetId"] == set_id
    fixed = await request(org, cid, amounts=["15", "27.5"], defaultAmount="27.5", customAmounts="DENY")
    assert amounts(fixed) == ["15.00", "27.50"] and fixed["defaultAmount"]["amount"] == "27.50"
    assert fixed["customAmount"] is None and fixed["strategyId"] is None


async def test_bad_input_is_refused_with_every_problem_and_nothing_written(org, store):
    await add_account(org, ["EUR"])
    cid = await add_customer(org)
    data = (await org.gql(CREATE, {"input": {
        "customerId": cid, "currency": "USD", "strategyId": "dep_str_01J00000000000000000000000", "amounts": ["0", "1.001"],
        "defaultAmount": "3", "customAmount": {"minimum": "5", "maximum": "7", "multipleOf": "5"},
        "amountLimitsMinimum": "50", "amountLimitsMaximum": "10", "redirectUrl": "ftp://x",
        "expirationTime": "2020-01-01T00:00:00Z", "websiteId": "cus_1"}}))["depositRequestCreate"]
    got = sorted((tuple(e["field"] or []), e["code"]) for e in data["userErrors"])
    assert got == sorted([
        (("websiteId",), "WRONG_ID_TYPE"), (("currency",), "CURRENCY_NOT_ACCEPTED"), (("strategyId",), "NOT_FOUND"),
        (("amounts", "0"), "INVALID"), (("amounts", "1"), "TOO_MANY_DECIMALS"), (("defaultAmount",), "INVALID"),
        (("customAmount",), "INVALID"), (("customAmount", "maximum"), "INVALID"),
        (("amountLimitsMaximum",), "INVALID"), (("redirectUrl",), "INVALID_URL"), (("expirationTime",), "DATE_IN_PAST"),
    ]), got
    none_left = (await org.gql(CREATE, {"input": {"customerId": cid, "currency": "EUR", "customAmounts": "DENY",
                                                  "amountLimitsMinimum": "500"}}))["depositRequestCreate"]
    assert [(e["field"], e["code"]) for e in none_left["userErrors"]] == [(None, "NO_DEPOSIT_AMOUNTS")]
    assert await store.raw("deposit_requests").count_documents({}) == 0
    bad = (await org.gql(STRATEGY, {"input": {"name": " ", "priority": -1, "amounts": {
        "calculator": "ABSOLUTE", "baseAmount": "0", "increments": [], "hideBaseAmount": True}}}))["depositStrategyCreate"]
    assert sorted((tuple(e["field"] or []), e["code"]) for e in bad["userErrors"]) == sorted([
        (("name",), "REQUIRED"), (("priority",), "INVALID"), (("amounts", "baseAmount"), "INVALID"),
        (("amounts", "increments"), "REQUIRED")])
    assert await store.raw("deposit_strategies").count_documents({}) == 0


async def test_customer_pays_on_the_deposit_page_and_the_request_completes(org, store):
    await add_account(org)
    cid = await add_customer(org)
    req = await request(org, cid, redirectUrl="https://shop.example/done")
    page = await org.http.get(path_of(req["url"]))
    assert page.status_code == 200 and "10.00 USD" in page.text and "30.00 USD" in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    assert "script-src" not in page.headers["content-security-policy"] and "<script" not in page.text
    assert (await org.gql(GET, {"id": req["id"]}))["depositRequest"]["status"] == "PENDING"
    declined = await org.http.post(path_of(req["url"]), data={"amount": "2000", "cardNumber": INSUFFICIENT_FUNDS_CARD, "expiry": "12/39"})
    assert declined.status_code == 402 and "insufficient funds" in declined.text
    assert (await org.gql(GET, {"id": req["id"]}))["depositRequest"]["status"] == "ATTEMPTED"
    paid = await org.http.post(path_of(req["url"]), data={"amount": "custom", "customAmount": "42", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert paid.status_code == 200 and "42.00 USD was added" in paid.text and "https://shop.example/done" in paid.text
    done = (await org.gql(GET, {"id": req["id"]}))["depositRequest"]
    assert done["status"] == "COMPLETED" and done["paidAmount"]["amount"] == "42.00" and len(done["transactionIds"]) == 2
    assert (await customer_money(org, cid))["paymentCount"] == 1
    replay = await org.http.post(path_of(req["url"]), data={"amount": "custom", "customAmount": "42", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert "Deposit complete" in replay.text
    assert (await customer_money(org, cid))["paymentCount"] == 1
    statuses = [s for k, s in await kinds(org, cid) if k == "DEPOSIT_REQUEST_CHANGED"]
    assert statuses == ["COMPLETED", "INITIATED", "ATTEMPTED", "INITIATED", "PENDING"]
    stored = repr([d async for d in store.raw("deposit_requests").find({})]) + repr([d async for d in store.raw("transactions").find({})])
    assert "4111111111111111" not in stored and req["url"].rsplit("/", 1)[1] not in stored


async def test_page_refuses_amounts_off_the_request_and_missing_properties(org):
    await add_account(org)
    cid = await add_customer(org)
    props = (await org.gql(PROPS, {"input": {"name": "B", "properties": [{"name": "code", "label": "Bonus code", "required": True}]}}))
    req = await request(org, cid, customAmounts="DENY", customPropertySetId=props["depositCustomPropertySetCreate"]["propertySet"]["id"])
    url = path_of(req["url"])
    for data, text in [
        ({"amount": "1234", "prop_code": "X"}, "Choose an amount"),
        ({"amount": "custom", "customAmount": "5", "prop_code": "X"}, "Choose one of the amounts"),
        ({"amount": "1000"}, "Fill in: Bonus code"),
        ({"amount": "1000", "prop_code": "X", "expiry": "01/20"}, "Check the card number"),
    ]:
        response = await org.http.post(url, data={"cardNumber": APPROVE_CARD, "expiry": "12/39", **data})
        assert response.status_code == 400 and text in response.text, (data, response.text)
    ok = await org.http.post(url, data={"amount": "1000", "prop_code": "WELCOME", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert ok.status_code == 200
    done = (await org.gql(GET, {"id": req["id"]}))["depositRequest"]
    assert done["properties"] == {"code": "WELCOME"} and done["paidAmount"]["amount"] == "10.00"


async def test_expired_link_refuses_payment_and_expires_once(org, store):
    await add_account(org)
    cid = await add_customer(org)
    req = await request(org, cid)
    await store.raw("deposit_requests").update_one({"id": req["id"]}, {"$set": {"expiresTime": datetime.now(UTC) - timedelta(seconds=1)}})
    assert (await org.gql(GET, {"id": req["id"]}))["depositRequest"]["status"] == "EXPIRED"
    for _ in range(2):
        response = await org.http.post(path_of(req["url"]), data={"amount": "1000", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
        assert response.status_code == 410 and "expired" in response.text
    assert (await customer_money(org, cid))["paymentCount"] == 0
    assert [s for k, s in await kinds(org, cid) if k == "DEPOSIT_REQUEST_CHANGED"] == ["EXPIRED"]
    assert (await org.gql(GET, {"id": req["id"]}))["depositRequest"]["transactionIds"] == []


async def test_unknown_token_is_a_clear_404(org):
    response = await org.http.get("/deposit/not-a-real-token")
    assert response.status_code == 404 and "not valid" in response.text


async def test_strategy_base_follows_the_last_completed_deposit(org):
    await add_account(org)
    cid = await add_customer(org)
    await strategy(org, amounts={"calculator": "PERCENT", "baseAmount": "10", "increments": ["50"],
                                 "adjustBaseToLastDeposit": True, "minimumBaseAmount": "5"})
    first = await request(org, cid)
    assert amounts(first) == ["10.00", "15.00"]
    await org.http.post(path_of(first["url"]), data={"amount": "custom", "customAmount": "40", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    second = await request(org, cid)
    assert amounts(second) == ["40.00", "60.00"]
