"""An invoice as a PDF (fpdf2, core fonts: text outside Latin-1 is shown as `?`), and its download
route `GET /invoices/{id}.pdf` (the same API key as the GraphQL API; another organization's invoice is
404)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from resolvers.auth import KeyCache, bearer_secret
from schema.common import minor_to_decimal
from store.billing import invoices
from store.customers import customers
from store.db import Doc, Store
from store.ids import type_of_id


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _amount(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "-"


def customer_name(customer: Doc | None) -> str:
    if customer is None:
        return ""
    name = " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p)
    return name or customer.get("organization") or customer.get("email") or customer["id"]


def invoice_pdf(inv: Doc, customer: Doc | None) -> bytes:
    """The invoice's PDF: header, customer, dates, one row per line, the totals and the notes."""
    cur = inv["currency"]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(_latin(f"Invoice {inv.get('invoiceNumber') or inv['id']}"))
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _latin(f"Invoice #{inv.get('invoiceNumber')}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in (
        ("Invoice ID", inv["id"]),
        ("Status", inv["status"].replace("_", " ").title()),
        ("Customer", f"{customer_name(customer)} ({inv['customerId']})"),
        ("Email", (customer or {}).get("email") or "-"),
        ("Order", inv.get("orderId") or "-"),
        ("Issued", _date(inv.get("issuedTime"))),
        ("Due", _date(inv.get("dueTime"))),
        ("Paid", _date(inv.get("paidTime"))),
    ):
        pdf.cell(35, 6, _latin(f"{label}:"))
        pdf.cell(0, 6, _latin(str(value)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (90, 30, 20, 40)
    pdf.set_font("Helvetica", "B", 10)
    for width, head in zip(widths, ("Description", "Unit price", "Qty", "Amount"), strict=True):
        pdf.cell(width, 7, head, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for item in inv["items"]:
        sign = "-" if item["type"] == "CREDIT" else ""
        row = (item["description"][:60], item["unitPrice"], str(item["quantity"]), sign + _amount(item["amountMinor"], cur))
        for width, value in zip(widths, row, strict=True):
            pdf.cell(width, 6, _latin(value))
        pdf.ln()
        if item.get("periodStartTime") and item.get("periodEndTime"):
            pdf.set_font("Helvetica", "I", 8)
            pdf.cell(0, 5, _latin(f"   service period {_date(item['periodStartTime'])} - {_date(item['periodEndTime'])}"),
                     new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10)
    pdf.ln(3)
    due = inv["totalMinor"] - inv.get("paidMinor", 0) if inv["status"] in invoices.PAYABLE else 0
    rate = (inv.get("shippingDetails") or {}).get("rateName")
    shipping = _latin(f"Shipping ({rate[:40]})") if rate else "Shipping"
    for label, minor in (("Subtotal", inv["subtotalMinor"]), ("Discount", inv.get("discountMinor", 0)),
                         (shipping, inv.get("shippingMinor", 0)), ("Tax", inv.get("taxMinor", 0)),
                         ("Total", inv["totalMinor"]), ("Paid", inv.get("paidMinor", 0)),
                         ("Refunded", inv.get("refundedMinor", 0)), ("Amount due", due)):
        pdf.set_font("Helvetica", "B" if label in ("Total", "Amount due") else "", 10)
        pdf.cell(140, 6, f"{label}:", align="R")
        pdf.cell(40, 6, _amount(minor, cur), align="R", new_x="LMARGIN", new_y="NEXT")
    if inv.get("notes"):
        pdf.ln(4)
        pdf.set_font("Helvetica", "I", 10)
        pdf.multi_cell(0, 5, _latin(inv["notes"][:4000]))
    return bytes(pdf.output())


def invoice_filename(inv: Doc) -> str:
    return f"invoice-{inv.get('invoiceNumber') or inv['id']}.pdf"


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


def pdf_route(refs: dict[str, Any]) -> Any:
    async def download(request: Request) -> Response:
        keys: KeyCache = refs["keys"]
        store: Store = refs["store"]
        secret = bearer_secret(request.headers.get("authorization"))
        principal = await keys.principal(secret) if secret else None
        if principal is None:
            return _error(401, "UNAUTHENTICATED", "Send a valid API key: `Authorization: Bearer <key>`.")
        invoice_id = request.path_params["invoice_id"]
        org = store.for_org(principal.organization_id)
        inv = await invoices.get(org, invoice_id) if type_of_id(invoice_id) == "Invoice" else None
        if inv is None:
            return _error(404, "NOT_FOUND", f"no invoice {invoice_id} in this organization")
        body = invoice_pdf(inv, await customers.get(org, inv["customerId"]))
        headers = {"Content-Disposition": f'attachment; filename="{invoice_filename(inv)}"',
                   "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
        return Response(body, media_type="application/pdf", headers=headers)

    return download
