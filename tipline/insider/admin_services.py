"""What admins do to verified-insider organisations, each audited. Member fetches and tip
redemptions are never audited: an audit row with a time is exactly the link to avoid."""

from django.db import transaction

from tipline.audit.services import Action, record
from tipline.insider import keys, members
from tipline.insider.models import Member, Organisation


@transaction.atomic
def create_organisation(
    actor: str, slug: str, name: str, tokens_per_epoch: int = 5, epoch_seconds: int = 7 * 86400
) -> Organisation:
    organisation = Organisation.objects.create(
        slug=slug, name=name, tokens_per_epoch=tokens_per_epoch, epoch_seconds=epoch_seconds
    )
    record(
        actor,
        Action.ORGANISATION_CHANGED,
        slug,
        created=True,
        tokens_per_epoch=tokens_per_epoch,
        epoch_seconds=epoch_seconds,
    )
    return organisation


@transaction.atomic
def add_members(actor: str, organisation: Organisation, listing: str) -> list[members.NewCode]:
    codes = members.add_members(organisation, members.references_from_list(listing))
    record(actor, Action.MEMBERS_ADDED, organisation.slug, added=len(codes))
    return codes


@transaction.atomic
def new_code(actor: str, member: Member) -> members.NewCode:
    code = members.new_code(member)
    record(actor, Action.MEMBER_RESET, f"{member.organisation.slug}:{member.reference}")
    return code


def rotate(actor: str, now=None) -> dict[str, int]:
    done = keys.rotate_all(now)
    if any(done.values()):
        record(actor, Action.INSIDER_KEYS_ROTATED, "", **done)
    return done
