"""The background tasks (django.tasks, run by `tipline worker`). Arguments are plain JSON
values: ids, a channel name, an event kind; never tip content."""

import logging
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone, translation

from tipline.accounts.models import User
from tipline.jobs import deadlines, duty_reminders, notify, retention
from tipline.jobs.models import DigestItem

log = logging.getLogger("tipline.jobs")


@task()
def scan_deadlines() -> int:
    """Tips' own deadlines and the answering duties, every minute."""
    now = timezone.now()
    return deadlines.scan(now) + duty_reminders.scan(now)


@task()
def purge_expired() -> int:
    return retention.purge_due(timezone.now())


@task()
def rotate_insider_keys() -> dict:
    """Keys of coming periods made ahead; private keys of past periods destroyed."""
    from tipline.insider.admin_services import rotate

    return rotate(actor="worker")


@task()
def send_notice_email(event: str, channel: str, seconds_left: int | None, recipient_ids: list[int]) -> int:
    notice = notify.Notice(event=event, channel=channel, seconds_left=seconds_left)
    users = list(User.objects.filter(pk__in=recipient_ids, is_active=True).exclude(email=""))
    for user in users:
        with translation.override(user.language):
            send_mail(notify.email_subject(notice), notify.email_body(notice), settings.DEFAULT_FROM_EMAIL, [user.email])
    return len(users)


@task()
def send_digests() -> int:
    items = list(DigestItem.objects.select_related("recipient"))
    by_recipient: dict[User, Counter] = {}
    for item in items:
        by_recipient.setdefault(item.recipient, Counter())[(item.channel_name, item.event)] += 1
    for user, counts in by_recipient.items():
        if user.is_active and user.email:
            with translation.override(user.language):
                send_mail(notify.digest_subject(), notify.digest_body(counts), settings.DEFAULT_FROM_EMAIL, [user.email])
    DigestItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    return len(by_recipient)


@task()
def send_webhook(event: str, channel: str, seconds_left: int | None, attempt: int) -> str:
    """POST the signed notice; on failure try again later with growing waits, a bounded number of times."""
    payload = notify.webhook_payload(notify.Notice(event=event, channel=channel, seconds_left=seconds_left))
    request = urllib.request.Request(
        settings.WEBHOOK_URL, data=payload, method="POST", headers=notify.webhook_headers(settings.WEBHOOK_SECRET, payload)
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return f"delivered ({response.status})"
    except (urllib.error.URLError, OSError) as failure:
        if attempt >= settings.WEBHOOK_MAX_ATTEMPTS:
            log.warning("webhook gave up after %d attempts: %s", attempt, failure.__class__.__name__)
            raise
        wait = timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
        send_webhook.using(run_after=timezone.now() + wait).enqueue(event, channel, seconds_left, attempt + 1)
        return f"attempt {attempt} failed ({failure.__class__.__name__}); retrying in {wait}"
