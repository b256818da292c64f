"""Automated KYC document analysis behind an interface a real vendor plugs into, and the deterministic
sandbox provider (no network) whose rules a test or a demo uses to get each outcome.

Sandbox rules (docs/compliance.md), applied to identity and address proofs only (other types always go
to manual review, as upstream analyses only these two):

1. A file name containing `reject-<reason>` (a rejection reason in kebab case, e.g.
   `passport-reject-document-expired.png`) → REJECTED with that reason, score 0.
2. A file name containing `review` → sent to manual review (PENDING), score 65.
3. A document file under 100 bytes → REJECTED `DOCUMENT_UNREADABLE`, score 40.
4. Face liveness asked and the selfie's file name contains `spoof` → REJECTED `TAMPERED_DOCUMENT`, score 20.
5. Otherwise the score starts at 100; an identity proof sent as a PDF counts as a photocopy (-15).
   The score is then compared with the verification level's thresholds: accepted at or above
   STRICT 90 / MODERATE 80 / BASIC 70, rejected (`DOCUMENT_INVALID`) below 50, otherwise manual review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

ANALYSED_TYPES = frozenset({"IDENTITY_PROOF", "ADDRESS_PROOF"})
ACCEPT_AT = {"STRICT": 90, "MODERATE": 80, "BASIC": 70}
REJECT_BELOW = 50
REJECTION_REASONS = (
    "DOCUMENT_UNREADABLE", "DOCUMENT_EXPIRED", "DOCUMENT_WAS_VALID_BUT_EXPIRED", "DOCUMENT_NOT_MATCHING",
    "DOCUMENT_DUPLICATE", "DOCUMENT_INVALID", "DOCUMENT_NOT_OPEN", "UNDERAGE_PERSON", "THIRD_PARTY_OR_MISMATCH",
    "EXPIRATION_DATE_MISSING", "ISSUE_DATE_MISSING", "SUBTYPE_MISSING", "DOB_MISMATCH", "NAME_MISMATCH",
    "NAME_AND_DOB_MISMATCH", "CRITICAL_INFO_MISSING", "OLD_ADDRESS_ON_ID", "TAMPERED_DOCUMENT", "OTHER",
)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Submission:
    """What the analysis sees of one uploaded document."""

    document_type: str
    subtype: str | None
    file: UploadedFile
    selfie: UploadedFile | None
    level: str  # STRICT | MODERATE | BASIC
    liveness_required: bool


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    failed: bool
    weight: int


@dataclass(frozen=True, slots=True)
class Analysis:
    status: str  # ACCEPTED | REJECTED | PENDING (manual review)
    score: int
    reason: str | None = None
    checks: tuple[Check, ...] = field(default_factory=tuple)


class KycAnalysisProvider(Protocol):
    """A vendor that scores a document. `name` is recorded on the document."""

    name: str

    async def analyse(self, submission: Submission) -> Analysis: ...


def _rejection_marker(filename: str) -> str | None:
    stem = filename.rsplit(".", 1)[0].lower()
    at = stem.find("reject-")
    if at < 0:
        return None
    wanted = stem[at + len("reject-"):].upper().replace("-", "_")
    # the longest reason the marker starts with, so `reject-document-expired-scan` still reads as DOCUMENT_EXPIRED
    for reason in sorted(REJECTION_REASONS, key=len, reverse=True):
        if wanted == reason or wanted.startswith(reason + "_"):
            return reason
    return "OTHER"


class SandboxKycProvider:
    name = "SANDBOX"

    async def analyse(self, submission: Submission) -> Analysis:
        if submission.document_type not in ANALYSED_TYPES:
            return Analysis("PENDING", 0)
        f = submission.file
        reason = _rejection_marker(f.filename)
        if reason is not None:
            return Analysis("REJECTED", 0, reason, (Check(f"marker:{reason}", True, 100),))
        if "review" in f.filename.lower():
            return Analysis("PENDING", 65, None, (Check("marker:review", True, 35),))
        if f.size < 100:
            return Analysis("REJECTED", 40, "DOCUMENT_UNREADABLE", (Check("readable", True, 60),))
        if submission.liveness_required and submission.selfie and "spoof" in submission.selfie.filename.lower():
            return Analysis("REJECTED", 20, "TAMPERED_DOCUMENT", (Check("faceLiveness", True, 80),))
        photocopy = submission.document_type == "IDENTITY_PROOF" and f.content_type == "application/pdf"
        checks = (Check("readable", False, 60), Check("photocopy", photocopy, 15))
        score = 100 - sum(c.weight for c in checks if c.failed)
        if score >= ACCEPT_AT[submission.level]:
            return Analysis("ACCEPTED", score, None, checks)
        if score < REJECT_BELOW:
            return Analysis("REJECTED", score, "DOCUMENT_INVALID", checks)
        return Analysis("PENDING", score, None, checks)


PROVIDER: KycAnalysisProvider = SandboxKycProvider()
