"""Destroying a tip as spam, at once rather than after its retention period: its keys are
shredded and committed first, then its rows and blobs go, as retention does; the audit log
records who did it and when, never what the tip held. The tipster's receipt then finds
nothing, exactly as after retention."""

from django.utils.translation import gettext as _

from tipline.audit.services import Action
from tipline.casework.services import find_tip
from tipline.core.models import Tip, TipKeyGrant
from tipline.jobs import retention


class CannotDestroy(Exception):
    """This person may not destroy this tip now; the message says why and what to do."""


def check_destroyable(user, tip_id) -> Tip:
    """The tip, if `user` may destroy it: they can list it (a recipient the tipster left out
    gets TipNotFound), can open it (or it is read in tipline-reader), and it is not on hold."""
    tip = find_tip(user, tip_id)
    if tip.channel_key_id is None and not TipKeyGrant.objects.filter(tip=tip, recipient=user, lapsed=False).exists():
        raise CannotDestroy(
            _(
                "You cannot open this tip, so you cannot judge it: ask a colleague who can to grant it to you, or to "
                "destroy it."
            )
        )
    if tip.on_hold:
        raise CannotDestroy(
            _("This tip is on hold, so it is kept until the hold is released. Release it first if it is spam.")
        )
    return tip


def destroy_as_spam(user, tip_id) -> str:
    """Destroy the tip now; returns its reference, for the page that says it is gone."""
    tip = check_destroyable(user, tip_id)
    retention.shred_keys(tip, actor=user.username, action=Action.TIP_DESTROYED_AS_SPAM)
    retention.remove(tip)
    return tip.reference
