"""Request and response shapes of the API (pydantic, through django-ninja)."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    code: str = Field(description="Stable, machine-readable: invalid, not_found, unauthenticated, rate_limited, ...")
    message: str = Field(description="What happened and what to do, for a person.")
    field: str | None = Field(default=None, description="The field at fault, if one is.")


class FieldOut(Schema):
    key: str
    kind: str
    label: str
    help: str
    required: bool
    choices: list[str]
    max_length: int | None
    deadline: bool


class LeavableRecipientOut(Schema):
    id: int
    name: str


class ChannelOut(Schema):
    slug: str
    name: str
    description: str
    retention_days: int
    keeps_file_metadata: bool
    time_zone: str = Field(
        description="Dates and times sent without an offset are read in this zone (e.g. America/New_York)."
    )
    receiving: bool
    offline_key: bool = Field(
        description="Stored tips are opened only on the recipients' own computers (docs/reader.md), never on the "
        "server."
    )
    insider_tokens: Literal["off", "optional", "required"] = Field(description="Whether a member's token is asked for.")
    insider_organisation: str | None = Field(description="Whose members' tokens the channel takes.")
    recipients_to_leave_out: list[LeavableRecipientOut] = Field(
        description="Where the channel allows it: its recipients by the name each chose; send the ids to leave out as "
        "`leave_out`.",
    )
    recipients_who_always_read: int = Field(
        description="Where the channel allows leaving out: how many more recipients cannot be left out, because a "
        "tipster could not tell them apart (no name for tipsters, or one a colleague shares).",
    )
    fields: list[FieldOut]


class FileNoteOut(Schema):
    name: str
    note: str


class SubmittedOut(Schema):
    receipt: str = Field(description="Shown once; the only way back to the tip. Never stored by the server.")
    reference: str = Field(description="The tip's short reference, which the team sees too; it opens nothing.")
    files: list[FileNoteOut]


class ReceiptIn(Schema):
    receipt: str = Field(max_length=100)


class AnswerOut(Schema):
    key: str
    label: str
    kind: str
    value: str | bool | list[str] | None


class FileOut(Schema):
    id: UUID
    name: str
    size: int
    note: str


class MessageOut(Schema):
    author: Literal["tipster", "recipient"]
    sent_hour: datetime
    text: str
    files: list[FileOut]
    signature: str = Field(
        description="The writer's display name where the channel shows it to tipsters; empty: the team."
    )


class ColleagueMessageOut(MessageOut):
    sender: str = Field(
        description="The colleague who wrote a reply; empty for the tipster's messages and removed accounts."
    )


class DutyOut(Schema):
    kind: str
    due: datetime
    done: datetime | None


class TipsterTipOut(Schema):
    channel: str
    reference: str
    received_hour: datetime
    answers: list[AnswerOut]
    files: list[FileOut]
    messages: list[MessageOut]
    expected_answers: list[DutyOut]
    team_can_read: bool = Field(description="False when nobody on the team can open the tip any more: expect no answer")


class SentOut(Schema):
    sent: bool


class InsiderMarkOut(Schema):
    organisation: str
    epoch: int


class TipSummaryOut(Schema):
    id: UUID
    reference: str = Field(description="The tip's short random reference, which the tipster sees too (T-7KQ4-M2XP).")
    channel: str
    received_hour: datetime
    status: str
    deadline: datetime | None
    labels: list[str]
    assignee: str | None
    unread: bool
    message_count: int
    file_count: int
    insider: InsiderMarkOut | None = Field(
        description="Holds a valid member's token of this organisation, from this period."
    )


class TipPageOut(Schema):
    items: list[TipSummaryOut]
    next_cursor: str | None


class NoteOut(Schema):
    author: str
    written_hour: datetime
    text: str


class TipOut(TipSummaryOut):
    answers: list[AnswerOut]
    files: list[FileOut]
    messages: list[ColleagueMessageOut]
    notes: list[NoteOut]
    duties: list[DutyOut]


class ReplyIn(Schema):
    text: str = Field(min_length=1, max_length=20_000)
    purpose: Literal["", "acknowledgement", "feedback"] = ""


class TriageIn(Schema):
    status: Literal["new", "in_review", "acted_on", "closed", "spam"] | None = None
    labels: list[str] | None = Field(default=None, max_length=20)
    assignee: str | None = Field(default=None, description="A recipient of the tip's channel, or '' for nobody.")
    deadline: datetime | None = Field(
        default=None,
        description="Set or correct the tip's deadline (audited; its alerts start again from it). Without an offset it "
        "is read in the channel's time zone; null removes it; leave it out to keep it.",
    )


class BulkGrantIn(Schema):
    grantee: str = Field(
        min_length=1, max_length=150, description="A recipient of the channel who lacks some of its open tips."
    )


class BulkGrantOut(Schema):
    granted: int = Field(description="Tips granted by this call (at most 500).")
    remaining: int = Field(description="Open tips the grantee still lacks: call again while above 0.")


class InsiderKeyOut(Schema):
    epoch: int
    key_id: str = Field(description="Hex SHA-256 of public_key: the Privacy Pass token key id.")
    public_key: str = Field(description="base64url RFC 9578 SubjectPublicKeyInfo (RSASSA-PSS, 2048-bit).")
    challenge: str = Field(description="base64url TokenChallenge: the same for every member.")
    issue_from: datetime
    issue_until: datetime
    redeem_from: datetime
    redeem_until: datetime


class InsiderDirectoryOut(Schema):
    organisation: str
    name: str
    issuer_name: str
    token_type: int
    tokens_per_epoch: int
    epoch_seconds: int
    current_epoch: int
    keys: list[InsiderKeyOut]


class InsiderEpochOut(Schema):
    epoch: int
    members_fetched: int


class InsiderStatusOut(Schema):
    current_epoch: int
    members: int
    epochs: list[InsiderEpochOut]


class ActivateIn(Schema):
    organisation: str = Field(max_length=64, pattern=r"^[-a-zA-Z0-9_]+$", description="The organisation's short name.")
    code: str = Field(max_length=100, pattern=r"^[0-9A-Za-z -]+$", description="The one-time sign-in code.")


class ActivatedOut(Schema):
    credential: str
    organisation: str


class TokenRequestsIn(Schema):
    requests: list[str] = Field(max_length=100, description="base64url TokenRequest structures (RFC 9578 section 6.1).")


class TokenResponsesOut(Schema):
    epoch: int
    key_id: str
    responses: list[str] = Field(description="base64url blind signatures, in the order of the requests.")


class ChannelKeyOut(Schema):
    id: int
    generation: int = Field(
        description="1 for the channel's first key, one more at each rotation; vouched for with the key."
    )
    public_key: str = Field(description="base64url X25519 public key.")
    fingerprint: str = Field(description="What two readers compare aloud: 32 hex digits in groups of four.")
    created_at: datetime
    uploaded_by: str | None


class OfflineKeyOut(Schema):
    channel: str
    you: str = Field(description="The account this token belongs to: the name a new reader signs as.")
    proof_key: str = Field(
        description="base64url X25519 key of the server, to which readers prove with each item that they hold the "
        "channel key."
    )
    token_expires_at: datetime | None = Field(
        description="When the personal token of this request expires (readers warn 14 days ahead)."
    )
    current: ChannelKeyOut | None
    retired: list[ChannelKeyOut] = Field(
        description="Keys older tips may still be sealed to, until they are sealed again."
    )
    challenge: str | None = Field(
        description="base64url secret sealed to the current key: open it and send it back as `proof` to replace the "
        "key or seal tips again (valid for 10 to 20 minutes).",
    )


class ReaderVouchIn(Schema):
    name: str = Field(max_length=150)
    public_key: str = Field(max_length=64, description="base64url Ed25519 signing key of the colleague vouched for.")
    voucher: str = Field(max_length=64, description="base64url signing key of the reader that vouches.")
    signature: str = Field(
        max_length=100, description="Over tipline.crypto.authorship.vouch_statement(channel, name, public_key)."
    )
    proof: str = Field(
        default="",
        max_length=200,
        description="That the voucher holds the channel key (channel_keys.prove_item over the statement).",
    )


class ReaderVouchesOut(Schema):
    vouches: list[ReaderVouchIn]


class OfflineKeyIn(Schema):
    public_key: str = Field(max_length=64, description="base64url X25519 public key made by tipline-reader.")
    proof: str = Field(
        default="", max_length=100, description="The opened challenge; needed when a key is there already."
    )


class ResealedTipIn(Schema):
    tip: UUID
    sealed_key: str = Field(
        max_length=400, description="base64url: the tip key sealed again, to the channel's current key."
    )


class ResealIn(Schema):
    proof: str = Field(max_length=100, description="The opened challenge of the channel's current key.")
    tips: list[ResealedTipIn] = Field(max_length=500)


class ResealedOut(Schema):
    resealed: int


class ReaderSeal(Schema):
    signer: str = Field(max_length=64, description="base64url Ed25519 public key of the reader that sealed the item.")
    signature: str = Field(
        max_length=100, description="base64url signature over tipline.crypto.authorship.item_statement."
    )
    seen: list[UUID] = Field(
        default_factory=list,
        max_length=2000,
        description="Keys of the tip's items the reader had when it wrote this one.",
    )


class SealedMessageOut(Schema):
    key: UUID = Field(description="Part of the ciphertext's associated data (tipline.crypto.content.content_context).")
    author: Literal["tipster", "recipient"]
    sender: str
    sent_hour: datetime
    purpose: str
    bound_as: str | None = Field(
        description="Who wrote it, as bound into the associated data: tipster, reader (signed in seal); null before."
    )
    seal: ReaderSeal | None
    ciphertext: str


class SealedNoteOut(Schema):
    key: UUID
    author: str
    written_hour: datetime
    team: bool = Field(
        description="Sealed under the tip's team key (in the sealed box beside the tip key), which the receipt does "
        "not open."
    )
    bound_as: str | None
    seal: ReaderSeal | None
    ciphertext: str


class SealedFileOut(Schema):
    id: UUID
    message: UUID | None = Field(description="The key of the message the file came with; null: sent with the tip.")
    author: Literal["tipster", "recipient"]
    blob_name: str = Field(description="Part of the file stream's associated data.")
    wrapped_key: str
    meta: str


class SealedTipOut(TipSummaryOut):
    destroyed_after: datetime = Field(
        description="When retention destroys the tip (unless on hold): a reader forgets no tip before this."
    )
    channel_key: int = Field(description="The id of the channel key the tip key is sealed to.")
    sealed_key: str
    answers: str
    title: str | None
    messages: list[SealedMessageOut]
    notes: list[SealedNoteOut]
    files: list[SealedFileOut]


class SealedPageOut(Schema):
    items: list[SealedTipOut]
    next_cursor: str | None


class SealedReplyIn(Schema):
    key: UUID = Field(
        description="A new random UUID, used in the associated data; send the same again to retry safely."
    )
    ciphertext: str = Field(max_length=200_000)
    purpose: Literal["", "acknowledgement", "feedback"] = ""
    bound: bool = Field(
        default=False, description="The associated data names the reader as its writer (tipline.crypto.content)."
    )
    seal: ReaderSeal | None = None
    proof: str = Field(
        default="",
        max_length=200,
        description="tipline.crypto.channel_keys.prove_item: the sender holds the channel's key.",
    )


class ResealedNoteIn(Schema):
    key: UUID = Field(description="An existing note of the tip, still under its tip key.")
    ciphertext: str = Field(max_length=200_000, description="The same note sealed under the team key.")


class SealedNoteIn(Schema):
    key: UUID
    ciphertext: str = Field(max_length=200_000)
    team: bool = Field(
        default=False, description="Sealed under the tip's team key (which the receipt does not open), not its tip key."
    )
    bound: bool = Field(default=False, description="The associated data names the reader as its writer.")
    seal: ReaderSeal | None = None
    proof: str = Field(
        default="",
        max_length=200,
        description="tipline.crypto.channel_keys.prove_item: the sender holds the channel's key.",
    )
    sealed_key: str = Field(
        default="",
        max_length=400,
        description="For a tip from before team keys: its tip key and a new team key sealed to the channel's current "
        "key.",
    )
    resealed_notes: list[ResealedNoteIn] = Field(
        default_factory=list,
        max_length=1000,
        description="With sealed_key: the tip's older notes, sealed again under the team key.",
    )
