"""Who can still open a tip: the people whose key grant to it opens (not lapsed), who are
active and still recipients of its channel. A tip of an ordinary channel without one is
unreadable until someone who can open it, or the organisation recovery key, grants it again;
the account actions that would leave tips so (a reset, leaving a channel) first count them.
Tips of offline-key channels are read in tipline-reader with the channel's key, which no
account action touches: they are never counted here."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from tipline.core import recovery
from tipline.core.models import Tip, TipKeyGrant


def _able_grants(outside: Q | None = None) -> QuerySet[TipKeyGrant]:
    """Grants of the tip in the outer query that open it for someone who may read it now."""
    return TipKeyGrant.objects.filter(
        tip=OuterRef("pk"),
        lapsed=False,
        recipient__is_active=True,
        recipient__channels=OuterRef("channel"),
    ).exclude(Q() if outside is None else outside)


def unreadable_tips() -> QuerySet[Tip]:
    """Ordinary tips that nobody on the staff can open now."""
    return Tip.objects.filter(channel_key__isnull=True).exclude(Exists(_able_grants()))


def tips_only_readable_by(people, channel=None) -> QuerySet[Tip]:
    """Ordinary tips that one of `people` (a person, or several) can open and nobody else can
    (in `channel` alone, if given): what a reset of them, or taking them out of the channel,
    would leave unreadable."""
    people = [people] if hasattr(people, "pk") else list(people)
    theirs = Exists(TipKeyGrant.objects.filter(tip=OuterRef("pk"), recipient__in=people, lapsed=False))
    tips = Tip.objects.filter(theirs, channel_key__isnull=True).exclude(
        Exists(_able_grants(outside=Q(recipient__in=people)))
    )
    return tips.filter(channel=channel) if channel is not None else tips


def recoverable(tips: QuerySet[Tip]) -> QuerySet[Tip]:
    """Of `tips`, those the organisation recovery key can grant again."""
    return tips.filter(recovery.recoverable())


def answer_can_come(tip: Tip) -> bool:
    """Whether anyone on the staff can read the tip now, or be given it by the recovery key:
    otherwise its tipster is not told when to expect an answer."""
    unreadable = unreadable_tips().filter(pk=tip.pk)
    return not unreadable.exists() or recoverable(unreadable).exists()
