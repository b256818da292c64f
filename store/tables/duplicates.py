"""Likely duplicate customers: others of the organization sharing an email, a phone number, a card (or
bank account) fingerprint, or first name, last name and date of birth. Each signal is one `$in` query
on an index (`org_email`, `org_phones`, `org_dob_last_name` on customers, `org_fingerprint` on payment
instruments), batched over every customer asked about at once."""

from __future__ import annotations

from collections.abc import Sequence

from store.customers import customers
from store.db import Doc, OrgDb
from store.wallet import payment_instruments

SCORES = {"SAME_EMAIL": 40, "SAME_CARD": 40, "SAME_PHONE": 30, "SAME_NAME_AND_DATE_OF_BIRTH": 30}
PER_SIGNAL = 200  # at most this many matches per signal and batch are read

PROJECTION = {"_id": 0, "id": 1, "emailsLower": 1, "phoneNumbers": 1, "firstName": 1, "sortLastName": 1, "dob": 1}


def phones_of(doc: Doc) -> list[str]:
    return [p["value"] for p in doc.get("phoneNumbers") or ()]


def person_key(doc: Doc) -> tuple[str, str, str] | None:
    first, last, dob = (doc.get("firstName") or "").lower(), doc.get("sortLastName") or "", doc.get("dob")
    return (first, last, dob) if first and last and dob else None


async def find(org: OrgDb, subjects: Sequence[Doc]) -> list[list[tuple[str, list[str]]]]:
    """For each subject: (other customer id, reasons) of its likely duplicates, best first."""
    coll = org[customers.COLLECTION]
    emails = sorted({e for s in subjects for e in s.get("emailsLower") or ()})
    phones = sorted({p for s in subjects for p in phones_of(s)})
    people = [p for p in (person_key(s) for s in subjects) if p]
    found: dict[str, Doc] = {}
    if emails:
        for d in await coll.find_list({"emailsLower": {"$in": emails}}, PROJECTION, limit=PER_SIGNAL):
            found[d["id"]] = d
    if phones:
        for d in await coll.find_list({"phoneNumbers.value": {"$in": phones}}, PROJECTION, limit=PER_SIGNAL):
            found[d["id"]] = d
    if people:
        flt = {"dob": {"$in": sorted({p[2] for p in people})}, "sortLastName": {"$in": sorted({p[1] for p in people})}}
        for d in await coll.find_list(flt, PROJECTION, limit=PER_SIGNAL):
            found[d["id"]] = d
    # Cards: the subjects' fingerprints, then every instrument with one of them.
    ids = [s["id"] for s in subjects]
    instruments = org[payment_instruments.COLLECTION]
    own = await instruments.find_list({"customerId": {"$in": ids}, "fingerprint": {"$ne": None}},
                                      {"_id": 0, "customerId": 1, "fingerprint": 1}, limit=PER_SIGNAL)
    fps_of: dict[str, set[str]] = {}
    for i in own:
        fps_of.setdefault(i["customerId"], set()).add(i["fingerprint"])
    card_owners: dict[str, set[str]] = {}  # fingerprint -> customer ids
    fps = sorted({f for v in fps_of.values() for f in v})
    if fps:
        for i in await instruments.find_list({"fingerprint": {"$in": fps}}, {"_id": 0, "customerId": 1, "fingerprint": 1},
                                             limit=PER_SIGNAL):
            card_owners.setdefault(i["fingerprint"], set()).add(i["customerId"])
    out: list[list[tuple[str, list[str]]]] = []
    for s in subjects:
        reasons: dict[str, set[str]] = {}
        mine_emails, mine_phones, me = set(s.get("emailsLower") or ()), set(phones_of(s)), person_key(s)
        for other in found.values():
            if other["id"] == s["id"]:
                continue
            if mine_emails & set(other.get("emailsLower") or ()):
                reasons.setdefault(other["id"], set()).add("SAME_EMAIL")
            if mine_phones & set(phones_of(other)):
                reasons.setdefault(other["id"], set()).add("SAME_PHONE")
            if me is not None and person_key(other) == me:
                reasons.setdefault(other["id"], set()).add("SAME_NAME_AND_DATE_OF_BIRTH")
        for fp in fps_of.get(s["id"], ()):
            for cid in card_owners.get(fp, ()):
                if cid != s["id"]:
                    reasons.setdefault(cid, set()).add("SAME_CARD")
        ranked = sorted(reasons.items(), key=lambda kv: (-score(kv[1]), kv[0]))
        out.append([(cid, sorted(r)) for cid, r in ranked])
    return out


def score(reasons: set[str] | list[str]) -> int:
    return sum(SCORES[r] for r in reasons)
