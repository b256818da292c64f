"""The activity context: timeline, notes and attachments, users and notifications, API logs, live events."""

from resolvers.activity import jobs, loaders
from resolvers.activity.subscriptions import ActivitySubscriptions
from resolvers.activity.timeline import TimelineMutations
from resolvers.activity.users import NotificationMutations, UserQueries
from schema.activity import notes  # registers the note and attachment event kinds
from schema.activity.timeline import EVENT_CLASSES
from schema.activity.users import Team, User

__all__ = ["EVENT_CLASSES", "ActivitySubscriptions", "NotificationMutations", "Team", "TimelineMutations", "User",
           "UserQueries", "jobs", "loaders", "notes"]
