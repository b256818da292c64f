"""The data tables: saved segments, the payments and Billing tables, CSV exports, merges, duplicates."""

from __future__ import annotations

from resolvers.tables import (
    loaders,
    worker,  # registers the export jobs' handlers
)
from resolvers.tables.duplicate_ranking import DuplicateRankingMutations, DuplicateRankingQueries
from resolvers.tables.duplicates import DuplicateQueries
from resolvers.tables.exports import DataExportMutations, DataExportQueries, export_download_route
from resolvers.tables.invoices import BillingTableQueries
from resolvers.tables.merges import MergeMutations, MergeQueries
from resolvers.tables.payments import PaymentsTableQueries
from resolvers.tables.segments import SegmentMutations, SegmentQueries
from schema.tables.exports import DataExport
from schema.tables.segments import Segment

QUERIES = (SegmentQueries, PaymentsTableQueries, BillingTableQueries, DataExportQueries, MergeQueries, DuplicateQueries,
           DuplicateRankingQueries)
MUTATIONS = (SegmentMutations, DataExportMutations, MergeMutations, DuplicateRankingMutations)
SUBSCRIPTIONS = ()
TYPES = (Segment, DataExport)

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "export_download_route", "loaders", "worker"]
