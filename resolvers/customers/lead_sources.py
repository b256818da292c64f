"""The customer's lead source: view it on `Customer.leadSource`, edit it here."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

import strawberry

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import INPUT, Info, forget, now
from resolvers.customers.customers import check_customer_id
from schema.common import Problems, UserErrorCode
from schema.customers.customers import Customer
from schema.customers.lead_sources import CustomerLeadSourceUpdateInput, CustomerLeadSourceUpdatePayload
from store.activity import timeline
from store.customers import customers, lead_sources
from store.errors import NotFound, RevisionConflict

URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_TEXT = 512
MAX_URL = 2083
MAX_RETRIES = 5
# input attribute -> stored field
TEXT_FIELDS = {
    "campaign": "campaign",
    "medium": "medium",
    "source": "source",
    "term": "term",
    "content": "content",
    "affiliate": "affiliate",
    "sub_affiliate": "subAffiliate",
    "sales_agent": "salesAgent",
    "click_id": "clickId",
    "path": "path",
}


def ip_address(problems: Problems, path: list[str | int], value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return ipaddress.ip_address(value.strip()).compressed
    except ValueError:
        problems.add(path, f"{value!r} is not an IPv4 or IPv6 address", UserErrorCode.INVALID_IP_ADDRESS)
        return None


def changes_of(problems: Problems, inp: CustomerLeadSourceUpdateInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, stored in TEXT_FIELDS.items():
        given = getattr(inp, attr)
        if given is not None:
            out[stored] = v.text(problems, [stored], given.value, MAX_TEXT)
    if inp.referrer is not None:
        url = v.text(problems, ["referrer"], inp.referrer.value, MAX_URL)
        if url and not URL_RE.match(url):
            problems.add(["referrer"], f"{url!r} is not an http(s) URL", UserErrorCode.INVALID_URL)
        out["referrer"] = url
    if inp.ip_address is not None:
        out["ipAddress"] = ip_address(problems, ["ipAddress"], inp.ip_address.value)
    return out


@strawberry.type
class LeadSourceMutations:
    @mutation(
        "Edits the customer's lead source (*Edit lead sources*): only given fields change, `null` clears."
    )
    async def customer_lead_source_update(
        self, info: Info, input: Annotated[CustomerLeadSourceUpdateInput, INPUT]
    ) -> CustomerLeadSourceUpdatePayload:
        ctx = info.context
        cid = str(input.customer_id)
        for _ in range(MAX_RETRIES):
            problems = Problems()
            if not check_customer_id(problems, ["customerId"], cid):
                return CustomerLeadSourceUpdatePayload(customer=None, user_errors=problems.errors)
            doc = await customers.get(ctx.org, cid)
            if doc is None:
                problems.add(
                    ["customerId"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND
                )
                return CustomerLeadSourceUpdatePayload(customer=None, user_errors=problems.errors)
            if input.expected_revision is not None and input.expected_revision != doc["revision"]:
                problems.add(
                    ["expectedRevision"],
                    f"the customer is at revision {doc['revision']}",
                    UserErrorCode.REVISION_CONFLICT,
                )
            changes = changes_of(problems, input)
            if problems:
                return CustomerLeadSourceUpdatePayload(customer=None, user_errors=problems.errors)
            current = doc.get("leadSource") or {}
            changed = sorted(k for k, val in changes.items() if current.get(k) != val)
            if not changed:
                return CustomerLeadSourceUpdatePayload(customer=Customer.from_doc(doc), user_errors=[])
            t = now()
            try:
                updated = await lead_sources.replace(
                    ctx.org, cid, doc["revision"], lead_sources.merged(current, changes, t), t
                )
            except RevisionConflict:
                if input.expected_revision is not None:
                    problems.add(
                        ["expectedRevision"],
                        "the customer changed meanwhile",
                        UserErrorCode.REVISION_CONFLICT,
                    )
                    return CustomerLeadSourceUpdatePayload(customer=None, user_errors=problems.errors)
                continue
            except NotFound:
                problems.add(
                    ["customerId"], f"no customer {cid} in this organization", UserErrorCode.NOT_FOUND
                )
                return CustomerLeadSourceUpdatePayload(customer=None, user_errors=problems.errors)
            await timeline.insert(
                ctx.org,
                timeline.event_doc(
                    cid,
                    updated["timelineSeq"],
                    "LEAD_SOURCE_CHANGED",
                    ctx.actor(),
                    t,
                    {"changedFields": changed},
                    "Lead source: changed " + ", ".join(changed),
                ),
            )
            forget(ctx.loaders.customer_by_id, cid)
            ctx.touched_customers.add(cid)
            return CustomerLeadSourceUpdatePayload(customer=Customer.from_doc(updated), user_errors=[])
        raise RuntimeError(f"customer {cid} kept changing during {MAX_RETRIES} attempts")
