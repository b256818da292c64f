"""Store of the customers context: customers and leads, websites, tags, tax IDs, lead sources, blocklists."""

from store.customers import blocklists, customers, tags, websites
from store.db import IndexList

# Every index of this context, by collection (created at start-up by store/indexes.py).
INDEXES: dict[str, IndexList] = {
    customers.COLLECTION: customers.INDEXES,
    websites.COLLECTION: websites.INDEXES,
    tags.COLLECTION: tags.INDEXES,
    blocklists.COLLECTION: blocklists.INDEXES,
}
