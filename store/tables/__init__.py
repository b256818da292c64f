"""The `tables` context's collections: saved segments, data exports (and their files), merges, the
duplicate ranking."""

from __future__ import annotations

from store.tables import duplicate_ranking, exports, merges, segments

INDEXES = {
    segments.COLLECTION: segments.INDEXES,
    **exports.INDEXES,
    **merges.INDEXES,
    **duplicate_ranking.INDEXES,
}
