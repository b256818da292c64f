"""AML screening behind an interface a real vendor plugs into, and the sandbox provider: the customer's
name, date of birth and country checked against the FICTIONAL watch list shipped in
`data/fictional_watchlist.json` (every entry invented; see its `notice`), with fuzzy name matching by
rapidfuzz. No network. The rules (docs/compliance.md):

- Names are compared case- and accent-insensitively, word order ignored (`token_sort_ratio` over the
  full name, against the entry's name and aliases; the best counts): ≥ 97 is an EXACT name, ≥ 88
  INEXACT, ≥ 80 WEAK; below 80 is no hit.
- Date of birth: the same date is DOB, the same year YOB; missing on either side NO_DOB; a different
  year excludes the entry (no hit).
- Confidence: EXACT+DOB very strong; EXACT+YOB or INEXACT+DOB strong; EXACT+NO_DOB, INEXACT+YOB or
  WEAK+DOB medium; anything else weak. The same country raises it one level, a different one lowers it.
- Priority (P0 critical … P3 low) by source type and confidence: sanctions P0 at strong or above, P1 at
  medium, P2 at weak; PEP P1 at strong or above, else P2; adverse media and enforcements P2 at strong or
  above, else P3; state-owned enterprises P3. A check's priority is the highest of its hits.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz import fuzz

WATCHLIST = Path(__file__).parent / "data" / "fictional_watchlist.json"
CONFIDENCES = ("WEAK", "MEDIUM", "STRONG", "VERY_STRONG")
PRIORITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str | None
    last_name: str | None
    dob: str | None  # YYYY-MM-DD
    country: str | None


@dataclass(frozen=True, slots=True)
class Hit:
    entry_id: str
    first_name: str
    last_name: str | None
    entity_type: str
    source: str
    source_types: tuple[str, ...]
    confidence: str
    priority: str
    name_score: int
    match_criteria: tuple[str, ...]  # e.g. ("NAME_EXACT", "DOB", "COUNTRY_MATCH")
    dob: str | None
    country: str | None


class AmlScreeningProvider(Protocol):
    name: str

    async def screen(self, person: Person) -> list[Hit]: ...


def _normal(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("-", " ").split())


@cache
def watchlist() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(WATCHLIST.read_text(encoding="utf-8"))["entries"])


def _full(first: str | None, last: str | None) -> str:
    return _normal(" ".join(p for p in (first, last) if p))


def name_level(score: float) -> str | None:
    return "EXACT" if score >= 97 else "INEXACT" if score >= 88 else "WEAK" if score >= 80 else None


def dob_level(customer_dob: str | None, entry_dob: str | None) -> str | None:
    """DOB / YOB / NO_DOB, or None when the years differ (the entry is someone else)."""
    if not customer_dob or not entry_dob:
        return "NO_DOB"
    if len(entry_dob) == 10 and customer_dob == entry_dob:
        return "DOB"
    return "YOB" if customer_dob[:4] == entry_dob[:4] else None


def confidence(name: str, dob: str, country_match: bool | None) -> str:
    table = {("EXACT", "DOB"): 3, ("EXACT", "YOB"): 2, ("INEXACT", "DOB"): 2, ("EXACT", "NO_DOB"): 1,
             ("INEXACT", "YOB"): 1, ("WEAK", "DOB"): 1}
    level = table.get((name, dob), 0)
    if country_match is True:
        level = min(level + 1, 3)
    elif country_match is False:
        level = max(level - 1, 0)
    return CONFIDENCES[level]


def priority(source_types: tuple[str, ...], conf: str) -> str:
    strong = conf in ("STRONG", "VERY_STRONG")
    best = 3
    for kind in source_types:
        if kind == "SANCTIONS":
            p = 0 if strong else 1 if conf == "MEDIUM" else 2
        elif kind == "PEP":
            p = 1 if strong else 2
        elif kind in ("ADVERSE_MEDIA", "ENFORCEMENTS"):
            p = 2 if strong else 3
        else:
            p = 3
        best = min(best, p)
    return PRIORITIES[best]


def match(person: Person, entries: tuple[dict[str, Any], ...] | None = None) -> list[Hit]:
    """Every watch-list entry the person may be, strongest first."""
    full = _full(person.first_name, person.last_name)
    if not full:
        return []
    hits: list[Hit] = []
    for e in entries if entries is not None else watchlist():
        names = [(e["firstName"], e.get("lastName"))] + [(a["firstName"], a.get("lastName")) for a in e.get("aliases", [])]
        score = max(fuzz.token_sort_ratio(full, _full(f, la)) for f, la in names)
        level = name_level(score)
        if level is None:
            continue
        dob = dob_level(person.dob, e.get("dob"))
        if dob is None:
            continue
        country_match = None if not person.country or not e.get("country") else person.country == e["country"]
        conf = confidence(level, dob, country_match)
        criteria = [f"NAME_{level}", dob]
        if country_match is not None:
            criteria.append("COUNTRY_MATCH" if country_match else "COUNTRY_MISMATCH")
        kinds = tuple(e["sourceType"])
        hits.append(Hit(e["id"], e["firstName"], e.get("lastName"), e["type"], e["source"], kinds, conf,
                        priority(kinds, conf), round(score), tuple(criteria), e.get("dob"), e.get("country")))
    hits.sort(key=lambda h: (PRIORITIES.index(h.priority), -CONFIDENCES.index(h.confidence), -h.name_score))
    return hits


class SandboxAmlProvider:
    name = "SANDBOX"

    async def screen(self, person: Person) -> list[Hit]:
        return match(person)


PROVIDER: AmlScreeningProvider = SandboxAmlProvider()
