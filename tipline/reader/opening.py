"""Decrypting a fetched tip on the reader's computer, and sealing a reply or note before it
leaves: a reply under the tip key (the tipster's receipt opens it), a note under the tip's team
key (the receipt does not). The associated data is built by tipline.crypto.content, as the
server builds it. A tip from before team keys gets one with the first note written here."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from tipline.crypto import content, files, tip_keys
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import DecryptionError
from tipline.reader.profile import Profile, ReaderError, Vault


@dataclass(frozen=True)
class OpenFile:
    id: str
    name: str
    size: int
    note: str


@dataclass(frozen=True)
class OpenMessage:
    author: str
    sender: str
    sent_hour: str
    text: str
    files: list[OpenFile]


@dataclass(frozen=True)
class OpenNote:
    author: str
    written_hour: str
    text: str


@dataclass(frozen=True)
class OpenTip:
    record: dict
    answers: list[dict]
    files: list[OpenFile]
    messages: list[OpenMessage]
    notes: list[OpenNote]
    waiting: int  # replies and notes sealed here, not yet on the server


def tip_key(profile: Profile, vault: Vault, record: dict) -> bytes:
    return keys_of(profile, vault, record).tip_key


def keys_of(profile: Profile, vault: Vault, record: dict) -> tip_keys.SealedKeys:
    public_key = profile.public_key_of(record["channel_key"])
    private_key = vault.private_key_for(public_key)
    try:
        return tip_keys.open_sealed_keys(from_b64(record["sealed_key"]), uuid.UUID(record["id"]).bytes, private_key)
    except DecryptionError:
        raise ReaderError(f"Tip {record['reference']} does not open with this channel's key: it was altered on the server.") from None


def open_tip(profile: Profile, vault: Vault, record: dict) -> OpenTip:
    try:
        return _open_tip(profile, vault, record)
    except DecryptionError:
        raise ReaderError(f"Tip {record['reference']} does not open: its answers or a file's name were altered on the server.") from None


def _open_tip(profile: Profile, vault: Vault, record: dict) -> OpenTip:
    keys, tip_id = keys_of(profile, vault, record), uuid.UUID(record["id"]).bytes
    key = keys.tip_key
    described = {item["id"]: (item["message"], _describe(key, tip_id, item)) for item in record["files"]}
    return OpenTip(
        record=record,
        answers=content.decrypt_json(key, from_b64(record["answers"]), content.answers_context(tip_id)),
        files=[view for message, view in described.values() if message is None],
        messages=[
            OpenMessage(
                author=message["author"], sender=message["sender"], sent_hour=message["sent_hour"],
                text=_text(key, message["ciphertext"], content.message_context(tip_id, message["key"])),
                files=[view for owner, view in described.values() if owner == message["key"]],
            )
            for message in record["messages"]
        ],
        notes=[
            OpenNote(author=note["author"], written_hour=note["written_hour"],
                     text=_text(_note_key(keys, note), note["ciphertext"], content.note_context(tip_id, note["key"])))
            for note in record["notes"]
        ],
        waiting=sum(1 for _path, item in profile.queued() if item["tip"] == record["id"]),
    )


SUMMARY_CHARACTERS = 90  # as the tip line's inbox (tipline/casework/summaries.py)


def summary(profile: Profile, vault: Vault, record: dict) -> str:
    """The list's one line for a tip: the opening words of its first written answer."""
    try:
        answers = content.decrypt_json(tip_key(profile, vault, record), from_b64(record["answers"]), content.answers_context(uuid.UUID(record["id"]).bytes))
    except (ReaderError, DecryptionError):
        return ""
    for answer in answers:
        if answer["kind"] in ("short_text", "long_text") and answer["value"]:
            words = " ".join(str(answer["value"]).split())
            return words if len(words) <= SUMMARY_CHARACTERS else words[: SUMMARY_CHARACTERS - 1].rstrip() + "…"
    return ""


def file_bytes(profile: Profile, vault: Vault, record: dict, file_id: str) -> tuple[OpenFile, Iterator[bytes]]:
    """A file's name and its plaintext, decrypted as it streams from the stored ciphertext."""
    item = next((item for item in record["files"] if item["id"] == file_id), None)
    path = profile.blob_path(file_id)
    if item is None or not path.exists():
        raise ReaderError("This file is not in the reader yet: tipline-reader sync fetches it.")
    key, tip_id = tip_key(profile, vault, record), uuid.UUID(record["id"]).bytes
    view = _describe(key, tip_id, item)
    file_key = files.unwrap_file_key(key, from_b64(item["wrapped_key"]), files.file_context(tip_id, file_id))
    return view, files.decrypt_chunks(file_key, _read(path), files.blob_context(item["blob_name"]), view.size)


def seal_text(profile: Profile, vault: Vault, record: dict, kind: str, text: str, purpose: str = "") -> dict:
    """A reply sealed under the tip key, or a note under the team key, ready for the outbox."""
    keys, tip_id, item_key = keys_of(profile, vault, record), uuid.UUID(record["id"]).bytes, str(uuid.uuid4())
    if kind == "reply":
        sealed = content.encrypt_content(keys.tip_key, text.encode(), content.message_context(tip_id, item_key))
        return {"kind": kind, "tip": record["id"], "key": item_key, "purpose": purpose, "ciphertext": b64(sealed)}
    item = {"kind": kind, "tip": record["id"], "key": item_key, "purpose": "", "team": True}
    if keys.team_key is None:
        keys, upgrade = _give_team_key(profile, vault, record, keys)
        item |= upgrade
    item["ciphertext"] = b64(content.encrypt_content(keys.team_key, text.encode(), content.note_context(tip_id, item_key)))
    return item


def _give_team_key(profile: Profile, vault: Vault, record: dict, keys: tip_keys.SealedKeys) -> tuple[tip_keys.SealedKeys, dict]:
    """A tip from before team keys: a new team key, sealed with the tip key to the channel's
    current key, and the tip's notes moved under it. The record here changes at once, so a
    second note written before the next sync uses the same team key."""
    current = profile.channel_keys()["current"]
    if current is None:
        raise ReaderError("The channel has no current key here: tipline-reader sync first.")
    tip_id = uuid.UUID(record["id"]).bytes
    keys = tip_keys.SealedKeys(tip_key=keys.tip_key, team_key=tip_keys.new_team_key())
    box = b64(tip_keys.seal_keys(keys, tip_id, from_b64(current["public_key"])))
    resealed = []
    for note in record["notes"]:
        if note.get("team"):
            continue
        where = content.note_context(tip_id, note["key"])
        try:
            text = content.decrypt_content(keys.tip_key, from_b64(note["ciphertext"]), where)
        except DecryptionError:
            raise ReaderError(f"A note of tip {record['reference']} does not open: it was altered on the server. Nothing was sealed.") from None
        note["ciphertext"], note["team"] = b64(content.encrypt_content(keys.team_key, text, where)), True
        resealed.append({"key": note["key"], "ciphertext": note["ciphertext"]})
    record["sealed_key"], record["channel_key"] = box, current["id"]
    profile.save_tip(record)
    return keys, {"sealed_key": box, "resealed_notes": resealed}


def _note_key(keys: tip_keys.SealedKeys, note: dict) -> bytes:
    """A note says which key it is under; one that claims the team key on a tip without one opens with none."""
    if note.get("team"):
        return keys.team_key or bytes(tip_keys.KEY_BYTES)
    return keys.tip_key


def _describe(key: bytes, tip_id: bytes, item: dict) -> OpenFile:
    meta = content.decrypt_json(key, from_b64(item["meta"]), content.file_meta_context(tip_id, item["id"]))
    return OpenFile(id=item["id"], name=meta["name"], size=meta["size"], note=meta["note"])


def _text(key: bytes, ciphertext: str, where: bytes) -> str:
    try:
        return content.decrypt_content(key, from_b64(ciphertext), where).decode()
    except (DecryptionError, UnicodeDecodeError):
        return "(This text does not open: it was altered.)"


def _read(path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(files.CHUNK_BYTES):
            yield chunk
