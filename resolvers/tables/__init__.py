"""The data tables: saved segments, the payments table, CSV exports."""

from __future__ import annotations

from resolvers.tables.payments import PaymentsTableQueries
from resolvers.tables.segments import SegmentMutations, SegmentQueries
from schema.tables.segments import Segment

QUERIES = (SegmentQueries, PaymentsTableQueries)
MUTATIONS = (SegmentMutations,)
SUBSCRIPTIONS = ()
TYPES = (Segment,)
