"""Store of the money context: gateway accounts, transactions, payment links, payouts and payout requests."""

from store.db import IndexList
from store.money import gateway_accounts, idempotency, payment_links, payouts, transactions

# Every index of this context, by collection (created at start-up by store/indexes.py).
INDEXES: dict[str, IndexList] = {
    transactions.COLLECTION: transactions.INDEXES,
    gateway_accounts.COLLECTION: gateway_accounts.INDEXES,
    idempotency.COLLECTION: idempotency.INDEXES,
    payment_links.COLLECTION: payment_links.INDEXES,
    **payouts.INDEXES,
}
