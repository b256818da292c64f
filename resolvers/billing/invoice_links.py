"""Hosted payment links pointed at an invoice: `invoicePaymentLinkCreate`, `invoicePaymentLink(id)`,
`Invoice.paymentLinks`. The page itself is resolvers/billing/invoice_page.py.

A link is made only for an issued invoice with an amount due whose currency a gateway account accepts; its
token is the hosted pages' scheme (an HMAC of the link id under `LINK_SECRET`, only its hash stored).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from resolvers.auth import mutation
from resolvers.billing import invoicing
from resolvers.context import Info, now
from resolvers.loaders import Loaders, forget, loader
from resolvers.money import money
from schema.billing.invoice_links import InvoicePaymentLink, InvoicePaymentLinkCreateInput, InvoicePaymentLinkCreatePayload
from schema.common import Problems, UserErrorCode
from store.activity import timeline
from store.billing import invoice_links, invoices
from store.ids import new_id
from store.money import gateway_accounts

MAX_LINK_HOURS = 720
MAX_LINKS_PER_INVOICE = 20


@loader
def invoice_payment_link_by_id(loaders: Loaders) -> DataLoader[str, InvoicePaymentLink | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[InvoicePaymentLink | None]:
        return [InvoicePaymentLink.from_doc(d) if d else None for d in await invoice_links.get_many(org, ids)]

    return DataLoader(load)


@loader
def invoice_payment_links_by_invoice_id(loaders: Loaders) -> DataLoader[str, list[InvoicePaymentLink]]:
    org = loaders.org

    async def load(ids: list[str]) -> list[list[InvoicePaymentLink]]:
        return [[InvoicePaymentLink.from_doc(d) for d in docs] for docs in await invoice_links.of_invoices(org, ids)]

    return DataLoader(load)


@strawberry.type
class InvoiceLinkQueries:
    @strawberry.field(description="One invoice payment link; null when there is none in this organization.")
    async def invoice_payment_link(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="`inv_lnk_…`")]
    ) -> InvoicePaymentLink | None:
        return await info.context.loaders.invoice_payment_link_by_id.load(str(id))


@strawberry.type
class InvoiceLinkMutations:
    @mutation("Makes a hosted payment link for an invoice with an amount due: share its `url` with the customer, who "
              "sees the invoice and pays it with a saved payment instrument or a new card (the guide's *Create an "
              "order*, collecting payment). A paid invoice activates its pending order.")
    async def invoice_payment_link_create(
        self, info: Info, input: InvoicePaymentLinkCreateInput
    ) -> InvoicePaymentLinkCreatePayload:
        ctx, problems, t = info.context, Problems(), now()
        invoice_id = str(input.invoice_id)
        inv = None
        if money.check_id(problems, ["invoiceId"], invoice_id, "Invoice", "in"):
            inv = await invoices.get(ctx.org, invoice_id)
            if inv is None:
                problems.add(["invoiceId"], f"no invoice {invoice_id} in this organization", UserErrorCode.NOT_FOUND)
        given = input.expires_in_hours
        if given is not None and not 1 <= given <= MAX_LINK_HOURS:
            problems.add(["expiresInHours"], f"must be between 1 and {MAX_LINK_HOURS}", UserErrorCode.INVALID)
        if inv is not None:
            if inv["status"] not in invoices.PAYABLE:
                hint = "; issue it first" if inv["status"] == "DRAFT" else ""
                problems.add(["invoiceId"], f"a {inv['status']} invoice takes no payment{hint}", UserErrorCode.INVALID_STATUS)
            elif inv["totalMinor"] - inv.get("paidMinor", 0) <= 0:
                problems.add(["invoiceId"], "the invoice has nothing due", UserErrorCode.NOTHING_DUE)
            if await gateway_accounts.for_currency(ctx.org, inv["currency"]) is None:
                problems.add(["invoiceId"], f"no gateway account of this organization accepts {inv['currency']}",
                             UserErrorCode.CURRENCY_NOT_ACCEPTED)
            if await invoice_links.count_of_invoice(ctx.org, invoice_id) >= MAX_LINKS_PER_INVOICE:
                problems.add(["invoiceId"], f"the invoice has {MAX_LINKS_PER_INVOICE} payment links already",
                             UserErrorCode.TOO_MANY)
        if problems or inv is None:
            return InvoicePaymentLinkCreatePayload(payment_link=None, user_errors=problems.errors)
        hours = given if given is not None else ctx.settings.payment_link_hours
        link_id = new_id("inv_lnk")
        doc = {
            "id": link_id, "invoiceId": inv["id"], "customerId": inv["customerId"],
            "tokenHash": money.token_hash(money.link_token(ctx.settings, link_id)),
            "allowPartialPayment": input.allow_partial_payment, "expiresTime": t + timedelta(hours=hours),
            "transactionIds": [], "revision": 1, "createdTime": t, "updatedTime": t,
        }
        await invoice_links.insert(ctx.org, doc)
        await timeline.record(
            ctx.org, inv["customerId"], "INVOICE_PAYMENT_LINK_CREATED", ctx.actor(), t,
            {"invoiceId": inv["id"], "invoicePaymentLinkId": link_id},
            f"Payment link made for invoice #{inv.get('invoiceNumber')} "
            f"({invoicing.money_text(inv['totalMinor'] - inv.get('paidMinor', 0), inv['currency'])} due)",
        )
        forget(ctx.loaders.invoice_payment_links_by_invoice_id, inv["id"])
        return InvoicePaymentLinkCreatePayload(payment_link=InvoicePaymentLink.from_doc(doc), user_errors=[])
