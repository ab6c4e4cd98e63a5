"""What admins change: accounts and channels. Each change is audited. Admins never see
tip content through these (only recipients of a channel can open its tips)."""

from django.db import transaction

from tipline.accounts.models import User
from tipline.accounts.services import OneTimeLogin, create_user, reset_with_one_time_password
from tipline.audit.services import Action, record
from tipline.core.channel_schema import ChannelSpec, import_channel
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
def save_channel(admin, spec: ChannelSpec, recipient_names: list[str]) -> Channel:
    channel, created = import_channel(spec)
    channel.recipients.set(User.objects.filter(username__in=recipient_names))
    record(
        admin.username, Action.CHANNEL_CHANGED, channel.slug, created=created,
        fields=len(spec.fields), recipients=sorted(recipient_names),
    )
    return channel
