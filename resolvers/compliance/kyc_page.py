"""The hosted KYC upload page, `GET/POST /kyc/{token}`: the customer uploads each requested document
(and a selfie where asked) through plain multipart forms (no JavaScript). The token opens one request of
one customer; every upload counts an attempt against the document's max attempts, at the request
revision the form showed (a replayed form counts nothing). Files are checked like timeline attachments
(size limit, content must match PDF, PNG or JPEG) and go to GridFS. Past its expiry the page refuses.
When nothing is left to upload the page links to the redirect URL with `?info=success|partial|manual`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.compliance.kyc_flow import Incoming, expire_request, submit
from resolvers.context import now
from resolvers.money import money
from resolvers.pages import render
from resolvers.settings import Settings
from schema.common import Problems
from schema.compliance.kyc import OPEN_REQUEST_STATUSES
from store.compliance import kyc
from store.db import Doc, Store

ACTOR = {"type": "SYSTEM", "id": None, "name": "KYC upload page"}
LABELS = {
    "IDENTITY_PROOF": "Proof of identity", "ADDRESS_PROOF": "Proof of address", "FUNDS_PROOF": "Proof of funds",
    "PURCHASE_PROOF": "Proof of purchase", "CREDIT_FILE_PROOF": "Credit file",
}
SUBTYPES = {
    "IDENTITY_PROOF": [("PASSPORT", "Passport"), ("ID_CARD", "ID card"), ("DRIVER_LICENSE", "Driver's license")],
    "ADDRESS_PROOF": [("UTILITY_BILL", "Utility bill"), ("BANK_STATEMENT", "Bank statement"), ("RENTAL_RECEIPT", "Rental receipt")],
    "FUNDS_PROOF": [("BANK_STATEMENT", "Bank statement"), ("SALARY_SLIP", "Salary slip"), ("TAX_RETURN", "Tax return")],
    "PURCHASE_PROOF": [("CREDIT_CARD_STATEMENT", "Credit card statement"), ("OTHER", "Other")],
    "CREDIT_FILE_PROOF": [("OTHER", "Credit file")],
}
INFO = {"FULFILLED": "success", "PARTIAL": "partial", "PENDING_REVIEW": "manual", "FAILED": "partial", "ATTEMPTED": "partial"}


def _with_info(url: str | None, info: str) -> str | None:
    if not url:
        return None
    return url + ("&" if "?" in url else "?") + urlencode({"info": info})


class KycPage:
    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        self.store_ref = store_ref
        self.settings = settings

    @property
    def store(self) -> Store:
        return self.store_ref["store"]

    def routes(self) -> list[Route]:
        return [Route("/kyc/{token}", self.page, methods=["GET", "POST"])]

    def _message(self, request: Request, title: str, message: str, status: int, redirect: str | None = None) -> Response:
        return render(request, "links/message.html", {"title": title, "message": message, "redirect_url": redirect},
                      status_code=status)

    async def _view(self, request: Request, req: Doc, *, error: str | None = None, notice: str | None = None,
                    status: int = 200) -> Response:
        docs = {d["id"]: d for d in await kyc.of_request(self.store.for_org(req["organizationId"]), req["id"])}
        rows = []
        for s in req["documents"]:
            last = docs.get(s["documentIds"][-1]) if s["documentIds"] else None
            rejected = last["rejectionReason"].lower().replace("_", " ") if last and last["status"] == "REJECTED" else None
            rows.append({
                "type": s["type"], "label": LABELS[s["type"]], "status": s["status"], "subtypes": SUBTYPES[s["type"]],
                "selfie": s["faceProofRequired"], "liveness": s["faceLivenessRequired"], "signature": s["signatureRequired"],
                "attempts": s["attempts"], "max": s["maxAttempts"], "rejected": rejected,
            })
        open_left = any(r["status"] == "OPEN" for r in rows)
        done = None if open_left else _with_info(req.get("redirectUrl"), INFO.get(req["status"], "back"))
        return render(request, "compliance/kyc.html", {
            "title": "Verify your identity", "error": error, "notice": notice, "message": req.get("message"),
            "documents": rows, "revision": req["revision"], "expires": req["expiresTime"].strftime("%Y-%m-%d %H:%M"),
            "limit_mb": round(self.settings.attachment_max_bytes / 1024 / 1024, 1), "done_url": done,
        }, status_code=status)

    async def page(self, request: Request) -> Response:
        req = await kyc.request_by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if req is None:
            return self._message(request, "Link not found", "This link is not valid. Ask the merchant for a new one.", 404)
        org = self.store.for_org(req["organizationId"])
        t = now()
        if req["status"] in OPEN_REQUEST_STATUSES and req["expiresTime"] <= t:
            await expire_request(org, req, ACTOR, t)
            return self._message(request, "Link expired", "This link has expired. Ask the merchant for a new one.", 410,
                                 _with_info(req.get("redirectUrl"), "token_expired"))
        if req["status"] == "FULFILLED":
            return self._message(request, "Documents accepted", "Thank you: every document is accepted.", 200,
                                 _with_info(req.get("redirectUrl"), "success"))
        if req["status"] not in OPEN_REQUEST_STATUSES:
            return await self._view(request, req, status=410 if req["status"] in ("EXPIRED", "ABANDONED") else 200)
        if request.method == "GET":
            return await self._view(request, req)
        limit = self.settings.attachment_max_bytes
        async with request.form(max_files=2, max_fields=10, max_part_size=limit + 1024) as form:
            revision_raw = str(form.get("revision") or "")
            problems = Problems()
            file = await self._incoming(form.get("file"), limit)
            selfie = await self._incoming(form.get("selfie"), limit)
            doc_type = str(form.get("type") or "")
            slot = next((s for s in req["documents"] if s["type"] == doc_type), None)
            if slot is None:
                return await self._view(request, req, error="Choose one of the requested documents.", status=400)
            if slot["signatureRequired"] and form.get("signature") != "yes":
                return await self._view(request, req, error="Confirm that the document shows your signature.", status=400)
            if file is None:
                return await self._view(request, req, error="Choose a file to upload.", status=400)
            subtype = str(form.get("subtype") or "")
            if subtype not in {v for v, _ in SUBTYPES[doc_type]}:
                subtype = SUBTYPES[doc_type][0][0]
            doc = await submit(
                org, problems, customer_id=req["customerId"], doc_type=doc_type, subtype=subtype, file=file,
                selfie=selfie, level=req["level"], limit=limit, actor=ACTOR, uploaded_by="CUSTOMER", t=t, request=req,
                form_revision=int(revision_raw) if revision_raw.isdigit() else -1, liveness=slot["faceLivenessRequired"],
            )
        fresh = await kyc.get(org, kyc.REQUESTS, req["id"]) or req
        if doc is None:
            stale = any(e.code.name == "REVISION_CONFLICT" for e in problems.errors)
            if stale:
                return self._message(request, "Form out of date", "This form was already submitted or is out of date: "
                                     "nothing was counted. Open the link again to continue.", 409)
            return await self._view(request, fresh, error=" ".join(e.message[:1].upper() + e.message[1:] + "." for e in problems.errors),
                                    status=400)
        words = {"ACCEPTED": "was accepted", "PENDING": "was received and is being reviewed", "REJECTED": "was not accepted"}
        return await self._view(request, fresh, notice=f"{LABELS[doc_type]} {words[doc['status']]}.")

    async def _incoming(self, part: Any, limit: int) -> Incoming | None:
        if part is None or isinstance(part, str) or not getattr(part, "filename", None):
            return None
        return Incoming(part.filename, part.content_type, await part.read(limit + 1))
