"""AML checks: screening on sign-up (customer created), on purchase (first approved payment) and on a
recurring schedule, `Customer.amlChecks`, `amlCheck(id)`, and the review flow (`amlCheckReviewStart`,
`amlCheckReviewStop`, `amlCheckReview` → confirmed match / false positive). Each check and each review
step is on the customer's timeline.

Recurring work runs on the scheduler (resolvers/scheduler.py): every screened customer has one
`compliance.aml_recurring` job (key: the customer id) due `AML_RECURRING_DAYS` after its last check;
its handler screens the customer and returns the next due time. Durable and restart-safe through the
scheduler's leases; screening twice in a race only records one more check.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry

from resolvers.auth import mutation
from resolvers.compliance.aml_screening import PROVIDER, Person
from resolvers.context import Context, Info, now
from resolvers.customers.customers import AFTER_CREATE
from resolvers.loaders import forget
from resolvers.money import money
from resolvers.scheduler import JobRun, job_handler
from resolvers.settings import Settings
from schema.common import ClientError, Problems, UserErrorCode
from schema.compliance.aml import AmlCheck, AmlCheckPayload, AmlCheckReviewInput, AmlCheckReviewStartInput
from store import jobs
from store.activity import timeline
from store.compliance import aml
from store.customers import customers
from store.db import Doc, OrgDb
from store.ids import new_id, type_of_id

ACTOR = {"type": "SYSTEM", "id": None, "name": "AML screening"}
AML_RECURRING = "compliance.aml_recurring"


def _person(customer: Doc) -> Person:
    return Person(customer.get("firstName"), customer.get("lastName"), customer.get("dob"),
                  (customer.get("address") or {}).get("country"))


async def screen(
    org: OrgDb, customer: Doc, source: str, t: datetime, recurring_days: float, *, schedule_next: bool = True
) -> Doc:
    """Screens the customer now, records the check and its timeline event, and schedules the next one."""
    person = _person(customer)
    hits = await PROVIDER.screen(person)
    doc: Doc = {
        "id": new_id("aml_chk"), "customerId": customer["id"], "websiteId": customer.get("websiteId"), "source": source,
        "status": "PENDING_REVIEW" if hits else "NO_MATCH", "priority": hits[0].priority if hits else None,
        "provider": PROVIDER.name,
        "screened": {"firstName": person.first_name, "lastName": person.last_name, "dob": person.dob, "country": person.country},
        "hits": [{
            "entryId": h.entry_id, "firstName": h.first_name, "lastName": h.last_name, "entityType": h.entity_type,
            "source": h.source, "sourceTypes": list(h.source_types), "confidence": h.confidence, "priority": h.priority,
            "nameScore": h.name_score, "matchCriteria": list(h.match_criteria), "dob": h.dob, "country": h.country,
        } for h in hits],
        "noMatchReason": None if hits else "NO_HITS_FOUND",
        "reviewerName": None, "reviewStartTime": None, "reviewTime": None,
        "createdTime": t, "updatedTime": t, "revision": 1,
    }
    await aml.insert(org, doc)
    words = f"{len(hits)} possible match{'es' if len(hits) != 1 else ''}, priority {doc['priority']}" if hits else "no match"
    await timeline.record(org, customer["id"], "AML_CHECK_COMPLETED", ACTOR, t,
                          {"amlCheckId": doc["id"], "source": source, "status": doc["status"], "hitCount": len(hits),
                           "priority": doc["priority"]},
                          f"AML check ({source.lower().replace('_', '-')}): {words}")
    if schedule_next:
        due = t + timedelta(days=recurring_days)
        job = await jobs.schedule(org, AML_RECURRING, customer["id"], due, t)
        if job["dueTime"] != due:
            await jobs.reschedule(org, AML_RECURRING, customer["id"], due, t)
    return doc


async def on_customer_created(ctx: Context, customer: Doc, t: datetime) -> None:
    if ctx.settings.aml_screening_enabled:
        await screen(ctx.org, customer, "SIGN_UP", t, ctx.settings.aml_recurring_days)


async def on_first_payment(org: OrgDb, settings: Settings, customer: Doc, t: datetime) -> None:
    if settings.aml_screening_enabled:
        await screen(org, customer, "PURCHASE", t, settings.aml_recurring_days)


AFTER_CREATE.append(on_customer_created)
money.AFTER_FIRST_PAYMENT.append(on_first_payment)


@job_handler(AML_RECURRING)
async def recurring_check(run: JobRun) -> datetime | None:
    """The recurring screening of one customer (job key: the customer id); runs again in N days."""
    customer = await customers.get(run.org, run.job["key"])
    if customer is None:  # deleted since: nothing more to screen
        return None
    if run.settings.aml_screening_enabled:
        await screen(run.org, customer, "RECURRING", run.now, run.settings.aml_recurring_days, schedule_next=False)
    return run.now + timedelta(days=run.settings.aml_recurring_days)


async def _review(ctx: Context, check_id: str, from_statuses: list[str], revision: int | None, changes: dict[str, Any],
                  message: str, unset: tuple[str, ...] = ()) -> AmlCheckPayload:
    org, problems, t = ctx.org, Problems(), now()
    if not money.check_id(problems, ["id"], check_id, "AmlCheck", "aml_chk"):
        return AmlCheckPayload(aml_check=None, user_errors=problems.errors)
    current = await aml.get(org, check_id)
    if current is None:
        problems.add(["id"], f"no AML check {check_id} in this organization", UserErrorCode.NOT_FOUND)
        return AmlCheckPayload(aml_check=None, user_errors=problems.errors)
    if revision is not None and revision != current["revision"]:
        problems.add(["expectedRevision"], f"the check is at revision {current['revision']}", UserErrorCode.REVISION_CONFLICT)
        return AmlCheckPayload(aml_check=AmlCheck.from_doc(current), user_errors=problems.errors)
    if current["status"] not in from_statuses:
        problems.add(["id"], f"the check is {current['status']}", UserErrorCode.INVALID_STATUS)
        return AmlCheckPayload(aml_check=AmlCheck.from_doc(current), user_errors=problems.errors)
    actor = ctx.actor()
    doc = await aml.move(org, check_id, from_statuses, current["revision"], {**changes, "reviewerName": actor["name"]}, t, unset)
    if doc is None:
        problems.add(["id"], "the check changed meanwhile", UserErrorCode.REVISION_CONFLICT)
        return AmlCheckPayload(aml_check=None, user_errors=problems.errors)
    await timeline.record(org, doc["customerId"], "AML_CHECK_REVIEWED", actor, t,
                          {"amlCheckId": check_id, "status": doc["status"]}, message)
    forget(ctx.loaders.aml_checks_by_customer_id, doc["customerId"])
    return AmlCheckPayload(aml_check=AmlCheck.from_doc(doc), user_errors=[])


@strawberry.type
class AmlQueries:
    @strawberry.field(description="One AML check by id; null when there is none in this organization.")
    async def aml_check(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="AML check id.")]
    ) -> AmlCheck | None:
        if type_of_id(str(id)) != "AmlCheck":
            raise ClientError(f"{id} is not an AmlCheck id; expected `aml_chk_…`")
        doc = await aml.get(info.context.org, str(id))
        return AmlCheck.from_doc(doc) if doc else None


@strawberry.type
class AmlMutations:
    @mutation("Starts reviewing an AML check with possible matches (PENDING_REVIEW → IN_REVIEW).")
    async def aml_check_review_start(self, info: Info, input: AmlCheckReviewStartInput) -> AmlCheckPayload:
        return await _review(info.context, str(input.id), ["PENDING_REVIEW"], None,
                             {"status": "IN_REVIEW", "reviewStartTime": now()}, "AML check review started")

    @mutation("Stops reviewing an AML check without a decision (IN_REVIEW → PENDING_REVIEW).")
    async def aml_check_review_stop(self, info: Info, input: AmlCheckReviewStartInput) -> AmlCheckPayload:
        return await _review(info.context, str(input.id), ["IN_REVIEW"], None,
                             {"status": "PENDING_REVIEW", "reviewStartTime": None}, "AML check review stopped")

    @mutation("Decides an AML check: CONFIRMED_MATCH or FALSE_POSITIVE (from PENDING_REVIEW or IN_REVIEW).")
    async def aml_check_review(self, info: Info, input: AmlCheckReviewInput) -> AmlCheckPayload:
        decision = input.decision.name
        return await _review(info.context, str(input.id), ["PENDING_REVIEW", "IN_REVIEW"], input.expected_revision,
                             {"status": decision, "reviewTime": now()},
                             f"AML check reviewed: {decision.lower().replace('_', ' ')}")
