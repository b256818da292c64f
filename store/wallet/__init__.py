"""Store of the wallet context: payment instruments (cards, bank accounts, other methods) and their details."""

from store.db import IndexList
from store.wallet import payment_instruments

# Every index of this context, by collection (created at start-up by store/indexes.py).
INDEXES: dict[str, IndexList] = {
    payment_instruments.COLLECTION: payment_instruments.INDEXES,
}
