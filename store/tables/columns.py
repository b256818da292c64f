"""The columns of each data table: name -> (description, how a stored document becomes a cell's text).

Pure functions over stored documents; the export writes cells with them, the API lists them
(`dataTableColumns`) and segments validate their `columns` against them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from iso4217 import Currency

from store.db import Doc

Cell = Callable[[Doc], str]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _major(amount_minor: int, currency: str) -> str:
    exponent = Currency(currency).exponent or 0
    return str(Decimal(amount_minor).scaleb(-exponent))


def field(path: str) -> Cell:
    keys = path.split(".")

    def cell(doc: Doc) -> str:
        value: Any = doc
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        return _text(value)

    return cell


def _revenue(doc: Doc) -> str:
    revenue = doc.get("revenue") or {}
    return "; ".join(f"{cur} {_major(v['amount'], cur)}" for cur, v in sorted(revenue.items()))


def _list(key: str) -> Cell:
    return lambda doc: "; ".join(str(x) for x in doc.get(key) or ())


def _amount(key: str) -> Cell:
    return lambda doc: _major(int(doc.get(key) or 0), doc["currency"]) if doc.get("currency") else ""


CUSTOMER_COLUMNS: dict[str, tuple[str, Cell]] = {
    "id": ("Customer id.", field("id")),
    "firstName": ("First name.", field("firstName")),
    "lastName": ("Last name.", field("lastName")),
    "email": ("Primary email.", field("email")),
    "emails": ("Every email, `; `-separated.", lambda d: "; ".join(e["value"] for e in d.get("emails") or ())),
    "phoneNumber": ("Primary phone number (E.164).", field("phoneNumber")),
    "organization": ("Organization.", field("organization")),
    "jobTitle": ("Job title.", field("jobTitle")),
    "dateOfBirth": ("Date of birth (YYYY-MM-DD).", field("dob")),
    "addressLine1": ("Address line 1.", field("address.line1")),
    "city": ("City.", field("address.city")),
    "region": ("Region.", field("address.region")),
    "postalCode": ("Postal code.", field("address.postalCode")),
    "country": ("Country (ISO alpha-2).", field("address.country")),
    "websiteId": ("Website id.", field("websiteId")),
    "tags": ("Tags, `; `-separated.", _list("tags")),
    "isLead": ("`true` while the customer has made no payment.", lambda d: _text(not d.get("paymentCount"))),
    "paymentCount": ("Number of approved payments.", field("paymentCount")),
    "lifetimeRevenue": ("Revenue per currency, e.g. `EUR 10.50; USD 3.00`.", _revenue),
    "lastPaymentTime": ("Time of the last payment (ISO 8601, UTC).", field("lastPaymentTime")),
    "createdTime": ("When the customer was added (ISO 8601, UTC).", field("createdTime")),
    "updatedTime": ("When the customer last changed (ISO 8601, UTC).", field("updatedTime")),
}
CUSTOMER_DEFAULT = ["id", "firstName", "lastName", "email", "country", "paymentCount", "lifetimeRevenue", "createdTime"]

TRANSACTION_COLUMNS: dict[str, tuple[str, Cell]] = {
    "id": ("Transaction id.", field("id")),
    "customerId": ("Customer id.", field("customerId")),
    "websiteId": ("Website id.", field("websiteId")),
    "type": ("SALE, REFUND, VOID or CREDIT.", field("type")),
    "status": ("Status, e.g. COMPLETED.", field("status")),
    "result": ("Result, e.g. APPROVED.", field("result")),
    "amount": ("Amount in major units (e.g. `10.50`).", _amount("amountMinor")),
    "currency": ("ISO 4217 currency.", field("currency")),
    "refundedAmount": ("Part refunded or voided, major units.", _amount("refundedMinor")),
    "description": ("Description.", field("description")),
    "gatewayAccountId": ("Gateway account id.", field("gatewayAccountId")),
    "paymentInstrumentId": ("Payment instrument id.", field("paymentInstrumentId")),
    "createdTime": ("When it was created (ISO 8601, UTC).", field("createdTime")),
    "processedTime": ("When it was processed (ISO 8601, UTC).", field("processedTime")),
}
TRANSACTION_DEFAULT = ["id", "customerId", "type", "status", "result", "amount", "currency", "createdTime"]

PAYABLE = ("UNPAID", "PARTIALLY_PAID", "PAST_DUE")


def _due(doc: Doc) -> str:
    if not doc.get("currency"):
        return ""
    due = int(doc.get("totalMinor") or 0) - int(doc.get("paidMinor") or 0) if doc.get("status") in PAYABLE else 0
    return _major(due, doc["currency"])


INVOICE_COLUMNS: dict[str, tuple[str, Cell]] = {
    "id": ("Invoice id.", field("id")),
    "invoiceNumber": ("Invoice number within the organization.", field("invoiceNumber")),
    "customerId": ("Customer id.", field("customerId")),
    "websiteId": ("Website id.", field("websiteId")),
    "orderId": ("The order that made it, if any.", field("orderId")),
    "type": ("INITIAL, RENEWAL, ONE_TIME or INTERIM.", field("type")),
    "status": ("Status, e.g. UNPAID, PAST_DUE, PAID.", field("status")),
    "currency": ("ISO 4217 currency.", field("currency")),
    "subtotal": ("Debit lines minus credit lines, major units.", _amount("subtotalMinor")),
    "discount": ("Coupon discounts, major units.", _amount("discountMinor")),
    "shipping": ("Shipping, major units.", _amount("shippingMinor")),
    "tax": ("Tax, major units.", _amount("taxMinor")),
    "total": ("Total, major units (e.g. `10.50`).", _amount("totalMinor")),
    "amountPaid": ("Paid so far, major units.", _amount("paidMinor")),
    "amountRefunded": ("Refunded so far, major units.", _amount("refundedMinor")),
    "amountDue": ("What remains to pay (0 unless UNPAID, PARTIALLY_PAID or PAST_DUE), major units.", _due),
    "periodNumber": ("The order period it bills (1 = the initial one).", field("periodNumber")),
    "issuedTime": ("When it was issued (ISO 8601, UTC).", field("issuedTime")),
    "dueTime": ("When payment is due (ISO 8601, UTC).", field("dueTime")),
    "paidTime": ("When it was paid in full (ISO 8601, UTC).", field("paidTime")),
    "voidedTime": ("When it was voided (ISO 8601, UTC).", field("voidedTime")),
    "createdTime": ("When it was made (ISO 8601, UTC).", field("createdTime")),
    "updatedTime": ("When it last changed (ISO 8601, UTC).", field("updatedTime")),
}
INVOICE_DEFAULT = ["id", "invoiceNumber", "customerId", "status", "total", "amountDue", "currency", "dueTime",
                   "createdTime"]

COLUMNS: dict[str, dict[str, tuple[str, Cell]]] = {
    "CUSTOMERS": CUSTOMER_COLUMNS, "TRANSACTIONS": TRANSACTION_COLUMNS, "INVOICES": INVOICE_COLUMNS}
DEFAULTS: dict[str, list[str]] = {
    "CUSTOMERS": CUSTOMER_DEFAULT, "TRANSACTIONS": TRANSACTION_DEFAULT, "INVOICES": INVOICE_DEFAULT}
MAX_COLUMNS = 50


def cells(table: str, columns: list[str]) -> list[Cell]:
    catalog = COLUMNS[table]
    return [catalog[c][1] for c in columns]
