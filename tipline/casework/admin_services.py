"""What admins change: accounts and channels. Each change is audited. Admins never see
tip content through these (only recipients of a channel can open its tips), and the audit
log they read leaves out every tip whose tipster left them out."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tipline.accounts.models import User
from tipline.accounts.services import (
    AccountError,
    OneTimeLogin,
    create_user,
    reset_with_one_time_password,
)
from tipline.audit.models import AuditEntry
from tipline.audit.services import DESTRUCTIONS, Action, record
from tipline.core import joining, offline_keys, readers, recovery
from tipline.core.channel_schema import ChannelFormatError, ChannelSpec, import_channel
from tipline.core.models import Channel, Tip, readable_by
from tipline.core.public_keys import vouched_recipients
from tipline.core.submission import channel_is_receiving


@transaction.atomic
def add_user(admin, username: str, roles: list[str], channel_slugs: list[str]) -> OneTimeLogin:
    login = create_user(username, roles, channel_slugs, admin.username)
    record(admin.username, Action.USER_CREATED, username, roles=sorted(roles), channels=sorted(channel_slugs))
    return login


def check_keeps_an_admin(user: User) -> None:
    """Refuse to lock out the last active admin: nobody could manage accounts or channels after."""
    if (
        user.is_staff
        and user.is_active
        and not User.objects.filter(is_staff=True, is_active=True).exclude(pk=user.pk).exists()
    ):
        raise AccountError(
            _(
                "%(name)s is the only active admin: create another admin first (New account, tick Admin), "
                "or nobody could manage the tip line."
            )
            % {"name": user.username}
        )


def channels_left_unread_without(user: User) -> list[Channel]:
    """The channels taking tips now that would take none without `user`: nobody else could read them."""
    return [
        channel
        for channel in user.channels.filter(offline_key=False).order_by("name")
        if channel_is_receiving(channel) and all(other.pk == user.pk for other in vouched_recipients(channel))
    ]


@dataclass(frozen=True)
class LeftUnread:
    """What an action on `person` (one or several, by name) would leave: tips (that the admin
    may know of) only they can read now; how many of those the organisation recovery key could
    grant again; the rest would be unreadable for good."""

    person: str
    tips: int
    recoverable: int

    @property
    def lost(self) -> int:
        return self.tips - self.recoverable


class NotConfirmed(AccountError):
    """The action would leave tips unreadable for good and the admin has not typed their number."""


def left_unread_by_reset(viewer, user: User) -> LeftUnread:
    return _left_unread(viewer, user.username, readers.tips_only_readable_by(user))


def _left_unread(viewer, people: str, tips: QuerySet[Tip]) -> LeftUnread:
    # A tip whose tipster left the admin out is not counted, as nowhere else: the page says so.
    known = tips.filter(readable_by(viewer)) if viewer is not None else tips
    return LeftUnread(person=people, tips=known.count(), recoverable=readers.recoverable(known).count())


def check_confirmed(left: LeftUnread, typed: str | None) -> None:
    """Raise NotConfirmed unless tips lost for good, if any, were confirmed by typing their number."""
    if left.lost and (typed or "").strip() != str(left.lost):
        raise NotConfirmed(
            ngettext(
                "Type %(number)d to confirm that %(number)d tip will stay unreadable for good.",
                "Type %(number)d to confirm that %(number)d tips will stay unreadable for good.",
                left.lost,
            )
            % {"number": left.lost}
        )


@transaction.atomic
def set_active(admin, user: User, active: bool) -> None:
    if not active:
        check_keeps_an_admin(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(admin.username, Action.USER_CHANGED, user.username, active=active)


def reset_needs_the_name() -> bool:
    """Without a recovery key a reset may lose tips whose tipster left the admin out, which
    are not counted for them: every reset then asks for the account's name typed, whether or
    not there are such tips, so that the question tells nothing of them."""
    return recovery.current_key() is None


def check_name_typed(user: User, typed: str | None) -> None:
    if (typed or "").strip() != user.username:
        raise NotConfirmed(_("Type %(name)s to confirm the reset.") % {"name": user.username})


@transaction.atomic
def reset_user(actor: str, user: User, typed: str | None, viewer=None, keep_an_admin: bool = True) -> OneTimeLogin:
    """The web page's and the command line's reset (`actor`); raises joining.CannotReset,
    NotConfirmed when it would leave tips unreadable for good and `typed` is not their number
    (counted as `viewer` may know of them; None: all, for the command line), and AccountError
    for the last active admin unless `keep_an_admin` is off (the command line's way back in
    when that admin lost their password)."""
    if keep_an_admin:
        check_keeps_an_admin(user)
    joining.check_reset_leaves_an_approver(user)
    left = left_unread_by_reset(viewer, user)
    check_confirmed(left, typed)
    if viewer is not None and not left.lost and reset_needs_the_name():
        check_name_typed(user, typed)
    login = reset_with_one_time_password(user)
    record(actor, Action.USER_RESET, user.username)
    joining.after_reset(user, actor)
    return login


@transaction.atomic
def save_channel(
    actor: str,
    spec: ChannelSpec,
    recipient_names: list[str] | None = None,
    viewer=None,
    typed: str | None = None,
) -> tuple[Channel, bool]:
    """Create or update a channel from its file, on the admin page or from the command line
    (`actor`); `recipient_names` None keeps the recipients it has. Raises NotConfirmed when
    taking recipients out would leave tips unreadable for good and `typed` is not their number
    (see left_unread_by_channel_change). Returns (channel, created)."""
    _check_offline_stays(spec)
    _check_approval_stays(spec)
    if recipient_names is not None:
        check_confirmed(left_unread_by_channel_change(viewer, spec.slug, recipient_names), typed)
    channel, created = import_channel(spec)
    before = set(channel.recipients.values_list("username", flat=True))
    asked: list[str] = []
    if recipient_names is not None:
        chosen = User.objects.filter(username__in=recipient_names)
        if joining.needs_approval(channel):
            # Whoever leaves goes at once; whoever joins waits for a current recipient.
            staying = channel.recipients.filter(username__in=recipient_names)
            if not staying.exists():
                raise ChannelFormatError(
                    "recipients: a channel whose joining needs approval keeps at least one recipient "
                    "(an empty channel would let anyone join unapproved); add someone and have them approved first."
                )
            channel.recipients.remove(*channel.recipients.exclude(username__in=recipient_names))
            asked = joining.ask(channel, chosen.exclude(username__in=before), actor)
        else:
            channel.recipients.set(chosen)
    after = set(channel.recipients.values_list("username", flat=True))
    record(
        actor,
        Action.CHANNEL_CHANGED,
        channel.slug,
        created=created,
        fields=len(spec.fields),
        recipients=sorted(after),
        added=sorted(after - before),
        removed=sorted(before - after),
        **({"waiting_for_approval": asked} if asked else {}),
    )
    if not created:
        # Whoever joins reads every new tip: the people already there must hear of it.
        joining.tell_change(channel, before, after, actor)
    return channel, created


def left_unread_by_channel_change(viewer, slug: str, staying: list[str]) -> LeftUnread:
    """What taking everyone but `staying` out of the channel would leave, all of them together."""
    channel = Channel.objects.filter(slug=slug).first()
    if channel is None:
        return LeftUnread(person="", tips=0, recoverable=0)
    leaving = list(channel.recipients.exclude(username__in=staying).order_by("username"))
    return _left_unread(
        viewer, ", ".join(person.username for person in leaving), readers.tips_only_readable_by(leaving, channel)
    )


def _check_approval_stays(spec: ChannelSpec) -> None:
    """Once joining needs a recipient's approval, no admin may switch that off to join quietly."""
    channel = Channel.objects.filter(slug=spec.slug).first()
    if channel is not None and channel.joining_needs_approval and not spec.joining_needs_approval:
        raise ChannelFormatError(
            "joining_needs_approval: once on, it stays on (an admin could otherwise switch it off and join). "
            "For a channel anyone may join, make a new channel and close this one (listed: false)."
        )


def _check_offline_stays(spec: ChannelSpec) -> None:
    """Offline stays offline: once a channel has had a key, its tips are sealed where the
    server cannot open them, and no admin (or taken-over admin account) may point new ones at
    keys the server holds. Before a first key nothing is sealed yet, so the setting is free.
    A channel whose setting fails its MAC is not saved over either: that would vouch for it."""
    channel = Channel.objects.filter(slug=spec.slug).first()
    if channel is None:
        return
    if not offline_keys.is_setting_vouched(channel):
        raise ChannelFormatError(
            f"offline_key: channel {spec.slug}'s setting was changed behind the site's back; it is not saved over "
            "(tipline check)."
        )
    if channel.offline_keys.exists() and not spec.offline_key:
        raise ChannelFormatError(
            "offline_key: a channel that has had an offline key stays offline-key (its tips are sealed where the "
            "server cannot open them). For tips the tip line opens, make a new channel and close this one (listed: "
            "false)."
        )


@dataclass(frozen=True)
class RecipientChange:
    at: object
    actor: str
    added: list[str]
    removed: list[str]
    new_account: bool


def recipient_history(channel: Channel, limit: int = 20) -> list[RecipientChange]:
    """Who changed this channel's recipients and when, newest first, from the audit log."""
    from tipline.audit.models import AuditEntry

    entries = AuditEntry.objects.filter(action__in=(Action.CHANNEL_CHANGED, Action.USER_CREATED)).order_by("-id")
    changes = []
    for entry in entries.iterator():
        if (
            entry.action == Action.CHANNEL_CHANGED
            and entry.target == channel.slug
            and (entry.details.get("added") or entry.details.get("removed"))
        ):
            changes.append(
                RecipientChange(
                    entry.at, entry.actor, entry.details.get("added", []), entry.details.get("removed", []), False
                )
            )
        elif entry.action == Action.USER_CREATED and channel.slug in entry.details.get("channels", []):
            changes.append(RecipientChange(entry.at, entry.actor, [entry.target], [], True))
        if len(changes) >= limit:
            break
    return changes


def audit_entries_for(viewer) -> QuerySet[AuditEntry]:
    """The audit log as `viewer` may read it: no entry on a tip whose tipster left them out,
    while the tip exists or after it was destroyed, so the log does not tell them it was there."""
    return AuditEntry.objects.exclude(target__in=_tips_kept_from(viewer))


def _tips_kept_from(viewer) -> list[str]:
    kept = [
        str(tip_id)
        for tip_id in Tip.objects.filter(restricted=True).exclude(readable_by(viewer)).values_list("id", flat=True)
    ]
    # A destroyed restricted tip has no row left to ask: its destruction entry names its readers.
    destroyed = AuditEntry.objects.filter(action__in=DESTRUCTIONS, details__has_key="readers").values_list(
        "target", "details"
    )
    return kept + [target for target, details in destroyed if viewer.pk not in details["readers"]]
