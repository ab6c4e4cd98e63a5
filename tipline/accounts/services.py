"""Creating accounts and handing out one-time passwords."""

import secrets
from dataclasses import dataclass

from django.db import transaction

from tipline.accounts.models import User
from tipline.core.models import Channel

ROLES = ("admin", "recipient")


class AccountError(Exception):
    """A request about accounts that cannot be met, with a message for the operator."""


@dataclass(frozen=True)
class OneTimeLogin:
    username: str
    password: str
    created: bool


def new_one_time_password() -> str:
    # 5 groups of 4 base32 characters: 100 bits, easy to read out and type.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(5))


@transaction.atomic
def create_user(username: str, roles: list[str], channel_slugs: list[str]) -> OneTimeLogin:
    """Create an account with a one-time password; it must be changed at first sign-in."""
    unknown_roles = sorted(set(roles) - set(ROLES))
    if unknown_roles:
        raise AccountError(f"Unknown role {', '.join(unknown_roles)}; choose from {', '.join(ROLES)}.")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"A user named {username!r} already exists.")
    channels = _channels_by_slug(channel_slugs)
    if channels and "recipient" not in roles:
        raise AccountError("Only recipients are assigned to channels; add --role recipient.")
    password = new_one_time_password()
    user = User.objects.create_user(username=username, password=password, is_staff="admin" in roles)
    user.channels.set(channels)
    return OneTimeLogin(username=username, password=password, created=True)


@transaction.atomic
def reissue_one_time_password(user: User) -> OneTimeLogin:
    """Replace a not-yet-used one-time password; an activated account is left alone."""
    if not user.must_change_password:
        raise AccountError(f"{user.username!r} has already signed in and chosen a password.")
    password = new_one_time_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    return OneTimeLogin(username=user.username, password=password, created=False)


def _channels_by_slug(slugs: list[str]) -> list[Channel]:
    channels = list(Channel.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {channel.slug for channel in channels})
    if missing:
        raise AccountError(f"No channel with slug {', '.join(missing)}.")
    return channels
