"""Store of the `compliance` context: KYC requests and documents."""

from __future__ import annotations

from store.compliance import kyc

INDEXES = {kyc.REQUESTS: kyc.REQUEST_INDEXES, kyc.DOCUMENTS: kyc.DOCUMENT_INDEXES}
