"""KYC mutations and queries: `kycRequestCreate`, `kycDocumentUpload` (on the customer's behalf),
`kycDocumentAccept`, `kycDocumentReject`, `kycDocumentReviewStart`, `kycRequest`, `kycDocument`.
`Customer.kycDocuments` reads through the `kyc_documents_by_customer_id` loader. The hosted upload page
is `resolvers/compliance/kyc_page.py`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import strawberry

from resolvers.auth import mutation
from resolvers.compliance import kyc_expiry
from resolvers.compliance.kyc_flow import Incoming, refresh_request, slots_of, submit
from resolvers.context import Context, Info, now
from resolvers.links.deposits import MAX_DAYS, URL_RE
from resolvers.loaders import forget
from resolvers.money import money
from schema.common import ClientError, Problems, UserErrorCode
from schema.compliance.kyc import (
    KycDocument,
    KycDocumentAcceptInput,
    KycDocumentPayload,
    KycDocumentRejectInput,
    KycDocumentReviewStartInput,
    KycDocumentUploadInput,
    KycRequest,
    KycRequestCreateInput,
    KycRequestCreatePayload,
)
from store.activity import timeline
from store.compliance import kyc
from store.ids import new_id, type_of_id

MAX_ATTEMPTS = 100


async def _read(upload: Any, limit: int) -> Incoming | None:
    if not callable(getattr(upload, "read", None)):
        return None
    return Incoming(getattr(upload, "filename", None), getattr(upload, "content_type", None), await upload.read(limit + 1))


async def _create_request(ctx: Context, inp: KycRequestCreateInput) -> KycRequestCreatePayload:
    org, problems, t = ctx.org, Problems(), now()
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    if not 1 <= len(inp.documents) <= 5:
        problems.add(["documents"], "ask for 1-5 document types", UserErrorCode.REQUIRED if not inp.documents else UserErrorCode.TOO_MANY)
    seen: set[str] = set()
    for i, d in enumerate(inp.documents):
        if d.type.name in seen:
            problems.add(["documents", i, "type"], f"{d.type.name} is asked for twice", UserErrorCode.DUPLICATE)
        seen.add(d.type.name)
        if not 0 <= d.max_attempts <= MAX_ATTEMPTS:
            problems.add(["documents", i, "maxAttempts"], f"must be between 0 (unlimited) and {MAX_ATTEMPTS}", UserErrorCode.INVALID)
        if d.type.name != "IDENTITY_PROOF":
            for flag, name in ((d.face_proof_required, "faceProofRequired"), (d.face_liveness_required, "faceLivenessRequired"),
                               (d.signature_required, "signatureRequired")):
                if flag:
                    problems.add(["documents", i, name], "is only for an identity proof", UserErrorCode.INVALID)
    message = money.text(problems, ["message"], inp.message, 500)
    redirect = money.text(problems, ["redirectUrl"], inp.redirect_url, 2083)
    if redirect is not None and not URL_RE.match(redirect):
        problems.add(["redirectUrl"], f"{redirect!r} is not an http(s) URL", UserErrorCode.INVALID_URL)
    expires = inp.expiration_time or t + timedelta(hours=1)
    if inp.expiration_time is not None:
        if expires.tzinfo is None:
            problems.add(["expirationTime"], "must carry a timezone", UserErrorCode.INVALID)
        elif expires <= t:
            problems.add(["expirationTime"], "is in the past", UserErrorCode.DATE_IN_PAST)
        elif expires > t + timedelta(days=MAX_DAYS):
            problems.add(["expirationTime"], f"must be at most {MAX_DAYS} days ahead", UserErrorCode.INVALID)
    if problems or customer is None:
        return KycRequestCreatePayload(kyc_request=None, user_errors=problems.errors)
    rid = new_id("kyc_req")
    doc = {
        "id": rid, "customerId": customer["id"], "documents": slots_of(inp.documents), "level": inp.verification_level.name,
        "message": message, "redirectUrl": redirect, "status": "GATHERING",
        "tokenHash": money.token_hash(money.link_token(ctx.settings, rid)), "expiresTime": expires,
        "createdTime": t, "updatedTime": t, "revision": 1,
    }
    # The expiry job first: a crash before the insert leaves a job that finds nothing; never a request without one.
    await kyc_expiry.schedule(org, doc, t)
    await kyc.insert(org, kyc.REQUESTS, doc)
    await timeline.record(org, customer["id"], "KYC_REQUEST_CREATED", ctx.actor(), t,
                          {"kycRequestId": rid, "documentTypes": [s["type"] for s in doc["documents"]]},
                          "KYC documents requested: " + ", ".join(s["type"].lower().replace("_", " ") for s in doc["documents"]))
    return KycRequestCreatePayload(kyc_request=KycRequest.from_doc(doc), user_errors=[])


async def _upload(ctx: Context, inp: KycDocumentUploadInput) -> KycDocumentPayload:
    org, problems, t = ctx.org, Problems(), now()
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    limit = ctx.settings.attachment_max_bytes
    file = await _read(inp.file, limit)
    selfie = await _read(inp.selfie, limit) if inp.selfie is not None else None
    if file is None:
        problems.add(["file"], "send the file as a multipart upload (a variable mapped to a file part)", UserErrorCode.INVALID)
    if inp.selfie is not None and selfie is None:
        problems.add(["selfie"], "send the selfie as a multipart upload", UserErrorCode.INVALID)
    if problems or customer is None or file is None:
        return KycDocumentPayload(kyc_document=None, user_errors=problems.errors)
    actor = ctx.actor()
    doc = await submit(org, problems, customer_id=customer["id"], doc_type=inp.type.name,
                       subtype=inp.subtype.name if inp.subtype else None, file=file, selfie=selfie,
                       level=inp.verification_level.name, limit=limit, actor=actor, uploaded_by=actor["name"], t=t)
    if doc is None:
        return KycDocumentPayload(kyc_document=None, user_errors=problems.errors)
    forget(ctx.loaders.kyc_documents_by_customer_id, customer["id"])
    return KycDocumentPayload(kyc_document=KycDocument.from_doc(doc), user_errors=[])


async def _review(ctx: Context, doc_id: str, revision: int | None, changes: dict[str, Any], allowed: tuple[str, ...],
                  verb: str) -> KycDocumentPayload:
    org, problems, t = ctx.org, Problems(), now()
    if not money.check_id(problems, ["id"], doc_id, "KycDocument", "kyc_doc"):
        return KycDocumentPayload(kyc_document=None, user_errors=problems.errors)
    current = await kyc.get(org, kyc.DOCUMENTS, doc_id)
    if current is None:
        problems.add(["id"], f"no KYC document {doc_id} in this organization", UserErrorCode.NOT_FOUND)
        return KycDocumentPayload(kyc_document=None, user_errors=problems.errors)
    if revision is not None and revision != current["revision"]:
        problems.add(["expectedRevision"], f"the document is at revision {current['revision']}", UserErrorCode.REVISION_CONFLICT)
        return KycDocumentPayload(kyc_document=KycDocument.from_doc(current), user_errors=problems.errors)
    if current["status"] not in allowed:
        problems.add(["id"], f"the document is {current['status']}", UserErrorCode.INVALID_STATUS)
        return KycDocumentPayload(kyc_document=KycDocument.from_doc(current), user_errors=problems.errors)
    actor = ctx.actor()
    doc = await kyc.update(org, kyc.DOCUMENTS, doc_id, current["revision"], {**changes, "reviewerName": actor["name"]}, t)
    if doc is None:
        problems.add(["expectedRevision"], "the document changed meanwhile", UserErrorCode.REVISION_CONFLICT)
        return KycDocumentPayload(kyc_document=None, user_errors=problems.errors)
    await timeline.record(org, doc["customerId"], "KYC_DOCUMENT_REVIEWED", actor, t,
                          {"kycDocumentId": doc_id, "status": doc["status"], "reason": doc.get("rejectionReason")},
                          f"KYC document {verb}")
    if doc.get("requestId"):
        await refresh_request(org, doc["requestId"], actor, t)
    forget(ctx.loaders.kyc_documents_by_customer_id, doc["customerId"])
    return KycDocumentPayload(kyc_document=KycDocument.from_doc(doc), user_errors=[])


def _require(kind: str, prefix: str, value: str) -> None:
    if type_of_id(value) != kind:
        raise ClientError(f"{value} is not a {kind} id; expected `{prefix}_…`")


@strawberry.type
class KycQueries:
    @strawberry.field(description="One KYC request by id; null when there is none in this organization.")
    async def kyc_request(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="KYC request id.")]
    ) -> KycRequest | None:
        _require("KycRequest", "kyc_req", str(id))
        doc = await kyc.get(info.context.org, kyc.REQUESTS, str(id))
        return KycRequest.from_doc(doc) if doc else None

    @strawberry.field(description="One KYC document by id; null when there is none in this organization.")
    async def kyc_document(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="KYC document id.")]
    ) -> KycDocument | None:
        _require("KycDocument", "kyc_doc", str(id))
        doc = await kyc.get(info.context.org, kyc.DOCUMENTS, str(id))
        return KycDocument.from_doc(doc) if doc else None


@strawberry.type
class KycMutations:
    @mutation(
        "The guide's *Request KYC documents*: document types with max attempts (0 = unlimited), selfie, face "
        "liveness and signature for identity proof, the verification level, a message, a redirect URL and an "
        "expiry (default one hour). Share `kycRequest.url`, the hosted upload page."
    )
    async def kyc_request_create(self, info: Info, input: KycRequestCreateInput) -> KycRequestCreatePayload:
        return await _create_request(info.context, input)

    @mutation(
        "The guide's *Upload KYC documents* on the customer's behalf (a GraphQL multipart request): the file "
        "(and a selfie for an identity proof) is stored and analysed; identity and address proofs are scored, "
        "the others go to manual review."
    )
    async def kyc_document_upload(self, info: Info, input: KycDocumentUploadInput) -> KycDocumentPayload:
        return await _upload(info.context, input)

    @mutation("Accepts a KYC document (manual override of the analysis, or the end of a review).")
    async def kyc_document_accept(self, info: Info, input: KycDocumentAcceptInput) -> KycDocumentPayload:
        return await _review(info.context, str(input.id), input.expected_revision,
                             {"status": "ACCEPTED", "rejectionReason": None, "rejectionMessage": None, "reviewTime": now()},
                             ("PENDING", "REJECTED"), "accepted by a reviewer")

    @mutation("Rejects a KYC document with a reason (manual override of the analysis, or the end of a review).")
    async def kyc_document_reject(self, info: Info, input: KycDocumentRejectInput) -> KycDocumentPayload:
        problems = Problems()
        message = money.text(problems, ["message"], input.message)
        if problems:
            return KycDocumentPayload(kyc_document=None, user_errors=problems.errors)
        return await _review(info.context, str(input.id), input.expected_revision,
                             {"status": "REJECTED", "rejectionReason": input.reason.name, "rejectionMessage": message,
                              "reviewTime": now()},
                             ("PENDING", "ACCEPTED"), f"rejected by a reviewer ({input.reason.name.lower().replace('_', ' ')})")

    @mutation("Starts the review of a pending KYC document: records the reviewer and the start time.")
    async def kyc_document_review_start(self, info: Info, input: KycDocumentReviewStartInput) -> KycDocumentPayload:
        return await _review(info.context, str(input.id), None, {"reviewStartTime": now()}, ("PENDING",), "review started")
