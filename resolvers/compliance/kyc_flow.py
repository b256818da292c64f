"""What happens when a KYC document arrives (from the hosted page or an operator) or is reviewed: the
file checks (the timeline attachments' size and content checks, narrowed to PDF/PNG/JPEG), the attempt
counted on the request, GridFS, the analysis, the request's status, and the timeline.

Steps are single-document updates in an order that can be resumed: the attempt is counted first (at the
revision the form showed; a replay counts nothing), then the files and the document are written, then
the request's status is recomputed from its documents (again at its revision, re-read on a race).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resolvers.activity.timeline import check_file_type
from resolvers.compliance.kyc_analysis import PROVIDER, Submission, UploadedFile
from resolvers.validation import safe_filename as clean_filename
from schema.common import Problems, UserErrorCode
from schema.compliance.kyc import OPEN_REQUEST_STATUSES
from store.activity import files, timeline
from store.compliance import kyc
from store.db import Doc, OrgDb
from store.ids import new_id

DOCUMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
SELFIE_TYPES = frozenset({"image/png", "image/jpeg"})
PERMANENT = ("FULFILLED", "FAILED", "ABANDONED", "EXPIRED")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file as received: its name, declared content type and bytes."""

    filename: str | None
    content_type: str | None
    data: bytes


def check_incoming(problems: Problems, path: list[str | int], f: Incoming, limit: int, allowed: frozenset[str]) -> str | None:
    """The content type to store, or None with a problem (size, emptiness, type, declared vs content)."""
    if len(f.data) > limit:
        problems.add(path, f"the file is larger than the limit of {limit} bytes", UserErrorCode.FILE_TOO_LARGE)
        return None
    if not f.data:
        problems.add(path, "the file is empty", UserErrorCode.FILE_EMPTY)
        return None
    sub = Problems()
    kind = check_file_type(sub, f.content_type, f.data)
    for e in sub.errors:
        problems.add(path, e.message, e.code)
    if kind is not None and kind not in allowed:
        names = ", ".join(sorted(t.split("/")[1].upper() for t in allowed))
        problems.add(path, f"{kind} is not accepted here; send {names}", UserErrorCode.UNSUPPORTED_FILE_TYPE)
        return None
    return kind


def slot_status(slot: Doc, docs: list[Doc]) -> str:
    mine = [d for d in docs if d["id"] in slot["documentIds"]]
    if any(d["status"] == "ACCEPTED" for d in mine):
        return "ACCEPTED"
    if any(d["status"] == "PENDING" for d in mine):
        return "PENDING_REVIEW"
    if slot["maxAttempts"] and slot["attempts"] >= slot["maxAttempts"]:
        return "FAILED"
    return "OPEN"


def request_status(slots: list[Doc]) -> str:
    states = [s["status"] for s in slots]
    if all(s == "ACCEPTED" for s in states):
        return "FULFILLED"
    if "FAILED" in states:
        return "FAILED"
    if not any(s["attempts"] for s in slots):
        return "GATHERING"
    if "ACCEPTED" in states:
        return "PARTIAL"
    if "PENDING_REVIEW" in states:
        return "PENDING_REVIEW"
    return "ATTEMPTED"


async def _event(org: OrgDb, customer_id: str, kind: str, actor: Doc, t: datetime, data: Doc, message: str) -> None:
    await timeline.record(org, customer_id, kind, actor, t, data, message)


async def refresh_request(org: OrgDb, request_id: str, actor: Doc, t: datetime) -> Doc | None:
    """Recomputes the request's slot and overall statuses from its documents; records a status change."""
    for _ in range(5):
        req = await kyc.get(org, kyc.REQUESTS, request_id)
        if req is None:
            return None
        docs = await kyc.of_request(org, request_id)
        slots = [{**s, "status": slot_status(s, docs)} for s in req["documents"]]
        status = req["status"] if req["status"] in PERMANENT else request_status(slots)
        if slots == req["documents"] and status == req["status"]:
            return req
        moved = await kyc.update(org, kyc.REQUESTS, request_id, req["revision"], {"documents": slots, "status": status}, t)
        if moved is None:
            continue
        if status != req["status"]:
            await _event(org, req["customerId"], "KYC_REQUEST_CHANGED", actor, t,
                         {"kycRequestId": request_id, "status": status}, f"KYC request {status.lower().replace('_', ' ')}")
        return moved
    return await kyc.get(org, kyc.REQUESTS, request_id)


async def expire_request(org: OrgDb, req: Doc, actor: Doc, t: datetime) -> Doc | None:
    """Stores EXPIRED (nothing uploaded) or ABANDONED (uploads made) for an open request past its expiry,
    at the revision read, and records it; None when nothing moved (not open, not expired yet, or it
    changed meanwhile: read it again)."""
    if req["status"] not in OPEN_REQUEST_STATUSES or req["expiresTime"] > t:
        return None
    status = "EXPIRED" if req["status"] == "GATHERING" else "ABANDONED"
    moved = await kyc.update(org, kyc.REQUESTS, req["id"], req["revision"], {"status": status, "expiredTime": t}, t)
    if moved is not None:
        await _event(org, req["customerId"], "KYC_REQUEST_CHANGED", actor, t,
                     {"kycRequestId": req["id"], "status": status}, f"KYC request {status.lower()}")
    return moved


async def submit(
    org: OrgDb,
    problems: Problems,
    *,
    customer_id: str,
    doc_type: str,
    subtype: str | None,
    file: Incoming,
    selfie: Incoming | None,
    level: str,
    limit: int,
    actor: Doc,
    uploaded_by: str,
    t: datetime,
    request: Doc | None = None,
    form_revision: int | None = None,
    liveness: bool = False,
) -> Doc | None:
    """Checks, counts, stores, analyses and records one document; None with problems when refused."""
    kind = check_incoming(problems, ["file"], file, limit, DOCUMENT_TYPES)
    selfie_kind = check_incoming(problems, ["selfie"], selfie, limit, SELFIE_TYPES) if selfie is not None else None
    if selfie is not None and doc_type != "IDENTITY_PROOF":
        problems.add(["selfie"], "a selfie goes only with an identity proof", UserErrorCode.INVALID)
    slot_index = None
    if request is not None:
        slot_index = next((i for i, s in enumerate(request["documents"]) if s["type"] == doc_type), None)
        if slot_index is None:
            problems.add(["type"], f"{doc_type} was not requested", UserErrorCode.INVALID)
        else:
            slot = request["documents"][slot_index]
            if slot["status"] in ("ACCEPTED", "FAILED"):
                problems.add(["type"], f"this document is {slot['status'].lower()} already", UserErrorCode.INVALID_STATUS)
            elif slot["maxAttempts"] and slot["attempts"] >= slot["maxAttempts"]:
                problems.add(["type"], f"all {slot['maxAttempts']} attempts are used", UserErrorCode.KYC_ATTEMPTS_EXHAUSTED)
            if (slot["faceProofRequired"] or slot["faceLivenessRequired"]) and selfie is None:
                problems.add(["selfie"], "a selfie is required with this identity proof", UserErrorCode.REQUIRED)
    if problems or kind is None or (selfie is not None and selfie_kind is None):
        return None
    doc_id = new_id("kyc_doc")
    if request is not None and slot_index is not None:
        slots = [dict(s) for s in request["documents"]]
        slots[slot_index]["attempts"] += 1
        slots[slot_index]["documentIds"] = [*slots[slot_index]["documentIds"], doc_id]
        counted = await kyc.record_attempt(org, request["id"], form_revision or request["revision"], slots, t)
        if counted is None:
            problems.add(None, "the request changed meanwhile (a replayed or out-of-date form); nothing was counted",
                         UserErrorCode.REVISION_CONFLICT)
            return None
    stored: list[Doc] = []
    for role, f, ctype in (("DOCUMENT", file, kind), ("SELFIE", selfie, selfie_kind)):
        if f is None or ctype is None:
            continue
        fid = new_id("file")
        name = clean_filename(f.filename)
        await files.put(org, fid, name, f.data, content_type=ctype, sha256=hashlib.sha256(f.data).hexdigest(),
                        customer_id=customer_id, now=t)
        stored.append({"fileId": fid, "filename": name, "contentType": ctype, "size": len(f.data), "role": role})
    main = stored[0]
    selfie_file = stored[1] if len(stored) > 1 else None
    analysis = await PROVIDER.analyse(Submission(
        doc_type, subtype, UploadedFile(main["filename"], main["contentType"], main["size"]),
        UploadedFile(selfie_file["filename"], selfie_file["contentType"], selfie_file["size"]) if selfie_file else None,
        level, liveness,
    ))
    analysed = analysis.score > 0 or analysis.status != "PENDING"
    doc: Doc = {
        "id": doc_id, "customerId": customer_id, "requestId": request["id"] if request else None,
        "type": doc_type, "subtype": subtype, "status": analysis.status, "level": level,
        "rejectionReason": analysis.reason, "rejectionMessage": None, "files": stored,
        "analysis": {
            "provider": PROVIDER.name, "score": analysis.score,
            "checks": [{"name": c.name, "failed": c.failed, "weight": c.weight} for c in analysis.checks],
        } if analysed else None,
        "uploadedBy": uploaded_by, "reviewerName": None, "reviewStartTime": None, "reviewTime": None,
        "createdTime": t, "updatedTime": t, "revision": 1,
    }
    await kyc.insert(org, kyc.DOCUMENTS, doc)
    words = {"ACCEPTED": "accepted", "REJECTED": f"rejected ({(analysis.reason or '').lower().replace('_', ' ')})",
             "PENDING": "sent to review"}[analysis.status]
    await _event(org, customer_id, "KYC_DOCUMENT_UPLOADED", actor, t,
                 {"kycDocumentId": doc_id, "documentType": doc_type, "status": analysis.status},
                 f"KYC document uploaded: {doc_type.lower().replace('_', ' ')}, {words}")
    if request is not None:
        await refresh_request(org, request["id"], actor, t)
    return doc


def slots_of(inputs: list[Any]) -> list[Doc]:
    return [{
        "type": d.type.name, "maxAttempts": d.max_attempts, "attempts": 0,
        "faceProofRequired": d.face_proof_required or d.face_liveness_required,
        "faceLivenessRequired": d.face_liveness_required, "signatureRequired": d.signature_required,
        "status": "OPEN", "documentIds": [],
    } for d in inputs]
