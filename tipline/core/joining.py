"""Who joins a channel's recipients, and the channels where a current recipient approves it
first (`joining_needs_approval`): an admin's choice waits as a JoinRequest, reading nothing,
until a recipient who is neither the one joining nor the one who chose them approves.
Every change is audited and told, with the names, to each person who was a recipient then;
so is a reset of a recipient's account, which on such a channel makes it wait to join again."""

from django.db import transaction
from django.utils.translation import gettext as _

from tipline.audit.services import Action, record
from tipline.core import events
from tipline.core.models import Channel, JoinRequest


class CannotApprove(Exception):
    """The approval is refused; the message says why."""


class CannotReset(Exception):
    """The reset is refused; the message says why."""


def needs_approval(channel: Channel) -> bool:
    """A channel with nobody on it yet has nobody to approve: its first recipients join at once."""
    return channel.joining_needs_approval and channel.recipients.exists()


def tell_change(channel: Channel, before: set[str], after: set[str], actor: str) -> None:
    """Everyone who was a recipient before the change or is one after it hears who joined and left."""
    if before == after:
        return
    people = {
        "added": sorted(after - before),
        "removed": sorted(before - after),
        "by": actor,
        "told": sorted(before | after),
    }
    events.announce(channel, "recipients-changed", people=people)


@transaction.atomic
def ask(channel: Channel, users, actor: str) -> list[str]:
    """The people an admin chose, waiting for a recipient's approval; returns their names."""
    asked = [user for user in users if not channel.recipients.filter(pk=user.pk).exists()]
    for user in asked:
        JoinRequest.objects.get_or_create(channel=channel, user=user, defaults={"asked_by": actor})
    names = sorted(user.username for user in asked)
    if names:
        record(actor, Action.JOINING_ASKED, channel.slug, asked=names)
        told = sorted(channel.recipients.values_list("username", flat=True))
        events.announce(channel, "joining-asked", people={"added": names, "by": actor, "told": told})
    return names


def waiting(channel: Channel) -> list[JoinRequest]:
    return list(channel.join_requests.select_related("user").order_by("asked_at"))


@transaction.atomic
def decide(approver, channel: Channel, username: str, approve: bool) -> None:
    request = channel.join_requests.select_for_update().select_related("user").filter(user__username=username).first()
    if request is None:
        raise CannotApprove(_("Nobody of that name is waiting to join this channel."))
    if not channel.recipients.filter(pk=approver.pk).exists():
        raise CannotApprove(_("Only a recipient of this channel can decide who joins it."))
    if approver.username in (username, request.asked_by):
        raise CannotApprove(_("Another recipient must decide: you chose this person, or are this person."))
    before = set(channel.recipients.values_list("username", flat=True))
    request.delete()
    record(
        approver.username,
        Action.JOINING_APPROVED if approve else Action.JOINING_REFUSED,
        channel.slug,
        user=username,
        asked_by=request.asked_by,
    )
    if approve:
        channel.recipients.add(request.user)
        tell_change(channel, before, before | {username}, approver.username)


def check_reset_leaves_an_approver(user) -> None:
    """Whoever holds a reset account's one-time password (the admin who reset it) is that
    recipient: on a channel whose joining needs approval it waits to join again, and a channel
    with no other recipient would keep nobody who could approve it (or anyone else)."""
    alone = [
        channel.name
        for channel in user.channels.filter(joining_needs_approval=True)
        if not channel.recipients.filter(is_active=True)
        .exclude(pk=user.pk)
        .exists()  # a disabled colleague approves nobody
    ]
    if alone:
        raise CannotReset(
            _(
                "%(name)s is the only recipient of %(channels)s, where joining needs approval: after a reset nobody "
                "would be left to approve them. They can recover their own account with their recovery code (links on "
                "the sign-in page)."
            )
            % {"name": user.username, "channels": ", ".join(sorted(alone))}
        )


@transaction.atomic
def after_reset(user, actor: str) -> list[str]:
    """Each channel of a reset account hears of it; where joining needs approval the account
    leaves and waits as a JoinRequest by `actor`, reading nothing until another recipient
    approves. Returns the slugs of the channels it waits for. Call check_reset_leaves_an_approver first."""
    waiting_on = []
    for channel in user.channels.all():
        told = sorted(channel.recipients.values_list("username", flat=True))
        if channel.joining_needs_approval:
            channel.recipients.remove(user)
            JoinRequest.objects.get_or_create(channel=channel, user=user, defaults={"asked_by": actor})
            record(actor, Action.JOINING_ASKED, channel.slug, asked=[user.username], after_reset=True)
            waiting_on.append(channel.slug)
        kind = "recipient-reset-waiting" if channel.joining_needs_approval else "recipient-reset"
        events.announce(channel, kind, people={"reset": [user.username], "by": actor, "told": told})
    return waiting_on
