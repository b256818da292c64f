"""The `tables` context's collections: saved segments, data exports (and their files)."""

from __future__ import annotations

from store.tables import exports, merges, segments

INDEXES = {
    segments.COLLECTION: segments.INDEXES,
    **exports.INDEXES,
    **merges.INDEXES,
}
