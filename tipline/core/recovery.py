"""The organisation recovery key on the server's side: which key a new ordinary tip is also
sealed to, installing a new generation, and taking the grants and reseals an admin makes
with the private half on their own computer (tipline-reader recover). The server never
holds the private half, so it cannot open a recovery box; it checks who may hold each tip.

Offline-key channels keep their own model (their channel key): no tip of theirs is sealed here.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tipline.audit.services import Action, record, record_once_this_hour
from tipline.core import events, public_keys
from tipline.core.models import Channel, RecoveryKey, Tip, TipKeyGrant

PUBLIC_KEY_BYTES = 32
LONGEST_BOX = 256  # a sealed box of tip id, tip key and team key is 129 bytes


class RecoveryRefused(Exception):
    """What was sent cannot be taken; the message says why, `field` which part."""

    def __init__(self, message: str, field: str = "tips"):
        super().__init__(message)
        self.field = field


def current_key(report_refused_for: Channel | None = None) -> RecoveryKey | None:
    """The recovery key new tips are sealed to: the one not retired, if the site vouches for
    it and it is the newest generation the site vouched for. Anything else was changed behind
    the site's back: no tip is sealed to it, and when a tip is being stored
    (`report_refused_for` its channel) it is audited and the admins are told."""
    keys = list(RecoveryKey.objects.all())
    if not keys:
        return None
    key = next((key for key in keys if key.retired_at is None), None)
    vouched = [key for key in keys if public_keys.is_recovery_key_vouched(key)]
    newest = max(vouched, key=lambda key: key.generation, default=None)
    if key is not None and key == newest:
        return key
    if report_refused_for is not None:
        report_refused(report_refused_for)
    return None


def key_for_new_tip(channel: Channel) -> RecoveryKey | None:
    """None on an offline-key channel (its channel key alone opens its tips) and while no
    usable key is installed; the tip is stored for its recipients either way."""
    return None if channel.offline_key else current_key(report_refused_for=channel)


def usable_keys() -> list[RecoveryKey]:
    """Every generation whose MAC holds: the current one, and retired ones tips still point at."""
    return [key for key in RecoveryKey.objects.all() if public_keys.is_recovery_key_vouched(key)]


def recoverable() -> Q:
    """The tips an admin can grant again with a recovery key's private half: a Tip filter, e.g.
    `Tip.objects.filter(recoverable())`, for the warnings before an action that may strand tips."""
    return Q(recovery_key__in=[key.pk for key in usable_keys()], sealed_for_recovery_key__isnull=False)


def is_recoverable(tip: Tip) -> bool:
    return Tip.objects.filter(recoverable(), pk=tip.pk).exists()


def left_out_of(tip: Tip, person) -> bool:
    """Whether the tipster left this person out of the tip: a recipient of its channel whom they
    did not choose. Such a person finds no trace of it here either, admin or not."""
    if not tip.restricted or not tip.channel.recipients.filter(pk=person.pk).exists():
        return False
    chosen = public_keys.vouched_chosen_readers(tip)
    return chosen is None or person.pk not in chosen


@transaction.atomic
def install(actor: str, public_key: bytes) -> RecoveryKey:
    """The first recovery key, or the next generation: new tips are sealed to it from now on.
    The one it replaces stays, retired, until no tip points at it (reseal)."""
    public_key = bytes(public_key)
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise RecoveryRefused(_("A recovery public key is 32 bytes (made by tipline recovery-key new)."), "public_key")
    keys = list(RecoveryKey.objects.select_for_update())
    current = next((key for key in keys if key.retired_at is None), None)
    if current is not None and bytes(current.public_key) == public_key and public_keys.is_recovery_key_vouched(current):
        return current
    if any(bytes(key.public_key) == public_key for key in keys):
        raise RecoveryRefused(
            _("This key was a recovery key before: make a new pair with tipline recovery-key new."),
            "public_key",
        )
    RecoveryKey.objects.filter(retired_at__isnull=True).update(retired_at=timezone.now())
    generation = max((key.generation for key in keys), default=0) + 1
    key = RecoveryKey.objects.create(
        generation=generation,
        public_key=public_key,
        installed_by=actor,
        public_key_mac=public_keys.vouch_recovery_key(generation, public_key),
    )
    record(actor, Action.RECOVERY_KEY_INSTALLED, "recovery key", fingerprint=key.fingerprint, generation=generation)
    forget_unused()  # a replaced generation no tip was sealed to
    return key


@dataclass
class Granted:
    granted: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (tip reference or id, why)


def grantee_for(username: str):
    """An account that may be given tips: active, with a key pair the site vouches for."""
    User = get_user_model()

    grantee = User.objects.filter(username=username, is_active=True, public_key__isnull=False).first()
    if grantee is None or not public_keys.is_vouched(grantee):
        raise RecoveryRefused(_("%(name)s is no active account with a key pair.") % {"name": username}, "grantee")
    return grantee


@transaction.atomic
def grant(actor, grantee_name: str, sealed: dict) -> Granted:
    """Grants an admin sealed on their own computer, from tips' recovery boxes, to `grantee`'s
    key. Each is taken only if the grantee may hold the tip (as a colleague's grant would be:
    a recipient of its channel, and on a restricted tip one its tipster chose), and audited."""
    grantee = grantee_for(grantee_name)
    result = Granted()
    sealed = {str(tip_id): box for tip_id, box in sealed.items()}
    tips = {str(tip.pk): tip for tip in Tip.objects.filter(pk__in=list(sealed)).select_related("channel")}
    for tip_id, box in sealed.items():
        tip = tips.get(tip_id)
        why = _why_not(tip, grantee, box)
        if why or tip is None:  # no tip is a why
            result.refused.append((tip.reference if tip else str(tip_id), why))
            continue
        TipKeyGrant.objects.update_or_create(  # in place of the lapsed grant a reset left, if any
            tip=tip,
            recipient=grantee,
            defaults={"sealed_tip_key": bytes(box), "lapsed": False},
        )
        record(actor.username, Action.ACCESS_GRANTED, str(tip.pk), grantee=grantee.username, by="recovery key")
        result.granted += 1
    return result


def _why_not(tip: Tip | None, grantee, box: bytes) -> str:
    if tip is None or tip.recovery_key_id is None:
        return _("no such tip sealed to the recovery key")
    if not 0 < len(box) <= LONGEST_BOX:
        return _("this is not a sealed tip key")
    if not tip.channel.recipients.filter(pk=grantee.pk).exists():
        return _("%(name)s is not a recipient of its channel") % {"name": grantee.username}
    if tip.restricted and public_keys.vouched_chosen_readers(tip) is None:
        return _("its tipster's choice of readers is not known here, or failed its check")
    if left_out_of(tip, grantee):
        return _("its tipster left %(name)s out") % {"name": grantee.username}
    if TipKeyGrant.objects.filter(tip=tip, recipient=grantee, lapsed=False).exists():
        return _("%(name)s holds a key to it already") % {"name": grantee.username}
    return ""


@transaction.atomic
def reseal(actor, sealed: dict) -> int:
    """Point tips sealed to a retired recovery key at the current one, with their keys sealed
    again on the admin's computer; a retired key no tip points at any more is forgotten."""
    key = current_key()
    if key is None:
        raise RecoveryRefused(_("There is no current recovery key to seal to: tipline recovery-key install first."))
    sealed = {str(tip_id): box for tip_id, box in sealed.items()}
    done = 0
    for tip in Tip.objects.filter(pk__in=list(sealed), recovery_key__retired_at__isnull=False):
        box = bytes(sealed[str(tip.pk)])
        if 0 < len(box) <= LONGEST_BOX:
            Tip.objects.filter(pk=tip.pk).update(recovery_key=key, sealed_for_recovery_key=box)
            done += 1
    record(actor.username, Action.RECOVERY_TIPS_RESEALED, "recovery key", tips=done, generation=key.generation)
    forget_unused()
    return done


def forget_unused() -> int:
    """Retired generations that no tip points at any more are deleted (audited)."""
    forgotten = 0
    sealed_to = Tip.objects.filter(recovery_key=OuterRef("pk"))
    unused = RecoveryKey.objects.filter(retired_at__isnull=False).exclude(Exists(sealed_to))
    for key in unused:
        record(
            "system",
            Action.RECOVERY_KEY_FORGOTTEN,
            "recovery key",
            fingerprint=key.fingerprint,
            generation=key.generation,
        )
        key.delete()
        forgotten += 1
    return forgotten


@dataclass(frozen=True)
class Generation:
    key: RecoveryKey
    vouched: bool
    tips: int


@dataclass(frozen=True)
class Summary:
    generations: list[Generation]
    current: RecoveryKey | None
    ordinary_tips_without: int  # from before the key was installed, or stored while it failed its check


def summary() -> Summary:
    generations = [
        Generation(key=key, vouched=public_keys.is_recovery_key_vouched(key), tips=key.tips.count())
        for key in RecoveryKey.objects.all()
    ]
    without = Tip.objects.filter(channel_key__isnull=True, recovery_key__isnull=True).count()
    return Summary(generations=generations, current=current_key(), ordinary_tips_without=without)


def report_refused(channel: Channel) -> None:
    """A recovery key that fails its check: audited and the admins told once an hour, stamped
    with the hour (a tipster's tip found it); the tip is stored for its recipients regardless."""
    with transaction.atomic():
        record_once_this_hour("system", Action.RECOVERY_KEY_REFUSED, "recovery key")
        events.announce_once_this_hour(channel, "recovery-key-refused")
