"""Store of the `compliance` context: KYC requests and documents, AML checks, EDD profiles and search logs."""

from __future__ import annotations

from store.compliance import aml, edd, kyc

INDEXES = {
    kyc.REQUESTS: kyc.REQUEST_INDEXES,
    kyc.DOCUMENTS: kyc.DOCUMENT_INDEXES,
    aml.CHECKS: aml.CHECK_INDEXES,
    edd.PROFILES: edd.PROFILE_INDEXES,
    edd.LOGS: edd.LOG_INDEXES,
}
