"""The periodic background tasks (django.tasks, run by `tipline worker`). Alerts are not
tasks: the worker delivers the outbox itself (tipline.alerts.delivery), under leases."""

import logging
from collections import Counter

from django.db.models import Count
from django.tasks import task
from django.utils import timezone, translation

from tipline.alerts import escalation, notify, transports
from tipline.alerts.models import DigestItem, Route, RouteKind
from tipline.jobs import deadlines, duty_reminders, retention

log = logging.getLogger("tipline.jobs")


@task()
def scan_deadlines() -> int:
    """Tips' own deadlines, the answering duties and the escalation of unacknowledged alerts."""
    now = timezone.now()
    return deadlines.scan(now) + duty_reminders.scan(now) + escalation.scan(now)


@task()
def purge_expired() -> int:
    return retention.purge_due(timezone.now())


@task()
def sweep_orphan_blobs() -> int:
    return retention.sweep_orphan_blobs()


@task()
def purge_expired_sessions() -> None:
    """Expired session rows hold one half of a key; the browser may still hold the other."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@task()
def prune_finished_tasks() -> int:
    """A finished task's row keeps its times and result (counts of alerts, purges): an hour
    after it finished (a day, when it failed) it is deleted."""
    from datetime import timedelta

    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    old = Q(status="SUCCESSFUL", finished_at__lt=now - timedelta(hours=1)) | Q(
        status="FAILED", finished_at__lt=now - timedelta(days=1)
    )
    deleted, _ = DBTaskResult.objects.filter(old).delete()
    return deleted


@task()
def write_audit_checkpoint() -> int:
    """A signed checkpoint of the audit log outside the database (tipline.audit.checkpoints)."""
    from tipline.audit.checkpoints import write_checkpoint

    return write_checkpoint().entries


@task()
def rotate_insider_keys() -> dict:
    """Keys of coming periods made ahead; private keys of past periods destroyed."""
    from tipline.insider.admin_services import rotate

    return rotate(actor="worker")


@task()
def send_digests() -> int:
    """One email per quiet recipient with counts; the items stay until their mail went out."""
    routes = Route.objects.filter(kind=RouteKind.EMAIL, escalation_only=False).annotate(channel_count=Count("channels"))
    route = routes.order_by("channel_count", "name").first()  # a site-wide one first
    if route is None:
        log.warning("digest waiting: no email route")
        return 0
    by_recipient: dict = {}
    for item in DigestItem.objects.select_related("recipient"):
        by_recipient.setdefault(item.recipient, []).append(item)
    sent = 0
    for user, items in by_recipient.items():
        sent += _send_digest(route, user, items)
    return sent


def _send_digest(route: Route, user, items: list[DigestItem]) -> int:
    if not (user.is_active and user.email):
        DigestItem.objects.filter(pk__in=[item.pk for item in items]).delete()
        return 0
    counts = Counter((item.channel_name, item.event) for item in items)
    with translation.override(user.language):
        subject, body = notify.digest_subject(), notify.digest_body(counts)
    try:
        transports.send_mail_text(route, transports.Addressee.of(user), subject, body)
    except transports.DeliveryFailed as failure:
        log.warning("digest through route %s failed, kept for the next run: %s", route.name, failure)
        return 0
    DigestItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    return 1
