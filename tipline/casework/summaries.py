"""One line that tells inbox rows apart: the title recipients gave a tip, else the opening
words of its first written answer. Decrypted in the reader's session for the rows of the
page only, with the reader's own key grants; nothing of it is stored in clear (a title is
kept encrypted under the tip key)."""

import uuid

from tipline.core import conversation
from tipline.core.models import Tip, TipKeyGrant
from tipline.crypto import content, tip_keys
from tipline.crypto.errors import DecryptionError

SUMMARY_CHARACTERS = 90
TITLE_CHARACTERS = 120


def summaries_for(user, private_key: bytes, rows: list[Tip]) -> dict[uuid.UUID, str]:
    """Each row's line, for the rows this reader holds a key grant for (others have none)."""
    ids = [tip.pk for tip in rows]
    sealed = dict(
        TipKeyGrant.objects.filter(recipient=user, tip_id__in=ids, lapsed=False).values_list("tip_id", "sealed_tip_key")
    )
    encrypted = {
        pk: (answers, title)
        for pk, answers, title in Tip.objects.filter(pk__in=list(sealed)).values_list(
            "pk", "answers_ciphertext", "title_ciphertext"
        )
    }
    lines = {}
    for tip in rows:
        if tip.pk not in sealed:
            continue
        try:
            tip_key = tip_keys.open_sealed_tip_key(bytes(sealed[tip.pk]), tip.crypto_id, private_key)
            answers, title = encrypted[tip.pk]
            lines[tip.pk] = read_title(tip, tip_key, title) or opening_words(
                conversation.read_answers(tip, tip_key, bytes(answers))
            )
        except DecryptionError:
            continue
    return lines


def opening_words(answers: list[conversation.Answer]) -> str:
    for answer in answers:
        if answer.kind in ("short_text", "long_text") and answer.is_filled:
            words = " ".join(str(answer.value).split())
            return words if len(words) <= SUMMARY_CHARACTERS else words[: SUMMARY_CHARACTERS - 1].rstrip() + "…"
    return ""


def seal_title(tip: Tip, tip_key: bytes, title: str) -> bytes | None:
    title = " ".join(title.split())
    return content.encrypt_content(tip_key, title.encode(), _title_context(tip)) if title else None


def read_title(tip: Tip, tip_key: bytes, sealed: bytes | memoryview | None) -> str:
    return content.decrypt_content(tip_key, bytes(sealed), _title_context(tip)).decode() if sealed else ""


def _title_context(tip: Tip) -> bytes:
    return content.title_context(tip.crypto_id)
