"""Entity ids: a type prefix and a ULID (`cus_01J…`), readable in GraphiQL and time-sortable."""

from __future__ import annotations

from ulid import ULID

# Every prefix a generated id can carry, and the GraphQL type it names. Merchant-chosen customer ids
# may not start with one of these, so `node(id:)` can always tell the type from the id.
PREFIXES: dict[str, str] = {
    "cus": "Customer",
    "web": "Website",
    "tmln": "TimelineEvent",
    "org": "Organization",
    "key": "ApiKey",
    "usr": "User",
    "team": "Team",
    "file": "StoredFile",
    "ntf": "Notification",
    "log": "ApiLogEntry",
    "txn": "Transaction",
    "gwa": "GatewayAccount",
    "plink": "PaymentLink",
    "pout_req": "PayoutRequest",
    "inst": "PaymentInstrument",
    "blkl": "BlocklistEntry",
    "tag": "Tag",
    "job": "Job",
    # tables
    "seg": "Segment",
    "dexp": "DataExport",
    "mrg": "CustomerMerge",
    # billing (issue 11)
    "prod": "Product",
    "plan": "Plan",
    "ord": "Order",
    "in": "Invoice",
    "ordi": "OrderItem",
    "ini": "InvoiceItem",
    "mail": "EmailMessage",
    "use": "UsageRecord",  # billing clock (issue 12)
    "ship_rate": "ShippingRate",  # shipping rate tables (issue 11)
    "inv_lnk": "InvoicePaymentLink",  # hosted invoice payment links (issue 11)
    # links
    "dep_str": "DepositStrategy",
    "dep_props": "DepositCustomPropertySet",
    "dep_req": "DepositRequest",
    "bill_prt": "BillingPortal",
    "setup_lnk": "InstrumentSetupLink",
    "portal_lnk": "BillingPortalLink",
    # compliance
    "kyc_req": "KycRequest",
    "kyc_doc": "KycDocument",
    "aml_chk": "AmlCheck",
    "edd_log": "EddSearchLog",
    # billing III (issue 13): coupons, credit memos, quotes
    "cpn": "Coupon",
    "cpnr": "CouponRedemption",
    "crmm": "CreditMemo",
    "crmi": "CreditMemoItem",
    "qt": "Quote",
}


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{ULID()}"


def type_of_id(value: str) -> str | None:
    """The GraphQL type named by the id's prefix, or None when it has no known prefix."""
    head, sep, rest = value.partition("_")
    if not sep:
        return None
    second, sep2, _ = rest.partition("_")
    if sep2 and f"{head}_{second}" in PREFIXES:  # two-word prefixes such as `pout_req_…`
        return PREFIXES[f"{head}_{second}"]
    return PREFIXES.get(head)
