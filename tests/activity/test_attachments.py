"""Attachments: multipart uploads into GridFS, type and size checks, authenticated streaming downloads."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from resolvers.settings import Settings
from store.activity import files, timeline
from tests.collab import add_customer, add_user, snapshot

LIMIT = 64 * 1024
ADD = """mutation($input: TimelineAttachmentAddInput!) {
  timelineAttachmentAdd(input: $input) {
    attachment { id kind message author { type } file { id filename contentType size sha256 downloadPath } }
    userErrors { field message code } } }"""

REMOVE = """mutation($input: TimelineAttachmentRemoveInput!) {
  timelineAttachmentRemove(input: $input) { removedId userErrors { field code } } }"""

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 5) { edges { node { kind message
  ... on AttachmentEvent { file { id } } ... on AttachmentRemovedEvent { attachmentId filename } } } } } }"""

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" * 40
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def settings() -> Settings:
    return Settings(mongodb_uri=None, api_key_cache_seconds=0, mask_errors=True, attachment_max_bytes=LIMIT)


async def upload(
    org,
    customer_id,
    content,
    filename="contract.pdf",
    content_type="application/pdf",
    description="Signed contract",
    *,
    key=None,
    preflight=True,
):
    operations = {
        "query": ADD,
        "variables": {"input": {"customerId": customer_id, "file": None, "description": description}},
    }
    headers = {"Authorization": f"Bearer {key or org.write_key}"}
    if preflight:
        headers["Apollo-Require-Preflight"] = "true"
    return await org.http.post(
        "/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0": ["variables.input.file"]}'},
        files={"0": (filename, content, content_type)},
        headers=headers,
    )


async def add(org, customer_id, content=PDF, **kwargs):
    response = await upload(org, customer_id, content, **kwargs)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]["timelineAttachmentAdd"]


async def test_multipart_upload_is_stored_checked_and_downloadable(org):
    cid = await add_customer(org)
    result = await add(org, cid)
    assert result["userErrors"] == []
    attachment = result["attachment"]
    assert attachment["kind"] == "ATTACHMENT" and attachment["message"] == "Signed contract"
    f = attachment["file"]
    assert f["filename"] == "contract.pdf" and f["contentType"] == "application/pdf" and f["size"] == len(PDF)
    assert f["sha256"] == hashlib.sha256(PDF).hexdigest() and f["downloadPath"] == f"/files/{f['id']}"

    response = await org.http.get(f["downloadPath"], headers={"Authorization": f"Bearer {org.read_key}"})
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(PDF))
    assert "contract.pdf" in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"

    events = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
    assert [e["node"]["kind"] for e in events] == ["ATTACHMENT", "CUSTOMER_CREATED"]


async def test_text_declared_as_csv_is_accepted_and_served_as_utf8(org):
    cid = await add_customer(org)
    csv = "name,amount\nAda,10.50\nZoë,3\n".encode()
    result = await add(org, cid, csv, filename="../../etc/export.csv", content_type="text/csv")
    assert result["userErrors"] == []
    f = result["attachment"]["file"]
    assert f["filename"] == "export.csv" and f["contentType"] == "text/csv"
    response = await org.http.get(f["downloadPath"], headers={"Authorization": f"Bearer {org.write_key}"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8" and response.content == csv


async def test_oversize_empty_and_wrong_type_uploads_are_refused_with_clear_errors(org, store):
    cid = await add_customer(org)
    before = await snapshot(store, timeline.COLLECTION, files.FILES, files.CHUNKS)
    cases = [
        (b"%PDF-" + b"0" * LIMIT, "application/pdf", "FILE_TOO_LARGE"),
        (b"", "text/plain", "FILE_EMPTY"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00program", "application/pdf", "UNSUPPORTED_FILE_TYPE"),
        (PDF, "application/x-msdownload", "UNSUPPORTED_FILE_TYPE"),
        (PNG, "application/pdf", "CONTENT_TYPE_MISMATCH"),
        (PDF, "image/png", "CONTENT_TYPE_MISMATCH"),
    ]
    for content, content_type, code in cases:
        result = await add(org, cid, content, content_type=content_type)
        assert result["attachment"] is None
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["file"], code)], content_type
    too_long = await add(org, cid, PDF, description="d" * 1001)
    assert [(e["field"], e["code"]) for e in too_long["userErrors"]] == [(["description"], "TOO_LONG")]
    assert await snapshot(store, timeline.COLLECTION, files.FILES, files.CHUNKS) == before


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(org):
    cid = await add_customer(org)
    response = await upload(org, cid, b"%PDF-" + b"0" * (LIMIT + 2 * 1024 * 1024))
    assert response.status_code == 413


async def test_multipart_without_a_preflight_header_is_refused_as_csrf(org, store):
    cid = await add_customer(org)
    before = await snapshot(store, timeline.COLLECTION, files.FILES)
    response = await upload(org, cid, PDF, preflight=False)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTED"
    form = await org.http.post(
        "/graphql",
        data={"query": "mutation { __typename }"},
        headers={"Authorization": f"Bearer {org.write_key}"},
    )
    assert form.status_code == 400 and form.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTED"
    text = await org.http.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"Authorization": f"Bearer {org.write_key}", "Content-Type": "text/plain"},
    )
    assert text.status_code == 400
    assert await snapshot(store, timeline.COLLECTION, files.FILES) == before


async def test_download_needs_a_key_and_never_serves_another_organizations_file(org, other_org):
    cid = await add_customer(org)
    path = (await add(org, cid))["attachment"]["file"]["downloadPath"]
    assert (await org.http.get(path)).status_code == 401
    assert (await org.http.get(path, headers={"Authorization": "Bearer cgk_wrong"})).status_code == 401
    foreign = await org.http.get(path, headers={"Authorization": f"Bearer {other_org.write_key}"})
    missing = await org.http.get(
        "/files/file_01J00000000000000000000000", headers={"Authorization": f"Bearer {other_org.write_key}"}
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == {
        "errors": [
            {
                "message": f"no file {path.rsplit('/', 1)[1]} in this organization",
                "extensions": {"code": "NOT_FOUND"},
            }
        ]
    }
    assert other_org.write_key not in foreign.text


async def test_upload_to_another_organizations_customer_is_not_found(org, other_org, store):
    foreign = await add_customer(other_org)
    result = await add(org, foreign)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["customerId"], "NOT_FOUND")]
    assert await store.raw(files.FILES).count_documents({}) == 0


async def test_removing_an_attachment_deletes_its_file(org, store):
    cid = await add_customer(org)
    attachment = (await add(org, cid))["attachment"]
    data = await org.gql(REMOVE, {"input": {"id": attachment["id"]}})
    assert data["timelineAttachmentRemove"] == {"removedId": attachment["id"], "userErrors": []}
    assert await store.raw(files.FILES).count_documents({}) == 0
    assert await store.raw(files.CHUNKS).count_documents({}) == 0
    response = await org.http.get(
        attachment["file"]["downloadPath"], headers={"Authorization": f"Bearer {org.write_key}"}
    )
    assert response.status_code == 404
    events = [e["node"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert events[0] == {
        "kind": "ATTACHMENT_REMOVED",
        "message": "Removed contract.pdf",
        "attachmentId": attachment["id"],
        "filename": "contract.pdf",
    }
    assert [e["kind"] for e in events] == ["ATTACHMENT_REMOVED", "CUSTOMER_CREATED"]


async def test_only_the_author_removes_an_attachment_and_other_organizations_cannot(org, other_org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    cid = await add_customer(org)
    attachment = (await add(org, cid, key=ada.key))["attachment"]
    before = await snapshot(store, timeline.COLLECTION, files.FILES, files.CHUNKS)
    mine_not = await org.gql(REMOVE, {"input": {"id": attachment["id"]}})
    assert mine_not["timelineAttachmentRemove"]["userErrors"] == [{"field": ["id"], "code": "NOT_AUTHOR"}]
    foreign = await other_org.gql(REMOVE, {"input": {"id": attachment["id"]}})
    assert foreign["timelineAttachmentRemove"]["userErrors"] == [{"field": ["id"], "code": "NOT_FOUND"}]
    assert await snapshot(store, timeline.COLLECTION, files.FILES, files.CHUNKS) == before
    done = await org.gql(REMOVE, {"input": {"id": attachment["id"]}}, key=ada.key)
    assert done["timelineAttachmentRemove"]["userErrors"] == []


async def test_a_file_written_into_the_query_text_is_refused_clearly(org):
    data = await org.gql(
        'mutation($c: ID!) { timelineAttachmentAdd(input: {customerId: $c, file: "not-a-file", description: "x"}) '
        "{ attachment { id } userErrors { field code message } } }",
        {"c": (await org.gql('mutation($w: ID!) { customerCreate(input: {websiteId: $w}) { customer { id } } }',
                             {"w": org.website_id}))["customerCreate"]["customer"]["id"]},
    )
    assert data["timelineAttachmentAdd"]["attachment"] is None
    assert data["timelineAttachmentAdd"]["userErrors"] == [{"field": ["file"], "code": "INVALID",
        "message": "send the file as a multipart upload (a variable mapped to a file part)"}]
