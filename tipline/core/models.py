"""Domain models: channels and their forms, tips, key grants, messages and attachments.

What is stored in plaintext is the triage metadata DESIGN.md lists (channel, hour
received, status, deadline, counts); everything a tipster wrote is ciphertext.
"""

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from tipline.crypto import channel_keys, recovery_keys


class InsiderTokens(models.TextChoices):
    OFF = "off", "Not asked for"
    OPTIONAL = "optional", "Accepted, not required"
    REQUIRED = "required", "Required"


class Channel(models.Model):
    """A door a tipster can knock on: its own description, form and recipients."""

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Shown to tipsters before they write.")
    is_listed = models.BooleanField(default=True, help_text="Listed on the public landing page.")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="channels", blank=True)
    retention_days = models.PositiveIntegerField(
        default=90, help_text="Tips are destroyed this long after their last activity."
    )
    keep_file_metadata = models.BooleanField(
        default=False, help_text="Keep files exactly as sent (evidence); tipsters are told before sending."
    )
    time_zone = models.CharField(max_length=64, default="UTC", help_text="How dates and times on the form are read.")
    tipsters_may_leave_out = models.BooleanField(
        default=False,
        help_text="The form lists the recipients by display name, and a tipster may leave any of them out.",
    )
    show_sender_to_tipster = models.BooleanField(
        default=False,
        help_text="Replies show the tipster the writer's display name instead of “the team”.",
    )
    offline_key = models.BooleanField(
        default=False,
        help_text="Tips are sealed only to a key made in tipline-reader on a recipient's own device: the server cannot "
        "open them.",
    )
    joining_needs_approval = models.BooleanField(
        default=False,
        help_text="A new recipient joins only once a current recipient approves (tipline.core.joining); stays on once "
        "set.",
    )
    # A MAC under the secret key file over (channel, offline_key): whoever can only write the
    # database cannot switch an offline-key channel to keys the server holds (or back).
    offline_key_mac = models.BinaryField(max_length=32, null=True, blank=True)
    acknowledge_within_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=7,
        help_text="Answering duty: acknowledge each tip within this many days (empty: none).",
    )
    feedback_within_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=90,
        help_text="Answering duty: give feedback within this many days (empty: none).",
    )
    escalate_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=30,
        help_text="A deadline alert nobody acts on within this time goes to the admins (never later than the deadline; "
        "empty: never).",
    )
    insider_organisation = models.ForeignKey(
        "insider.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels",
        help_text="Whose members' tokens this channel takes.",
    )
    insider_tokens = models.CharField(max_length=16, choices=InsiderTokens.choices, default=InsiderTokens.OFF)
    language = models.CharField(
        max_length=8, default="en", help_text="The language name, description and form are written in."
    )
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per language: {"es": {"name": …, "description": …, "fields": {key: {"label": …, "help": …, '
        '"choices": […]}}}}.',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def localized(self, field: str, language: str | None) -> str:
        """The channel's name or description in `language`, else as written."""
        return self._translation(language).get(field) or getattr(self, field)

    def field_text(self, key: str, part: str, language: str | None, default):
        """A form field's label, help or choices in `language`, else as written."""
        return self._translation(language).get("fields", {}).get(key, {}).get(part) or default

    def _translation(self, language: str | None) -> dict:
        return self.translations.get(language or "", {})

    @property
    def asks_for_insider_token(self) -> bool:
        return self.insider_organisation_id is not None and self.insider_tokens != InsiderTokens.OFF

    def save(self, *args, **kwargs):
        """Saved through the site, the channel's offline setting is vouched for as it now is."""
        from tipline.core import public_keys

        super().save(*args, **kwargs)
        mac = public_keys.vouch_channel_mode(self.pk, self.offline_key)
        if self.offline_key_mac is None or bytes(self.offline_key_mac) != mac:
            Channel.objects.filter(pk=self.pk).update(offline_key_mac=mac)
            self.offline_key_mac = mac

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JoinRequest(models.Model):
    """Someone an admin chose as a recipient of a channel that needs approval to join: not a
    recipient, and reading nothing, until a current recipient approves."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    asked_by = models.CharField(max_length=150, help_text="The admin (or `command line`) who chose them.")
    asked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "user"], name="one_join_request_per_person_and_channel")
        ]


class FieldKind(models.TextChoices):
    SHORT_TEXT = "short_text", gettext_lazy("Short text")
    LONG_TEXT = "long_text", gettext_lazy("Long text")
    NUMBER = "number", gettext_lazy("Number")
    DATE = "date", gettext_lazy("Date")
    DATETIME = "datetime", gettext_lazy("Date and time")
    SELECT = "select", gettext_lazy("One choice")
    MULTI_SELECT = "multi_select", gettext_lazy("Several choices")
    CHECKBOX = "checkbox", gettext_lazy("Checkbox")
    FILE = "file", gettext_lazy("Files")


class FormField(models.Model):
    """One question of a channel's form, in order. `key` is stable across edits."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=64)
    kind = models.CharField(max_length=16, choices=FieldKind.choices)
    label = models.CharField(max_length=200)
    help_text = models.TextField(blank=True)
    required = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    is_deadline = models.BooleanField(default=False, help_text="The moment after which the tip is useless.")

    class Meta:
        ordering = ["channel", "position"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="unique_field_key_per_channel"),
            models.UniqueConstraint(
                fields=["channel"], condition=models.Q(is_deadline=True), name="one_deadline_field_per_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel.slug}.{self.key}"


class SiteSecret(models.Model):
    """Site-wide values that are not secret on their own: the receipt salt, and which key
    the receipts' lookup tags were made under (a hash of it, not the key)."""

    receipt_salt = models.BinaryField(max_length=16)
    receipt_tag_key_id = models.BinaryField(
        max_length=8,
        null=True,
        help_text="Names the key of the tips' lookup tags; another key means those tags are void.",
    )


class TipStatus(models.TextChoices):
    NEW = "new", gettext_lazy("New")
    IN_REVIEW = "in_review", gettext_lazy("In review")
    ACTED_ON = "acted_on", gettext_lazy("Acted on")
    CLOSED = "closed", gettext_lazy("Closed")
    SPAM = "spam", gettext_lazy("Spam")


# Tips still being worked on: what dashboards count, bulk grants give, alerts watch.
OPEN_STATUSES = (TipStatus.NEW, TipStatus.IN_REVIEW, TipStatus.ACTED_ON)
# Tips whose deadline no longer matters: no deadline alert, no escalation.
SETTLED_STATUSES = (TipStatus.ACTED_ON, TipStatus.CLOSED, TipStatus.SPAM)


class Label(models.Model):
    """A word recipients put on tips to sort them (plaintext metadata, so never tip content)."""

    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Sorts tips without a deadline after every tip with one.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class Tip(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="tips")
    received_hour = models.DateTimeField(help_text="Time received, rounded down to the hour.")
    status = models.CharField(max_length=16, choices=TipStatus.choices, default=TipStatus.NEW)
    deadline = models.DateTimeField(null=True, blank=True)
    # The inbox order, computed and indexed by the database so that any page is an index walk.
    deadline_order = models.GeneratedField(
        expression=Coalesce("deadline", Value(NO_DEADLINE, output_field=models.DateTimeField())),
        output_field=models.DateTimeField(),
        db_persist=True,
    )
    reference = models.CharField(
        max_length=12,
        unique=True,
        help_text="A short random name for the tip (T-7KQ4-M2XP) that staff and the tipster both see.",
    )
    restricted = models.BooleanField(
        default=False,
        help_text="The tipster left some recipients out: only those holding a key grant see the tip.",
    )
    title_ciphertext = models.BinaryField(
        null=True,
        blank=True,
        help_text="A title recipients gave the tip, encrypted under the tip key.",
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="tips")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tips"
    )
    message_count = models.PositiveIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    unread_by_recipients = models.BooleanField(default=True)
    last_activity_hour = models.DateTimeField(help_text="Retention counts from here: the last message, note or triage.")
    on_hold = models.BooleanField(
        default=False, help_text="Exempt from retention (a recipient said why; see the audit log)."
    )
    acknowledged_hour = models.DateTimeField(
        null=True, blank=True, help_text="When a reply marked as acknowledgement was sent."
    )
    feedback_hour = models.DateTimeField(null=True, blank=True, help_text="When a reply marked as feedback was sent.")
    # "Holds a member's token of this organisation, issued in this period": the whole mark.
    insider_organisation = models.ForeignKey(
        "insider.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    insider_epoch = models.BigIntegerField(null=True, blank=True)
    channel_key = models.ForeignKey(
        "ChannelKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips",
        help_text="On an offline-key channel: the key the tip key is sealed to (and no recipient's).",
    )
    sealed_for_channel_key = models.BinaryField(null=True, blank=True)
    recovery_key = models.ForeignKey(
        "RecoveryKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips",
        help_text="On an ordinary channel: the organisation recovery key the tip's keys are also sealed to.",
    )
    sealed_for_recovery_key = models.BinaryField(null=True, blank=True)
    # A restricted tip's readers as its tipster chose them (account ids), with a MAC under the
    # secret key file: what a recovery grant checks once a reader's own grant is gone.
    chosen_readers = models.JSONField(null=True, blank=True)
    chosen_readers_mac = models.BinaryField(max_length=32, null=True, blank=True)

    @property
    def insider_period_start(self) -> datetime | None:
        """When the period the token was fetched in began: a date people can read."""
        if self.insider_organisation is None or self.insider_epoch is None:  # both set, or neither
            return None
        return datetime.fromtimestamp(self.insider_epoch * self.insider_organisation.epoch_seconds, UTC)

    @property
    def destroyed_after(self) -> datetime:
        """The retention job destroys the tip once this has passed (unless it is on hold)."""
        return self.last_activity_hour + timedelta(days=self.channel.retention_days)

    @property
    def acknowledge_due(self):
        days = self.channel.acknowledge_within_days
        return self.received_hour + timedelta(days=days) if days else None

    @property
    def feedback_due(self):
        days = self.channel.feedback_within_days
        return self.received_hour + timedelta(days=days) if days else None

    receipt_lookup_id = models.BinaryField(max_length=32, unique=True)
    receipt_kdf = models.BinaryField(max_length=16, help_text="Argon2id parameters the receipt was derived with.")
    receipt_tag = models.BinaryField(
        max_length=3,
        null=True,
        db_index=True,
        help_text="A short keyed hash of the receipt (key not in the database): unknown receipts are refused before "
        "Argon2id. Empty for a tip from before tags until its receipt is used once.",
    )
    tipster_wrapped_key = models.BinaryField()
    answers_ciphertext = models.BinaryField()

    class Meta:
        indexes = [
            models.Index(fields=["channel", "deadline"]),
            models.Index(fields=["received_hour"]),
            models.Index(fields=["deadline_order", "-received_hour", "id"], name="tip_inbox_order"),
            models.Index(fields=["status", "deadline_order", "-received_hour", "id"], name="tip_inbox_order_by_status"),
        ]

    @property
    def crypto_id(self) -> bytes:
        return self.id.bytes


class ChannelKey(models.Model):
    """An offline-key channel's public key, made by tipline-reader on a recipient's device; the
    server never holds its private half. Vouched for like a recipient's key, together with its
    generation (1 for the first, one more at each rotation), so that whoever can only write the
    database can neither swap in a key of their own nor make a retired one current again. One
    is current, the newest generation; a rotated one is kept, retired, while tips point at it."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="offline_keys")
    generation = models.PositiveIntegerField()
    public_key = models.BinaryField(max_length=32)
    public_key_mac = models.BinaryField(max_length=32)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel"], condition=Q(retired_at__isnull=True), name="one_current_channel_key"
            ),
            models.UniqueConstraint(fields=["channel", "generation"], name="one_channel_key_per_generation"),
        ]

    @property
    def fingerprint(self) -> str:
        """What a recipient compares with `tipline-reader keys`."""
        return channel_keys.fingerprint(bytes(self.public_key))


class RecoveryKey(models.Model):
    """The organisation recovery key's public half (tipline.core.recovery_keys), installed by an
    admin; its private half stays offline. Vouched for with its generation like a channel key,
    so a database writer can neither swap in a key of their own nor bring back a retired one.
    The current one is the newest; a replaced one is kept, retired, while tips point at it."""

    generation = models.PositiveIntegerField(unique=True)
    public_key = models.BinaryField(max_length=32)
    public_key_mac = models.BinaryField(max_length=32)
    installed_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["generation"]

    @property
    def fingerprint(self) -> str:
        return recovery_keys.fingerprint(bytes(self.public_key))


class ReaderVouch(models.Model):
    """A tipline-reader's signed word that a colleague's signing key is theirs, given when it
    handed them the channel key; other readers of the channel trust the colleague's key if
    they trust the voucher's. The server stores and lists these; it cannot make one."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="reader_vouches")
    name = models.CharField(max_length=150)
    public_key = models.BinaryField(max_length=32)
    voucher = models.BinaryField(max_length=32)
    signature = models.BinaryField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class TipKeyGrant(models.Model):
    """The tip key sealed to one recipient's public key. A lapsed grant is what is left when
    the person's key was replaced (a reset): it opens nothing, and still says that they are one
    of the tip's readers (the tipster chose them), so that they keep knowing of the tip and a
    colleague or the recovery key can grant it to their new key."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="grants")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tip_grants")
    sealed_tip_key = models.BinaryField()
    lapsed = models.BooleanField(default=False, help_text="Sealed to a key the person no longer holds: opens nothing.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tip", "recipient"], name="one_grant_per_recipient")]


def readable_by(user) -> Q:
    """The tips a person may know of: every unrestricted one, and a restricted one only with a
    key grant. A recipient the tipster left out finds no trace of the tip: not in a list, a
    count or an alert. (An EXISTS per row, on the unique grant index: cheap in the inbox.)"""
    return Q(restricted=False) | Q(Exists(TipKeyGrant.objects.filter(tip=OuterRef("pk"), recipient=user)))


class Author(models.TextChoices):
    TIPSTER = "tipster", "Tipster"
    RECIPIENT = "recipient", "Recipient"


class ReplyPurpose(models.TextChoices):
    ORDINARY = "", gettext_lazy("An ordinary reply")
    ACKNOWLEDGEMENT = "acknowledgement", gettext_lazy("The acknowledgement of receipt")
    FEEDBACK = "feedback", gettext_lazy("Feedback on what was done")


def random_message_id() -> int:
    """Message ids carry no order: one sequence shared by tipsters' messages and staff
    replies, whose times are audited, would bound when a tipster wrote."""
    return secrets.randbelow(2**62) + 1


class Message(models.Model):
    """A message in a tip's conversation; its text is encrypted under the tip key. Its place
    in the conversation is `number` (1, 2, … within the tip), never its id."""

    id = models.BigIntegerField(primary_key=True, default=random_message_id, editable=False)
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="messages")
    number = models.PositiveIntegerField(default=0, help_text="Its place in the tip's conversation: 1, 2, …")
    purpose = models.CharField(max_length=16, choices=ReplyPurpose.choices, blank=True, default="")
    key = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Binds the ciphertext to this row."
    )
    author = models.CharField(max_length=16, choices=Author.choices)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    sent_hour = models.DateTimeField()
    ciphertext = models.BinaryField()
    bound_as = models.CharField(
        max_length=40,
        null=True,
        blank=True,
        help_text="Who wrote it, as bound into the ciphertext's associated data (tipline.crypto.content); empty before "
        "that.",
    )
    reader_seal = models.JSONField(
        null=True, blank=True, help_text="tipline-reader's signature: signer, signature, items seen."
    )

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["tip", "number"], name="message_place_in_tip")]


class Attachment(models.Model):
    """An encrypted file: its bytes in the blob store, its name and type in `meta_ciphertext`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    author = models.CharField(max_length=16, choices=Author.choices)
    blob_name = models.CharField(max_length=100, unique=True)
    wrapped_file_key = models.BinaryField()
    meta_ciphertext = models.BinaryField()

    class Meta:
        ordering = ["tip", "blob_name"]


class Note(models.Model):
    """An internal note on a tip, for recipients only; encrypted under the tip's team key,
    which the tipster's receipt does not open (tipline.crypto.tip_keys). Notes written before
    team keys are under the tip key until a recipient opens the tip, which moves them."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="notes")
    key = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Binds the ciphertext to this row."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    written_hour = models.DateTimeField()
    ciphertext = models.BinaryField()
    under_team_key = models.BooleanField(default=False, help_text="Encrypted under the team key, not the tip key.")
    bound_as = models.CharField(
        max_length=40, null=True, blank=True, help_text="Who wrote it, bound into the associated data."
    )
    reader_seal = models.JSONField(
        null=True, blank=True, help_text="tipline-reader's signature: signer, signature, items seen."
    )

    class Meta:
        ordering = ["id"]


class UsedSubmissionToken(models.Model):
    """A submission form's one-time token, spent with the tip in one transaction, so that
    re-sending the same form (a reload) cannot store the tip twice."""

    token_hash = models.BinaryField(max_length=32, unique=True)
    spent_hour = models.DateTimeField()
