"""Payment instruments through GraphQL: cards (never stored raw), bank accounts, other methods,
default/backup, deactivation, expiry, addresses, sticky gateway, and batched nested reads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from store.db import Store
from store.wallet import payment_instruments
from tests.helpers import CommandCounter, Org
from tests.money_helpers import add_account

CARD = "4000 0566 5566 5556"  # a Visa test number
CARD_DIGITS = CARD.replace(" ", "")
NEXT_YEAR = datetime.now(UTC).year + 1

INSTRUMENT_FIELDS = """id customerId method status summary useAsBackup fingerprint
  stickyGatewayAccountId revision
  billingAddress { firstName lastName line1 city country postalCode }
  card { brand bin last4 expMonth expYear }
  bankAccount { accountHolder accountNumberType last4 routingNumber bic accountType bankName country }
  other { methodName accountReference }"""

CREATE_CUSTOMER = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id revision defaultPaymentInstrument { id useAsBackup card { last4 } }
             timeline(first: 10) { edges { node { kind } } } }
  userErrors { field message code } } }"""

ADD = f"""mutation($input: PaymentInstrumentAddInput!) {{ paymentInstrumentAdd(input: $input) {{
  paymentInstrument {{ {INSTRUMENT_FIELDS} customer {{ id }} }}
  userErrors {{ field message code }} }} }}"""

SET_DEFAULT = """mutation($input: PaymentInstrumentSetDefaultInput!) {
  paymentInstrumentSetDefault(input: $input) {
  paymentInstrument { id } customer { id defaultPaymentInstrument { id } }
  userErrors { field message code } } }"""

DEACTIVATE = """mutation($input: PaymentInstrumentDeactivateInput!) {
  paymentInstrumentDeactivate(input: $input) {
  paymentInstrument { id status } userErrors { field message code } } }"""

BACKUP = """mutation($input: PaymentInstrumentBackupSetInput!) { paymentInstrumentBackupSet(input: $input) {
  paymentInstrument { id useAsBackup revision } userErrors { field message code } } }"""

EXPIRY = """mutation($input: PaymentInstrumentExpiryUpdateInput!) {
  paymentInstrumentExpiryUpdate(input: $input) {
  paymentInstrument { id status card { expMonth expYear } } userErrors { field message code } } }"""

ADDRESS = """mutation($input: PaymentInstrumentBillingAddressUpdateInput!) {
  paymentInstrumentBillingAddressUpdate(input: $input) {
    paymentInstrument { id billingAddress { firstName city country } }
    userErrors { field message code } } }"""

STICKY = """mutation($input: PaymentInstrumentStickyGatewayUpdateInput!) {
  paymentInstrumentStickyGatewayUpdate(input: $input) {
    paymentInstrument { id stickyGatewayAccountId } userErrors { field message code } } }"""

CUSTOMER = f"""query($id: ID!) {{ customer(id: $id) {{ id revision
  defaultPaymentInstrument {{ id }}
  paymentInstruments {{ {INSTRUMENT_FIELDS} }}
  active: paymentInstruments(includeDeactivated: false) {{ id }}
  timeline(first: 20) {{ edges {{ node {{ kind
    ... on PaymentInstrumentAddedEvent {{ paymentInstrumentId summary }}
    ... on PaymentInstrumentUpdatedEvent {{ paymentInstrumentId changedFields }}
    ... on PaymentInstrumentDeactivatedEvent {{ paymentInstrumentId wasDefault }}
    ... on DefaultPaymentInstrumentChangedEvent {{ paymentInstrumentId }} }} }} }} }} }}"""

# A card number written into the operation itself, as a number rather than a string.
INLINE_ADD = """mutation { paymentInstrumentAdd(input: {
  customerId: "CUSTOMER", card: {number: NUMBER, expMonth: 1, expYear: YEAR}}) { userErrors { code } } }"""

NODE = """query($id: ID!) { node(id: $id) { id ... on PaymentInstrument { status customer { id } } } }"""


def card(
    number: str = CARD, month: int = 12, year: int = NEXT_YEAR, cvv: str | None = "987"
) -> dict[str, Any]:
    return {"number": number, "expMonth": month, "expYear": year, **({"cvv": cvv} if cvv else {})}


async def new_customer(org: Org, **extra: Any) -> dict[str, Any]:
    data = await org.gql(
        CREATE_CUSTOMER,
        {
            "input": {
                "websiteId": org.website_id,
                "firstName": "Ada",
                "lastName": "Lovelace",
                "address": {"line1": "1 Main St", "city": "Berlin", "country": "DE", "postalCode": "10115"},
                **extra,
            }
        },
    )
    assert data["customerCreate"]["userErrors"] == []
    return data["customerCreate"]["customer"]


async def add(org: Org, customer_id: str, **fields: Any) -> dict[str, Any]:
    data = await org.gql(ADD, {"input": {"customerId": customer_id, **fields}})
    return data["paymentInstrumentAdd"]


async def add_card(org: Org, customer_id: str, **fields: Any) -> dict[str, Any]:
    result = await add(org, customer_id, card=card(**fields))
    assert result["userErrors"] == []
    return result["paymentInstrument"]


async def read(org: Org, customer_id: str) -> dict[str, Any]:
    return (await org.gql(CUSTOMER, {"id": customer_id}))["customer"]


def kinds(customer: dict[str, Any]) -> list[str]:
    return [e["node"]["kind"] for e in customer["timeline"]["edges"]]


async def all_documents(store: Store) -> list[dict[str, Any]]:
    docs = []
    for name in await store.db.list_collection_names():
        docs += await store.db[name].find({}).to_list()
    return docs


def values_of(value: Any, keys: set[str]) -> list[Any]:
    """Every value stored under one of `keys`, at any depth."""
    if isinstance(value, dict):
        return [v for k, v in value.items() if k in keys] + [x for v in value.values() for x in values_of(v, keys)]
    if isinstance(value, list):
        return [x for v in value for x in values_of(v, keys)]
    return []


# ---------------------------------------------------------------------------------------------- cards


async def test_card_keeps_brand_bin_last4_expiry_and_fingerprint_and_starts_inactive(org: Org) -> None:
    customer = await new_customer(org)
    inst = await add_card(org, customer["id"])
    assert inst["id"].startswith("inst_")
    assert inst["method"] == "PAYMENT_CARD"
    assert inst["status"] == "INACTIVE"
    assert inst["card"] == {
        "brand": "VISA",
        "bin": "400005",
        "last4": "5556",
        "expMonth": 12,
        "expYear": NEXT_YEAR,
    }
    assert inst["summary"] == "Visa •••• 5556"
    assert len(inst["fingerprint"]) == 64
    assert inst["customer"] == {"id": customer["id"]}
    # no billing address given: the customer's name and address
    assert inst["billingAddress"] == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "line1": "1 Main St",
        "city": "Berlin",
        "country": "DE",
        "postalCode": "10115",
    }


async def test_card_number_and_cvv_never_reach_the_database_or_logs(
    org: Org, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    customer = await new_customer(
        org, defaultPaymentInstrument={"card": card("5555 5555 5555 4444", cvv="987")}
    )
    await add_card(org, customer["id"])
    refused = await add(org, customer["id"], card=card("4000 0566 5566 5557"))  # bad check digit
    assert refused["userErrors"][0]["code"] == "INVALID_CARD_NUMBER"
    docs = await all_documents(store)
    assert docs
    text = repr(docs)
    for number in (CARD_DIGITS, CARD, "5555555555554444", "4000056655665557"):
        assert number not in text
        assert number not in caplog.text
        assert all(number not in err["message"] for err in refused["userErrors"])
    # Card fields appear only in API log entries, and there only redacted.
    assert set(values_of(docs, {"number", "pan", "cvv", "accountNumber", "iban"})) <= {"[REDACTED]"}


async def test_a_card_number_sent_with_the_wrong_type_is_not_echoed_in_errors_or_logs(
    org: Org, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    customer = await new_customer(org)
    wrong_types = {"number": int(CARD_DIGITS), "expMonth": 1, "expYear": NEXT_YEAR, "cvv": 9876}
    response = await org.post(ADD, {"input": {"customerId": customer["id"], "card": wrong_types}})
    assert response.json()["errors"]
    inline = await org.post(
        INLINE_ADD.replace("CUSTOMER", customer["id"])
        .replace("NUMBER", CARD_DIGITS)
        .replace("YEAR", str(NEXT_YEAR))
    )
    assert inline.json()["errors"]
    assert CARD_DIGITS not in repr(inline.json())
    assert CARD_DIGITS not in caplog.text and "9876" not in caplog.text
    assert CARD_DIGITS not in repr(response.json()) and "9876" not in repr(response.json())
    assert CARD_DIGITS not in repr(await all_documents(store))


async def test_same_card_has_the_same_fingerprint_across_customers_but_not_across_organizations(
    org: Org, other_org: Org
) -> None:
    a = await add_card(org, (await new_customer(org))["id"])
    b = await add_card(org, (await new_customer(org))["id"], number=CARD_DIGITS, month=1, year=NEXT_YEAR + 2)
    c = await add_card(other_org, (await new_customer(other_org))["id"])
    other_card = await add_card(org, (await new_customer(org))["id"], number="4111111111111111")
    assert a["fingerprint"] == b["fingerprint"]
    assert c["fingerprint"] != a["fingerprint"]
    assert other_card["fingerprint"] != a["fingerprint"]


@pytest.mark.parametrize(
    ("number", "field_codes"),
    [
        ("4000 0566 5566 5557", {("card", "number"): "INVALID_CARD_NUMBER"}),  # Luhn
        ("4000 05", {("card", "number"): "INVALID_CARD_NUMBER"}),  # too short
        ("4000-0566-abcd-5556", {("card", "number"): "INVALID_CARD_NUMBER"}),  # not digits
        ("9999 9999 9999 9995", {("card", "number"): "INVALID_CARD_NUMBER"}),  # Luhn-valid, no brand
    ],
)
async def test_bad_card_numbers_are_refused_and_nothing_is_stored(
    org: Org, store: Store, number: str, field_codes: dict[tuple[str, ...], str]
) -> None:
    customer = await new_customer(org)
    result = await add(org, customer["id"], card=card(number))
    assert {tuple(e["field"]): e["code"] for e in result["userErrors"]} == field_codes
    assert result["paymentInstrument"] is None
    assert await store.for_org(org.id)[payment_instruments.COLLECTION].count({}) == 0
    assert (await read(org, customer["id"]))["revision"] == customer["revision"]


async def test_expired_date_bad_month_and_bad_cvv_are_all_reported_at_once(org: Org, store: Store) -> None:
    customer = await new_customer(org)
    last_year = datetime.now(UTC).year - 1
    result = await add(org, customer["id"], card=card(month=5, year=last_year, cvv="12"))
    assert {(tuple(e["field"]), e["code"]) for e in result["userErrors"]} == {
        (("card", "expYear"), "CARD_EXPIRED"),
        (("card", "cvv"), "INVALID_CVV"),
    }
    result = await add(org, customer["id"], card=card(month=13, cvv="1234"))
    assert {(tuple(e["field"]), e["code"]) for e in result["userErrors"]} == {
        (("card", "expMonth"), "INVALID"),
        (("card", "cvv"), "INVALID_CVV"),
    }
    assert await store.for_org(org.id)[payment_instruments.COLLECTION].count({}) == 0


async def test_american_express_needs_a_four_digit_cvv(org: Org) -> None:
    customer = await new_customer(org)
    inst = await add_card(org, customer["id"], number="378282246310005", cvv="1234")
    assert inst["card"]["brand"] == "AMERICAN_EXPRESS"
    result = await add(org, customer["id"], card=card("378282246310005", cvv="123"))
    assert [e["code"] for e in result["userErrors"]] == ["INVALID_CVV"]


async def test_exactly_one_kind_of_instrument_is_required(org: Org) -> None:
    customer = await new_customer(org)
    none = await add(org, customer["id"])
    both = await add(org, customer["id"], card=card(), other={"methodName": "PayPal"})
    assert [e["code"] for e in none["userErrors"]] == ["EXACTLY_ONE_REQUIRED"]
    assert [e["code"] for e in both["userErrors"]] == ["EXACTLY_ONE_REQUIRED"]


# ---------------------------------------------------------------------------------------------- bank, other


async def test_iban_account_keeps_last4_and_derives_bic_and_bank(org: Org) -> None:
    customer = await new_customer(org)
    result = await add(
        org,
        customer["id"],
        bankAccount={
            "accountHolder": "Ada Lovelace",
            "accountNumberType": "IBAN",
            "accountNumber": "DE89 3704 0044 0532 0130 00",
        },
    )
    assert result["userErrors"] == []
    inst = result["paymentInstrument"]
    assert inst["method"] == "BANK_ACCOUNT"
    assert inst["status"] == "ACTIVE"
    assert inst["bankAccount"] == {
        "accountHolder": "Ada Lovelace",
        "accountNumberType": "IBAN",
        "last4": "3000",
        "routingNumber": None,
        "bic": "COBADEFFXXX",
        "accountType": "CHECKING",
        "bankName": "Commerzbank",
        "country": "DE",
    }
    assert len(inst["fingerprint"]) == 64


async def test_bad_iban_bic_routing_and_account_numbers_are_refused(org: Org, store: Store) -> None:
    customer = await new_customer(org)
    iban = await add(
        org,
        customer["id"],
        bankAccount={
            "accountHolder": "Ada",
            "accountNumberType": "IBAN",
            "accountNumber": "DE89 3704 0044 0532 0130 01",
        },
    )
    bic = await add(
        org,
        customer["id"],
        bankAccount={
            "accountHolder": "Ada",
            "accountNumberType": "IBAN",
            "accountNumber": "DE89370400440532013000",
            "bic": "NOPE",
        },
    )
    bban = await add(
        org,
        customer["id"],
        bankAccount={
            "accountHolder": " ",
            "accountNumber": "12ab",
            "routingNumber": "111000026",
            "accountType": "SAVINGS",
        },
    )
    assert [(e["field"], e["code"]) for e in iban["userErrors"]] == [
        (["bankAccount", "accountNumber"], "INVALID_BANK_ACCOUNT")
    ]
    assert [(e["field"], e["code"]) for e in bic["userErrors"]] == [
        (["bankAccount", "bic"], "INVALID_BANK_ACCOUNT")
    ]
    assert {(tuple(e["field"]), e["code"]) for e in bban["userErrors"]} == {
        (("bankAccount", "accountHolder"), "REQUIRED"),
        (("bankAccount", "accountNumber"), "INVALID_BANK_ACCOUNT"),
        (("bankAccount", "routingNumber"), "INVALID_BANK_ACCOUNT"),
    }
    assert await store.for_org(org.id)[payment_instruments.COLLECTION].count({}) == 0


async def test_bban_account_with_routing_number(org: Org) -> None:
    customer = await new_customer(org)
    result = await add(
        org,
        customer["id"],
        bankAccount={
            "accountHolder": "Ada",
            "accountNumber": "000123456789",
            "routingNumber": "111000025",
            "accountType": "SAVINGS",
            "bankName": "First Bank",
        },
    )
    assert result["userErrors"] == []
    bank = result["paymentInstrument"]["bankAccount"]
    assert (bank["last4"], bank["routingNumber"], bank["accountType"]) == ("6789", "111000025", "SAVINGS")


async def test_other_method_needs_a_method_name(org: Org) -> None:
    customer = await new_customer(org)
    ok = await add(org, customer["id"], other={"methodName": "PayPal", "accountReference": "ada@example.com"})
    refused = await add(org, customer["id"], other={"methodName": "  "})
    assert ok["userErrors"] == []
    assert ok["paymentInstrument"]["other"] == {"methodName": "PayPal", "accountReference": "ada@example.com"}
    assert ok["paymentInstrument"]["status"] == "ACTIVE"
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["other", "methodName"], "REQUIRED")]


# ------------------------------------------------------------------------------------------ default, create


async def test_first_instrument_becomes_default_and_later_ones_only_when_asked(org: Org) -> None:
    customer = await new_customer(org)
    first = await add_card(org, customer["id"])
    second = await add_card(org, customer["id"], number="4111111111111111")
    assert (await read(org, customer["id"]))["defaultPaymentInstrument"] == {"id": first["id"]}
    third = (await add(org, customer["id"], card=card("5555555555554444"), makeDefault=True))[
        "paymentInstrument"
    ]
    c = await read(org, customer["id"])
    assert c["defaultPaymentInstrument"] == {"id": third["id"]}
    assert [i["id"] for i in c["paymentInstruments"]] == [first["id"], second["id"], third["id"]]
    assert kinds(c).count("DEFAULT_PAYMENT_INSTRUMENT_CHANGED") == 2
    assert kinds(c).count("PAYMENT_INSTRUMENT_ADDED") == 3


async def test_customer_create_adds_the_default_instrument_with_backup_flag(org: Org) -> None:
    customer = await new_customer(org, defaultPaymentInstrument={"card": card(), "useAsBackup": True})
    assert customer["defaultPaymentInstrument"]["useAsBackup"] is True
    assert customer["defaultPaymentInstrument"]["card"] == {"last4": "5556"}
    assert [e["node"]["kind"] for e in customer["timeline"]["edges"]] == [
        "PAYMENT_INSTRUMENT_ADDED",
        "CUSTOMER_CREATED",
    ]


async def test_customer_create_with_a_bad_card_creates_nothing(org: Org, store: Store) -> None:
    data = await org.gql(
        CREATE_CUSTOMER,
        {
            "input": {
                "websiteId": org.website_id,
                "firstName": "Ada",
                "emails": [{"value": "not-an-email"}],
                "defaultPaymentInstrument": {"card": card("4000 0566 5566 5557")},
            }
        },
    )
    errors = {(tuple(e["field"]), e["code"]) for e in data["customerCreate"]["userErrors"]}
    assert errors == {
        (("emails", "0", "value"), "INVALID_EMAIL"),
        (("defaultPaymentInstrument", "card", "number"), "INVALID_CARD_NUMBER"),
    }
    assert await store.for_org(org.id)["customers"].count({}) == 0
    assert await store.for_org(org.id)[payment_instruments.COLLECTION].count({}) == 0


async def test_set_default(org: Org) -> None:
    customer = await new_customer(org)
    first = await add_card(org, customer["id"])
    second = await add_card(org, customer["id"], number="4111111111111111")
    data = await org.gql(SET_DEFAULT, {"input": {"id": second["id"]}})
    assert data["paymentInstrumentSetDefault"]["userErrors"] == []
    assert data["paymentInstrumentSetDefault"]["customer"]["defaultPaymentInstrument"] == {"id": second["id"]}
    events = (await read(org, customer["id"]))["timeline"]["edges"]
    assert events[0]["node"] == {
        "kind": "DEFAULT_PAYMENT_INSTRUMENT_CHANGED",
        "paymentInstrumentId": second["id"],
    }
    assert first["id"] != second["id"]


# ---------------------------------------------------------------------------------------------- deactivation


async def test_deactivating_the_default_clears_it_and_is_final(org: Org) -> None:
    customer = await new_customer(org)
    inst = await add_card(org, customer["id"])
    data = await org.gql(DEACTIVATE, {"input": {"id": inst["id"]}})
    assert data["paymentInstrumentDeactivate"] == {
        "paymentInstrument": {"id": inst["id"], "status": "DEACTIVATED"},
        "userErrors": [],
    }
    c = await read(org, customer["id"])
    assert c["defaultPaymentInstrument"] is None
    assert c["paymentInstruments"][0]["status"] == "DEACTIVATED"
    assert c["active"] == []
    assert c["timeline"]["edges"][0]["node"] == {
        "kind": "PAYMENT_INSTRUMENT_DEACTIVATED",
        "paymentInstrumentId": inst["id"],
        "wasDefault": True,
    }

    twice = await org.gql(DEACTIVATE, {"input": {"id": inst["id"]}})
    as_default = await org.gql(SET_DEFAULT, {"input": {"id": inst["id"]}})
    expiry = await org.gql(EXPIRY, {"input": {"id": inst["id"], "expMonth": 1, "expYear": NEXT_YEAR + 1}})
    backup = await org.gql(BACKUP, {"input": {"id": inst["id"], "useAsBackup": True}})
    for result in (
        twice["paymentInstrumentDeactivate"],
        as_default["paymentInstrumentSetDefault"],
        expiry["paymentInstrumentExpiryUpdate"],
        backup["paymentInstrumentBackupSet"],
    ):
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["id"], "INSTRUMENT_DEACTIVATED")]
    after = await read(org, customer["id"])
    assert after["revision"] == c["revision"]
    assert after["defaultPaymentInstrument"] is None


async def test_activate_flips_inactive_to_active_but_never_reactivates(org: Org, store: Store) -> None:
    customer = await new_customer(org)
    live = await add_card(org, customer["id"])
    dead = await add_card(org, customer["id"], number="4111111111111111")
    await org.gql(DEACTIVATE, {"input": {"id": dead["id"]}})
    scoped = store.for_org(org.id)
    activated = await payment_instruments.activate(scoped, live["id"])
    assert activated is not None and activated["status"] == "ACTIVE"
    assert (await payment_instruments.activate(scoped, live["id"]))["status"] == "ACTIVE"  # type: ignore[index]
    assert await payment_instruments.activate(scoped, dead["id"]) is None
    assert await payment_instruments.activate(store.for_org("org_other"), live["id"]) is None
    statuses = {i["id"]: i["status"] for i in (await read(org, customer["id"]))["paymentInstruments"]}
    assert statuses == {live["id"]: "ACTIVE", dead["id"]: "DEACTIVATED"}


# ---------------------------------------------------------------------------------------------- expiry, edits


async def test_expired_is_derived_when_read_and_an_expired_card_cannot_become_default(
    org: Org, store: Store
) -> None:
    customer = await new_customer(org)
    await add_card(org, customer["id"])
    old = await add_card(org, customer["id"], number="4111111111111111")
    # time passes: the card's expiry month is now behind us (no job runs)
    await store.for_org(org.id)[payment_instruments.COLLECTION].update_one(
        {"id": old["id"]}, {"$set": {"card.expYear": datetime.now(UTC).year - 1}}
    )
    c = await read(org, customer["id"])
    assert [i["status"] for i in c["paymentInstruments"]] == ["INACTIVE", "EXPIRED"]
    refused = await org.gql(SET_DEFAULT, {"input": {"id": old["id"]}})
    assert [e["code"] for e in refused["paymentInstrumentSetDefault"]["userErrors"]] == ["INSTRUMENT_EXPIRED"]

    past = await org.gql(EXPIRY, {"input": {"id": old["id"], "expMonth": 1, "expYear": 2020}})
    assert [(e["field"], e["code"]) for e in past["paymentInstrumentExpiryUpdate"]["userErrors"]] == [
        (["expYear"], "CARD_EXPIRED")
    ]
    renewed = await org.gql(EXPIRY, {"input": {"id": old["id"], "expMonth": 3, "expYear": NEXT_YEAR + 1}})
    assert renewed["paymentInstrumentExpiryUpdate"] == {
        "paymentInstrument": {
            "id": old["id"],
            "status": "INACTIVE",
            "card": {"expMonth": 3, "expYear": NEXT_YEAR + 1},
        },
        "userErrors": [],
    }
    event = (await read(org, customer["id"]))["timeline"]["edges"][0]["node"]
    assert event == {
        "kind": "PAYMENT_INSTRUMENT_UPDATED",
        "paymentInstrumentId": old["id"],
        "changedFields": ["expiry"],
    }


async def test_expiry_update_of_a_bank_account_is_refused(org: Org) -> None:
    customer = await new_customer(org)
    inst = (await add(org, customer["id"], other={"methodName": "cash"}))["paymentInstrument"]
    result = await org.gql(EXPIRY, {"input": {"id": inst["id"], "expMonth": 1, "expYear": NEXT_YEAR}})
    assert [(e["field"], e["code"]) for e in result["paymentInstrumentExpiryUpdate"]["userErrors"]] == [
        (["id"], "NOT_A_CARD")
    ]


async def test_backup_flag_address_and_sticky_gateway_edits(org: Org) -> None:
    customer = await new_customer(org)
    inst = await add_card(org, customer["id"])
    backup = (await org.gql(BACKUP, {"input": {"id": inst["id"], "useAsBackup": True}}))[
        "paymentInstrumentBackupSet"
    ]
    assert backup["paymentInstrument"]["useAsBackup"] is True
    stale = await org.gql(BACKUP, {"input": {"id": inst["id"], "useAsBackup": False, "expectedRevision": 1}})
    assert [(e["field"], e["code"]) for e in stale["paymentInstrumentBackupSet"]["userErrors"]] == [
        (["expectedRevision"], "REVISION_CONFLICT")
    ]
    address = await org.gql(
        ADDRESS,
        {
            "input": {
                "id": inst["id"],
                "billingAddress": {"firstName": "Grace", "city": "Paris", "country": "FR"},
            }
        },
    )
    assert address["paymentInstrumentBillingAddressUpdate"]["paymentInstrument"]["billingAddress"] == {
        "firstName": "Grace",
        "city": "Paris",
        "country": "FR",
    }
    bad_address = await org.gql(ADDRESS, {"input": {"id": inst["id"], "billingAddress": {"country": "XX"}}})
    assert [
        (e["field"], e["code"]) for e in bad_address["paymentInstrumentBillingAddressUpdate"]["userErrors"]
    ] == [(["billingAddress", "country"], "INVALID_COUNTRY")]
    account = await add_account(org, ["EUR"], "Stripe EU")
    sticky = await org.gql(STICKY, {"input": {"id": inst["id"], "stickyGatewayAccountId": account}})
    assert (
        sticky["paymentInstrumentStickyGatewayUpdate"]["paymentInstrument"]["stickyGatewayAccountId"]
        == account
    )
    cleared = await org.gql(STICKY, {"input": {"id": inst["id"], "stickyGatewayAccountId": None}})
    assert (
        cleared["paymentInstrumentStickyGatewayUpdate"]["paymentInstrument"]["stickyGatewayAccountId"] is None
    )
    c = await read(org, customer["id"])
    changed = [
        e["node"]["changedFields"]
        for e in c["timeline"]["edges"]
        if e["node"]["kind"] == "PAYMENT_INSTRUMENT_UPDATED"
    ]
    assert changed == [
        ["stickyGatewayAccountId"],
        ["stickyGatewayAccountId"],
        ["billingAddress"],
        ["useAsBackup"],
    ]
    assert c["paymentInstruments"][0]["revision"] == 5


# ---------------------------------------------------------------------------------------------- ids, tenants


async def test_wrong_ids_and_other_organizations_instruments_are_refused(org: Org, other_org: Org) -> None:
    theirs = await add_card(other_org, (await new_customer(other_org))["id"])
    mine = await new_customer(org)
    for_other = await org.gql(SET_DEFAULT, {"input": {"id": theirs["id"]}})
    unknown = await org.gql(SET_DEFAULT, {"input": {"id": "inst_01J0000000000000000000000"}})
    wrong = await org.gql(DEACTIVATE, {"input": {"id": mine["id"]}})
    add_to_theirs = await add(org, theirs["customerId"], card=card())

    def shape(result: dict[str, Any]) -> list[tuple[Any, str]]:
        return [(e["field"], e["code"]) for e in result["paymentInstrumentSetDefault"]["userErrors"]]

    assert shape(for_other) == shape(unknown) == [(["id"], "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in wrong["paymentInstrumentDeactivate"]["userErrors"]] == [
        (["id"], "WRONG_ID_TYPE")
    ]
    assert [(e["field"], e["code"]) for e in add_to_theirs["userErrors"]] == [(["customerId"], "NOT_FOUND")]
    assert (await org.gql(NODE, {"id": theirs["id"]}))["node"] is None
    assert (await other_org.gql(NODE, {"id": theirs["id"]}))["node"]["customer"] == {
        "id": theirs["customerId"]
    }


async def test_read_key_cannot_add_instruments(org: Org) -> None:
    customer = await new_customer(org)
    errors = await org.errors(
        ADD, {"input": {"customerId": customer["id"], "card": card()}}, key=org.read_key
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


# ---------------------------------------------------------------------------------------------- round trips

PAGE = """query($first: Int!) { customers(first: $first) { edges { node { id isBlocked
  taxIds { type value isDefault }
  tags { id name }
  defaultPaymentInstrument { id status fingerprint isBlocked customer { id } }
  paymentInstruments { id status card { last4 } isBlocked } } } } }"""

TAG = """mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }"""
TAX = (
    """mutation($input: CustomerTaxIdAddInput!) { customerTaxIdAdd(input: $input) { userErrors { code } } }"""
)
BLOCK = """mutation($input: BlocklistEntryAddInput!) {
  blocklistEntryAdd(input: $input) { userErrors { code } } }"""


@pytest.mark.slow
async def test_listing_10_or_100_customers_with_instruments_tags_and_tax_ids_costs_the_same_round_trips(
    org: Org, store: Store, commands: CommandCounter
) -> None:
    ids = []
    for n in range(100):
        c = await new_customer(
            org,
            defaultPaymentInstrument={"card": card("4111111111111111")},
            emails=[{"value": f"c{n}@example.com"}],
        )
        ids.append(c["id"])
        assert (await org.gql(TAX, {"input": {"customerId": c["id"], "type": "OTHER", "value": f"T-{n}"}}))[
            "customerTaxIdAdd"
        ]["userErrors"] == []
    await org.gql(TAG, {"input": {"customerIds": ids, "tags": ["VIP", "Newsletter"]}})
    await org.gql(BLOCK, {"input": {"type": "EMAIL", "value": "c7@example.com"}})

    costs = {}
    for first in (10, 100):
        before = commands.count(store.db.name)
        data = await org.gql(PAGE, {"first": first})
        costs[first] = commands.count(store.db.name) - before
        nodes = [e["node"] for e in data["customers"]["edges"]]
        assert len(nodes) == first
        assert all(
            len(n["paymentInstruments"]) == 1 and len(n["tags"]) == 2 and len(n["taxIds"]) == 1 for n in nodes
        )
    # one query each whatever the page size: customers, their instruments, tags, blocklist entries for
    # the customers' attributes, and blocklist entries for the instruments (a deeper level, so a second batch)
    assert costs[10] == costs[100] == 5, (costs, commands.names(store.db.name)[-costs[100] :])
    blocked = [n["id"] for n in nodes if n["isBlocked"]]
    assert blocked == [ids[7]]
