"""The session engine: Django's database sessions, except that an expired session is
destroyed, not merely ignored. The row holds sealed key material whose other half is the
browser's cookie: kept on disk after expiry, the two together would still open a tip key
or a private key. The worker deletes every expired row (jobs.tasks.purge_expired_sessions);
a request that brings an expired session deletes its row at once.

A tipster's session row keeps its expiry to the hour (rounded up), so that it does not
record the minute of their last request: it ends between SESSION_IDLE_MINUTES and an hour
more after that request, and when the browser closes."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        if f"sealed:{settings.TIPSTER_KEY_COOKIE_NAME}" in data:
            instance.expire_date = _next_hour(instance.expire_date)
        return instance

    def _get_session_from_db(self):
        key = self.session_key
        found = super()._get_session_from_db()
        if found is None and key:
            self.model.objects.filter(session_key=key, expire_date__lte=timezone.now()).delete()
        return found


def _next_hour(moment):
    on_the_hour = moment.replace(minute=0, second=0, microsecond=0)
    return on_the_hour if on_the_hour == moment else on_the_hour + timedelta(hours=1)
