"""Submitting a tip: the channel's readiness, the limits a submission counts against, whom its keys
are sealed to (and whom the tipster may leave out), and the one transaction that stores it; only
then is its receipt returned."""

import hashlib
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone

from tipline.base.crypto_policy import kdf_policy
from tipline.core import (
    capacity,
    events,
    offline_keys,
    public_keys,
    receipt_tags,
    recovery,
    references,
    throttle,
)
from tipline.core.attachments import (
    PreparedFile,
    discard_prepared,
    prepare_files,
    store_attachments,
)
from tipline.core.check_in import receipt_salt
from tipline.core.conversation import Answer, current_hour
from tipline.core.models import (
    Author,
    Channel,
    ChannelKey,
    Tip,
    TipKeyGrant,
    UsedSubmissionToken,
)
from tipline.core.uploads import EncryptedUpload
from tipline.crypto import content, receipts, tip_keys


class ChannelNotReceiving(Exception):
    """No recipient could read a tip sent to this channel, so it takes none."""


class AlreadySubmitted(Exception):
    """This form was sent before and its tip is stored (its receipt may not have reached the tipster)."""


@dataclass(frozen=True)
class FileNote:
    name: str
    note: str


@dataclass(frozen=True)
class SubmittedTip:
    tip_id: uuid.UUID
    receipt: str
    file_notes: list[FileNote]
    reference: str = ""


def token_hash(form_token: str) -> bytes:
    return hashlib.blake2b(form_token.encode(), digest_size=32, person=b"tipline-form").digest()


class MembersMark(Protocol):
    """A member's token, checked (tipline.insider.redemption.VerifiedToken): the domain stores
    its organisation and period and spends it in the tip's transaction, without importing the
    insider app that checked it."""

    @property
    def organisation(self) -> Any: ...  # an insider Organisation
    @property
    def epoch(self) -> int: ...

    def spend(self) -> None:
        """Within the caller's transaction; raises if the token was spent already."""


def submit_tip(
    channel: Channel,
    answers: list[Answer],
    deadline: datetime | None,
    uploads: list[EncryptedUpload],
    form_token: str,
    insider: MembersMark | None = None,
    left_out: frozenset[int] = frozenset(),
    before_commit: Callable[[SubmittedTip], None] | None = None,
) -> SubmittedTip:
    """Store a tip encrypted, in one transaction; only then is its receipt returned.

    The uploads' blobs are encrypted already; on any failure they are deleted, so a
    failed submission leaves no tip, no blob and no receipt behind. Files beyond the
    channel's hourly storage budget are refused (StorageBudgetSpent). A member's token is
    spent in the same transaction: used only if the tip is stored. Recipients the tipster
    `left_out` (on a channel that allows it) get no key, and the tip is marked restricted.
    On an ordinary channel the keys are also sealed to the organisation recovery key, if one
    is installed and holds its check (tipline.core.recovery).
    `before_commit` gets the receipt page inside the transaction, once the tip is whole: what it
    keeps is there before anyone can find the form spent (tipline.core.receipt_again).
    """
    prepared: list[PreparedFile] = []
    try:
        channel_key, sealing_keys, restricted = _sealing_plan(channel, left_out)
        recovery_key = recovery.key_for_new_tip(channel)
        prepared = prepare_files(uploads, channel.keep_file_metadata, charge_to=channel)
        receipt = receipts.new_receipt()
        params = kdf_policy().receipt
        # The slow Argon2id runs before the transaction, so it holds no database lock.
        receipt_keys = receipts.derive_receipt_keys(receipt, receipt_salt(), params)
        receipt_tags.void_tags_of_another_key()
        tip_id = uuid.uuid4()
        tip_key, team_key = tip_keys.new_tip_key(), tip_keys.new_team_key()
        chosen = sorted(user_id for user_id, _key in sealing_keys) if restricted else None
        with transaction.atomic():
            _spend_form_token(form_token)
            if insider is not None:
                insider.spend()
            hour = current_hour()
            tip = Tip.objects.create(
                id=tip_id,
                channel=channel,
                received_hour=hour,
                last_activity_hour=hour,
                deadline=deadline,
                restricted=restricted,
                reference=references.new_reference(taken=lambda drawn: Tip.objects.filter(reference=drawn).exists()),
                insider_organisation=insider.organisation if insider else None,
                insider_epoch=insider.epoch if insider else None,
                channel_key=channel_key,
                sealed_for_channel_key=tip_keys.seal_tip_key(
                    tip_key, tip_id.bytes, bytes(channel_key.public_key), team_key
                )
                if channel_key
                else None,
                recovery_key=recovery_key,
                sealed_for_recovery_key=tip_keys.seal_tip_key(
                    tip_key,
                    tip_id.bytes,
                    bytes(recovery_key.public_key),
                    team_key,
                )
                if recovery_key
                else None,
                chosen_readers=chosen,
                chosen_readers_mac=public_keys.vouch_chosen_readers(tip_id.bytes, chosen)
                if chosen is not None
                else None,
                file_count=len(prepared),
                receipt_lookup_id=receipt_keys.lookup_id,
                receipt_kdf=params.encode(),
                receipt_tag=receipt_tags.tag_for(receipt),
                tipster_wrapped_key=tip_keys.wrap_for_tipster(tip_key, receipt_keys.wrapping_key, tip_id.bytes),
                answers_ciphertext=content.encrypt_json(
                    tip_key, [answer.__dict__ for answer in answers], content.answers_context(tip_id.bytes)
                ),
            )
            TipKeyGrant.objects.bulk_create(
                TipKeyGrant(
                    tip=tip,
                    recipient_id=user_id,
                    sealed_tip_key=tip_keys.seal_tip_key(tip_key, tip_id.bytes, key, team_key),
                )
                for user_id, key in sealing_keys
            )
            store_attachments(tip, tip_key, prepared, Author.TIPSTER, message=None)
            events.announce(channel, "new-tip", tip=tip)
            submitted = SubmittedTip(
                tip_id=tip_id,
                receipt=receipt,
                reference=tip.reference,
                file_notes=[FileNote(file.meta["name"], file.meta["note"]) for file in prepared],
            )
            if before_commit is not None:
                before_commit(submitted)
    except BaseException:
        discard_prepared(prepared, uploads)
        raise
    return submitted


def channel_is_receiving(channel: Channel, report_refused: bool = False) -> bool:
    """`report_refused`: a key or setting that fails its check is audited and alerted, as
    when a tip is being sealed."""
    if channel.offline_key:
        return offline_keys.current_key(channel, report_refused=report_refused) is not None
    if not offline_keys.is_setting_vouched(channel):
        if report_refused:
            offline_keys.report_tampering(channel)
        return False
    return bool(public_keys.vouched_recipients(channel, report_refused=report_refused))


REFUSAL_EVENTS = ("recipient-key-refused", "channel-key-refused", "channel-setting-refused")


def form_page_is_receiving(channel: Channel) -> bool:
    """Whether the form's page may show the form. A channel closed by a key swapped behind
    the site's back is reported from here too, since its tipsters never get to send a tip;
    once an hour at most, so that a page anyone can load does not write on every load."""
    hour_ago = timezone.now() - timedelta(hours=1)
    reported_lately = channel.alert_events.filter(kind__in=REFUSAL_EVENTS, recorded_at__gte=hour_ago).exists()
    return channel_is_receiving(channel, report_refused=not reported_lately)


def count_submission(channel: Channel, client: str | None, with_valid_token: bool = False) -> None:
    """Count one submission against the client's (tipline.web.client_buckets), the site's and
    the channel's limits (raises Throttled). Called only for a post that will cost Argon2id
    (valid, not sent before), so that empty or broken posts, which cost the server little, use
    up nothing. Tips carrying a valid member's token have budgets of their own, so that a
    flood of anonymous junk does not silence members (each token sends one tip only)."""
    throttle.count_for_client(client, "submit")
    budget = "submit-with-token" if with_valid_token else "submit"
    throttle.count_against(f"{budget}:site", capacity.submissions_per_minute())
    throttle.count_against(f"{budget}:channel:{channel.pk}", capacity.submissions_per_minute_per_channel())


def _sealing_plan(
    channel: Channel, left_out: frozenset[int]
) -> tuple[ChannelKey | None, list[tuple[int, bytes]], bool]:
    """What a new tip's key is sealed to: on an offline-key channel its current key alone (no
    recipient's key, so nothing on the server opens it); else the recipients' keys. A channel
    whose offline setting was switched behind the site's back takes nothing."""
    if not channel.offline_key:
        if not offline_keys.is_setting_vouched(channel):
            offline_keys.report_tampering(channel)
            raise ChannelNotReceiving()
        return None, *_chosen_keys(channel, left_out)
    if left_out:
        raise ValueError("an offline-key channel does not let tipsters leave recipients out")
    channel_key = offline_keys.current_key(channel, report_refused=True)
    if channel_key is None:
        raise ChannelNotReceiving()
    return channel_key, [], False


def _chosen_keys(channel: Channel, left_out: frozenset[int]) -> tuple[list[tuple[int, bytes]], bool]:
    """The keys a new tip is sealed to, without the recipients its tipster left out."""
    keys = _recipient_keys(channel)
    if not left_out:
        return keys, False
    if not channel.tipsters_may_leave_out:
        raise ValueError("this channel does not let tipsters leave recipients out")
    chosen = [(user_id, key) for user_id, key in keys if user_id not in left_out]
    if not chosen:
        raise ValueError("at least one recipient must remain")
    return chosen, len(chosen) < len(keys)


@dataclass(frozen=True)
class LeaveOutChoices:
    """What a leave-out form offers: the recipients a tipster can tell apart, and how many
    others (no name for tipsters, or one a colleague shares) always read the channel's tips."""

    listed: list
    always_read: int = 0


def recipients_a_tipster_may_leave_out(channel: Channel) -> LeaveOutChoices:
    """Who the form lists when the channel allows it: each recipient by the name they chose
    for tipsters, when no other recipient of the channel has one that reads the same."""
    if not channel.tipsters_may_leave_out:
        return LeaveOutChoices(listed=[])
    people = list(public_keys.vouched_recipients(channel))
    names = Counter(name_as_tipsters_read_it(user.display_name) for user in people)
    listed = [user for user in people if (name := name_as_tipsters_read_it(user.display_name)) and names[name] == 1]
    return LeaveOutChoices(listed=listed, always_read=len(people) - len(listed))


def name_as_tipsters_read_it(name: str) -> str:
    """Two names a reader cannot tell apart read the same here: compatibility forms (NFKC),
    case, invisible characters and runs of spaces do not count."""
    visible = "".join(
        character for character in unicodedata.normalize("NFKC", name) if unicodedata.category(character) != "Cf"
    )
    return " ".join(visible.casefold().split())


def _recipient_keys(channel: Channel) -> list[tuple[int, bytes]]:
    """The keys a new tip is sealed to: only those the site vouches for."""
    keys = [(user.pk, bytes(user.public_key)) for user in public_keys.vouched_recipients(channel, report_refused=True)]
    if not keys:
        raise ChannelNotReceiving()
    return keys


def form_was_sent(form_token: str) -> bool:
    return UsedSubmissionToken.objects.filter(token_hash=token_hash(form_token)).exists()


def _spend_form_token(form_token: str) -> None:
    try:
        with transaction.atomic():
            UsedSubmissionToken.objects.create(token_hash=token_hash(form_token), spent_hour=current_hour())
    except IntegrityError:
        raise AlreadySubmitted() from None
