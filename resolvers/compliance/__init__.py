"""The `compliance` context: KYC requests and documents (with the hosted upload page, `kyc_page`), the
sandbox analysis provider (`kyc_analysis`)."""

from __future__ import annotations

from resolvers.compliance import aml, loaders
from resolvers.compliance.aml import AmlMutations, AmlQueries
from resolvers.compliance.kyc import KycMutations, KycQueries
from schema.compliance.aml import AmlCheck
from schema.compliance.kyc import KycDocument, KycRequest

QUERIES = (KycQueries, AmlQueries)
MUTATIONS = (KycMutations, AmlMutations)
SUBSCRIPTIONS: tuple[type, ...] = ()
__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "aml", "loaders"]
TYPES = (KycRequest, KycDocument, AmlCheck)
