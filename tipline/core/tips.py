"""Tip services: submitting a tip, finding it again with a receipt, the conversation,
and opening a tip as a recipient. Each public function is one transaction and owns
one rule; views call these, never tipline.crypto directly.
"""

import hashlib
import itertools
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop

from tipline.accounts import public_keys
from tipline.alerts import outbox
from tipline.core import blobs, duties, metadata, offline_keys, references, throttle
from tipline.core.crypto_policy import kdf_policy
from tipline.core.models import (
    Attachment,
    Author,
    Channel,
    ChannelKey,
    Message,
    ReplyPurpose,
    SiteSecret,
    Tip,
    TipKeyGrant,
    UsedSubmissionToken,
)
from tipline.core.uploads import EncryptedUpload
from tipline.crypto import content, files, receipts, tip_keys
from tipline.crypto.errors import DecryptionError
from tipline.crypto.kdf import KdfParams
from tipline.insider import redemption
from tipline.insider.redemption import VerifiedToken


class ChannelNotReceiving(Exception):
    """No recipient could read a tip sent to this channel, so it takes none."""


class AlreadySubmitted(Exception):
    """This form was sent before; its tip is stored and its receipt was shown then."""


class UnknownReceipt(Exception):
    """No tip has this receipt."""


class NoAccess(Exception):
    """This recipient holds no key to this tip."""


@dataclass(frozen=True)
class Answer:
    key: str
    label: str
    kind: str
    value: object  # str, bool, list[str] or None: what the tipster entered, JSON-ready

    @property
    def is_filled(self) -> bool:
        return self.value not in (None, "", [], False)

    @property
    def display(self) -> str:
        """The value as a person reads it."""
        if self.kind == "datetime" and self.value:
            moment = datetime.fromisoformat(self.value)
            return f"{formats.date_format(moment, 'DATE_FORMAT')}, {moment:%H:%M} ({moment.tzname()})"
        if isinstance(self.value, list):
            return ", ".join(self.value)
        if isinstance(self.value, bool):
            return gettext("Yes") if self.value else gettext("No")
        return "" if self.value is None else str(self.value)


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


@dataclass(frozen=True)
class FileView:
    id: uuid.UUID
    name: str
    size: int
    note: str


@dataclass(frozen=True)
class MessageView:
    author: str
    sent_hour: datetime
    text: str
    files: list[FileView] = field(default_factory=list)
    sender: str = ""  # the colleague who wrote a reply: for staff only, never shown to the tipster
    signature: str = ""  # what the tipster sees of the writer: a display name where the channel shows it, else ""


@dataclass(frozen=True)
class _PreparedFile:
    blob_name: str
    file_key: bytes
    meta: dict


def current_hour() -> datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def token_hash(form_token: str) -> bytes:
    return hashlib.blake2b(form_token.encode(), digest_size=32, person=b"tipline-form").digest()


def submit_tip(
    channel: Channel, answers: list[Answer], deadline: datetime | None,
    uploads: list[EncryptedUpload], form_token: str, insider: VerifiedToken | None = None, left_out: frozenset[int] = frozenset(),
) -> SubmittedTip:
    """Store a tip encrypted, in one transaction; only then is its receipt returned.

    The uploads' blobs are encrypted already; on any failure they are deleted, so a
    failed submission leaves no tip, no blob and no receipt behind. A member's token is
    spent in the same transaction: used only if the tip is stored. Recipients the tipster
    `left_out` (on a channel that allows it) get no key, and the tip is marked restricted.
    """
    prepared: list[_PreparedFile] = []
    try:
        channel_key, sealing_keys, restricted = _sealing_plan(channel, left_out)
        prepared = [_prepare_file(upload, channel.keep_file_metadata) for upload in uploads]
        receipt = receipts.new_receipt()
        params = kdf_policy().receipt
        # The slow Argon2id runs before the transaction, so it holds no database lock.
        receipt_keys = receipts.derive_receipt_keys(receipt, receipt_salt(), params)
        tip_id = uuid.uuid4()
        tip_key, team_key = tip_keys.new_tip_key(), tip_keys.new_team_key()
        with transaction.atomic():
            _spend_form_token(form_token)
            if insider is not None:
                redemption.spend(insider)
            hour = current_hour()
            tip = Tip.objects.create(
                id=tip_id, channel=channel, received_hour=hour, last_activity_hour=hour, deadline=deadline, restricted=restricted,
                reference=references.new_reference(taken=lambda drawn: Tip.objects.filter(reference=drawn).exists()),
                insider_organisation=insider.organisation if insider else None, insider_epoch=insider.epoch if insider else None,
                channel_key=channel_key,
                sealed_for_channel_key=tip_keys.seal_tip_key(tip_key, tip_id.bytes, bytes(channel_key.public_key), team_key) if channel_key else None,
                file_count=len(prepared), receipt_lookup_id=receipt_keys.lookup_id, receipt_kdf=params.encode(),
                tipster_wrapped_key=tip_keys.wrap_for_tipster(tip_key, receipt_keys.wrapping_key, tip_id.bytes),
                answers_ciphertext=content.encrypt_json(
                    tip_key, [answer.__dict__ for answer in answers], content.answers_context(tip_id.bytes)
                ),
            )
            TipKeyGrant.objects.bulk_create(
                TipKeyGrant(tip=tip, recipient_id=user_id, sealed_tip_key=tip_keys.seal_tip_key(tip_key, tip_id.bytes, key, team_key))
                for user_id, key in sealing_keys
            )
            _store_attachments(tip, tip_key, prepared, Author.TIPSTER, message=None)
            outbox.record(channel, "new-tip", tip=tip)
    except BaseException:
        _discard(prepared, uploads)
        raise
    return SubmittedTip(
        tip_id=tip_id, receipt=receipt, file_notes=[FileNote(file.meta["name"], file.meta["note"]) for file in prepared],
        reference=tip.reference,
    )


def channel_is_receiving(channel: Channel) -> bool:
    if channel.offline_key:
        return offline_keys.current_key(channel) is not None
    return offline_keys.is_setting_vouched(channel) and bool(public_keys.vouched_recipients(channel))


def receipt_salt() -> bytes:
    """The site-wide receipt salt, made with the first tip. If it vanished while tips exist,
    no receipt could open them again: refuse loudly rather than make a new one."""
    secret = SiteSecret.objects.filter(pk=1).first()
    if secret is None:
        if Tip.objects.exists():
            raise ImproperlyConfigured("The receipt salt is missing while tips exist: restore the database from a backup.")
        secret, _ = SiteSecret.objects.get_or_create(pk=1, defaults={"receipt_salt": secrets.token_bytes(16)})
    return bytes(secret.receipt_salt)


def find_tip_by_receipt(typed_receipt: str) -> tuple[Tip, bytes]:
    """The tip and its opened key. Raises ReceiptFormatError / ReceiptTypoError (typed
    wrongly) or UnknownReceipt (well-formed, but no tip has it)."""
    salt = receipt_salt()
    current = kdf_policy().receipt
    for params in itertools.chain([current], _older_receipt_params(current)):
        keys = receipts.derive_receipt_keys(typed_receipt, salt, params)
        tip = Tip.objects.filter(receipt_lookup_id=keys.lookup_id).first()
        if tip is not None:
            return tip, tip_keys.unwrap_for_tipster(tip.tipster_wrapped_key, keys.wrapping_key, tip.crypto_id)
    raise UnknownReceipt()


def lookup_scope(typed_receipt: str) -> bytes:
    """A stable, non-secret handle on a receipt for throttling (no Argon2id needed)."""
    return hashlib.blake2b(receipts.normalise(typed_receipt).encode(), digest_size=16, person=b"tipline-throttle").digest()


def count_submission(channel: Channel, request, with_valid_token: bool = False) -> None:
    """Count one submission against the client's, the site's and the channel's limits (raises
    Throttled). Tips carrying a valid member's token have budgets of their own, so that a
    flood of anonymous junk does not silence members (each token sends one tip only)."""
    throttle.count_for_client(request, "submit")
    budget = "submit-with-token" if with_valid_token else "submit"
    throttle.count_against(f"{budget}:site", settings.SUBMISSIONS_PER_MINUTE)
    throttle.count_against(f"{budget}:channel:{channel.pk}", settings.SUBMISSIONS_PER_MINUTE_PER_CHANNEL)


def count_follow_up(tip: Tip, request) -> None:
    """Count one tipster message against the client's, the site's and the tip's limits (raises
    Throttled): a budget apart from tips and receipt look-ups, for people who hold a receipt."""
    throttle.count_for_client(request, "message")
    throttle.count_against("follow-up:site", settings.FOLLOW_UPS_PER_MINUTE)
    throttle.count_against(throttle.scope_for_secret("follow-up", tip.crypto_id), settings.FOLLOW_UPS_PER_TIP, 3600)


def open_with_receipt(typed_receipt: str, request) -> tuple[Tip, bytes]:
    """A tipster coming back: limits per client, site and receipt, then the look-up. Raises
    ReceiptFormatError, ReceiptTypoError, Throttled or UnknownReceipt. What is not a
    well-formed receipt is refused first and counts against nothing (it costs no Argon2id),
    so junk cannot use up the look-ups real receipts need."""
    receipts.normalise(typed_receipt)
    throttle.count_for_client(request, "receipt")
    throttle.count_against("receipt:site", settings.RECEIPT_ATTEMPTS_PER_MINUTE)
    scope = throttle.scope_for_secret("receipt", lookup_scope(typed_receipt))
    throttle.count_against(scope, settings.RECEIPT_ATTEMPTS_PER_RECEIPT, 600)
    return find_tip_by_receipt(typed_receipt)


def add_message(
    tip: Tip, tip_key: bytes, author: str, text: str, uploads: list[EncryptedUpload] = (), sender=None,
    purpose: str = ReplyPurpose.ORDINARY,
) -> Message:
    """Add a message (and files) to a tip's conversation. A tipster's message marks the tip
    unread; a recipient's reply may be the acknowledgement or feedback the tip is owed."""
    prepared: list[_PreparedFile] = []
    try:
        prepared = [_prepare_file(upload, tip.channel.keep_file_metadata) for upload in uploads]
        bound_as = content.TIPSTER if author == Author.TIPSTER else content.recipient_binding(sender.pk)
        message = Message(tip=tip, author=author, sender=sender, sent_hour=current_hour(), purpose=purpose, bound_as=bound_as)
        message.ciphertext = content.encrypt_content(tip_key, text.encode(), _message_context(tip, message))
        _save_message(tip, message, len(prepared), lambda saved: _store_attachments(tip, tip_key, prepared, author, message=saved))
    except BaseException:
        _discard(prepared, uploads)
        raise
    return message


def add_sealed_reply(
    tip: Tip, message_key: uuid.UUID, ciphertext: bytes, sender, purpose: str = ReplyPurpose.ORDINARY,
    bound_as: str | None = None, reader_seal: dict | None = None,
) -> Message:
    """A reply tipline-reader encrypted under the tip key on its side (an offline-key channel),
    stored as it came with the reader's signature. Sent again with the same key (an answer
    lost on the way), it is the same reply: stored once."""
    existing = Message.objects.filter(tip=tip, key=message_key).first()
    if existing is not None:
        return existing
    message = Message(
        tip=tip, key=message_key, author=Author.RECIPIENT, sender=sender, sent_hour=current_hour(), purpose=purpose, ciphertext=ciphertext,
        bound_as=bound_as, reader_seal=reader_seal,
    )
    _save_message(tip, message, 0)
    return message


def _save_message(tip: Tip, message: Message, file_count: int, store_files=None) -> None:
    with transaction.atomic():
        message.save()
        if store_files is not None:
            store_files(message)
        changes = {
            "message_count": F("message_count") + 1, "file_count": F("file_count") + file_count,
            "last_activity_hour": message.sent_hour,
        }
        if message.author == Author.TIPSTER:
            changes["unread_by_recipients"] = True
            outbox.record(tip.channel, "new-message", tip=tip)
        else:
            changes |= duties.record_reply_purpose(tip, message.purpose, message.sent_hour)
        Tip.objects.filter(pk=tip.pk).update(**changes)


def read_answers(tip: Tip, tip_key: bytes, ciphertext: bytes | None = None) -> list[Answer]:
    """The tipster's answers; `ciphertext` when the caller read the column apart (the inbox)."""
    encrypted = tip.answers_ciphertext if ciphertext is None else ciphertext
    values = content.decrypt_json(tip_key, encrypted, content.answers_context(tip.crypto_id))
    return [Answer(**value) for value in values]


def read_conversation(tip: Tip, tip_key: bytes) -> list[MessageView]:
    files_by_message: dict[int, list[FileView]] = {}
    for attachment in tip.attachments.filter(message__isnull=False):
        files_by_message.setdefault(attachment.message_id, []).append(describe_file(tip_key, attachment))
    views = []
    for message in tip.messages.select_related("sender"):
        author, sender = _bound_author(message)
        views.append(MessageView(
            author=author, sent_hour=message.sent_hour, text=_message_text(tip, tip_key, message),
            files=files_by_message.get(message.pk, []), sender=sender.username if sender else "",
            signature=sender.display_name if sender and tip.channel.show_sender_to_tipster else "",
        ))
    return views


def _bound_author(message: Message) -> tuple[str, object]:
    """Who wrote a message, as its associated data says (which opened it), not as the plain
    columns say: a database writer who relabels a reply as the tipster's, or names another
    colleague, changes nothing that is shown. Messages from before the binding keep their columns."""
    from tipline.accounts.models import User

    if message.bound_as is None:
        return message.author, message.sender
    if message.bound_as == content.TIPSTER:
        return Author.TIPSTER, None
    account_id = content.bound_account(message.bound_as)
    if account_id is not None:
        return Author.RECIPIENT, message.sender if message.sender_id == account_id else User.objects.filter(pk=account_id).first()
    return Author.RECIPIENT, message.sender  # sealed in tipline-reader, which signs who wrote it


def _message_text(tip: Tip, tip_key: bytes, message: Message) -> str:
    """A reply tipline-reader sealed is stored as it came, unread by the server: one that
    does not open is shown as damaged, and the rest of the conversation still reads."""
    try:
        return content.decrypt_content(tip_key, message.ciphertext, _message_context(tip, message)).decode()
    except (DecryptionError, UnicodeDecodeError):
        return gettext("(This message could not be opened: it was damaged on its way.)")


def submitted_files(tip: Tip, tip_key: bytes) -> list[FileView]:
    return [describe_file(tip_key, attachment) for attachment in tip.attachments.filter(message__isnull=True)]


def describe_file(tip_key: bytes, attachment: Attachment) -> FileView:
    meta = content.decrypt_json(tip_key, attachment.meta_ciphertext, _attachment_meta_context(attachment))
    return FileView(id=attachment.id, name=meta["name"], size=meta["size"], note=meta["note"])


def file_chunks(tip_key: bytes, attachment: Attachment) -> Iterator[bytes]:
    """The decrypted bytes of an attachment, streamed; raises DecryptionError if altered."""
    file_key = files.unwrap_file_key(
        tip_key, attachment.wrapped_file_key, files.file_context(attachment.tip.crypto_id, str(attachment.id))
    )
    size = content.decrypt_json(tip_key, attachment.meta_ciphertext, _attachment_meta_context(attachment))["size"]
    return files.decrypt_chunks(file_key, blobs.read_chunks(attachment.blob_name), files.blob_context(attachment.blob_name), size)


def open_tip_for_recipient(tip: Tip, recipient, private_key: bytes) -> bytes:
    return open_keys_for_recipient(tip, recipient, private_key).tip_key


def open_keys_for_recipient(tip: Tip, recipient, private_key: bytes) -> tip_keys.SealedKeys:
    """The tip key and team key in this recipient's grant (no team key in a grant made before them)."""
    grant = TipKeyGrant.objects.filter(tip=tip, recipient=recipient).first()
    if grant is None:
        raise NoAccess()
    try:
        return tip_keys.open_sealed_keys(grant.sealed_tip_key, tip.crypto_id, private_key)
    except DecryptionError:
        raise NoAccess() from None


def _sealing_plan(channel: Channel, left_out: frozenset[int]) -> tuple[ChannelKey | None, list[tuple[int, bytes]], bool]:
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


def recipients_a_tipster_may_leave_out(channel: Channel) -> list:
    """Who the form lists, by the name each chose for tipsters, when the channel allows it."""
    if not channel.tipsters_may_leave_out:
        return []
    return list(public_keys.vouched_recipients(channel))


def _recipient_keys(channel: Channel) -> list[tuple[int, bytes]]:
    """The keys a new tip is sealed to: only those the site vouches for."""
    keys = [(user.pk, bytes(user.public_key)) for user in public_keys.vouched_recipients(channel, report_refused=True)]
    if not keys:
        raise ChannelNotReceiving()
    return keys


def _older_receipt_params(current: KdfParams) -> Iterator[KdfParams]:
    """Parameters tips were stored with before the current ones. A generator: the scan of
    every tip runs only when the current parameters found nothing."""
    older = {bytes(value) for value in Tip.objects.values_list("receipt_kdf", flat=True).distinct()}
    older.discard(current.encode())
    yield from (KdfParams.decode(value) for value in sorted(older))


def form_was_sent(form_token: str) -> bool:
    return UsedSubmissionToken.objects.filter(token_hash=token_hash(form_token)).exists()


def _spend_form_token(form_token: str) -> None:
    try:
        with transaction.atomic():
            UsedSubmissionToken.objects.create(token_hash=token_hash(form_token), spent_hour=current_hour())
    except IntegrityError:
        raise AlreadySubmitted() from None


def _prepare_file(upload: EncryptedUpload, keep_original: bool) -> _PreparedFile:
    """Clean an upload's hidden details where possible; say what happened to it."""
    meta = {"name": upload.name, "content_type": upload.content_type, "size": upload.size}
    kind = metadata.recognise(upload.head)
    if keep_original:
        note = gettext_noop("kept exactly as sent: this channel keeps files as evidence")
    elif kind is None:
        note = gettext_noop("not cleaned: files of this kind are not cleaned; it is stored as sent")
    elif upload.size > settings.MAX_CLEANABLE_BYTES:
        note = gettext_noop("too large to clean; it is stored as sent")
    else:
        cleaning = metadata.clean_within(_decrypt_upload(upload), kind, cleaning_limits())
        if cleaning.data is not None:
            name = metadata.name_for(upload.name, cleaning.data)  # a HEIC comes back as a JPEG
            return _encrypt_new_blob(cleaning.data, meta | {"name": name, "size": len(cleaning.data), "note": cleaning.note})
        note = cleaning.note
    return _PreparedFile(upload.blob_name, upload.file_key, meta | {"note": note})


def cleaning_limits() -> metadata.Limits:
    return metadata.Limits(
        seconds=settings.CLEANING_SECONDS, max_pixels=settings.MAX_CLEANABLE_PIXELS,
        memory_bytes=settings.CLEANING_MEMORY_MIB * 1024 * 1024, parallel=settings.CLEANING_PARALLEL,
    )


def _decrypt_upload(upload: EncryptedUpload) -> bytes:
    return b"".join(upload.plaintext_chunks())


def _encrypt_new_blob(data: bytes, meta: dict) -> _PreparedFile:
    blob_name, file_key = blobs.new_blob_name(), files.new_file_key()
    pieces = (data[start : start + files.CHUNK_BYTES] for start in range(0, len(data), files.CHUNK_BYTES))
    try:
        with blobs.open_for_writing(blob_name) as blob:
            for encrypted in files.encrypt_chunks(file_key, pieces, files.blob_context(blob_name), padded=True):
                blob.write(encrypted)
    except BaseException:  # a disk that filled part-way: no half-written blob stays behind
        blobs.delete(blob_name)
        raise
    return _PreparedFile(blob_name, file_key, meta)


def _store_attachments(tip: Tip, tip_key: bytes, prepared: list[_PreparedFile], author: str, message) -> None:
    attachments = []
    for file in prepared:
        attachment = Attachment(id=uuid.uuid4(), tip=tip, message=message, author=author, blob_name=file.blob_name)
        attachment.wrapped_file_key = files.wrap_file_key(
            tip_key, file.file_key, files.file_context(tip.crypto_id, str(attachment.id))
        )
        attachment.meta_ciphertext = content.encrypt_json(tip_key, file.meta, _attachment_meta_context(attachment))
        attachments.append(attachment)
    Attachment.objects.bulk_create(attachments)


def _discard(prepared: list[_PreparedFile], uploads: list[EncryptedUpload]) -> None:
    for blob_name in {file.blob_name for file in prepared} | {upload.blob_name for upload in uploads}:
        blobs.delete(blob_name)


def _message_context(tip: Tip, message: Message) -> bytes:
    return content.message_context(tip.crypto_id, message.key, message.bound_as)


def _attachment_meta_context(attachment: Attachment) -> bytes:
    return content.file_meta_context(attachment.tip_id.bytes, attachment.id)
