"""Demo data: an organization, two websites and ~200 customers, some of whom have paid.

Deterministic (seeded random), so screenshots and docs stay stable. Paying customers' payments are real
transactions (sales registered as paid outside), with their aggregates and timeline events.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from resolvers.billing.demo import seed_billing
from resolvers.settings import Settings
from resolvers.wallet.instrument_details import card, customer_billing_address
from schema.common import Problems
from store.activity import timeline, users
from store.auth import create_organization, get_organization
from store.customers import customers, tags, websites
from store.db import Store
from store.ids import new_id
from store.money import gateway_accounts, transactions
from store.wallet import payment_instruments

FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger",
         "Radia", "Tim", "Katherine", "Donald", "Hedy", "John", "Sophie", "Niklaus", "Annie", "Guido"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen",
        "Dijkstra", "Perlman", "Berners-Lee", "Johnson", "Knuth", "Lamarr", "McCarthy", "Wilson", "Wirth",
        "Easley", "van Rossum"]
COUNTRIES = ["US", "DE", "FR", "GB", "CA", "NL", "ES", "IT", "SE", "AU"]
PHONES = {"US": "+1 415 555 {:04d}", "CA": "+1 604 555 {:04d}", "GB": "+44 20 7946 {:04d}", "DE": "+49 30 1234{:04d}",
          "FR": "+33 1 42 68 {:02d} {:02d}", "NL": "+31 20 123 {:04d}", "ES": "+34 912 34 {:04d}",
          "IT": "+39 06 1234 {:04d}", "SE": "+46 8 123 {:04d}", "AU": "+61 2 9374 {:04d}"}
ACTOR = {"type": "SYSTEM", "id": None, "name": "Demo data"}
TAGS = ["VIP", "Newsletter", "Wholesale", "Churn risk"]
# Test card numbers of the major brands (never real cards); the sandbox approves all of them.
CARDS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117"]
DEMO_ORG_ID = "org_demo"
# People of the demo organization (mention them in notes with `@<email>`; Support with `@support`).
DEMO_USERS = [
    ("Alice Admin", "alice@acme.example", "ADMIN", ("SUPPORT",)),
    ("Sam Support", "sam@acme.example", "MEMBER", ("SUPPORT",)),
    ("Mia Member", "mia@acme.example", "MEMBER", ()),
    ("Vic Viewer", "vic@acme.example", "VIEWER", ()),
]


def _phone(country: str, n: int) -> str:
    pattern = PHONES[country]
    return pattern.format(n % 100, (n // 100) % 100) if pattern.count("{") == 2 else pattern.format(n % 10_000)


async def seed(store: Store, count: int = 200, seed_value: int = 42, fingerprint_secret: str | None = None) -> dict[str, str]:
    """Creates the demo organization once; returns its id (and says whether it was new)."""
    if await get_organization(store, DEMO_ORG_ID):
        return {"organizationId": DEMO_ORG_ID, "created": "no"}
    rnd = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    await create_organization(store, "Demo Organization", now, DEMO_ORG_ID)
    org = store.for_org(DEMO_ORG_ID)
    sites = [
        {"id": new_id("web"), "name": "Acme Store", "url": "https://store.acme.example", "createdTime": now - timedelta(days=400)},
        {"id": new_id("web"), "name": "Acme Academy", "url": "https://academy.acme.example", "createdTime": now - timedelta(days=390)},
    ]
    for site in sites:
        await websites.insert(org, site)
    for name, email, role, teams in DEMO_USERS:
        await users.insert(org, users.user_doc(name, email, role, now - timedelta(days=400), teams))
    docs, events, sales, cards = [], [], [], []
    secret = fingerprint_secret or Settings().card_fingerprint_secret.get_secret_value()
    await tags.ensure(org, TAGS, now)
    await gateway_accounts.insert(org, {"id": new_id("gwa"), "name": "Sandbox", "gatewayName": "SANDBOX",
                                        "acceptedCurrencies": ["USD", "EUR"], "active": True,
                                        "createdTime": now - timedelta(days=400)})
    for i in range(count):
        first, last, country = rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(COUNTRIES)
        created = now - timedelta(days=rnd.randint(0, 365), minutes=rnd.randint(0, 1440))
        paid = rnd.random() < 0.45
        payments = rnd.randint(1, 12) if paid else 0
        amounts = [rnd.randint(900, 25_000) for _ in range(payments)]
        gross = sum(amounts)
        currency = "EUR" if country in {"DE", "FR", "NL", "ES", "IT"} else "USD"
        email = f"{first}.{last}.{i}".lower().replace(" ", "").replace("-", "") + "@example.com"
        doc: dict[str, Any] = {
            "id": new_id("cus"),
            "websiteId": sites[i % 2]["id"],
            "firstName": first, "lastName": last,
            "organization": rnd.choice([None, "Initech", "Globex", "Umbrella", "Hooli", "Stark Industries"]),
            "jobTitle": rnd.choice([None, "Engineer", "CTO", "Analyst", "Founder"]),
            "dob": f"{rnd.randint(1950, 2004)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "address": {"line1": f"{rnd.randint(1, 999)} Main Street", "city": "Springfield", "country": country,
                        "postalCode": f"{rnd.randint(10000, 99999)}"},
            "emails": [{"value": email, "label": "main", "primary": True}],
            "phoneNumbers": [{"value": _e164(_phone(country, i)), "label": "mobile", "primary": True}],
            "customFields": {"plan": rnd.choice(["basic", "pro", "enterprise"])},
            "paymentCount": payments,
            "revenue": {currency: {"amount": gross, "paid": gross, "count": payments}} if payments else {},
            # never after now: a customer created this week cannot have paid next week
            "lastPaymentTime": min(created + timedelta(days=rnd.randint(0, 30)), now) if payments else None,
            "tags": sorted(t.lower() for t in rnd.sample(TAGS, rnd.choice([0, 0, 1, 1, 2]))),
            "createdTime": created, "updatedTime": created, "revision": 1, "timelineSeq": 1,
        }
        if payments:  # paying customers have a card on file, their default instrument
            instrument = _card(doc, CARDS[i % len(CARDS)], created, secret, DEMO_ORG_ID, rnd)
            doc["defaultPaymentInstrumentId"] = instrument["id"]
            cards.append(instrument)
        docs.append(customers.with_derived(doc))
        events.append(timeline.event_doc(doc["id"], 1, "CUSTOMER_CREATED", ACTOR, created))
        sales += _sales(doc, amounts, currency, events)
    await org[customers.COLLECTION].insert_many(docs)
    await org[timeline.COLLECTION].insert_many(events)
    await org[transactions.COLLECTION].insert_many(sales)
    await org[payment_instruments.COLLECTION].insert_many(cards)
    await seed_billing(store, DEMO_ORG_ID, docs, now, rnd)  # billing: catalog and orders in every status
    return {"organizationId": DEMO_ORG_ID, "created": "yes", "customers": str(count),
            "paying": str(sum(1 for d in docs if d["paymentCount"]))}


def _card(customer: dict[str, Any], number: str, t: datetime, secret: str, org_id: str, rnd: random.Random) -> dict[str, Any]:
    """An active card instrument, checked and reduced exactly as `paymentInstrumentAdd` does."""
    problems = Problems()
    entered = SimpleNamespace(number=number, exp_month=rnd.randint(1, 12), exp_year=t.year + rnd.randint(2, 5), cvv=None)
    details = card(problems, ["card"], entered, secret, org_id, t)
    problems.raise_if_any()
    return {
        "id": new_id("inst"), "customerId": customer["id"], "method": "PAYMENT_CARD", "status": "ACTIVE",
        "useAsBackup": False, "billingAddress": customer_billing_address(customer), "stickyGatewayAccountId": None,
        "card": None, "bankAccount": None, "other": None, **details,
        "createdTime": t, "updatedTime": t, "deactivatedTime": None, "revision": 1,
    }


def _e164(value: str) -> str:
    return "+" + "".join(ch for ch in value if ch.isdigit())


def _sales(
    customer: dict[str, Any], amounts: list[int], currency: str, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The customer's payments as sales registered as paid outside, spread from creation to the last
    payment; adds a PAYMENT_APPROVED event for each (timeline seq 2, 3, ...)."""
    out = []
    first, last = customer["createdTime"], customer["lastPaymentTime"]
    for k, amount in enumerate(amounts):
        paid = first + (last - first) * (k + 1) / len(amounts)
        paid = paid.replace(microsecond=0)
        txn = transactions.new_doc(
            txn_id=new_id("txn"), customer_id=customer["id"], website_id=customer["websiteId"], type="SALE",
            status="COMPLETED", result="APPROVED", amount_minor=amount, currency=currency, now=paid,
            settlement_time=paid, description="Demo payment", method="OTHER", isProcessedOutside=True,
        )
        out.append(txn)
        events.append(timeline.event_doc(
            customer["id"], k + 2, "PAYMENT_APPROVED", ACTOR, paid,
            {"transactionId": txn["id"], "amountMinor": amount, "currency": currency},
            "Payment registered (demo data)",
        ))
    customer["timelineSeq"] = 1 + len(amounts)
    return out
