"""KYC: `kycRequestCreate`, the hosted upload page (attempts, selfie, GridFS, statuses, expiry, replays),
`kycDocumentUpload` on the customer's behalf, `Customer.kycDocuments`, the sandbox analysis rules and
the manual review mutations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from tests.money_helpers import add_customer, path_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
PDF = b"%PDF-1.4\n" + b"0" * 300
REQUEST_FIELDS = """id status url revision verificationLevel message redirectUrl expiresTime
  documents { type maxAttempts attempts faceProofRequired faceLivenessRequired signatureRequired status documentIds }"""
CREATE = f"""mutation($input: KycRequestCreateInput!) {{ kycRequestCreate(input: $input) {{
  kycRequest {{ {REQUEST_FIELDS} }} userErrors {{ field message code }} }} }}"""
GET = f"""query($id: ID!) {{ kycRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"""
DOC_FIELDS = """id type subtype status rejectionReason rejectionMessage score analysedBy uploadedBy reviewerName
  reviewStartTime reviewTime requestId revision files { fileId filename contentType size role } checks { name failed }"""
DOCS = f"""query($id: ID!) {{ customer(id: $id) {{ kycDocuments {{ {DOC_FIELDS} }} }} }}"""
UPLOAD = f"""mutation($input: KycDocumentUploadInput!) {{ kycDocumentUpload(input: $input) {{
  kycDocument {{ {DOC_FIELDS} }} userErrors {{ field message code }} }} }}"""
ACCEPT = f"""mutation($input: KycDocumentAcceptInput!) {{ kycDocumentAccept(input: $input) {{
  kycDocument {{ {DOC_FIELDS} }} userErrors {{ field message code }} }} }}"""
REJECT = f"""mutation($input: KycDocumentRejectInput!) {{ kycDocumentReject(input: $input) {{
  kycDocument {{ {DOC_FIELDS} }} userErrors {{ field message code }} }} }}"""
REVIEW = f"""mutation($input: KycDocumentReviewStartInput!) {{ kycDocumentReviewStart(input: $input) {{
  kycDocument {{ {DOC_FIELDS} }} userErrors {{ field message code }} }} }}"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 40) { edges { node { kind message
  ... on KycRequestChangedEvent { status } ... on KycDocumentUploadedEvent { status } } } } } }"""


async def kyc_request(org, cid, documents, **fields):
    data = (await org.gql(CREATE, {"input": {"customerId": cid, "documents": documents, **fields}}))["kycRequestCreate"]
    assert data["userErrors"] == [], data
    return data["kycRequest"]


async def page_upload(org, req, doc_type, filename="passport.png", content=PNG, ctype="image/png", revision=None,
                      selfie=None, **fields):
    """Posts the page's form for `req` at its current revision (or the one given: a replay)."""
    url = req["url"]
    if revision is None:
        revision = (await org.gql(GET, {"id": req["id"]}))["kycRequest"]["revision"]
    files = {"file": (filename, content, ctype)}
    if selfie:
        files["selfie"] = selfie
    return await org.http.post(path_of(url), data={"type": doc_type, "revision": str(revision), **fields}, files=files)


async def statuses(org, rid):
    req = (await org.gql(GET, {"id": rid}))["kycRequest"]
    return req["status"], [(d["type"], d["attempts"], d["status"]) for d in req["documents"]]


async def test_request_with_every_option(org):
    cid = await add_customer(org)
    req = await kyc_request(org, cid, [
        {"type": "IDENTITY_PROOF", "maxAttempts": 2, "faceProofRequired": True, "faceLivenessRequired": True, "signatureRequired": True},
        {"type": "ADDRESS_PROOF", "maxAttempts": 0}, {"type": "FUNDS_PROOF"}, {"type": "PURCHASE_PROOF"}, {"type": "CREDIT_FILE_PROOF"},
    ], verificationLevel="MODERATE", message="We need to verify your account", redirectUrl="https://shop.example/kyc",
        expirationTime=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    assert req["id"].startswith("kyc_req_") and req["status"] == "GATHERING" and req["verificationLevel"] == "MODERATE"
    assert req["url"].startswith("http://test/kyc/") and req["message"] == "We need to verify your account"
    assert [(d["type"], d["maxAttempts"]) for d in req["documents"]] == [
        ("IDENTITY_PROOF", 2), ("ADDRESS_PROOF", 0), ("FUNDS_PROOF", 3), ("PURCHASE_PROOF", 3), ("CREDIT_FILE_PROOF", 3)]
    page = await org.http.get(path_of(req["url"]))
    assert page.status_code == 200 and "We need to verify your account" in page.text and "Selfie" in page.text
    assert "The document shows my signature" in page.text and "Unlimited attempts" in page.text
    assert page.headers["cache-control"] == "no-store" and "<script" not in page.text


async def test_bad_request_input_reports_every_problem(org, store):
    cid = await add_customer(org)
    data = (await org.gql(CREATE, {"input": {"customerId": cid, "documents": [
        {"type": "ADDRESS_PROOF", "faceProofRequired": True, "maxAttempts": 101}, {"type": "ADDRESS_PROOF"}],
        "redirectUrl": "nope", "expirationTime": "2020-01-01T00:00:00Z"}}))["kycRequestCreate"]
    assert sorted((tuple(e["field"]), e["code"]) for e in data["userErrors"]) == sorted([
        (("documents", "0", "maxAttempts"), "INVALID"), (("documents", "0", "faceProofRequired"), "INVALID"),
        (("documents", "1", "type"), "DUPLICATE"), (("redirectUrl",), "INVALID_URL"), (("expirationTime",), "DATE_IN_PAST")])
    empty = (await org.gql(CREATE, {"input": {"customerId": "cus_01J00000000000000000000000", "documents": []}}))["kycRequestCreate"]
    assert sorted((tuple(e["field"]), e["code"]) for e in empty["userErrors"]) == [(("customerId",), "NOT_FOUND"), (("documents",), "REQUIRED")]
    assert await store.raw("kyc_requests").count_documents({}) == 0


async def test_sandbox_rules_accept_reject_with_each_reason_or_send_to_review(org):
    cid = await add_customer(org)
    req = await kyc_request(org, cid, [{"type": "IDENTITY_PROOF", "maxAttempts": 0}])
    cases = [
        ("passport-reject-document-expired.png", PNG, "image/png", "REJECTED", "DOCUMENT_EXPIRED"),
        ("id-reject-name-and-dob-mismatch.png", PNG, "image/png", "REJECTED", "NAME_AND_DOB_MISMATCH"),
        ("id-reject-tampered-document-scan.png", PNG, "image/png", "REJECTED", "TAMPERED_DOCUMENT"),
        ("id-reject-whatever.png", PNG, "image/png", "REJECTED", "OTHER"),
        ("tiny.png", b"\x89PNG\r\n\x1a\n", "image/png", "REJECTED", "DOCUMENT_UNREADABLE"),
        ("scan.pdf", PDF, "application/pdf", "PENDING", None),  # a photocopy scores 85 < 90 (STRICT)
        ("please-review.png", PNG, "image/png", "PENDING", None),
    ]
    for name, content, ctype, status, reason in cases:
        response = await page_upload(org, req, "IDENTITY_PROOF", name, content, ctype)
        assert response.status_code == 200, (name, response.text)
        doc = (await org.gql(DOCS, {"id": cid}))["customer"]["kycDocuments"][0]
        assert (doc["status"], doc["rejectionReason"]) == (status, reason), name
    assert await statuses(org, req["id"]) == ("PENDING_REVIEW", [("IDENTITY_PROOF", 7, "PENDING_REVIEW")])
    moderate = await kyc_request(org, cid, [{"type": "IDENTITY_PROOF"}], verificationLevel="MODERATE")
    await page_upload(org, moderate, "IDENTITY_PROOF", "scan.pdf", PDF, "application/pdf")
    assert await statuses(org, moderate["id"]) == ("FULFILLED", [("IDENTITY_PROOF", 1, "ACCEPTED")])
    doc = (await org.gql(DOCS, {"id": cid}))["customer"]["kycDocuments"][0]
    assert (doc["score"], doc["analysedBy"], doc["uploadedBy"], doc["subtype"]) == (85, "SANDBOX", "CUSTOMER", "PASSPORT")
    assert doc["files"][0]["contentType"] == "application/pdf" and doc["files"][0]["size"] == len(PDF)
    download = await org.http.get(f"/files/{doc['files'][0]['fileId']}", headers={"Authorization": f"Bearer {org.read_key}"})
    assert download.status_code == 200 and download.content == PDF


async def test_attempts_count_against_max_attempts_then_the_request_fails(org):
    cid = await add_customer(org)
    req = await kyc_request(org, cid, [{"type": "IDENTITY_PROOF", "maxAttempts": 2}, {"type": "ADDRESS_PROOF"}],
                            redirectUrl="https://shop.example/kyc")
    await page_upload(org, req, "IDENTITY_PROOF", "a-reject-document-expired.png", revision=1)
    assert await statuses(org, req["id"]) == ("ATTEMPTED", [("IDENTITY_PROOF", 1, "OPEN"), ("ADDRESS_PROOF", 0, "OPEN")])
    await page_upload(org, req, "ADDRESS_PROOF", "bill.png")
    assert (await statuses(org, req["id"]))[0] == "PARTIAL"
    last = await page_upload(org, req, "IDENTITY_PROOF", "b-reject-document-expired.png")
    assert "No attempts left" in last.text
    assert await statuses(org, req["id"]) == ("FAILED", [("IDENTITY_PROOF", 2, "FAILED"), ("ADDRESS_PROOF", 1, "ACCEPTED")])
    more = await page_upload(org, req, "IDENTITY_PROOF", "c.png")
    assert more.status_code == 200 and "No attempts left" in more.text  # a failed request shows what happened, takes nothing
    assert len((await org.gql(DOCS, {"id": cid}))["customer"]["kycDocuments"]) == 3
    events = [(e["node"]["kind"], e["node"].get("status")) for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert [s for k, s in events if k == "KYC_REQUEST_CHANGED"] == ["FAILED", "PARTIAL", "ATTEMPTED"]
    assert [s for k, s in events if k == "KYC_DOCUMENT_UPLOADED"] == ["REJECTED", "ACCEPTED", "REJECTED"]


async def test_upload_page_checks_files_selfie_signature_replays_and_expiry(org, store):
    cid = await add_customer(org)
    req = await kyc_request(org, cid, [{"type": "IDENTITY_PROOF", "faceLivenessRequired": True, "signatureRequired": True}])
    no_sig = await page_upload(org, req, "IDENTITY_PROOF", selfie=("me.png", PNG, "image/png"))
    assert no_sig.status_code == 400 and "signature" in no_sig.text
    no_selfie = await page_upload(org, req, "IDENTITY_PROOF", signature="yes")
    assert no_selfie.status_code == 400 and "selfie is required" in no_selfie.text.lower()
    wrong = await page_upload(org, req, "IDENTITY_PROOF", "id.gif", b"GIF89a" + b"0" * 200, "image/gif", signature="yes",
                              selfie=("me.png", PNG, "image/png"))
    assert wrong.status_code == 400 and "not accepted here" in wrong.text
    lying = await page_upload(org, req, "IDENTITY_PROOF", "id.png", PDF, "image/png", signature="yes", selfie=("me.png", PNG, "image/png"))
    assert lying.status_code == 400 and "eclared as image/png but the content is application/pdf" in lying.text
    assert await statuses(org, req["id"]) == ("GATHERING", [("IDENTITY_PROOF", 0, "OPEN")])
    spoof = await page_upload(org, req, "IDENTITY_PROOF", signature="yes", selfie=("spoof-photo.png", PNG, "image/png"))
    assert spoof.status_code == 200 and "was not accepted" in spoof.text
    doc = (await org.gql(DOCS, {"id": cid}))["customer"]["kycDocuments"][0]
    assert doc["rejectionReason"] == "TAMPERED_DOCUMENT" and [f["role"] for f in doc["files"]] == ["DOCUMENT", "SELFIE"]
    replay = await page_upload(org, req, "IDENTITY_PROOF", signature="yes", selfie=("me.png", PNG, "image/png"), revision=1)
    assert replay.status_code == 409 and "nothing was counted" in replay.text
    assert (await statuses(org, req["id"]))[1] == [("IDENTITY_PROOF", 1, "OPEN")]
    await store.raw("kyc_requests").update_one({"id": req["id"]}, {"$set": {"expiresTime": datetime.now(UTC) - timedelta(seconds=1)}})
    late = await page_upload(org, req, "IDENTITY_PROOF", signature="yes", selfie=("me.png", PNG, "image/png"))
    assert late.status_code == 410 and "expired" in late.text
    assert (await statuses(org, req["id"]))[0] == "ABANDONED"
    assert len((await org.gql(DOCS, {"id": cid}))["customer"]["kycDocuments"]) == 1
    fresh = await kyc_request(org, cid, [{"type": "ADDRESS_PROOF"}])
    await store.raw("kyc_requests").update_one({"id": fresh["id"]}, {"$set": {"expiresTime": datetime.now(UTC) - timedelta(seconds=1)}})
    assert (await org.http.get(path_of(fresh["url"]))).status_code == 410
    assert (await statuses(org, fresh["id"]))[0] == "EXPIRED"
    assert (await org.http.get("/kyc/not-a-token")).status_code == 404


async def upload_on_behalf(org, cid, filename="bill.png", content=PNG, ctype="image/png", doc_type="ADDRESS_PROOF", **fields):
    operations = {"query": UPLOAD, "variables": {"input": {"customerId": cid, "type": doc_type, "file": None, **fields}}}
    response = await org.http.post("/graphql", headers={"Authorization": f"Bearer {org.write_key}", "Apollo-Require-Preflight": "true"},
                                   data={"operations": orjson.dumps(operations).decode(), "map": '{"0": ["variables.input.file"]}'},
                                   files={"0": (filename, content, ctype)})
    assert response.status_code == 200, response.text
    return response.json()["data"]["kycDocumentUpload"]


async def test_operator_uploads_on_the_customers_behalf_and_reviews(org):
    cid = await add_customer(org)
    up = await upload_on_behalf(org, cid, subtype="UTILITY_BILL")
    assert up["userErrors"] == [] and up["kycDocument"]["status"] == "ACCEPTED"
    assert up["kycDocument"]["uploadedBy"] != "CUSTOMER" and up["kycDocument"]["requestId"] is None
    funds = await upload_on_behalf(org, cid, "salary.pdf", PDF, "application/pdf", doc_type="FUNDS_PROOF")
    doc = funds["kycDocument"]
    assert (doc["status"], doc["score"], doc["analysedBy"]) == ("PENDING", None, None)  # funds proofs are reviewed by hand
    review = (await org.gql(REVIEW, {"input": {"id": doc["id"]}}))["kycDocumentReviewStart"]["kycDocument"]
    assert review["reviewStartTime"] and review["reviewerName"] and review["status"] == "PENDING"
    rejected = (await org.gql(REJECT, {"input": {"id": doc["id"], "reason": "DOCUMENT_NOT_MATCHING", "message": "Wrong person",
                                                 "expectedRevision": review["revision"]}}))["kycDocumentReject"]["kycDocument"]
    assert (rejected["status"], rejected["rejectionReason"], rejected["rejectionMessage"]) == ("REJECTED", "DOCUMENT_NOT_MATCHING", "Wrong person")
    stale = (await org.gql(ACCEPT, {"input": {"id": doc["id"], "expectedRevision": 1}}))["kycDocumentAccept"]
    assert [(e["field"], e["code"]) for e in stale["userErrors"]] == [(["expectedRevision"], "REVISION_CONFLICT")]
    accepted = (await org.gql(ACCEPT, {"input": {"id": doc["id"]}}))["kycDocumentAccept"]["kycDocument"]
    assert accepted["status"] == "ACCEPTED" and accepted["rejectionReason"] is None and accepted["reviewTime"]
    again = (await org.gql(ACCEPT, {"input": {"id": doc["id"]}}))["kycDocumentAccept"]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_STATUS"]
    listed = (await org.gql(DOCS, {"id": cid}))["customer"]["kycDocuments"]
    assert [d["type"] for d in listed] == ["FUNDS_PROOF", "ADDRESS_PROOF"]
    bad = await upload_on_behalf(org, cid, "x.txt", b"hello", "text/plain", doc_type="IDENTITY_PROOF")
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [(["file"], "UNSUPPORTED_FILE_TYPE")]


async def test_manual_accept_completes_a_request_waiting_for_review(org):
    cid = await add_customer(org)
    req = await kyc_request(org, cid, [{"type": "FUNDS_PROOF"}], redirectUrl="https://shop.example/kyc")
    page = await page_upload(org, req, "FUNDS_PROOF", "slip.pdf", PDF, "application/pdf")
    assert "being reviewed" in page.text and "info=manual" in page.text
    assert (await statuses(org, req["id"]))[0] == "PENDING_REVIEW"
    doc_id = (await org.gql(DOCS, {"id": cid}))["customer"]["kycDocuments"][0]["id"]
    await org.gql(ACCEPT, {"input": {"id": doc_id}})
    assert await statuses(org, req["id"]) == ("FULFILLED", [("FUNDS_PROOF", 1, "ACCEPTED")])
    done = await org.http.get(path_of(req["url"]))
    assert "every document is accepted" in done.text and "info=success" in done.text


async def test_aml_screening_is_off_until_the_add_on_is_activated(org, store):
    # these tests run with the default settings: AML_SCREENING_ENABLED is false (tests/compliance/test_aml.py turns it on)
    cid = await add_customer(org, firstName="Zoltan", lastName="Krevisky")
    data = await org.gql("query($id: ID!) { customer(id: $id) { amlChecks { id } } }", {"id": cid})
    assert data["customer"]["amlChecks"] == []
    assert await store.raw("aml_schedules").count_documents({}) == 0
