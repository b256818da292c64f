"""The customers context: customers and leads, websites, tags, tax IDs, lead sources, blocklists."""

from resolvers.customers import loaders
from resolvers.customers.blocklists import BlocklistMutations, BlocklistQueries
from resolvers.customers.customers import CustomerMutations, CustomerQueries
from resolvers.customers.lead_sources import LeadSourceMutations
from resolvers.customers.tags import TagMutations, TagQueries
from resolvers.customers.tax_ids import TaxIdMutations
from resolvers.customers.websites import WebsiteMutations, WebsiteQueries
from schema.customers.blocklists import BlocklistEntry
from schema.customers.customers import Customer
from schema.customers.tags import Tag
from schema.customers.websites import Website

__all__ = [
    "BlocklistEntry", "BlocklistMutations", "BlocklistQueries", "Customer", "CustomerMutations", "CustomerQueries",
    "LeadSourceMutations", "Tag", "TagMutations", "TagQueries", "TaxIdMutations", "Website", "WebsiteMutations",
    "WebsiteQueries", "loaders",
]
