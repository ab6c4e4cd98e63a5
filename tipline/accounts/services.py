"""Creating accounts and handing out one-time passwords."""

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tipline.accounts import signin
from tipline.accounts.models import ApiToken, User
from tipline.base.crypto_policy import kdf_policy
from tipline.core import joining, public_keys
from tipline.core.models import Channel, TipKeyGrant
from tipline.crypto import recipient_keys

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
def create_user(username: str, roles: list[str], channel_slugs: list[str], actor: str = "command line") -> OneTimeLogin:
    """Create an account with a one-time password; it must be changed at first sign-in. On a
    channel whose joining needs approval the account waits for a recipient's (core.joining)."""
    unknown_roles = sorted(set(roles) - set(ROLES))
    if unknown_roles:
        raise AccountError(
            _("Unknown role %(roles)s; choose from %(known)s.")
            % {"roles": ", ".join(unknown_roles), "known": ", ".join(ROLES)}
        )
    if User.objects.filter(username=username).exists():
        raise AccountError(_("A user named %(name)s already exists.") % {"name": repr(username)})
    channels = _channels_by_slug(channel_slugs)
    if channels and "recipient" not in roles:
        raise AccountError(_("Only recipients are assigned to channels; add --role recipient."))
    password = new_one_time_password()
    user = User.objects.create_user(username=username, password=password, is_staff="admin" in roles)
    _give_new_key_pair(user, password)
    for channel in channels:
        if joining.needs_approval(channel):
            joining.ask(channel, [user], actor)
            continue
        before = set(channel.recipients.values_list("username", flat=True))
        channel.recipients.add(user)
        if before:  # someone to tell: a new account reads new tips
            joining.tell_change(channel, before, before | {user.username}, actor)
    return OneTimeLogin(username=username, password=password, created=True)


@transaction.atomic
def reset_with_one_time_password(user: User) -> OneTimeLogin:
    """A fresh one-time password and a fresh key pair. Everything the old key opened ends:
    the person's API tokens are revoked, their sessions deleted, and the grants sealed to
    the old key lapse: they open nothing, and still name the person as a reader, so that a
    colleague who can open a tip (or the recovery key) can grant it to the new key."""
    password = new_one_time_password()
    user.set_password(password)
    user.must_change_password = True
    _give_new_key_pair(user, password)
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    end_sessions_of(user)
    TipKeyGrant.objects.filter(recipient=user).update(lapsed=True, sealed_tip_key=b"")
    return OneTimeLogin(username=user.username, password=password, created=False)


def end_sessions_of(user: User) -> int:
    """Delete every session row of this person (signed in, or half-way through signing in)."""
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(user.pk) or data.get(signin.PENDING_USER) == user.pk:
            session.delete()
            ended += 1
    return ended


def _give_new_key_pair(user: User, password: str) -> None:
    pair = recipient_keys.generate_key_pair()
    user.public_key = pair.public_key
    user.public_key_mac = public_keys.vouch(user.pk, pair.public_key)
    user.private_key_by_password = recipient_keys.wrap_with_password(
        pair.private_key, password, kdf_policy().password, user.key_owner
    )
    user.private_key_by_recovery_code = None
    user.save()


def _channels_by_slug(slugs: list[str]) -> list[Channel]:
    channels = list(Channel.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {channel.slug for channel in channels})
    if missing:
        raise AccountError(_("No channel with slug %(slugs)s.") % {"slugs": ", ".join(missing)})
    return channels
