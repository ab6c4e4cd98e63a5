"""One tip as a zip, streamed as it is built: answers (text and JSON), the conversation,
notes, and every file decrypted on the fly. Nothing is written to disk on the server."""

import io
import json
import zipfile
from collections.abc import Iterator

from django.db import transaction

from tipline.audit.services import Action, record
from tipline.casework.services import open_tip_and_key
from tipline.core import attachments


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes the generator hands on as soon as they exist."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def export_tip(user, private_key: bytes, tip_id) -> tuple[str, Iterator[bytes]]:
    """The zip's file name and its bytes. The export is audited before the first byte."""
    with transaction.atomic():
        opened, tip_key = open_tip_and_key(user, private_key, tip_id)
        record(user.username, Action.TIP_EXPORTED, str(opened.tip.id))
    return f"tip-{opened.tip.id}.zip", _zip(opened, tip_key)


def _zip(opened, tip_key: bytes) -> Iterator[bytes]:
    sink = _Sink()
    stamp = opened.tip.received_hour.timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in _documents(opened):
            archive.writestr(zipfile.ZipInfo(name, stamp), text)
            yield sink.drain()
        for index, attachment in enumerate(opened.tip.attachments.select_related("tip"), start=1):
            view = attachments.describe_file(tip_key, attachment)
            info = zipfile.ZipInfo(f"files/{index:02d}-{_safe_name(view.name)}", stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in attachments.file_chunks(tip_key, attachment):
                    member.write(chunk)
                    yield sink.drain()
    yield sink.drain()


def _documents(opened) -> list[tuple[str, str]]:
    tip = opened.tip
    answers_text = "\n\n".join(f"{answer.label}\n{answer.display}" for answer in opened.answers if answer.is_filled)
    conversation = "\n\n".join(
        f"[{message.sent_hour:%Y-%m-%d %H:00} UTC] {message.author}:\n{message.text}" for message in opened.conversation
    )
    notes = "\n\n".join(
        f"[{note.written_hour:%Y-%m-%d %H:00} UTC] {note.author}:\n{note.text}" for note in opened.notes
    )
    summary = {
        "tip": str(tip.id),
        "channel": tip.channel.slug,
        "received_hour": tip.received_hour.isoformat(),
        "status": tip.status,
        "deadline": tip.deadline.isoformat() if tip.deadline else None,
        "answers": [answer.__dict__ for answer in opened.answers],
        "conversation": [
            {"author": m.author, "sent_hour": m.sent_hour.isoformat(), "text": m.text} for m in opened.conversation
        ],
        "files": [{"name": file.name, "size": file.size, "note": file.note} for file in opened.files],
    }
    return [
        ("answers.txt", answers_text + "\n"),
        ("tip.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n"),
        ("conversation.txt", (conversation or "No messages.") + "\n"),
        ("notes.txt", (notes or "No notes.") + "\n"),
    ]


def _safe_name(name: str) -> str:
    cleaned = "".join(character if character.isalnum() or character in "._- " else "_" for character in name)
    return cleaned.strip(". ")[:120] or "file"
