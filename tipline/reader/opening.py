"""Decrypting a fetched tip on the reader's computer, and sealing a reply or note before it
leaves: a reply under the tip key (the tipster's receipt opens it), a note under the tip's team
key (the receipt does not). The associated data is built by tipline.crypto.content, as the
server builds it. A tip from before team keys gets one with the first note written here."""

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tipline.crypto import channel_keys, content, files, tip_keys
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import DecryptionError
from tipline.reader import authors
from tipline.reader.language import _
from tipline.reader.profile import Profile, ReaderError, Vault


@dataclass(frozen=True)
class OpenFile:
    id: str
    name: str
    size: int
    note: str


@dataclass(frozen=True)
class OpenMessage:
    author: str  # "tipster" or "recipient", as the associated data that opened it says (or the server, before that)
    sender: str
    sent_hour: str
    text: str
    files: list[OpenFile]
    verdict: authors.Verdict | None = None  # for the team's replies: who signed it, if anyone this reader trusts
    pending: str = ""  # PENDING_WAITING or PENDING_SENT for one of this reader's own, not yet back from the server
    key: str = ""


@dataclass(frozen=True)
class OpenNote:
    author: str
    written_hour: str
    text: str
    verdict: authors.Verdict | None = None
    pending: str = ""
    key: str = ""


@dataclass(frozen=True)
class OpenTip:
    record: dict[str, Any]
    answers: list[dict[str, Any]]
    files: list[OpenFile]
    messages: list[OpenMessage]
    notes: list[OpenNote]
    waiting: int  # replies and notes sealed here, not yet on the server
    warnings: list[str] = field(default_factory=list)  # what the server's copy of the tip lacks or changed


def visible(value: object) -> str:
    """One line of what a tipster or the server wrote, fit for a terminal or a page: every
    control character (escape sequences clear screens, set titles, hide text) and
    bidirectional override shown as its code instead, so nothing they write acts on the
    screen or reverses the words around it."""
    return "".join(
        character if character.isprintable() and character not in _BIDI_CONTROLS else f"\\u{ord(character):04x}"
        for character in str(value)
    )


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def byline(item: "OpenMessage | OpenNote") -> str:
    """Who wrote a message or note, in the words both the terminal and the pages show: a
    signed name only where a trusted reader's signature says so."""
    if isinstance(item, OpenMessage) and item.author == "tipster":
        return _("Tipster") if item.verdict is None else _("Tipster (unverified, as the server says)")
    verdict = item.verdict or authors.Verdict(authors.UNVERIFIED, _("Team"))
    reply = isinstance(item, OpenMessage)
    if item.pending:
        waiting = item.pending == PENDING_WAITING
        if reply:
            return (
                _("Reply by you · waiting to be sent")
                if waiting
                else _("Reply by you · sent, not yet confirmed by a sync")
            )
        return (
            _("Note by you · waiting to be sent") if waiting else _("Note by you · sent, not yet confirmed by a sync")
        )
    if verdict.status == authors.VERIFIED:
        text = _("Reply by %(name)s · signed") if reply else _("Note by %(name)s · signed")
    elif verdict.status == authors.ALTERED:
        text = (
            _("Reply by %(name)s? · ALTERED: its signature does not match what the server shows")
            if reply
            else _("Note by %(name)s? · ALTERED: its signature does not match what the server shows")
        )
    else:
        text = (
            _("Reply by %(name)s · unverified, as the server says")
            if reply
            else _("Note by %(name)s · unverified, as the server says")
        )
    return text % {"name": verdict.name}


PENDING_WAITING = "waiting to be sent"
PENDING_SENT = "sent, not yet confirmed by a sync"


def tip_key(profile: Profile, vault: Vault, record: dict[str, Any]) -> bytes:
    return keys_of(profile, vault, record).tip_key


def keys_of(profile: Profile, vault: Vault, record: dict[str, Any]) -> tip_keys.SealedKeys:
    """The tip's keys from its box, refused when they are not the ones this reader first
    opened it with: anyone can seal a box to the channel's public key, so a server (with a
    returning tipster's tip key) could otherwise make the team's next notes and replies
    readable to itself."""
    keys = _opened_box(profile, vault, record)
    pinned = profile.key_pins().get(record["id"])
    if pinned is not None and not _matches(pinned, keys):
        raise _keys_changed(record)
    return keys


def _keys_changed(record: dict[str, Any]) -> ReaderError:
    return ReaderError(
        _(
            "The keys of tip %(reference)s changed on the server since this reader first opened it. No rotation does "
            "that: the server may have been taken over. Nothing was sealed; tell your admins."
        )
        % {"reference": record["reference"]}
    )


def pin_keys(profile: Profile, vault: Vault, records: list[dict[str, Any]]) -> None:
    """Remember, at fetch, the keys of each tip this reader can open (checked first: a tip
    whose keys changed stops the sync before anything is stored)."""
    pins, changed = dict(profile.key_pins()), False
    for record in records:
        try:
            keys = _opened_box(profile, vault, record)
        except ReaderError:
            continue  # sealed to a key this reader does not hold (yet)
        pinned = pins.get(record["id"])
        if pinned is not None and not _matches(pinned, keys):
            raise _keys_changed(record)
        if pinned != _digests(keys) and (pinned is None or pinned.get("team") is None):
            pins[record["id"]], changed = _digests(keys), True  # first sight, or a tip's first team key
    if changed:
        profile.save_key_pins(pins)


def _opened_box(profile: Profile, vault: Vault, record: dict[str, Any]) -> tip_keys.SealedKeys:
    public_key = profile.public_key_of(record["channel_key"])
    private_key = vault.private_key_for(public_key)
    try:
        return tip_keys.open_sealed_keys(from_b64(record["sealed_key"]), uuid.UUID(record["id"]).bytes, private_key)
    except DecryptionError:
        raise ReaderError(
            _("Tip %(reference)s does not open with this channel's key: it was altered on the server.")
            % {"reference": record["reference"]}
        ) from None


def _digests(keys: tip_keys.SealedKeys) -> dict[str, Any]:
    def digest(key: bytes | None) -> str | None:
        return (
            None if key is None else hashlib.blake2b(bytes(key), digest_size=16, person=b"tipline-keypin").hexdigest()
        )

    return {"tip": digest(keys.tip_key), "team": digest(keys.team_key)}


def _matches(pinned: dict[str, Any], keys: tip_keys.SealedKeys) -> bool:
    now = _digests(keys)
    return pinned["tip"] == now["tip"] and (pinned.get("team") is None or pinned["team"] == now["team"])


def _answers(keys: tip_keys.SealedKeys, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The tipster's answers, refused unless shaped as the tip line writes them."""
    answers = content.decrypt_json(
        keys.tip_key, from_b64(record["answers"]), content.answers_context(uuid.UUID(record["id"]).bytes)
    )
    well_formed = isinstance(answers, list) and all(
        isinstance(answer, dict)
        and isinstance(answer.get("label"), str)
        and isinstance(answer.get("kind"), str)
        and isinstance(answer.get("value"), (str, int, float, bool, list, type(None)))
        for answer in answers
    )
    if not well_formed:
        raise ReaderError(
            _("Tip %(reference)s does not open: its answers were altered on the server.")
            % {"reference": record["reference"]}
        )
    checked: list[dict[str, Any]] = answers
    return checked


def open_tip(profile: Profile, vault: Vault, record: dict[str, Any]) -> OpenTip:
    try:
        return _open_tip(profile, vault, record)
    except DecryptionError:
        raise ReaderError(
            _("Tip %(reference)s does not open: its answers or a file's name were altered on the server.")
            % {"reference": record["reference"]}
        ) from None


def _open_tip(profile: Profile, vault: Vault, record: dict[str, Any]) -> OpenTip:
    keys, tip_id = keys_of(profile, vault, record), uuid.UUID(record["id"]).bytes
    trusted = trusted_here(profile, vault)
    described = {item["id"]: (item["message"], _describe(keys.tip_key, tip_id, item)) for item in record["files"]}
    # tipline-reader sends no files: one the server lists with a reply sealed there was put there by the server.
    sealed_here = {message["key"] for message in record["messages"] if message.get("bound_as") == content.READER}
    moved = [item_id for item_id, (owner, _view) in described.items() if owner in sealed_here]
    described |= {item_id: (None, described[item_id][1]) for item_id in moved}
    messages = [
        _open_message(
            keys, record, message, trusted, [view for owner, view in described.values() if owner == message["key"]]
        )
        for message in record["messages"]
    ]
    notes = [_open_note(keys, record, note, trusted) for note in record["notes"]]
    waiting, sent_here = _own_items(profile, record)
    pending = [_open_own(keys, record, item, label) for item, label in [*waiting, *sent_here]]
    return OpenTip(
        record=record,
        answers=_answers(keys, record),
        files=[view for message, view in described.values() if message is None],
        messages=messages + [item for item in pending if isinstance(item, OpenMessage)],
        notes=notes + [item for item in pending if isinstance(item, OpenNote)],
        waiting=len(waiting),
        warnings=_missing(profile, record, trusted)
        + (
            [
                _(
                    "The server lists a file with a reply sealed in tipline-reader, which sends no files: it is shown "
                    "with the tip's files."
                )
            ]
            if moved
            else []
        ),
    )


def _open_message(
    keys: tip_keys.SealedKeys,
    record: dict[str, Any],
    message: dict[str, Any],
    trusted: dict[str, Any],
    files: list[OpenFile],
) -> OpenMessage:
    """A message as its associated data says: one the server relabels (a team reply passed off
    as the tipster's, or the other way) no longer opens and is shown as altered."""
    tip_id, bound_as = uuid.UUID(record["id"]).bytes, message.get("bound_as")
    text = _text(keys.tip_key, message["ciphertext"], content.message_context(tip_id, message["key"], bound_as))
    if bound_as == content.TIPSTER:
        return OpenMessage("tipster", "", message["sent_hour"], text, files)
    claimed = message["sender"] or _("Team")
    if bound_as == content.READER:
        verdict = authors.verdict(trusted, record["id"], "reply", message, claimed)
    else:  # from before authorship was bound, or written on the server: the server's word alone
        verdict = authors.Verdict(authors.UNVERIFIED, _("Tipster") if message["author"] == "tipster" else claimed)
        if message["author"] == "tipster":
            return OpenMessage("tipster", "", message["sent_hour"], text, files, verdict)
    return OpenMessage(
        "recipient", message["sender"], message["sent_hour"], text, files, verdict, key=str(message["key"])
    )


def _open_note(
    keys: tip_keys.SealedKeys, record: dict[str, Any], note: dict[str, Any], trusted: dict[str, Any]
) -> OpenNote:
    tip_id, bound_as = uuid.UUID(record["id"]).bytes, note.get("bound_as")
    text = _text(_note_key(keys, note), note["ciphertext"], content.note_context(tip_id, note["key"], bound_as))
    claimed = note["author"] or _("(removed user)")
    if bound_as == content.READER:
        verdict = authors.verdict(trusted, record["id"], "note", note, claimed)
    else:
        verdict = authors.Verdict(authors.UNVERIFIED, claimed)
    return OpenNote(claimed, note["written_hour"], text, verdict, key=str(note["key"]))


def _own_items(
    profile: Profile, record: dict[str, Any]
) -> tuple[list[tuple[dict[str, Any], str]], list[tuple[dict[str, Any], str]]]:
    """This reader's replies and notes for the tip that the server's copy does not show yet:
    still waiting in the outbox, or sent after the copy was fetched."""
    waiting = [(item, PENDING_WAITING) for _path, item in profile.queued() if item.get("tip") == record["id"]]
    _dropped, unconfirmed = _sent_but_absent(profile, record)
    return waiting, [(item, PENDING_SENT) for item in unconfirmed]


def _present(record: dict[str, Any]) -> set[str]:
    return {str(item["key"]) for item in [*record["messages"], *record["notes"]]}


def _sent_but_absent(profile: Profile, record: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """This reader's sent items of the tip that the server's copy lacks: (sealed before that
    copy was fetched, so dropped; sealed after it, so not yet confirmed)."""
    present = _present(record)
    absent = [
        (path, item) for path, item in profile.sent() if item.get("tip") == record["id"] and item["key"] not in present
    ]
    fetched = profile.tip_fetched_at(record["id"]) if absent else 0
    return (
        [item for path, item in absent if path.stat().st_mtime < fetched],
        [item for path, item in absent if path.stat().st_mtime >= fetched],
    )


def _open_own(
    keys: tip_keys.SealedKeys, record: dict[str, Any], item: dict[str, Any], label: str
) -> OpenMessage | OpenNote:
    tip_id, bound_as = uuid.UUID(record["id"]).bytes, content.READER if item.get("bound") else None
    if item["kind"] == "reply":
        text = _text(keys.tip_key, item["ciphertext"], content.message_context(tip_id, item["key"], bound_as))
        return OpenMessage("recipient", "", "", text, [], authors.Verdict(authors.VERIFIED, "you"), label)
    team_key = keys.team_key if item.get("team") else keys.tip_key  # a first team key is in the store's copy already
    text = _text(
        team_key or bytes(tip_keys.KEY_BYTES), item["ciphertext"], content.note_context(tip_id, item["key"], bound_as)
    )
    return OpenNote("you", "", text, authors.Verdict(authors.VERIFIED, "you"), label)


def trusted_here(profile: Profile, vault: Vault) -> dict[str, str]:
    """The signing keys this reader trusts (authors.trusted_keys), from its vault and the vouches it fetched."""
    return authors.trusted_keys(vault, profile.vouches(), profile.settings()["channel"])


def warnings_of(profile: Profile, record: dict[str, Any], trusted: dict[str, str] | None = None) -> list[str]:
    """What the server's copy of a tip lacks, without opening it: for the list and the sync.
    Without the trusted keys (the list asks no passphrase) only this reader's own items are checked."""
    return _missing(profile, record, trusted or {})


def _missing(profile: Profile, record: dict[str, Any], trusted: dict[str, Any]) -> list[str]:
    """Items the server's copy should hold and does not: one this reader sent before the copy
    was fetched, or one a trusted colleague's signed reply or note had seen."""
    present = _present(record)
    dropped, _unconfirmed = _sent_but_absent(profile, record)
    problems = [
        _("A reply this reader sent is missing from the server's copy: the server dropped it.")
        if item["kind"] == "reply"
        else _("A note this reader sent is missing from the server's copy: the server dropped it.")
        for item in dropped
    ]
    mine = {item["key"]: item["kind"] for _path, item in profile.sent() if item.get("tip") == record["id"]}
    for item in [*record["messages"], *record["notes"]]:
        kind = mine.get(str(item["key"]))
        if trusted and kind and authors.verdict(trusted, record["id"], kind, item, "").status != authors.VERIFIED:
            problems.append(
                _(
                    "An item this reader sent shows without its signature, or with one that does not match: the server "
                    "altered it."
                )
            )
            break
    for item in [*record["messages"], *record["notes"]]:
        seal = item.get("seal") or {}
        if seal.get("signer") in trusted and not set(map(str, seal.get("seen", []))) <= present:
            problems.append(
                _(
                    "%(name)s had seen items of this tip that the server's copy no longer lists: the server dropped "
                    "them."
                )
                % {"name": trusted[seal["signer"]]}
            )
            break
    return problems


SUMMARY_CHARACTERS = 90  # as the tip line's inbox (tipline/casework/summaries.py)


def summary(profile: Profile, vault: Vault, record: dict[str, Any]) -> str:
    """The list's one line for a tip: the opening words of its first written answer."""
    try:
        answers = _answers(keys_of(profile, vault, record), record)
    except (ReaderError, DecryptionError):
        return ""
    for answer in answers:
        if answer["kind"] in ("short_text", "long_text") and answer["value"]:
            words = " ".join(str(answer["value"]).split())
            return words if len(words) <= SUMMARY_CHARACTERS else words[: SUMMARY_CHARACTERS - 1].rstrip() + "…"
    return ""


def file_bytes(
    profile: Profile, vault: Vault, record: dict[str, Any], file_id: str
) -> tuple[OpenFile, Iterator[bytes]]:
    """A file's name and its plaintext, decrypted as it streams from the stored ciphertext."""
    item = next((item for item in record["files"] if item["id"] == file_id), None)
    if item is None:
        raise ReaderError(
            _("Tip %(reference)s has no file %(file)s: tipline-reader show lists its files.")
            % {"reference": record["reference"], "file": visible(file_id)}
        )
    path = profile.blob_path(file_id)
    if not path.exists():
        raise ReaderError(_("This file is not in the reader yet: tipline-reader sync fetches it."))
    key, tip_id = tip_key(profile, vault, record), uuid.UUID(record["id"]).bytes
    view = _describe(key, tip_id, item)
    file_key = files.unwrap_file_key(key, from_b64(item["wrapped_key"]), files.file_context(tip_id, file_id))
    return view, files.decrypt_chunks(file_key, _read(path), files.blob_context(item["blob_name"]), view.size)


def seal_text(
    profile: Profile, vault: Vault, record: dict[str, Any], kind: str, text: str, purpose: str = ""
) -> dict[str, Any]:
    """A reply sealed under the tip key, or a note under the team key, ready for the outbox:
    its associated data names tipline-reader as its writer, and this reader signs it, with
    the items of the tip it has seen (so that a colleague's reader notices one dropped)."""
    keys, tip_id, item_key = keys_of(profile, vault, record), uuid.UUID(record["id"]).bytes, str(uuid.uuid4())
    try:
        _answers(keys, record)  # keys that do not open the tipster's answers are no keys of this tip
    except DecryptionError:
        raise ReaderError(
            _("Tip %(reference)s does not open: its answers or a file's name were altered on the server.")
            % {"reference": record["reference"]}
        ) from None
    seen = [str(item["key"]) for item in [*record["messages"], *record["notes"]]]
    seen += [item["key"] for _path, item in profile.queued() if item.get("tip") == record["id"]]
    if kind == "reply":
        sealed = content.encrypt_content(
            keys.tip_key, text.encode(), content.message_context(tip_id, item_key, content.READER)
        )
        item = {"kind": kind, "tip": record["id"], "key": item_key, "purpose": purpose, "bound": True}
    else:
        item = {"kind": kind, "tip": record["id"], "key": item_key, "purpose": "", "team": True, "bound": True}
        team_key = keys.team_key
        if team_key is None:
            team_key, upgrade = _give_team_key(profile, vault, record, keys)
            item |= upgrade
        sealed = content.encrypt_content(
            team_key, text.encode(), content.note_context(tip_id, item_key, content.READER)
        )
    item["ciphertext"] = b64(sealed)
    item["seal"] = authors.seal_item(vault, record["id"], kind, item_key, item["purpose"], sealed, seen)
    item["proof"] = b64(_proof(profile, vault, record, item_key, sealed))
    return item


def _proof(profile: Profile, vault: Vault, record: dict[str, Any], item_key: str, sealed: bytes) -> bytes:
    """That this reader holds the channel's key (the server takes items from no one else)."""
    proof_key = profile.channel_keys().get("proof_key")
    if not proof_key:
        raise ReaderError(
            _("This reader has not seen the server's proof key yet: tipline-reader sync (or import-bundle) first.")
        )
    private_key = vault.private_key_for(profile.public_key_of(record["channel_key"]))
    return channel_keys.prove_item(private_key, from_b64(proof_key), uuid.UUID(record["id"]).bytes, item_key, sealed)


def _give_team_key(
    profile: Profile, vault: Vault, record: dict[str, Any], keys: tip_keys.SealedKeys
) -> tuple[bytes, dict[str, Any]]:
    """A tip from before team keys: a new team key, sealed with the tip key to the channel's
    current key, and the tip's notes moved under it. The record here changes at once, so a
    second note written before the next sync uses the same team key."""
    current = profile.channel_keys()["current"]
    if current is None:
        raise ReaderError(_("The channel has no current key here: tipline-reader sync first."))
    tip_id = uuid.UUID(record["id"]).bytes
    team_key = tip_keys.new_team_key()
    keys = tip_keys.SealedKeys(tip_key=keys.tip_key, team_key=team_key)
    box = b64(tip_keys.seal_keys(keys, tip_id, from_b64(current["public_key"])))
    resealed = []
    for note in record["notes"]:
        if note.get("team"):
            continue
        where = content.note_context(tip_id, note["key"], note.get("bound_as"))
        try:
            text = content.decrypt_content(keys.tip_key, from_b64(note["ciphertext"]), where)
        except DecryptionError:
            raise ReaderError(
                _("A note of tip %(reference)s does not open: it was altered on the server. Nothing was sealed.")
                % {"reference": record["reference"]}
            ) from None
        note["ciphertext"], note["team"] = b64(content.encrypt_content(team_key, text, where)), True
        resealed.append({"key": note["key"], "ciphertext": note["ciphertext"]})
    record["sealed_key"], record["channel_key"] = box, current["id"]
    profile.save_tip(record)
    profile.save_key_pins(profile.key_pins() | {record["id"]: _digests(keys)})
    return team_key, {"sealed_key": box, "resealed_notes": resealed}


def _note_key(keys: tip_keys.SealedKeys, note: dict[str, Any]) -> bytes:
    """A note says which key it is under; one that claims the team key on a tip without one opens with none."""
    if note.get("team"):
        return keys.team_key or bytes(tip_keys.KEY_BYTES)
    return keys.tip_key


def _describe(key: bytes, tip_id: bytes, item: dict[str, Any]) -> OpenFile:
    meta = content.decrypt_json(key, from_b64(item["meta"]), content.file_meta_context(tip_id, item["id"]))
    return OpenFile(id=item["id"], name=meta["name"], size=meta["size"], note=meta["note"])


def _text(key: bytes, ciphertext: str, where: bytes) -> str:
    try:
        return content.decrypt_content(key, from_b64(ciphertext), where).decode()
    except (DecryptionError, UnicodeDecodeError):
        return _("(This text does not open: it was altered.)")


def _read(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(files.CHUNK_BYTES):
            yield chunk
