"""The benchmark's data set, defined in one place: one organization, N customers, and per customer
0-5 payment instruments, 0-3 tags, 0-2 tax IDs and 20-200 timeline events.

Deterministic: ids and values come from a seeded random generator, so two runs (and the two paths,
gateway and limit) see the same data. Documents are built with the store's own helpers
(`customers.with_derived`, `timeline.event_doc`) so they match what the gateway writes, and loaded
with `insert_many` batches. Collections the gateway does not read yet (`payment_instruments`, `tags`)
are written in the shapes their branches use, so the scenarios can ask for them once the schema has them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from ulid import ULID

from bench import billing
from store import auth
from store.activity import timeline
from store.billing import catalog, invoices, orders
from store.customers import customers, websites
from store.db import Doc, Store
from store.indexes import ensure_indexes

ORG_ID = "org_bench"
META = "bench_meta"
INSTRUMENTS = "payment_instruments"
TAGS = "tags"
ACTOR = {"type": "API_KEY", "id": "key_bench", "name": "benchmark"}
SAMPLE_EVERY = 97  # customer ids kept in the data set's metadata, spread over the whole load
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Katherine",
    "Donald",
    "Hedy",
    "John",
    "Sophie",
    "Niklaus",
    "Annie",
    "Guido",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "Knuth",
    "Lamarr",
    "McCarthy",
    "Wilson",
    "Wirth",
]
COUNTRIES = ["US", "DE", "FR", "GB", "CA", "NL", "ES", "IT", "SE", "AU"]
EUR = {"DE", "FR", "NL", "ES", "IT"}
TAG_NAMES = ["vip", "newsletter", "wholesale", "churn-risk", "partner", "beta", "reseller", "trial"]
BRANDS = {
    "VISA": "Visa",
    "MASTERCARD": "Mastercard",
    "AMERICAN_EXPRESS": "American Express",
    "DISCOVER": "Discover",
}
TAX_TYPES = ["EU_VAT", "US_EIN", "GB_VAT", "CA_BN"]
CHANGED = [
    ["firstName"],
    ["lastName"],
    ["address"],
    ["emails"],
    ["phoneNumbers"],
    ["jobTitle", "organization"],
]

@dataclass(frozen=True)
class Spec:
    """What to load; the same spec always gives the same documents."""

    customers: int = 10_000
    instruments: tuple[int, int] = (0, 5)
    tags: tuple[int, int] = (0, 3)
    tax_ids: tuple[int, int] = (0, 2)
    events: tuple[int, int] = (20, 200)
    seed: int = 6
    shape: int = 3  # bump when the documents' shape changes, so stored data sets are reloaded

    def key(self) -> str:
        return repr(sorted(asdict(self).items()))


# Quick: FerretDB v1 (SQLite) scans the whole events collection for the timeline `$or` (no pushdown),
# so the quick data set keeps it small (~2.3k events); the distribution of children is the full one's.
QUICK = Spec(customers=110, events=(20, 22))


class Ids:
    """Deterministic ULID-style ids (`cus_01J…`): time part from a fixed epoch, random part seeded."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.ms = int(EPOCH.timestamp() * 1000)

    def __call__(self, prefix: str) -> str:
        self.ms += 1
        return f"{prefix}_{ULID.from_bytes(self.ms.to_bytes(6, 'big') + self.rnd.randbytes(10))}"


@dataclass
class Batch:
    customers: list[Doc]
    instruments: list[Doc]
    events: list[Doc]
    orders: list[Doc] = field(default_factory=list)
    invoices: list[Doc] = field(default_factory=list)


def _customer(
    rnd: random.Random, ids: Ids, i: int, website_ids: list[str], spec: Spec
) -> tuple[Doc, list[Doc], list[Doc]]:
    first, last, country = rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(COUNTRIES)
    created = EPOCH + timedelta(seconds=i * 60 + rnd.randint(0, 59))
    payments = rnd.randint(1, 12) if rnd.random() < 0.45 else 0
    gross = sum(rnd.randint(900, 25_000) for _ in range(payments))
    currency = "EUR" if country in EUR else "USD"
    cid = ids("cus")
    n_events = rnd.randint(*spec.events)
    updated = created + timedelta(minutes=n_events * 7)
    email = f"{first}.{last}.{i}".lower().replace("-", "") + "@example.com"
    address = {
        "line1": f"{rnd.randint(1, 999)} Main Street",
        "line2": None,
        "city": "Springfield",
        "region": None,
        "country": country,
        "postalCode": f"{rnd.randint(10000, 99999)}",
    }
    doc: Doc = {
        "id": cid,
        "websiteId": website_ids[i % len(website_ids)],
        "firstName": first,
        "lastName": last,
        "organization": rnd.choice([None, "Initech", "Globex", "Umbrella", "Hooli"]),
        "jobTitle": rnd.choice([None, "Engineer", "CTO", "Analyst", "Founder"]),
        "dob": f"{rnd.randint(1950, 2004)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
        "address": address,
        "emails": [{"value": email, "label": "main", "primary": True}],
        "phoneNumbers": [{"value": f"+1415555{i % 10_000:04d}", "label": "mobile", "primary": True}],
        "customFields": {"plan": rnd.choice(["basic", "pro", "enterprise"])},
        "paymentCount": payments,
        "revenue": {currency: {"amount": gross, "paid": gross, "count": payments}} if payments else {},
        "lastPaymentTime": updated if payments else None,
        "tags": sorted(rnd.sample(TAG_NAMES, rnd.randint(*spec.tags))),
        "taxIds": [
            {
                "id": ids("tax"),
                "type": t,
                "value": f"{t[:2]}{rnd.randint(10**8, 10**9 - 1)}",
                "isDefault": j == 0,
            }
            for j, t in enumerate(rnd.sample(TAX_TYPES, rnd.randint(*spec.tax_ids)))
        ],
        "createdTime": created,
        "updatedTime": updated,
        "revision": n_events,
        "timelineSeq": n_events,
    }
    instruments = []
    for j in range(rnd.randint(*spec.instruments)):
        t = created + timedelta(minutes=j)
        brand, last4 = rnd.choice(sorted(BRANDS)), f"{rnd.randint(0, 9999):04d}"
        instruments.append(
            {  # the shape of the wallet branch's `paymentInstrumentAdd` with a card
                "id": ids("inst"),
                "customerId": cid,
                "method": "PAYMENT_CARD",
                "status": "ACTIVE",
                "summary": f"{BRANDS[brand]} \u2022\u2022\u2022\u2022 {last4}",
                "card": {
                    "brand": brand,
                    "bin": f"{rnd.randint(400000, 559999)}",
                    "last4": last4,
                    "expMonth": rnd.randint(1, 12),
                    "expYear": rnd.randint(2027, 2033),
                },
                "fingerprint": f"fp_{rnd.randbytes(12).hex()}",
                "useAsBackup": j == 1,
                "billingAddress": address,
                "stickyGatewayAccountId": None,
                "bankAccount": None,
                "other": None,
                "createdTime": t,
                "updatedTime": t,
                "deactivatedTime": None,
                "revision": 1,
            }
        )
    events = [timeline.event_doc(cid, 1, "CUSTOMER_CREATED", ACTOR, created)]
    for seq in range(2, n_events + 1):
        changed = rnd.choice(CHANGED)
        events.append(
            timeline.event_doc(
                cid,
                seq,
                "CUSTOMER_UPDATED",
                ACTOR,
                created + timedelta(minutes=seq * 7),
                {"changedFields": changed},
                "Changed " + ", ".join(changed),
            )
        )
    for e in events:
        e["id"] = ids("tmln")
    return customers.with_derived(doc), instruments, events


def batches(spec: Spec, website_ids: list[str], size: int = 500) -> Iterator[Batch]:
    """The data set in customer order, `size` customers at a time (bounded memory at 1M customers)."""
    rnd = random.Random(spec.seed)
    ids = Ids(rnd)
    bill_rnd = random.Random(spec.seed + 1)  # billing has its own generator: the other documents stay as they were
    bill_ids = Ids(bill_rnd)
    number = 0
    batch = Batch([], [], [])
    for i in range(spec.customers):
        doc, inst, ev = _customer(rnd, ids, i, website_ids, spec)
        batch.customers.append(doc)
        batch.instruments += inst
        batch.events += ev
        subs, bills = billing.customer_billing(bill_rnd, bill_ids, doc["id"], doc["websiteId"], doc["createdTime"])
        number = billing.number_invoices(bills, number)
        batch.orders += subs
        batch.invoices += bills
        if len(batch.customers) == size:
            yield batch
            batch = Batch([], [], [])
    if batch.customers:
        yield batch


@dataclass
class Loaded:
    """What the scenarios need to know about a loaded data set."""

    database: str
    org_id: str
    website_ids: list[str]
    write_key: str
    sample_customer_id: str
    counts: dict[str, int]
    load_seconds: float
    reused: bool
    customer_ids: list[str] = field(default_factory=list)  # every SAMPLE_EVERY-th customer, in load order


async def ensure_all_indexes(store: Store) -> None:
    await ensure_indexes(store)


async def load(store: Store, spec: Spec, *, progress: bool = False, concurrency: int = 2) -> Loaded:
    """Loads `spec` into `store` unless the same spec is already there; returns how to use it."""
    meta = await store.raw(META).find_one({"_id": "dataset"})
    if meta is not None and meta["spec"] == spec.key() and meta.get("complete"):
        key, _ = await auth.create_api_key(store, ORG_ID, "write", "bench", datetime.now(UTC))
        return Loaded(
            store.db.name,
            ORG_ID,
            meta["websiteIds"],
            key,
            meta["sampleCustomerId"],
            meta["counts"],
            meta["loadSeconds"],
            reused=True,
            customer_ids=meta.get("customerIds", []),
        )
    for name in await store.db.list_collection_names():
        await store.db.drop_collection(name)
    started = time.perf_counter()
    await ensure_all_indexes(store)
    await auth.create_organization(store, "Benchmark", EPOCH, ORG_ID)
    key, _ = await auth.create_api_key(store, ORG_ID, "write", "bench", datetime.now(UTC))
    org = store.for_org(ORG_ID)
    website_ids = ["web_01KBENCH0000000000000000A1", "web_01KBENCH0000000000000000B2"]
    for n, wid in enumerate(website_ids):
        await websites.insert(
            org,
            {"id": wid, "name": f"Shop {n + 1}", "url": f"https://shop{n + 1}.example", "createdTime": EPOCH},
        )
    await org[TAGS].insert_many(
        [{"id": f"tag_{name}", "name": name, "nameLower": name.lower(), "createdTime": EPOCH, "revision": 1}
         for name in TAG_NAMES]
    )
    counts = {"customers": 0, "payment_instruments": 0, "timeline_events": 0, "orders": 0, "invoices": 0}
    sample = ""
    sampled: list[str] = []
    pending: set[asyncio.Task[None]] = set()

    products, plans = billing.catalog(EPOCH)
    await org[catalog.PRODUCTS].insert_many(products)
    await org[catalog.PLANS].insert_many(plans)

    async def write(b: Batch) -> None:
        await org[customers.COLLECTION].insert_many(b.customers)
        await org[INSTRUMENTS].insert_many(b.instruments)
        await org[orders.COLLECTION].insert_many(b.orders)
        await org[invoices.COLLECTION].insert_many(b.invoices)
        for k in range(0, len(b.events), 5_000):
            await org[timeline.COLLECTION].insert_many(b.events[k : k + 5_000])

    for b in batches(spec, website_ids):
        sample = sample or b.customers[len(b.customers) // 2]["id"]
        sampled += [d["id"] for k, d in enumerate(b.customers, counts["customers"]) if k % SAMPLE_EVERY == 0]
        counts["customers"] += len(b.customers)
        counts["payment_instruments"] += len(b.instruments)
        counts["timeline_events"] += len(b.events)
        counts["orders"] += len(b.orders)
        counts["invoices"] += len(b.invoices)
        if len(pending) >= concurrency:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        pending.add(asyncio.create_task(write(b)))
        if progress and counts["customers"] % 10_000 == 0:
            rate = counts["customers"] / (time.perf_counter() - started)
            print(f"  loaded {counts['customers']:,} customers ({rate:,.0f}/s)", flush=True)
    for task in pending:
        await task
    seconds = round(time.perf_counter() - started, 1)
    await store.raw(META).replace_one(
        {"_id": "dataset"},
        {
            "spec": spec.key(),
            "complete": True,
            "websiteIds": website_ids,
            "sampleCustomerId": sample,
            "counts": counts,
            "loadSeconds": seconds,
            "customerIds": sampled,
        },
        upsert=True,
    )
    return Loaded(store.db.name, ORG_ID, website_ids, key, sample, counts, seconds, reused=False, customer_ids=sampled)
