"""Alerts: the outbox of events (new tip, message, deadline, duty, escalation), the routes
admins configure (email, webhook, Slack, Teams, Matrix, ntfy), and their delivery."""
