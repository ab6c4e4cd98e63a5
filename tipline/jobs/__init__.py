"""Background work: deadline alerts, content-free notifications, retention purge, and the
worker that schedules and runs them through django.tasks (database queue)."""
