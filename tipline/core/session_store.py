"""The session engine: Django's database sessions, except that an expired session is
destroyed, not merely ignored. The row holds sealed key material whose other half is the
browser's cookie: kept on disk after expiry, the two together would still open a tip key
or a private key. The worker deletes every expired row (jobs.tasks.purge_expired_sessions);
a request that brings an expired session deletes its row at once."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        key = self.session_key
        found = super()._get_session_from_db()
        if found is None and key:
            self.model.objects.filter(session_key=key, expire_date__lte=timezone.now()).delete()
        return found
