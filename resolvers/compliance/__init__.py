"""The `compliance` context: KYC requests and documents (with the hosted upload page, `kyc_page`), the
sandbox analysis provider (`kyc_analysis`)."""

from __future__ import annotations

from resolvers.compliance import loaders
from resolvers.compliance.kyc import KycMutations, KycQueries
from schema.compliance.kyc import KycDocument, KycRequest

QUERIES = (KycQueries,)
MUTATIONS = (KycMutations,)
SUBSCRIPTIONS: tuple[type, ...] = ()
__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "loaders"]
TYPES = (KycRequest, KycDocument)
