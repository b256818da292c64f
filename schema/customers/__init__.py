"""The customers context: customers and leads, websites, tags, tax IDs, lead sources, blocklists."""
