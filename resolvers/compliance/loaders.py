"""Loaders and node refetching of the compliance context."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from resolvers.context import Context
from resolvers.loaders import Loaders, loader
from resolvers.nodes import register_node
from schema.common import Node
from schema.compliance.aml import AmlCheck
from schema.compliance.edd import CustomerEdd, EddSearchLog
from schema.compliance.kyc import KycDocument, KycRequest
from store.compliance import aml, edd, kyc

KYC_DOCUMENTS_PER_CUSTOMER = 100
AML_CHECKS_PER_CUSTOMER = 100


@loader
def kyc_documents_by_customer_id(loaders: Loaders) -> DataLoader[str, list[KycDocument]]:
    """Each customer's KYC documents, newest first (at most 100): one query for the batch."""
    org = loaders.org

    async def load(ids: list[str]) -> list[list[KycDocument]]:
        lists = await kyc.of_customers(org, kyc.DOCUMENTS, list(ids), KYC_DOCUMENTS_PER_CUSTOMER)
        return [[KycDocument.from_doc(d) for d in docs] for docs in lists]

    return DataLoader(load)


@loader
def aml_checks_by_customer_id(loaders: Loaders) -> DataLoader[str, list[AmlCheck]]:
    """Each customer's AML checks, newest first (at most 100): one query for the batch."""
    org = loaders.org

    async def load(ids: list[str]) -> list[list[AmlCheck]]:
        lists = await aml.of_customers(org, list(ids), AML_CHECKS_PER_CUSTOMER)
        return [[AmlCheck.from_doc(d) for d in docs] for docs in lists]

    return DataLoader(load)


@loader
def edd_by_customer_id(loaders: Loaders) -> DataLoader[str, CustomerEdd | None]:
    """Each customer's EDD (None: never turned on): one query for the batch."""
    org = loaders.org

    async def load(ids: list[str]) -> list[CustomerEdd | None]:
        return [CustomerEdd.from_doc(d) if d else None for d in await edd.get_many(org, list(ids))]

    return DataLoader(load)


async def _aml_check(ctx: Context, i: str) -> Node | None:
    doc = await aml.get(ctx.org, i)
    return AmlCheck.from_doc(doc) if doc else None


async def _request(ctx: Context, i: str) -> Node | None:
    doc = await kyc.get(ctx.org, kyc.REQUESTS, i)
    return KycRequest.from_doc(doc) if doc else None


async def _document(ctx: Context, i: str) -> Node | None:
    doc = await kyc.get(ctx.org, kyc.DOCUMENTS, i)
    return KycDocument.from_doc(doc) if doc else None


register_node("KycRequest", _request)
register_node("KycDocument", _document)
register_node("AmlCheck", _aml_check)


async def _edd_log(ctx: Context, i: str) -> Node | None:
    doc = await edd.get_log(ctx.org, i)
    return EddSearchLog.from_doc(doc) if doc else None


register_node("EddSearchLog", _edd_log)
