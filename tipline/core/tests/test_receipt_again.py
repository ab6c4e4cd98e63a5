"""The receipt kept for a resend (issue 32) in the shared cache: found by its form and browser
alone, unreadable and unattributable to a reader of the cache, absent once altered, and gone
when its window ends, across an hour's turn too."""

import secrets
import sqlite3
from pathlib import Path

import pytest
from django.core.cache import cache

from tipline.core import receipt_again, throttle
from tipline.core.conversation import Answer
from tipline.core.models import Channel
from tipline.core.submission import submit_tip

pytestmark = pytest.mark.django_db
WINDOW = 600


@pytest.fixture(autouse=True)
def window(settings):
    settings.RECEIPT_SHOWN_AGAIN_SECONDS = WINDOW


def store(form_token: str, browser: str):
    answers = [Answer(key="tip", label="Your tip", kind="long_text", value="kept-answer-3c9d")]
    return submit_tip(
        Channel.objects.get(slug="general"),
        answers,
        None,
        [],
        form_token,
        before_commit=receipt_again.keeper(form_token, browser),
    )


def cache_rows() -> list[tuple[str, bytes]]:
    path = getattr(cache, "_path", None)
    if path is None:
        pytest.skip("the shared cache is not the SQLite one here")
    database = sqlite3.connect(Path(path))
    try:
        return [(name, bytes(value)) for name, value in database.execute("SELECT key, value FROM entries")]
    finally:
        database.close()


def set_raw(name: str, value: bytes) -> None:
    database = sqlite3.connect(Path(cache._path))
    with database:
        database.execute("UPDATE entries SET value = ? WHERE key = ?", (value, name))
    database.close()


def kept_entries() -> list[tuple[str, bytes]]:
    return [(name, value) for name, value in cache_rows() if "receipt-again:" in name]


def test_the_kept_receipt_is_found_by_its_form_and_browser_only(recipient_keys):
    token, browser = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
    submitted = store(token, browser)

    assert receipt_again.find(token, browser) == submitted
    assert receipt_again.find(token, secrets.token_urlsafe(24)) is None
    assert receipt_again.find(secrets.token_urlsafe(16), browser) is None
    assert receipt_again.find(token, None) is None


def test_a_reader_of_the_cache_learns_nothing_of_the_receipt_the_form_or_the_browser(recipient_keys):
    cache.clear()
    token, browser = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
    submitted = store(token, browser)
    store(secrets.token_urlsafe(16), secrets.token_urlsafe(24))  # a second entry, to compare lengths

    secrets_of_the_page = [
        submitted.receipt,
        submitted.receipt.replace(" ", ""),
        submitted.reference,
        token,
        browser,
        str(submitted.tip_id),
        submitted.tip_id.hex,
        "kept-answer-3c9d",
    ]
    directory = Path(cache._path).parent
    stored = b"".join(path.read_bytes() for path in directory.rglob("*") if path.is_file())
    stored += b"".join(name.encode() + value for name, value in cache_rows())
    assert kept_entries(), "the receipt was kept"
    assert not [found for found in secrets_of_the_page if found.encode() in stored]
    assert not any(key in stored for key in throttle.hourly_keys(receipt_again.KEY_PURPOSE))
    assert len({len(value) for _, value in kept_entries()}) == 1, "padded: the length tells nothing"


@pytest.mark.parametrize("where", [0, 1, 30, -17, -1])
def test_an_altered_entry_is_as_if_absent(recipient_keys, where):
    token, browser = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
    store(token, browser)
    [(name, value)] = kept_entries()
    altered = bytearray(value)
    altered[where] ^= 0x01

    set_raw(name, bytes(altered))

    assert receipt_again.find(token, browser) is None


def test_an_entry_moved_under_another_forms_name_does_not_open(recipient_keys):
    first, second = (secrets.token_urlsafe(16), "browser-a"), (secrets.token_urlsafe(16), "browser-b")
    store(*first)
    [(first_name, first_value)] = kept_entries()
    store(*second)
    [second_name] = [name for name, _ in kept_entries() if name != first_name]

    set_raw(second_name, first_value)

    assert receipt_again.find(*second) is None
    assert receipt_again.find(*first) is not None


def test_the_entry_is_gone_when_the_window_ends(recipient_keys, clock):
    token, browser = secrets.token_urlsafe(16), "browser"
    store(token, browser)

    clock.advance(WINDOW - 1)
    assert receipt_again.find(token, browser) is not None
    clock.advance(2)
    assert receipt_again.find(token, browser) is None
    cache.set("another-entry", 1)  # the next write deletes what has expired
    assert kept_entries() == []


def test_a_receipt_kept_late_in_an_hour_is_found_in_the_next(recipient_keys, clock):
    clock.advance_to((int(clock.time() // 3600) + 1) * 3600 - 30)  # half a minute before the hour turns
    token, browser = secrets.token_urlsafe(16), "browser"
    submitted = store(token, browser)

    clock.advance(60)

    assert receipt_again.find(token, browser) == submitted


def test_with_no_window_nothing_is_kept(recipient_keys, settings):
    settings.RECEIPT_SHOWN_AGAIN_SECONDS = 0
    token = secrets.token_urlsafe(16)

    store(token, "browser")

    assert kept_entries() == [] and receipt_again.find(token, "browser") is None
