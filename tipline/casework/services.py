"""What a recipient does with a tip: open it, reply, note, triage, grant access, download.

Every function checks that the person is a recipient of the tip's channel (a stranger
gets TipNotFound, so ids reveal nothing), runs in one transaction and writes the audit
entry with the act.
"""

import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tipline.accounts.models import User
from tipline.alerts import outbox
from tipline.audit.services import Action, record
from tipline.casework import summaries
from tipline.casework.inbox import tips_for
from tipline.core import attachments, conversation, duties, public_keys
from tipline.core.models import (
    OPEN_STATUSES,
    Attachment,
    Author,
    Channel,
    Label,
    Note,
    ReplyPurpose,
    Tip,
    TipKeyGrant,
    TipStatus,
)
from tipline.crypto import content, tip_keys
from tipline.crypto.errors import DecryptionError

EARLIEST_DEADLINE = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_DEADLINE = datetime(2999, 12, 31, tzinfo=UTC)
DEADLINE_RANGE_MESSAGE = gettext_lazy("A deadline must fall between the years 2000 and 2999.")


class TipNotFound(Exception):
    """No such tip among this person's channels."""


class ReadInReader(TipNotFound):
    """The tip is sealed to its channel's offline key: only tipline-reader can open it."""


class InvalidDeadline(Exception):
    """The deadline given cannot be a tip's deadline; the message says why."""


class CannotGrant(Exception):
    """The chosen person cannot be given this tip (or be its assignee); the message says why."""

    def __init__(self, message: str, field: str = "grantee"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NoteView:
    author: str
    written_hour: object
    text: str


@dataclass(frozen=True)
class OpenedTip:
    tip: Tip
    answers: list[conversation.Answer]
    files: list[attachments.FileView]
    conversation: list[conversation.MessageView]
    notes: list[NoteView]
    grantable: list[User]
    title: str = ""
    in_reader: bool = False  # sealed to an offline key: the page shows what the server knows, and where to read it
    key_fingerprint: str = ""


def find_tip(user, tip_id) -> Tip:
    try:
        return tips_for(user).select_related("channel", "assignee").get(pk=uuid.UUID(str(tip_id)))
    except (Tip.DoesNotExist, ValueError):
        raise TipNotFound() from None


def tip_key_for(user, private_key: bytes, tip: Tip) -> bytes:
    return keys_for(user, private_key, tip).tip_key


def keys_for(user, private_key: bytes, tip: Tip) -> tip_keys.SealedKeys:
    if tip.channel_key_id is not None:
        raise ReadInReader()
    try:
        return conversation.open_keys_for_recipient(tip, user, private_key)
    except conversation.NoAccess:
        raise TipNotFound() from None


def team_key_for(user, private_key: bytes, tip: Tip) -> tip_keys.SealedKeys:
    """This person's keys to the tip, with a team key: a tip from before team keys gets one
    now, sealed with the tip key to every reader who holds a grant, and its notes move to it
    (the tip locked meanwhile, so two recipients opening it at once make one team key)."""
    keys = keys_for(user, private_key, tip)
    if keys.team_key is not None:
        return keys
    Tip.objects.select_for_update().filter(pk=tip.pk).first()
    keys = keys_for(user, private_key, tip)  # someone may have done it while we waited
    if keys.team_key is not None:
        return keys
    team_key = tip_keys.new_team_key()
    keys = tip_keys.SealedKeys(tip_key=keys.tip_key, team_key=team_key)
    for grant in TipKeyGrant.objects.filter(tip=tip, lapsed=False).select_related("recipient"):
        reader = grant.recipient
        if reader.pk == user.pk or (reader.is_active and public_keys.is_vouched(reader)):
            assert reader.public_key is not None, "a reader who holds a grant has a key"
            grant.sealed_tip_key = tip_keys.seal_keys(keys, tip.crypto_id, bytes(reader.public_key))
            grant.save(update_fields=["sealed_tip_key"])
    for note in Note.objects.filter(tip=tip, under_team_key=False):
        text = content.decrypt_content(keys.tip_key, bytes(note.ciphertext), _note_context(note))
        if note.bound_as is None and note.author_id is not None:
            note.bound_as = content.recipient_binding(note.author_id)
        note.ciphertext, note.under_team_key = content.encrypt_content(team_key, text, _note_context(note)), True
        note.save(update_fields=["ciphertext", "under_team_key", "bound_as"])
    return keys


def open_tip(user, private_key: bytes, tip_id) -> OpenedTip:
    """The tip as this person may see it. One sealed to an offline key comes without content:
    the server has no key to it, so the page shows its metadata and points to tipline-reader."""
    tip = find_tip(user, tip_id)
    if tip.channel_key is not None:  # no query when channel_key_id is None
        return OpenedTip(
            tip=tip,
            answers=[],
            files=[],
            conversation=[],
            notes=[],
            grantable=[],
            in_reader=True,
            key_fingerprint=tip.channel_key.fingerprint,
        )
    return _open(user, private_key, tip)[0]


def open_tip_and_key(user, private_key: bytes, tip_id) -> tuple[OpenedTip, bytes]:
    """For the export, which goes on to decrypt the files with the same key."""
    return _open(user, private_key, find_tip(user, tip_id))


@transaction.atomic
def _open(user, private_key: bytes, tip: Tip) -> tuple[OpenedTip, bytes]:
    keys = team_key_for(user, private_key, tip)
    tip_key = keys.tip_key
    if tip.unread_by_recipients:
        Tip.objects.filter(pk=tip.pk).update(unread_by_recipients=False)
    outbox.acknowledge(tip)
    record(user.username, Action.TIP_OPENED, str(tip.id))
    opened = OpenedTip(
        tip=tip,
        answers=conversation.read_answers(tip, tip_key),
        files=attachments.submitted_files(tip, tip_key),
        conversation=conversation.read_conversation(tip, tip_key),
        notes=_read_notes(tip, keys.team),
        grantable=grantable(tip),
        title=summaries.read_title(tip, tip_key, tip.title_ciphertext),
    )
    return opened, tip_key


def reply(user, private_key: bytes, tip_id, text: str, purpose: str = "") -> None:
    tip = find_tip(user, tip_id)
    with transaction.atomic():
        conversation.add_message(
            tip, tip_key_for(user, private_key, tip), Author.RECIPIENT, text, sender=user, purpose=purpose
        )
        record(user.username, Action.REPLY_SENT, str(tip.id), **({"purpose": purpose} if purpose else {}))


def acknowledge(user, private_key: bytes, tip_id) -> None:
    """Send the ready-made acknowledgement, marked as such, in one action."""
    reply(user, private_key, tip_id, str(duties.STANDARD_ACKNOWLEDGEMENT), ReplyPurpose.ACKNOWLEDGEMENT)


@transaction.atomic
def add_note(user, private_key: bytes, tip_id, text: str) -> None:
    tip = find_tip(user, tip_id)
    note = Note(
        tip=tip,
        author=user,
        written_hour=conversation.current_hour(),
        under_team_key=True,
        bound_as=content.recipient_binding(user.pk),
    )
    note.ciphertext = content.encrypt_content(
        team_key_for(user, private_key, tip).team, text.encode(), _note_context(note)
    )
    note.save()
    Tip.objects.filter(pk=tip.pk).update(last_activity_hour=note.written_hour)
    record(user.username, Action.NOTE_ADDED, str(tip.id))


@transaction.atomic
def set_title(user, private_key: bytes, tip_id, title: str) -> None:
    """A title colleagues see in the inbox, encrypted under the tip key; empty removes it.
    The audit log records that it changed, never what it says."""
    tip = find_tip(user, tip_id)
    Tip.objects.filter(pk=tip.pk).update(
        title_ciphertext=summaries.seal_title(tip, tip_key_for(user, private_key, tip), title)
    )
    record(user.username, Action.TITLE_CHANGED, str(tip.id))


@transaction.atomic
def set_triage(user, tip_id, status: str, label_names: list[str], assignee_name: str) -> Tip:
    """Status, labels and assignee in one go; each change that happened is audited."""
    return _triage(user, find_tip(user, tip_id), status, label_names, assignee_name)


def _triage(user, tip: Tip, status: str, label_names: list[str], assignee_name: str) -> Tip:
    if status not in TipStatus.values:
        raise ValueError(f"unknown status {status!r}")
    if status != tip.status:
        record(user.username, Action.STATUS_CHANGED, str(tip.id), old=tip.status, new=status)
        tip.status = status
        outbox.acknowledge(tip)
    names = sorted({name.strip().lower()[:40] for name in label_names if name.strip()})
    labels = [Label.objects.get_or_create(name=name)[0] for name in names]
    old_labels = sorted(tip.labels.values_list("name", flat=True))
    if [label.name for label in labels] != old_labels:
        tip.labels.set(labels)
        record(user.username, Action.LABELS_CHANGED, str(tip.id), old=old_labels, new=[label.name for label in labels])
    assignee = tip.channel.recipients.filter(username=assignee_name).first() if assignee_name else None
    if assignee_name and assignee is None:
        raise CannotGrant(_("%(name)s is not a recipient of this channel.") % {"name": assignee_name}, field="assignee")
    if assignee != tip.assignee:
        record(user.username, Action.ASSIGNEE_CHANGED, str(tip.id), new=assignee.username if assignee else "")
        tip.assignee = assignee
    tip.last_activity_hour = conversation.current_hour()
    tip.save(update_fields=["status", "assignee", "last_activity_hour"])
    return tip


@dataclass(frozen=True)
class BulkResult:
    changed: int
    refused: list[str]  # references of tips the change could not apply to, with why


KEEP = ""


@transaction.atomic
def bulk_triage(
    user, tip_ids: list, status: str = KEEP, add_label: str = KEEP, assignee_name: str = KEEP
) -> BulkResult:
    """One change to many tips of the person's channels: a status, a label added, an assignee
    ("none" for nobody). Each tip is changed and audited as if triaged alone; a tip whose
    channel the assignee does not receive is left as it was and named."""
    changed, refused = 0, []
    for tip_id in tip_ids:
        tip = find_tip(user, tip_id)
        labels = [*tip.labels.values_list("name", flat=True), *([add_label] if add_label else [])]
        assignee = "" if assignee_name == "none" else (assignee_name or (tip.assignee.username if tip.assignee else ""))
        try:
            with transaction.atomic():
                _triage(user, tip, status or tip.status, labels, assignee)
        except CannotGrant as refusal:
            refused.append(f"{tip.reference}: {refusal}")
            continue
        changed += 1
    return BulkResult(changed, refused)


def deadline_in_range(deadline: datetime) -> bool:
    # The year first: near the calendar's ends converting to UTC itself overflows.
    return (
        EARLIEST_DEADLINE.year <= deadline.year <= LATEST_DEADLINE.year
        and EARLIEST_DEADLINE <= deadline <= LATEST_DEADLINE
    )


def in_channel_zone(moment: datetime | None, channel) -> datetime | None:
    """A date and time without an offset is the channel's local time, as on its form."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(channel.time_zone))


@transaction.atomic
def set_deadline(user, tip_id, deadline: datetime | None) -> None:
    """Set, correct or clear a tip's deadline (tipsters often give none or a wrong one).
    Its alerts start afresh from the new one; the change is audited."""
    from tipline.alerts.escalation import forget_alerts

    if deadline is not None and not deadline_in_range(deadline):
        raise InvalidDeadline(DEADLINE_RANGE_MESSAGE)
    tip = find_tip(user, tip_id)
    if deadline == tip.deadline:
        return
    old = tip.deadline
    Tip.objects.filter(pk=tip.pk).update(deadline=deadline)
    forget_alerts(tip)
    outbox.acknowledge(tip)
    record(
        user.username,
        Action.DEADLINE_CHANGED,
        str(tip.id),
        old=old.isoformat() if old else None,
        new=deadline.isoformat() if deadline else None,
    )


@transaction.atomic
def set_hold(user, tip_id, hold: bool, reason: str) -> None:
    """Exempt a tip from retention (or end that); the reason goes to the audit log."""
    tip = find_tip(user, tip_id)
    if hold == tip.on_hold:
        return
    Tip.objects.filter(pk=tip.pk).update(on_hold=hold)
    record(user.username, Action.TIP_HELD if hold else Action.TIP_RELEASED, str(tip.id), reason=reason)


def grantable(tip: Tip) -> list[User]:
    """Recipients of the tip's channel who hold a key pair but no key to this tip that opens:
    on a tip whose tipster chose its readers, only those chosen whose key was replaced since."""
    if tip.channel_key_id is not None:
        return []
    grants = TipKeyGrant.objects.filter(tip=tip)
    if tip.restricted:  # only a reader the tipster chose (as vouched for) whose key was replaced since
        lapsed = set(grants.filter(lapsed=True).values_list("recipient", flat=True))
        lapsed &= public_keys.vouched_chosen_readers(tip) or set()
        return [user for user in public_keys.vouched_recipients(tip.channel) if user.pk in lapsed]
    able = set(grants.filter(lapsed=False).values_list("recipient", flat=True))
    return [user for user in public_keys.vouched_recipients(tip.channel) if user.pk not in able]


def _seal_grant(tip: Tip, grantee: User, keys: tip_keys.SealedKeys) -> None:
    """The grantee's key to the tip, in place of a lapsed one where there is one."""
    assert grantee.public_key is not None, "a grantee is a vouched recipient, with a key"
    sealed = tip_keys.seal_keys(keys, tip.crypto_id, bytes(grantee.public_key))
    TipKeyGrant.objects.update_or_create(
        tip=tip, recipient=grantee, defaults={"sealed_tip_key": sealed, "lapsed": False}
    )


@transaction.atomic
def grant_access(user, private_key: bytes, tip_id, grantee_name: str) -> None:
    tip = find_tip(user, tip_id)
    grantee = next((candidate for candidate in grantable(tip) if candidate.username == grantee_name), None)
    if grantee is None:
        if tip.restricted:
            raise CannotGrant(_("The tipster chose who reads this tip; nobody else can be given access."))
        raise CannotGrant(
            _("%(name)s is not a recipient of this channel who still needs access.") % {"name": grantee_name}
        )
    _seal_grant(tip, grantee, team_key_for(user, private_key, tip))
    record(user.username, Action.ACCESS_GRANTED, str(tip.id), grantee=grantee.username)


@dataclass(frozen=True)
class BulkGrant:
    granted: int
    remaining: int


def tips_to_grant(channel: Channel, grantee: User):
    """Open tips of the channel that the grantee holds no key to that opens (never one whose
    tipster chose its readers: that is granted one at a time, where the tipster's vouched
    choice is checked, see grantable)."""
    held = TipKeyGrant.objects.filter(recipient=grantee, lapsed=False).values("tip")
    open_tips = Tip.objects.filter(
        channel=channel, status__in=OPEN_STATUSES, restricted=False, channel_key__isnull=True
    )
    return open_tips.exclude(pk__in=held)


def access_overview(user, channel_slug: str) -> tuple[Channel, list[tuple[User, int]]]:
    """The channel's other recipients and how many of its open tips each still lacks."""
    channel = _channel_of_recipient(user, channel_slug)
    others = [person for person in public_keys.vouched_recipients(channel) if person.pk != user.pk]
    return channel, [(person, tips_to_grant(channel, person).count()) for person in others]


def _channel_of_recipient(user, channel_slug: str) -> Channel:
    """A channel this person receives; any other is "not found", as tips of others are."""
    channel = Channel.objects.filter(slug=channel_slug, recipients=user).first()
    if channel is None:
        raise TipNotFound()
    return channel


def grant_all(user, private_key: bytes, channel_slug: str, grantee_name: str, batch: int = 500) -> BulkGrant:
    """A recipient who joined late gets every open tip of the channel that this person can
    open, `batch` at a time (one transaction each), so a large channel shows progress."""
    channel = _channel_of_recipient(user, channel_slug)
    grantee = next(
        (person for person in public_keys.vouched_recipients(channel) if person.username == grantee_name), None
    )
    if grantee is None:
        raise CannotGrant(
            _("%(name)s is not a recipient of this channel who still needs access.") % {"name": grantee_name}
        )
    granted = 0
    with transaction.atomic():
        mine = TipKeyGrant.objects.filter(recipient=user, lapsed=False, tip__in=tips_to_grant(channel, grantee))
        for grant in mine.select_related("tip")[:batch]:
            try:
                keys = tip_keys.open_sealed_keys(bytes(grant.sealed_tip_key), grant.tip.crypto_id, private_key)
            except DecryptionError:
                continue  # sealed to a key this person no longer holds: left for someone else to grant
            _seal_grant(
                grant.tip, grantee, keys
            )  # a grant from before team keys gives none: the tip gets one when opened
            granted += 1
        record(user.username, Action.ACCESS_GRANTED_IN_BULK, channel.slug, grantee=grantee.username, tips=granted)
    return BulkGrant(granted=granted, remaining=tips_to_grant(channel, grantee).count())


def download(user, private_key: bytes, tip_id, attachment_id) -> tuple[attachments.FileView, Iterator[bytes]]:
    tip = find_tip(user, tip_id)
    tip_key = tip_key_for(user, private_key, tip)
    attachment = attachment_of(tip, attachment_id)
    record(user.username, Action.FILE_DOWNLOADED, str(tip.id), file=str(attachment.id))
    return attachments.describe_file(tip_key, attachment), attachments.file_chunks(tip_key, attachment)


def attachment_of(tip: Tip, attachment_id) -> Attachment:
    """One of the tip's files; any other id, or one that is no UUID, is "not found"."""
    try:
        attachment = Attachment.objects.filter(tip=tip, pk=uuid.UUID(str(attachment_id))).select_related("tip").first()
    except ValueError:
        attachment = None
    if attachment is None:
        raise TipNotFound()
    return attachment


def _read_notes(tip: Tip, team_key: bytes) -> list[NoteView]:
    """Every note is under the team key by now (team_key_for moved older ones). Its author is
    the one bound into its associated data, whatever the author column says; one that does
    not open (altered in the database) is shown as such and the rest still read."""
    views = []
    for note in tip.notes.select_related("author"):
        author, bound_to = note.author, content.bound_account(note.bound_as)
        if bound_to is not None and note.author_id != bound_to:
            author = User.objects.filter(pk=bound_to).first()
        try:
            text = content.decrypt_content(team_key, bytes(note.ciphertext), _note_context(note)).decode()
        except (DecryptionError, UnicodeDecodeError):
            text = _("(This note could not be opened: it was altered.)")
        views.append(
            NoteView(
                author=author.username if author else _("(removed user)"), written_hour=note.written_hour, text=text
            )
        )
    return views


def _note_context(note: Note) -> bytes:
    return content.note_context(note.tip.crypto_id, note.key, note.bound_as)
