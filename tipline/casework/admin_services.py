"""What admins change: accounts and channels. Each change is audited. Admins never see
tip content through these (only recipients of a channel can open its tips)."""

from dataclasses import dataclass

from django.db import transaction

from tipline.accounts.models import User
from tipline.accounts.services import OneTimeLogin, create_user, reset_with_one_time_password
from tipline.alerts import outbox
from tipline.audit.services import Action, record
from tipline.core import offline_keys
from tipline.core.channel_schema import ChannelFormatError, ChannelSpec, import_channel
from tipline.core.models import Channel


@transaction.atomic
def add_user(admin, username: str, roles: list[str], channel_slugs: list[str]) -> OneTimeLogin:
    login = create_user(username, roles, channel_slugs)
    record(admin.username, Action.USER_CREATED, username, roles=sorted(roles), channels=sorted(channel_slugs))
    return login


@transaction.atomic
def set_active(admin, user: User, active: bool) -> None:
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(admin.username, Action.USER_CHANGED, user.username, active=active)


@transaction.atomic
def reset_user(admin, user: User) -> OneTimeLogin:
    login = reset_with_one_time_password(user)
    record(admin.username, Action.USER_RESET, user.username)
    return login


@transaction.atomic
def save_channel(actor: str, spec: ChannelSpec, recipient_names: list[str] | None = None) -> tuple[Channel, bool]:
    """Create or update a channel from its file, on the admin page or from the command line
    (`actor`); `recipient_names` None keeps the recipients it has. Returns (channel, created)."""
    _check_offline_stays(spec)
    channel, created = import_channel(spec)
    before = set(channel.recipients.values_list("username", flat=True))
    if recipient_names is not None:
        channel.recipients.set(User.objects.filter(username__in=recipient_names))
    after = set(channel.recipients.values_list("username", flat=True))
    record(
        actor, Action.CHANNEL_CHANGED, channel.slug, created=created,
        fields=len(spec.fields), recipients=sorted(after), added=sorted(after - before), removed=sorted(before - after),
    )
    if before != after and not created:
        # Whoever joins reads every new tip: the people already there must hear of it.
        outbox.record(channel, "recipients-changed")
    return channel, created


def _check_offline_stays(spec: ChannelSpec) -> None:
    """Offline stays offline: once a channel has had a key, its tips are sealed where the
    server cannot open them, and no admin (or taken-over admin account) may point new ones at
    keys the server holds. Before a first key nothing is sealed yet, so the setting is free.
    A channel whose setting fails its MAC is not saved over either: that would vouch for it."""
    channel = Channel.objects.filter(slug=spec.slug).first()
    if channel is None:
        return
    if not offline_keys.is_setting_vouched(channel):
        raise ChannelFormatError(f"offline_key: channel {spec.slug}'s setting was changed behind the site's back; it is not saved over (tipline check).")
    if channel.offline_keys.exists() and not spec.offline_key:
        raise ChannelFormatError(
            "offline_key: a channel that has had an offline key stays offline-key (its tips are sealed where the server cannot "
            "open them). For tips the tip line opens, make a new channel and close this one (listed: false)."
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
        if entry.action == Action.CHANNEL_CHANGED and entry.target == channel.slug and (entry.details.get("added") or entry.details.get("removed")):
            changes.append(RecipientChange(entry.at, entry.actor, entry.details.get("added", []), entry.details.get("removed", []), False))
        elif entry.action == Action.USER_CREATED and channel.slug in entry.details.get("channels", []):
            changes.append(RecipientChange(entry.at, entry.actor, [entry.target], [], True))
        if len(changes) >= limit:
            break
    return changes
