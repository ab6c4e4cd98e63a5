"""Telling recipients that something happened, without saying what: enqueue an email per
recipient who wants one now, a digest item for those who asked for quiet, and a webhook.
Called inside the transaction of the act itself, so the notice commits with it."""

from django.conf import settings

from tipline.jobs.models import DigestItem
from tipline.jobs.notify import Notice


def announce(channel, event: str, seconds_left: int | None = None) -> None:
    from tipline.jobs import tasks  # the task module imports models that import this one

    notice = Notice(event=event, channel=channel.name, seconds_left=seconds_left)
    recipients = channel.recipients.filter(is_active=True, email_notifications=True).exclude(email="")
    urgent = event not in ("new-tip", "new-message")
    now_ids = [user.pk for user in recipients if urgent or not user.quiet_digest]
    DigestItem.objects.bulk_create(
        DigestItem(recipient=user, channel_name=channel.name, event=event)
        for user in recipients if not urgent and user.quiet_digest
    )
    if now_ids and settings.EMAIL_ENABLED:
        tasks.send_notice_email.enqueue(notice.event, notice.channel, notice.seconds_left, now_ids)
    if settings.WEBHOOK_URL:
        tasks.send_webhook.enqueue(notice.event, notice.channel, notice.seconds_left, 1)


def announce_to_admins(channel, event: str, seconds_left: int | None = None) -> None:
    """An overdue duty concerns those who run the tip line, not only the channel's recipients."""
    from tipline.accounts.models import User
    from tipline.jobs import tasks

    admins = User.objects.filter(is_staff=True, is_active=True, email_notifications=True).exclude(email="")
    ids = list(admins.values_list("pk", flat=True))
    if ids and settings.EMAIL_ENABLED:
        tasks.send_notice_email.enqueue(event, channel.name, seconds_left, ids)
