"""Enhanced Due Diligence searches behind an interface a real vendor plugs into, and the sandbox provider
(no network; its "public sources" are `https://edd.sandbox.invalid/…` addresses, a reserved domain).

Sandbox rules, per risk factor (docs/compliance.md):
- A customer custom field `eddSandbox` (an object such as `{"arrest": "PROBABLE"}`) sets that factor's
  likelihood outright: the way a test or demo gets each value.
- Otherwise: `occupation` is CONFIRMED when the customer has a job title, else NOT_FOUND; `arrest` is
  PROBABLE when the fictional AML watch list has a sanctions or enforcements hit of strong confidence or
  more, UNLIKELY for a weaker one; `fraud` is UNCLEAR on an adverse-media hit; `bankruptcy` is NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from resolvers.compliance.aml_screening import Person, match

FACTORS = ("occupation", "arrest", "bankruptcy", "fraud")
LIKELIHOODS = ("NOT_FOUND", "UNLIKELY", "UNCLEAR", "PROBABLE", "CONFIRMED")


@dataclass(frozen=True, slots=True)
class FactorResult:
    factor: str
    likelihood: str
    results: tuple[tuple[str, str], ...]  # (url, details)


class EddSearchProvider(Protocol):
    name: str

    async def search(self, customer: dict[str, Any]) -> list[FactorResult]: ...


class SandboxEddProvider:
    name = "SANDBOX"

    async def search(self, customer: dict[str, Any]) -> list[FactorResult]:
        forced = (customer.get("customFields") or {}).get("eddSandbox")
        forced = forced if isinstance(forced, dict) else {}
        person = Person(customer.get("firstName"), customer.get("lastName"), customer.get("dob"),
                        (customer.get("address") or {}).get("country"))
        hits = match(person)
        base = f"https://edd.sandbox.invalid/{customer['id']}"
        out: list[FactorResult] = []
        for factor in FACTORS:
            wanted = str(forced.get(factor, "")).upper()
            if wanted in LIKELIHOODS:
                out.append(FactorResult(factor, wanted, ((f"{base}/{factor}", f"sandbox: {factor} set to {wanted}"),)))
                continue
            if factor == "occupation":
                title = customer.get("jobTitle")
                out.append(FactorResult(factor, "CONFIRMED" if title else "NOT_FOUND",
                                        ((f"{base}/occupation", f"listed as {title}"),) if title else ()))
            elif factor == "arrest":
                relevant = [h for h in hits if {"SANCTIONS", "ENFORCEMENTS"} & set(h.source_types)]
                strong = [h for h in relevant if h.confidence in ("STRONG", "VERY_STRONG")]
                level = "PROBABLE" if strong else "UNLIKELY" if relevant else "NOT_FOUND"
                out.append(FactorResult(factor, level, tuple((f"{base}/arrest/{h.entry_id}", f"{h.source} ({h.confidence})")
                                                             for h in relevant)))
            elif factor == "fraud":
                media = [h for h in hits if "ADVERSE_MEDIA" in h.source_types]
                out.append(FactorResult(factor, "UNCLEAR" if media else "NOT_FOUND",
                                        tuple((f"{base}/fraud/{h.entry_id}", h.source) for h in media)))
            else:
                out.append(FactorResult(factor, "NOT_FOUND", ()))
        return out


PROVIDER: EddSearchProvider = SandboxEddProvider()
