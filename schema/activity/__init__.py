"""The activity context: timeline events, notes and attachments, users and notifications, API logs."""
