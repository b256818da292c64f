"""Due work of quotes, run by the scheduler (resolvers/scheduler.py): an ISSUED quote becomes EXPIRED
at its expiration time. Until the job has run, reads already show EXPIRED (`quotes.quote_status`)."""

from __future__ import annotations

from datetime import datetime

from resolvers.scheduler import JobRun, job_handler
from store.activity import timeline
from store.billing import quotes

QUOTE_EXPIRY = "billing.quote_expiry"
SYSTEM = {"type": "SYSTEM", "id": None, "name": "Billing"}


def job_key(quote_id: str, issued: datetime) -> str:
    """One job per issue of a quote (a recalled and reissued quote gets a new one)."""
    return f"{quote_id}:{issued.isoformat()}"


@job_handler(QUOTE_EXPIRY)
async def expire_quote(run: JobRun) -> datetime | None:
    """Expires the quote if it is still ISSUED and due; runs again at a later expiration time; done otherwise."""
    doc = await quotes.get(run.org, run.payload["quoteId"])
    if doc is None or doc["status"] != "ISSUED" or doc.get("issuedTime") != run.payload.get("issuedTime"):
        return None
    if doc["expirationTime"] > run.now:
        return doc["expirationTime"]
    after = await quotes.transition(run.org, doc["id"], {"status": "ISSUED", "acceptance": None,
                                                         "revision": doc["revision"]},
                                    {"status": "EXPIRED", "expiredTime": run.now}, run.now)
    if after is None:  # accepted, rejected or changed meanwhile: look again soon
        return run.now if (await quotes.get(run.org, doc["id"]) or {}).get("status") == "ISSUED" else None
    await timeline.record(run.org, doc["customerId"], "QUOTE_EXPIRED", SYSTEM, run.now,
                          {"quoteId": doc["id"], "amountMinor": doc["subtotalMinor"], "currency": doc["currency"]},
                          "Quote expired")
    return None
