"""The conversation on a tip: the tipster's answers and messages, recipients' replies (sealed ones
from tipline-reader too), who wrote each as the ciphertext binds it, and opening a tip's keys as
a recipient."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Max
from django.utils import formats, timezone
from django.utils.translation import gettext

from tipline.core import duties, events, throttle
from tipline.core.attachments import (
    FileView,
    PreparedFile,
    describe_file,
    discard_prepared,
    prepare_files,
    store_attachments,
)
from tipline.core.models import Author, Message, ReplyPurpose, Tip, TipKeyGrant
from tipline.core.uploads import EncryptedUpload
from tipline.crypto import content, tip_keys
from tipline.crypto.errors import DecryptionError


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
        if self.kind == "datetime" and isinstance(self.value, str) and self.value:
            moment = datetime.fromisoformat(self.value)
            return f"{formats.date_format(moment, 'DATE_FORMAT')}, {moment:%H:%M} ({moment.tzname()})"
        if isinstance(self.value, list):
            return ", ".join(self.value)
        if isinstance(self.value, bool):
            return gettext("Yes") if self.value else gettext("No")
        return "" if self.value is None else str(self.value)


@dataclass(frozen=True)
class MessageView:
    author: str
    sent_hour: datetime
    text: str
    files: list[FileView] = field(default_factory=list)
    sender: str = ""  # the colleague who wrote a reply: for staff only, never shown to the tipster
    signature: str = ""  # what the tipster sees of the writer: a display name where the channel shows it, else ""


def current_hour() -> datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def count_follow_up(tip: Tip, client: str | None) -> None:
    """Count one tipster message against the client's, the site's and the tip's limits (raises
    Throttled): a budget apart from tips and receipt look-ups, for people who hold a receipt.
    The tip's own limit comes first, and the site's is shared fairly (throttle.spend_fairly),
    so that many junk tips' messages cannot use up what a real tipster's need."""
    throttle.count_for_client(client, "message")
    tip_scope = throttle.scope_for_secret("follow-up", tip.crypto_id)
    throttle.count_against(tip_scope, settings.FOLLOW_UPS_PER_TIP, 3600)
    throttle.spend_fairly("follow-up:site", settings.FOLLOW_UPS_PER_MINUTE, holder_scope=tip_scope)


def add_message(
    tip: Tip,
    tip_key: bytes,
    author: str,
    text: str,
    uploads: Sequence[EncryptedUpload] = (),
    sender=None,
    purpose: str = ReplyPurpose.ORDINARY,
) -> Message:
    """Add a message (and files) to a tip's conversation. A tipster's message marks the tip
    unread; a recipient's reply may be the acknowledgement or feedback the tip is owed."""
    prepared: list[PreparedFile] = []
    try:
        prepared = prepare_files(
            uploads, tip.channel.keep_file_metadata, charge_to=tip.channel if author == Author.TIPSTER else None
        )
        bound_as = content.TIPSTER if author == Author.TIPSTER else content.recipient_binding(sender.pk)
        message = Message(
            tip=tip, author=author, sender=sender, sent_hour=current_hour(), purpose=purpose, bound_as=bound_as
        )
        message.ciphertext = content.encrypt_content(tip_key, text.encode(), _message_context(tip, message))
        _save_message(
            tip, message, len(prepared), lambda saved: store_attachments(tip, tip_key, prepared, author, message=saved)
        )
    except BaseException:
        discard_prepared(prepared, uploads)
        raise
    return message


def add_sealed_reply(
    tip: Tip,
    message_key: uuid.UUID,
    ciphertext: bytes,
    sender,
    purpose: str = ReplyPurpose.ORDINARY,
    bound_as: str | None = None,
    reader_seal: dict | None = None,
) -> Message:
    """A reply tipline-reader encrypted under the tip key on its side (an offline-key channel),
    stored as it came with the reader's signature. Sent again with the same key (an answer
    lost on the way), it is the same reply: stored once."""
    existing = Message.objects.filter(tip=tip, key=message_key).first()
    if existing is not None:
        return existing
    message = Message(
        tip=tip,
        key=message_key,
        author=Author.RECIPIENT,
        sender=sender,
        sent_hour=current_hour(),
        purpose=purpose,
        ciphertext=ciphertext,
        bound_as=bound_as,
        reader_seal=reader_seal,
    )
    _save_message(tip, message, 0)
    return message


def _save_message(tip: Tip, message: Message, file_count: int, store_files=None) -> None:
    with transaction.atomic():
        Tip.objects.select_for_update().only("pk").get(pk=tip.pk)  # one message at a time takes the next place
        message.number = (Message.objects.filter(tip=tip).aggregate(last=Max("number"))["last"] or 0) + 1
        message.save()
        if store_files is not None:
            store_files(message)
        changes = {
            "message_count": F("message_count") + 1,
            "file_count": F("file_count") + file_count,
            "last_activity_hour": message.sent_hour,
        }
        if message.author == Author.TIPSTER:
            changes["unread_by_recipients"] = True
            events.announce(tip.channel, "new-message", tip=tip)
        else:
            changes |= duties.record_reply_purpose(tip, message.purpose, message.sent_hour)
        Tip.objects.filter(pk=tip.pk).update(**changes)


def read_answers(tip: Tip, tip_key: bytes, ciphertext: bytes | None = None) -> list[Answer]:
    """The tipster's answers; `ciphertext` when the caller read the column apart (the inbox)."""
    encrypted = bytes(tip.answers_ciphertext) if ciphertext is None else ciphertext
    values = content.decrypt_json(tip_key, encrypted, content.answers_context(tip.crypto_id))
    return [Answer(**value) for value in values]


def read_conversation(tip: Tip, tip_key: bytes) -> list[MessageView]:
    files_by_message: dict[int | None, list[FileView]] = {}
    for attachment in tip.attachments.filter(message__isnull=False):
        files_by_message.setdefault(attachment.message_id, []).append(describe_file(tip_key, attachment))
    views = []
    for message in tip.messages.select_related("sender"):
        author, sender = _bound_author(message)
        views.append(
            MessageView(
                author=author,
                sent_hour=message.sent_hour,
                text=_message_text(tip, tip_key, message),
                files=files_by_message.get(message.pk, []),
                sender=sender.username if sender else "",
                signature=sender.display_name if sender and tip.channel.show_sender_to_tipster else "",
            )
        )
    return views


def _bound_author(message: Message) -> tuple[str, Any]:  # Any: the user model, which the domain does not import
    """Who wrote a message, as its associated data says (which opened it), not as the plain
    columns say: a database writer who relabels a reply as the tipster's, or names another
    colleague, changes nothing that is shown. Messages from before the binding keep their columns."""
    User = get_user_model()

    if message.bound_as is None:
        return message.author, message.sender
    if message.bound_as == content.TIPSTER:
        return Author.TIPSTER, None
    account_id = content.bound_account(message.bound_as)
    if account_id is not None:
        return Author.RECIPIENT, message.sender if message.sender_id == account_id else User.objects.filter(
            pk=account_id
        ).first()
    return Author.RECIPIENT, message.sender  # sealed in tipline-reader, which signs who wrote it


def _message_text(tip: Tip, tip_key: bytes, message: Message) -> str:
    """A reply tipline-reader sealed is stored as it came, unread by the server: one that
    does not open is shown as damaged, and the rest of the conversation still reads."""
    try:
        return content.decrypt_content(tip_key, bytes(message.ciphertext), _message_context(tip, message)).decode()
    except (DecryptionError, UnicodeDecodeError):
        return gettext("(This message could not be opened: it was damaged on its way.)")


def open_tip_for_recipient(tip: Tip, recipient, private_key: bytes) -> bytes:
    return open_keys_for_recipient(tip, recipient, private_key).tip_key


def open_keys_for_recipient(tip: Tip, recipient, private_key: bytes) -> tip_keys.SealedKeys:
    """The tip key and team key in this recipient's grant (no team key in a grant made before them)."""
    grant = TipKeyGrant.objects.filter(tip=tip, recipient=recipient, lapsed=False).first()
    if grant is None:
        raise NoAccess()
    try:
        return tip_keys.open_sealed_keys(bytes(grant.sealed_tip_key), tip.crypto_id, private_key)
    except DecryptionError:
        raise NoAccess() from None


def _message_context(tip: Tip, message: Message) -> bytes:
    return content.message_context(tip.crypto_id, message.key, message.bound_as)
