"""The email outbox's sender: messages are queued in `email_outbox`, then delivered over SMTP
(aiosmtplib) to the server the settings name. Without `SMTP_HOST` they stay QUEUED and say why;
`python -m resolvers.cli send-email` delivers the queue later."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from resolvers.settings import Settings
from store.billing import outbox
from store.db import Doc, OrgDb, Store
from store.ids import new_id

log = logging.getLogger("customer_graph.email")
NOT_CONFIGURED = "no SMTP server is configured (set SMTP_HOST); the message waits in the outbox"


def new_message(to: str, subject: str, body: str, t: datetime, *, invoice_id: str | None = None,
                attachment: tuple[str, bytes] | None = None) -> Doc:
    return {
        "id": new_id("mail"), "to": to, "subject": subject, "body": body, "invoiceId": invoice_id,
        "attachment": {"filename": attachment[0], "contentType": "application/pdf", "data": attachment[1]}
        if attachment else None,
        "status": "QUEUED", "attempts": 0, "lastError": None, "createdTime": t, "updatedTime": t, "sentTime": None,
    }


def mime(settings: Settings, doc: Doc) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = doc["to"]
    message["Subject"] = doc["subject"]
    message["Message-ID"] = f"<{doc['id']}@customer-graph>"
    message.set_content(doc["body"])
    att = doc.get("attachment")
    if att:
        message.add_attachment(bytes(att["data"]), maintype="application", subtype="pdf", filename=att["filename"])
    return message


async def deliver(org: OrgDb, settings: Settings, message_id: str, t: datetime) -> Doc | None:
    """Sends one queued message if SMTP is configured (claimed first, so it is sent once); the message
    afterwards. Without SMTP settings it stays QUEUED with the reason."""
    if not settings.smtp_host:
        doc = await outbox.get(org, message_id)
        if doc is not None and doc["status"] == "QUEUED" and doc.get("lastError") != NOT_CONFIGURED:
            await org[outbox.COLLECTION].update_one({"id": message_id, "status": "QUEUED"},
                                                    {"$set": {"lastError": NOT_CONFIGURED}})
            doc["lastError"] = NOT_CONFIGURED
        return doc
    doc = await outbox.claim(org, message_id, t)
    if doc is None:
        return await outbox.get(org, message_id)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    options: dict[str, Any] = {"hostname": settings.smtp_host, "port": settings.smtp_port,
                               "timeout": settings.smtp_timeout_seconds, "start_tls": settings.smtp_starttls}
    if settings.smtp_username:
        options |= {"username": settings.smtp_username, "password": password}
    try:
        await aiosmtplib.send(mime(settings, doc), **options)
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("email %s not sent: %s", message_id, exc)
        return await outbox.finish(org, message_id, "FAILED", str(exc)[:500], t)
    return await outbox.finish(org, message_id, "SENT", None, t)


async def send_queued(store: Store, settings: Settings, t: datetime, limit: int = 500) -> int:
    """Delivers queued messages of every organization (the `send-email` command); returns how many were sent."""
    sent = 0
    for doc in await outbox.queued(store.db, limit):
        after = await deliver(store.for_org(doc["organizationId"]), settings, doc["id"], t)
        sent += bool(after and after["status"] == "SENT")
    return sent
