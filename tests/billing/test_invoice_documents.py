"""Invoice PDFs (read back with poppler's `pdftotext`) and invoice emails through the outbox to a real
SMTP server on loopback (aiosmtpd), the PDF attached; without SMTP settings the email stays queued."""

from __future__ import annotations

import email
import socket
import subprocess
from email import policy
from pathlib import Path

import httpx2
import pytest
from aiosmtpd.controller import Controller

from resolvers.app import create_app
from resolvers.billing import mailer
from resolvers.context import now
from resolvers.settings import Settings
from tests.billing.helpers import ERR, add_plan, add_product, create_order
from tests.conftest import make_org
from tests.money_helpers import add_customer

EMAIL = f"""mutation($input: InvoiceEmailInput!) {{ invoiceEmail(input: $input) {{
  email {{ id to subject status statusReason attempts attachmentName sentTime invoiceId }} {ERR} }} }}"""
EMAILS = """query($id: ID!) { invoice(id: $id) { pdfPath emails { id status } } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 3, kinds: [INVOICE_EMAILED]) { edges { node { kind } } } } }"""


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True,
                          timeout=30).stdout


async def _invoice(org):
    cid = await add_customer(org, lastName="Lovelace", emails=[{"value": "ada@example.com", "primary": True}])
    plan = await add_plan(org, await add_product(org), name="Analytical engine",
                          pricing={"formula": "FLAT_RATE", "price": "12.50"})
    made = await create_order(org, cid, [{"planId": plan["id"], "quantity": 2}], autopay=False, notes="Net 30, thank you")
    return cid, made["invoice"]


async def test_the_pdf_download_has_the_invoice_text(org, other_org, tmp_path):
    _, invoice = await _invoice(org)
    path = (await org.gql(EMAILS, {"id": invoice["id"]}))["invoice"]["pdfPath"]
    response = await org.http.get(path, headers={"Authorization": f"Bearer {org.read_key}"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    for expected in (f"Invoice #{invoice['invoiceNumber']}", invoice["id"], "Ada Lovelace", "ada@example.com",
                     "Analytical engine × 2", "25.00 USD", "Amount due:", "Net 30, thank you"):
        assert expected in text, (expected, text)
    assert (await org.http.get(path)).status_code == 401
    assert (await other_org.http.get(path, headers={"Authorization": f"Bearer {other_org.read_key}"})).status_code == 404


async def test_without_smtp_settings_the_email_stays_queued_and_says_so(org):
    _, invoice = await _invoice(org)
    result = (await org.gql(EMAIL, {"input": {"invoiceId": invoice["id"]}}))["invoiceEmail"]
    assert result["userErrors"] == []
    message = result["email"]
    assert (message["status"], message["to"], message["sentTime"]) == ("QUEUED", "ada@example.com", None)
    assert "SMTP_HOST" in message["statusReason"]
    assert (await org.gql(EMAILS, {"id": invoice["id"]}))["invoice"]["emails"] == [{"id": message["id"], "status": "QUEUED"}]
    bad = (await org.gql(EMAIL, {"input": {"invoiceId": invoice["id"], "to": "not an email"}}))["invoiceEmail"]
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [(["to"], "INVALID_EMAIL")]


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


async def test_the_email_arrives_at_the_smtp_server_with_the_pdf_attached(store, smtp, tmp_path):
    port, sink = smtp
    settings = Settings(mongodb_uri=None, api_key_cache_seconds=0, smtp_host="127.0.0.1", smtp_port=port,
                        smtp_starttls=False, email_from="billing@shop.example")
    app = create_app(settings, store)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as http:
        org = await make_org(store, http, "Mailer")
        cid, invoice = await _invoice(org)
        result = (await org.gql(EMAIL, {"input": {"invoiceId": invoice["id"]}}))["invoiceEmail"]
        assert result["userErrors"] == []
        assert (result["email"]["status"], result["email"]["attempts"], result["email"]["statusReason"]) == ("SENT", 1, None)
        assert result["email"]["attachmentName"] == f"invoice-{invoice['invoiceNumber']}.pdf"
        kinds = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
        assert [e["node"]["kind"] for e in kinds] == ["INVOICE_EMAILED"]
    assert len(sink.messages) == 1
    message = email.message_from_bytes(sink.messages[0], policy=policy.default)
    assert (message["To"], message["From"], message["Subject"]) == (
        "ada@example.com", "billing@shop.example", f"Invoice #{invoice['invoiceNumber']}")
    parts = [p for p in message.iter_attachments()]
    assert [p.get_filename() for p in parts] == [f"invoice-{invoice['invoiceNumber']}.pdf"]
    assert "Analytical engine × 2" in pdf_text(parts[0].get_content(), tmp_path)


async def test_queued_emails_are_sent_once_an_smtp_server_is_configured(org, store, smtp):
    port, sink = smtp
    _, invoice = await _invoice(org)
    queued = (await org.gql(EMAIL, {"input": {"invoiceId": invoice["id"]}}))["invoiceEmail"]["email"]
    assert queued["status"] == "QUEUED"
    configured = Settings(mongodb_uri=None, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    assert await mailer.send_queued(store, configured, now()) == 1
    assert await mailer.send_queued(store, configured, now()) == 0  # sent once
    assert len(sink.messages) == 1
    assert (await org.gql(EMAILS, {"id": invoice["id"]}))["invoice"]["emails"] == [{"id": queued["id"], "status": "SENT"}]
