"""The `compliance` context: KYC requests and documents (with the hosted upload page, `kyc_page`), the
sandbox analysis provider (`kyc_analysis`)."""

from __future__ import annotations

from resolvers.compliance import aml, edd, kyc_expiry, loaders
from resolvers.compliance.aml import AmlMutations, AmlQueries
from resolvers.compliance.edd import EddMutations
from resolvers.compliance.kyc import KycMutations, KycQueries
from schema.compliance.aml import AmlCheck
from schema.compliance.edd import EddSearchLog
from schema.compliance.kyc import KycDocument, KycRequest

QUERIES = (KycQueries, AmlQueries)
MUTATIONS = (KycMutations, AmlMutations, EddMutations)
SUBSCRIPTIONS: tuple[type, ...] = ()
__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "aml", "edd", "kyc_expiry", "loaders"]
TYPES = (KycRequest, KycDocument, AmlCheck, EddSearchLog)
