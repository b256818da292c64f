"""Store of the `compliance` context: KYC requests and documents, AML checks and their schedule."""

from __future__ import annotations

from store.compliance import aml, kyc

INDEXES = {
    kyc.REQUESTS: kyc.REQUEST_INDEXES,
    kyc.DOCUMENTS: kyc.DOCUMENT_INDEXES,
    aml.CHECKS: aml.CHECK_INDEXES,
    aml.SCHEDULES: aml.SCHEDULE_INDEXES,
}
