"""KYC requests (the guide's *Request KYC documents*) and KYC documents (*Upload KYC documents*, *View
uploaded KYC documents*), with their analysis and manual review."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.file_uploads import Upload

from schema.common import Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="What a KYC document proves.")
class KycDocumentType(enum.Enum):
    IDENTITY_PROOF = strawberry.enum_value("IDENTITY_PROOF", description="Identity (passport, ID card, …); analysed.")
    ADDRESS_PROOF = strawberry.enum_value("ADDRESS_PROOF", description="Address (utility bill, …); analysed.")
    FUNDS_PROOF = strawberry.enum_value("FUNDS_PROOF", description="Source of funds; reviewed manually.")
    PURCHASE_PROOF = strawberry.enum_value("PURCHASE_PROOF", description="A purchase; reviewed manually.")
    CREDIT_FILE_PROOF = strawberry.enum_value("CREDIT_FILE_PROOF", description="A credit file; reviewed manually.")


@strawberry.enum(description="The kind of document within its type.")
class KycDocumentSubtype(enum.Enum):
    PASSPORT = strawberry.enum_value("PASSPORT", description="Passport.")
    ID_CARD = strawberry.enum_value("ID_CARD", description="National ID card.")
    DRIVER_LICENSE = strawberry.enum_value("DRIVER_LICENSE", description="Driver's license.")
    UTILITY_BILL = strawberry.enum_value("UTILITY_BILL", description="Utility bill.")
    BANK_STATEMENT = strawberry.enum_value("BANK_STATEMENT", description="Bank statement.")
    RENTAL_RECEIPT = strawberry.enum_value("RENTAL_RECEIPT", description="Rental receipt or lease.")
    CREDIT_CARD_STATEMENT = strawberry.enum_value("CREDIT_CARD_STATEMENT", description="Credit card statement.")
    SALARY_SLIP = strawberry.enum_value("SALARY_SLIP", description="Salary slip.")
    TAX_RETURN = strawberry.enum_value("TAX_RETURN", description="Tax return.")
    OTHER = strawberry.enum_value("OTHER", description="Anything else.")


@strawberry.enum(description="Document verification level (the guide's strict / moderate / basic).")
class KycVerificationLevel(enum.Enum):
    STRICT = strawberry.enum_value("STRICT", description="For credits and payouts (the default); accepts at score ≥ 90.")
    MODERATE = strawberry.enum_value("MODERATE", description="For sales; accepts at score ≥ 80.")
    BASIC = strawberry.enum_value("BASIC", description="Lowest; accepts at score ≥ 70.")


@strawberry.enum(description="Where a KYC request stands (the reference's statuses).")
class KycRequestStatus(enum.Enum):
    GATHERING = strawberry.enum_value("GATHERING", description="Nothing uploaded yet.")
    ATTEMPTED = strawberry.enum_value("ATTEMPTED", description="Something uploaded, nothing accepted or in review.")
    PARTIAL = strawberry.enum_value("PARTIAL", description="Some requested documents accepted, not all.")
    PENDING_REVIEW = strawberry.enum_value("PENDING_REVIEW", description="An upload awaits manual review; none accepted.")
    FULFILLED = strawberry.enum_value("FULFILLED", description="Every requested document accepted (permanent).")
    FAILED = strawberry.enum_value(
        "FAILED", description="A document ran out of attempts without being accepted or in review (permanent)."
    )
    ABANDONED = strawberry.enum_value("ABANDONED", description="Uploads were made but the request expired (permanent).")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Nothing uploaded before expiry (permanent).")


@strawberry.enum(description="Where a KYC document stands.")
class KycDocumentStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Awaiting manual review.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Accepted (by the analysis or a reviewer).")
    REJECTED = strawberry.enum_value("REJECTED", description="Rejected (see `rejectionReason`).")


@strawberry.enum(description="Why a KYC document was rejected (the reference's rejection types).")
class KycRejectionReason(enum.Enum):
    DOCUMENT_UNREADABLE = strawberry.enum_value("DOCUMENT_UNREADABLE", description="Cannot be read.")
    DOCUMENT_EXPIRED = strawberry.enum_value("DOCUMENT_EXPIRED", description="Expired.")
    DOCUMENT_WAS_VALID_BUT_EXPIRED = strawberry.enum_value(
        "DOCUMENT_WAS_VALID_BUT_EXPIRED", description="Was valid, has expired since."
    )
    DOCUMENT_NOT_MATCHING = strawberry.enum_value("DOCUMENT_NOT_MATCHING", description="Not the requested document.")
    DOCUMENT_DUPLICATE = strawberry.enum_value("DOCUMENT_DUPLICATE", description="Already submitted.")
    DOCUMENT_INVALID = strawberry.enum_value("DOCUMENT_INVALID", description="Not a valid document (low score).")
    DOCUMENT_NOT_OPEN = strawberry.enum_value("DOCUMENT_NOT_OPEN", description="The file cannot be opened.")
    UNDERAGE_PERSON = strawberry.enum_value("UNDERAGE_PERSON", description="The person is under age.")
    THIRD_PARTY_OR_MISMATCH = strawberry.enum_value("THIRD_PARTY_OR_MISMATCH", description="Someone else's document.")
    EXPIRATION_DATE_MISSING = strawberry.enum_value("EXPIRATION_DATE_MISSING", description="No expiry date.")
    ISSUE_DATE_MISSING = strawberry.enum_value("ISSUE_DATE_MISSING", description="No issue date.")
    SUBTYPE_MISSING = strawberry.enum_value("SUBTYPE_MISSING", description="The subtype cannot be told.")
    DOB_MISMATCH = strawberry.enum_value("DOB_MISMATCH", description="Date of birth differs from the customer's.")
    NAME_MISMATCH = strawberry.enum_value("NAME_MISMATCH", description="Name differs from the customer's.")
    NAME_AND_DOB_MISMATCH = strawberry.enum_value("NAME_AND_DOB_MISMATCH", description="Name and date of birth differ.")
    CRITICAL_INFO_MISSING = strawberry.enum_value("CRITICAL_INFO_MISSING", description="Critical information missing.")
    OLD_ADDRESS_ON_ID = strawberry.enum_value("OLD_ADDRESS_ON_ID", description="An old address.")
    TAMPERED_DOCUMENT = strawberry.enum_value("TAMPERED_DOCUMENT", description="Tampered with, or a spoofed selfie.")
    OTHER = strawberry.enum_value("OTHER", description="Another reason (see the message).")


@strawberry.type(description="One document type asked for by a KYC request, with its attempts.")
class KycRequestedDocument:
    type: KycDocumentType = strawberry.field(description="What it proves.")
    max_attempts: int = strawberry.field(description="Uploads allowed (0 = unlimited).")
    attempts: int = strawberry.field(description="Uploads made so far.")
    face_proof_required: bool = strawberry.field(description="A selfie must come with the identity proof.")
    face_liveness_required: bool = strawberry.field(description="The selfie must pass face liveness.")
    signature_required: bool = strawberry.field(description="The document must show the customer's signature.")
    status: str = strawberry.field(description="`OPEN`, `PENDING_REVIEW`, `ACCEPTED` or `FAILED` (out of attempts).")
    document_ids: list[strawberry.ID] = strawberry.field(description="The documents uploaded for it.")


@strawberry.type(description="Documents asked of a customer through the hosted upload page (*Request KYC documents*).")
class KycRequest(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer; the link works for no one else.")
    documents: list[KycRequestedDocument] = strawberry.field(description="What is asked for.")
    verification_level: KycVerificationLevel = strawberry.field(description="How strict the analysis is.")
    message: str | None = strawberry.field(description="Why the documents are asked for (shown on the page).")
    redirect_url: str | None = strawberry.field(description="Where the customer goes afterwards (`?info=…` added).")
    status: KycRequestStatus = strawberry.field(description="Where it stands.")
    expires_time: datetime = strawberry.field(description="After this the page takes no upload.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @strawberry.field(description="The upload page to share with the customer (holds the request's secret token).")
    def url(self, info: Info) -> str:
        return info.context.link_url("/kyc/", str(self.id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> KycRequest:
        status = d["status"]
        if status in OPEN_REQUEST_STATUSES and d["expiresTime"] <= datetime.now(UTC):
            status = "EXPIRED" if status == "GATHERING" else "ABANDONED"
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            documents=[
                KycRequestedDocument(
                    type=KycDocumentType[s["type"]], max_attempts=s["maxAttempts"], attempts=s["attempts"],
                    face_proof_required=s["faceProofRequired"], face_liveness_required=s["faceLivenessRequired"],
                    signature_required=s["signatureRequired"], status=s["status"],
                    document_ids=[strawberry.ID(i) for i in s["documentIds"]],
                )
                for s in d["documents"]
            ],
            verification_level=KycVerificationLevel[d["level"]],
            message=d.get("message"),
            redirect_url=d.get("redirectUrl"),
            status=KycRequestStatus[status],
            expires_time=d["expiresTime"],
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


OPEN_REQUEST_STATUSES = ("GATHERING", "ATTEMPTED", "PARTIAL", "PENDING_REVIEW")


@strawberry.type(description="A file of a KYC document (download it at `/files/{fileId}` with an API key).")
class KycFile:
    file_id: strawberry.ID = strawberry.field(description="The stored file.")
    filename: str = strawberry.field(description="Its name as uploaded (cleaned).")
    content_type: str = strawberry.field(description="PDF, PNG or JPEG.")
    size: int = strawberry.field(description="Bytes.")
    role: str = strawberry.field(description="`DOCUMENT` or `SELFIE`.")


@strawberry.type(description="One check of a document's analysis.")
class KycCheck:
    name: str = strawberry.field(description="What was checked.")
    failed: bool = strawberry.field(description="Whether it failed.")
    weight: int = strawberry.field(description="Points it takes off the score when failed.")


@strawberry.type(description="An uploaded KYC document with its analysis and review.")
class KycDocument(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    request_id: strawberry.ID | None = strawberry.field(description="The KYC request it answers, if any.")
    type: KycDocumentType = strawberry.field(description="What it proves.")
    subtype: KycDocumentSubtype | None = strawberry.field(description="The kind of document.")
    status: KycDocumentStatus = strawberry.field(description="Where it stands.")
    rejection_reason: KycRejectionReason | None = strawberry.field(description="Why it was rejected.")
    rejection_message: str | None = strawberry.field(description="The reviewer's words on the rejection.")
    files: list[KycFile] = strawberry.field(description="The document file and, where asked, the selfie.")
    score: int | None = strawberry.field(description="The analysis score, 0-100 (null: not analysed).")
    analysed_by: str | None = strawberry.field(description="The analysis provider (`SANDBOX`).")
    checks: list[KycCheck] = strawberry.field(description="The analysis checks.")
    uploaded_by: str = strawberry.field(description="`CUSTOMER` (upload page) or the operator's name.")
    reviewer_name: str | None = strawberry.field(description="Who reviewed it, if anyone.")
    review_start_time: datetime | None = strawberry.field(description="When a review started.")
    review_time: datetime | None = strawberry.field(description="When it was accepted or rejected by a reviewer.")
    created_time: datetime = strawberry.field(description="When it was uploaded.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> KycDocument:
        a = d.get("analysis") or {}
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            request_id=strawberry.ID(d["requestId"]) if d.get("requestId") else None,
            type=KycDocumentType[d["type"]],
            subtype=KycDocumentSubtype[d["subtype"]] if d.get("subtype") else None,
            status=KycDocumentStatus[d["status"]],
            rejection_reason=KycRejectionReason[d["rejectionReason"]] if d.get("rejectionReason") else None,
            rejection_message=d.get("rejectionMessage"),
            files=[KycFile(file_id=strawberry.ID(f["fileId"]), filename=f["filename"], content_type=f["contentType"],
                           size=f["size"], role=f["role"]) for f in d["files"]],
            score=a.get("score"),
            analysed_by=a.get("provider"),
            checks=[KycCheck(name=c["name"], failed=c["failed"], weight=c["weight"]) for c in a.get("checks", [])],
            uploaded_by=d["uploadedBy"],
            reviewer_name=d.get("reviewerName"),
            review_start_time=d.get("reviewStartTime"),
            review_time=d.get("reviewTime"),
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


@strawberry.input(description="One document type to ask for.")
class KycRequestedDocumentInput:
    type: KycDocumentType = strawberry.field(description="What it proves.")
    max_attempts: int = strawberry.field(default=3, description="Uploads allowed, 0-100 (0 = unlimited).")
    face_proof_required: bool = strawberry.field(default=False, description="Identity proof only: ask for a selfie.")
    face_liveness_required: bool = strawberry.field(
        default=False, description="Identity proof only: the selfie must pass face liveness (implies a selfie)."
    )
    signature_required: bool = strawberry.field(
        default=False, description="Identity proof only: the document must show the customer's signature."
    )


@strawberry.input(description="The guide's *Request KYC documents* form.")
class KycRequestCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    documents: list[KycRequestedDocumentInput] = strawberry.field(description="1-5 document types, each once.")
    verification_level: KycVerificationLevel = strawberry.field(
        default=KycVerificationLevel.STRICT, description="How strict the analysis is."
    )
    message: str | None = strawberry.field(default=None, description="Why they are asked for (≤ 500), shown on the page.")
    redirect_url: str | None = strawberry.field(default=None, description="Where the customer goes afterwards.")
    expiration_time: datetime | None = strawberry.field(
        default=None, description="When the link stops working: in the future, ≤ 30 days (default: in one hour)."
    )


@strawberry.type(description="Result of `kycRequestCreate`.")
class KycRequestCreatePayload:
    kyc_request: KycRequest | None = strawberry.field(description="The request; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.input(description="The guide's *Upload KYC documents* on the customer's behalf (a multipart request).")
class KycDocumentUploadInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    type: KycDocumentType = strawberry.field(description="What it proves.")
    subtype: KycDocumentSubtype | None = strawberry.field(default=None, description="The kind of document.")
    file: Upload = strawberry.field(description="The document: PDF, PNG or JPEG, within the attachment size limit.")
    selfie: Upload | None = strawberry.field(default=None, description="A selfie (PNG or JPEG) for an identity proof.")
    verification_level: KycVerificationLevel = strawberry.field(
        default=KycVerificationLevel.STRICT, description="How strict the analysis is."
    )


@strawberry.type(description="Result of `kycDocumentUpload` and the review mutations.")
class KycDocumentPayload:
    kyc_document: KycDocument | None = strawberry.field(description="The document; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.input(description="Accept a KYC document (manual override or end of a review).")
class KycDocumentAcceptInput:
    id: strawberry.ID = strawberry.field(description="The document.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since.")


@strawberry.input(description="Reject a KYC document with a reason.")
class KycDocumentRejectInput:
    id: strawberry.ID = strawberry.field(description="The document.")
    reason: KycRejectionReason = strawberry.field(description="Why.")
    message: str | None = strawberry.field(default=None, description="In words (≤ 255).")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since.")


@strawberry.input(description="Start reviewing a KYC document (sets the reviewer and the review start time).")
class KycDocumentReviewStartInput:
    id: strawberry.ID = strawberry.field(description="The document.")
