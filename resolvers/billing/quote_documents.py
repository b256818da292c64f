"""A quote as a printable PDF (fpdf2, like invoice PDFs): items, subtotal, what acceptance invoices now
(CHANGE / REACTIVATION, e.g. the proration), payment terms and the signature line; downloaded at
`GET /quotes/{id}.pdf` with the same API key as the GraphQL API."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from starlette.requests import Request
from starlette.responses import Response

from resolvers.auth import KeyCache, bearer_secret
from resolvers.billing import quote_orders
from resolvers.billing.documents import _amount, _date, _error, _latin, customer_name
from resolvers.context import now
from store.billing import orders, quotes
from store.customers import customers
from store.db import Doc, Store
from store.ids import type_of_id


def quote_pdf(quote: Doc, customer: Doc | None, status: str, due: Doc | None = None) -> bytes:
    cur = quote["currency"]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(_latin(f"Quote {quote['id']}"))
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Quote", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in (("Quote ID", quote["id"]), ("Status", status.title()),
                         ("Customer", f"{customer_name(customer)} ({quote['customerId']})"),
                         ("Issued", _date(quote.get("issuedTime"))), ("Valid until", _date(quote.get("expirationTime")))):
        pdf.cell(35, 6, _latin(f"{label}:"))
        pdf.cell(0, 6, _latin(str(value)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (100, 20, 30, 30)
    pdf.set_font("Helvetica", "B", 10)
    for width, head in zip(widths, ("Plan", "Qty", "Billed", "Amount"), strict=True):
        pdf.cell(width, 7, head, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for item in quote["items"]:
        row = (item["name"][:60], str(item["quantity"]), item.get("recurring") or "once", _amount(item["amountMinor"], cur))
        for width, value in zip(widths, row, strict=True):
            pdf.cell(width, 6, _latin(value))
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(150, 6, "Subtotal:", align="R")
    pdf.cell(30, 6, _amount(quote["subtotalMinor"], cur), align="R", new_x="LMARGIN", new_y="NEXT")
    if due is not None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, _latin(f"Due on acceptance (as of {_date(due['effectiveTime'])})"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for li in due["items"]:
            sign = "-" if li["type"] == "CREDIT" else ""
            pdf.cell(150, 6, _latin(li["description"][:90]))
            pdf.cell(30, 6, sign + _amount(li["amountMinor"], cur), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(150, 6, "Amount due on acceptance:", align="R")
        pdf.cell(30, 6, _amount(due["dueMinor"], cur), align="R", new_x="LMARGIN", new_y="NEXT")
    if quote.get("couponIds"):
        pdf.set_font("Helvetica", "I", 9)
        pdf.cell(0, 6, _latin(f"Coupons applied on acceptance: {', '.join(quote['couponIds'])}"), new_x="LMARGIN",
                 new_y="NEXT")
    if quote.get("paymentTerms"):
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, "Payment terms", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, _latin(quote["paymentTerms"][:5000]))
    sig = quote.get("signature") or {}
    if sig.get("showSignatureLine"):
        pdf.ln(18)
        pdf.cell(90, 6, "_" * 45, new_x="LMARGIN", new_y="NEXT")
        pdf.cell(90, 6, _latin(sig.get("signatoryName") or "Signature"), new_x="LMARGIN", new_y="NEXT")
        pdf.cell(90, 6, "Date: ____________________", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def quote_pdf_route(refs: dict[str, Any], status_of: Any) -> Any:
    async def download(request: Request) -> Response:
        keys: KeyCache = refs["keys"]
        store: Store = refs["store"]
        secret = bearer_secret(request.headers.get("authorization"))
        principal = await keys.principal(secret) if secret else None
        if principal is None:
            return _error(401, "UNAUTHENTICATED", "Send a valid API key: `Authorization: Bearer <key>`.")
        quote_id = request.path_params["quote_id"]
        org = store.for_org(principal.organization_id)
        doc = await quotes.get(org, quote_id) if type_of_id(quote_id) == "Quote" else None
        if doc is None:
            return _error(404, "NOT_FOUND", f"no quote {quote_id} in this organization")
        status = status_of(doc)
        order = await orders.get(org, doc["orderId"]) if doc.get("orderId") and doc["type"] != "CREATION" else None
        due = await quote_orders.preview_of(org, doc, order, now()) if status in ("DRAFT", "ISSUED") else None
        body = quote_pdf(doc, await customers.get(org, doc["customerId"]), status, due)
        headers = {"Content-Disposition": f'attachment; filename="quote-{quote_id}.pdf"',
                   "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
        return Response(body, media_type="application/pdf", headers=headers)

    return download
