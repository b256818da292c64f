"""Store of the activity context: timeline events, notes and attachments, users and notifications, API logs."""

from store.activity import api_logs, files, notifications, timeline, users
from store.db import IndexList

# Every index of this context, by collection (created at start-up by store/indexes.py).
INDEXES: dict[str, IndexList] = {
    timeline.COLLECTION: timeline.INDEXES,
    users.COLLECTION: users.INDEXES,
    notifications.COLLECTION: notifications.INDEXES,
    api_logs.COLLECTION: api_logs.INDEXES,
    **files.INDEXES,
}
