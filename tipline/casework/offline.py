"""What tipline-reader does through the API for an offline-key channel: fetch its tips as the
ciphertexts they are stored as, with the files' encrypted bytes, and add the replies and notes
it encrypted on its own side. The server checks who asks and sizes, never content: it holds
no key that opens these tips.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction

from tipline.alerts import outbox
from tipline.audit.services import Action, record
from tipline.casework.inbox import tips_for
from tipline.casework.services import TipNotFound, attachment_of, find_tip
from tipline.core import blobs, conversation, offline_keys
from tipline.core.models import Channel, Message, Note, ReaderVouch, ReplyPurpose, Tip
from tipline.crypto import aead, authorship, content, tip_keys
from tipline.crypto.encoding import b64, from_b64

SYNC_PAGE_SIZE = 100
# The longest reply or note a page takes (20,000 characters of up to four bytes), once padded and sealed.
LONGEST_SEALED_TEXT = content.padded_length(4 * 20_000) + aead.OVERHEAD_BYTES
SHORTEST_SEALED_TEXT = content.BUCKETS[0] + aead.OVERHEAD_BYTES
# A sealed box (48 bytes of X25519 sealing) around version, tip id, tip key and team key.
TEAM_KEY_BOX_BYTES = 48 + 1 + tip_keys.TIP_ID_BYTES + 2 * tip_keys.KEY_BYTES


class NotSealedHere(Exception):
    """What was sent cannot be a reply or note sealed by tipline-reader (or a cursor of a page);
    the message says why, `field` which part."""

    def __init__(self, message: str, field: str = "ciphertext"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SealedPage:
    tips: list[Tip]
    next_cursor: str | None


class NotOfflineChannel(Exception):
    """A channel this person receives, or none: either way no offline-key channel; the message
    says which, for the reader to show."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def offline_channel(user, slug: str) -> Channel:
    """An offline-key channel this person receives (with its setting as the site saved it)."""
    channel = Channel.objects.filter(slug=slug, recipients=user).first()
    if channel is None:
        raise NotOfflineChannel(
            f"No channel {slug} that you receive: check its slug, and that an admin made you its recipient.", 404
        )
    if not channel.offline_key or not offline_keys.is_setting_vouched(channel):
        raise NotOfflineChannel(
            f"Channel {slug} is not an offline-key channel: its tips are read on the tip line, not in tipline-reader. "
            "If it was one (readers held its key) and nobody changed that, the server may have been taken over: tell "
            "your admins.",
            409,
        )
    return channel


@transaction.atomic
def sealed_tips(user, channel: Channel, after: str = "", proof: bytes = b"") -> SealedPage:
    """One page of the channel's tips that are sealed to an offline key, in id order, with
    their conversations, notes and files as stored. Fetched by a reader that proves it holds
    the current key (the opened challenge), it counts as opening: the tips are no longer
    unread, and their deadline alerts need no escalation. The online side of an air-gapped
    pair holds no key: its fetch opens nothing, and the first item from the air-gapped side does."""
    found = (
        # A tip whose key was shredded (retention) is gone already, whatever rows remain.
        tips_for(user)
        .filter(channel=channel, channel_key__isnull=False, sealed_for_channel_key__isnull=False)
        .order_by("id")
        .select_related("channel", "assignee", "insider_organisation")
        .prefetch_related("labels", "messages__sender", "notes__author", "attachments")
    )
    if after:
        try:
            found = found.filter(pk__gt=uuid.UUID(after))
        except ValueError:
            raise NotSealedHere("after must be the next_cursor of the page before.", "after") from None
    page = list(found[: SYNC_PAGE_SIZE + 1])
    shown, more = page[:SYNC_PAGE_SIZE], len(page) > SYNC_PAGE_SIZE
    if proof and offline_keys.holds_current_key(user, channel, proof):
        _mark_opened(shown)
    if shown:
        record(user.username, Action.TIPS_SYNCED, channel.slug, tips=len(shown))
    return SealedPage(tips=shown, next_cursor=str(shown[-1].pk) if more else None)


def add_reply(
    user,
    tip_id,
    message_key: uuid.UUID,
    ciphertext: bytes,
    purpose: str = ReplyPurpose.ORDINARY,
    bound: bool = False,
    seal: dict | None = None,
    proof: bytes = b"",
) -> None:
    tip = _offline_tip(user, tip_id)
    _check_sealed_text(ciphertext)
    _check_key_is_free(Message, tip, message_key)
    _check_proof(tip, message_key, ciphertext, proof)
    _mark_opened([tip])  # only a reader that holds the key writes: it has read the tip
    checked = _checked_seal(seal, tip, "reply", message_key, purpose, ciphertext)
    with transaction.atomic():
        conversation.add_sealed_reply(
            tip,
            message_key,
            ciphertext,
            sender=user,
            purpose=purpose,
            bound_as=content.READER if bound else None,
            reader_seal=checked,
        )
        record(user.username, Action.REPLY_SENT, str(tip.id), **({"purpose": purpose} if purpose else {}))


@transaction.atomic
def add_note(
    user,
    tip_id,
    note_key: uuid.UUID,
    ciphertext: bytes,
    team: bool = False,
    team_key_box: bytes | None = None,
    resealed: dict | None = None,
    bound: bool = False,
    seal: dict | None = None,
    proof: bytes = b"",
) -> None:
    """A note sealed on the reader's side; sent again with the same key, it is stored once.
    For a tip from before team keys, the reader sends with its first team-key note the tip's
    new sealed box (tip key and team key, to the channel's current key) and the older notes
    sealed again under the team key; all of it is stored together, or nothing."""
    tip = _offline_tip(user, tip_id)
    _check_sealed_text(ciphertext)
    _check_key_is_free(Note, tip, note_key)
    if Note.objects.filter(tip=tip, key=note_key).exists():
        return
    _check_proof(tip, note_key, ciphertext, proof)
    _mark_opened([tip])
    checked = _checked_seal(seal, tip, "note", note_key, "", ciphertext)
    if team_key_box is not None:
        _take_team_key(tip, team_key_box, resealed or {})
    note = Note.objects.create(
        tip=tip,
        key=note_key,
        author=user,
        written_hour=conversation.current_hour(),
        ciphertext=ciphertext,
        under_team_key=team,
        bound_as=content.READER if bound else None,
        reader_seal=checked,
    )
    Tip.objects.filter(pk=tip.pk).update(last_activity_hour=note.written_hour)
    record(user.username, Action.NOTE_ADDED, str(tip.id))


def _take_team_key(tip: Tip, box: bytes, resealed: dict) -> None:
    if len(box) != TEAM_KEY_BOX_BYTES:
        raise NotSealedHere("sealed_key must be the tip key and a team key sealed to the channel's key.", "sealed_key")
    if Note.objects.filter(tip=tip, under_team_key=True).exists():
        raise NotSealedHere("This tip has a team key already: sync, then write the note again.", "sealed_key")
    older = {note.key: note for note in Note.objects.filter(tip=tip, under_team_key=False)}
    if set(resealed) != set(older):
        raise NotSealedHere("resealed_notes must hold every older note of the tip, each once.", "resealed_notes")
    key = offline_keys.current_key(tip.channel)
    if key is None:
        raise NotSealedHere("The channel has no current key to seal to.", "sealed_key")
    for note_key, ciphertext in resealed.items():
        _check_sealed_text(ciphertext)
        Note.objects.filter(pk=older[note_key].pk).update(ciphertext=ciphertext, under_team_key=True)
    Tip.objects.filter(pk=tip.pk).update(channel_key=key, sealed_for_channel_key=box)


def sealed_file(user, tip_id, file_id) -> Iterator[bytes]:
    """A file's bytes exactly as stored: encrypted under its file key, which only the tip key opens."""
    tip = _offline_tip(user, tip_id)
    attachment = attachment_of(tip, file_id)
    record(user.username, Action.FILE_DOWNLOADED, str(tip.id), file=str(attachment.id), sealed=True)
    return blobs.read_chunks(attachment.blob_name)


def _offline_tip(user, tip_id) -> Tip:
    tip = find_tip(user, tip_id)
    if tip.channel_key_id is None:
        raise TipNotFound()  # this tip's channel has no offline key: its key is with the recipients, on this server
    return tip


def _check_key_is_free(model, tip: Tip, key: uuid.UUID) -> None:
    """A key is the item's place in its ciphertext's associated data: one item's alone. The same
    key again on the same tip is a retry; on another tip it cannot be this reader's."""
    if model.objects.filter(key=key).exclude(tip=tip).exists():
        raise NotSealedHere("This key is another item's already: make a new random one.", "key")


class NoChannelKey(Exception):
    """A reply or note from someone who does not hold the channel's key: it could not be read
    by anyone, and must not count as an answer to the tipster."""


def _check_proof(tip: Tip, item_key, ciphertext: bytes, proof: bytes) -> None:
    """Only a reader that holds the channel's key writes items."""
    if not offline_keys.holds_a_channel_key(tip.channel, proof, tip.crypto_id, str(item_key), ciphertext):
        raise NoChannelKey(
            "Only a tipline-reader that holds the channel's key may add replies and notes: this one sent no proof that "
            "it does (tipline-reader join and accept-key get the key)."
        )


def _mark_opened(opened: list[Tip]) -> None:
    """Tips a key holder has read: no longer unread, and their deadline alerts need no escalation."""
    Tip.objects.filter(pk__in=[tip.pk for tip in opened if tip.unread_by_recipients]).update(unread_by_recipients=False)
    for tip in opened:
        outbox.acknowledge(tip)


def _checked_seal(seal: dict | None, tip: Tip, kind: str, item_key, purpose: str, ciphertext: bytes) -> dict | None:
    """A reader's signature, checked against what it signs: junk is refused here. Whether the
    signer is someone the team trusts only the readers can tell (tipline.crypto.authorship)."""
    if seal is None:
        return None
    statement = authorship.item_statement(
        tip.crypto_id, kind, str(item_key), purpose, ciphertext, [str(key) for key in seal["seen"]]
    )
    try:
        valid = authorship.verifies(from_b64(seal["signer"]), statement, from_b64(seal["signature"]))
    except ValueError:
        valid = False
    if not valid:
        raise NotSealedHere("seal must be the reader's signature over this item.", "seal")
    return {"signer": seal["signer"], "signature": seal["signature"], "seen": [str(key) for key in seal["seen"]]}


MAX_VOUCHES_PER_CHANNEL = 1000


def vouches(channel: Channel) -> list[dict]:
    return [
        {
            "name": vouch.name,
            "public_key": b64(vouch.public_key),
            "voucher": b64(vouch.voucher),
            "signature": b64(vouch.signature),
        }
        for vouch in channel.reader_vouches.all()
    ]


@transaction.atomic
def add_vouch(
    user, channel: Channel, name: str, public_key: bytes, voucher: bytes, signature: bytes, proof: bytes = b""
) -> None:
    """A reader's signed word for a colleague's signing key; stored once, checked first, and
    taken only from a reader that proves it holds the channel's key (no token alone fills the list)."""
    statement = authorship.vouch_statement(channel.slug, name, public_key)
    if not authorship.verifies(voucher, statement, signature) or len(public_key) != 32:
        raise NotSealedHere("signature must be the voucher's over this channel, name and key.", "signature")
    if not offline_keys.holds_a_channel_key(
        channel, proof, authorship.NO_TIP, authorship.vouch_proof_key(name, public_key), statement
    ):
        raise NoChannelKey("Only a tipline-reader that holds the channel's key may vouch for a colleague.")
    Channel.objects.select_for_update().filter(pk=channel.pk).first()
    if ReaderVouch.objects.filter(channel=channel, public_key=public_key, voucher=voucher, name=name).exists():
        return
    if ReaderVouch.objects.filter(channel=channel).count() >= MAX_VOUCHES_PER_CHANNEL:
        raise NotSealedHere(f"A channel keeps at most {MAX_VOUCHES_PER_CHANNEL} vouches.", "public_key")
    ReaderVouch.objects.create(channel=channel, name=name, public_key=public_key, voucher=voucher, signature=signature)
    record(
        user.username, Action.READER_VOUCHED, channel.slug, name=name, fingerprint=authorship.fingerprint(public_key)
    )


def _check_sealed_text(ciphertext: bytes) -> None:
    if not SHORTEST_SEALED_TEXT <= len(ciphertext) <= LONGEST_SEALED_TEXT or ciphertext[0] != aead.FORMAT_VERSION:
        raise NotSealedHere("ciphertext must be a reply or note sealed by tipline-reader (at most 20,000 characters).")
