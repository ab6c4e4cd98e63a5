"""Inbox speed with 100,000 tips across 5 channels: the first page, a filtered page and the
500th page (keyset), the filter form's choices, and the first page with its summaries (each row's tip key opened with
the reader's private key, its answers decrypted, the opening words taken), server time
p50/p99, on SQLite or PostgreSQL.

Run: .venv/bin/python benchmarks/inbox.py [--database sqlite|postgresql] [--tips 100000]

Seeding uses a faithful bulk path: the same rows the service writes (tip, key grant): each
tip key is real, sealed to the reader's public key, and its answers are encrypted under it
(about 1 KiB of text), but without 100,000 Argon2id runs for the receipts.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for, percentile


def seed(tip_count: int):
    import uuid

    from django.utils import timezone

    from tipline.core.channel_schema import import_channel, parse_document
    from tipline.core.models import Label, Tip, TipKeyGrant
    from tipline.core.references import new_reference
    from tipline.crypto import content, tip_keys
    from tipline.testing.staff import make_staff

    for number in range(5):
        import_channel(
            parse_document(
                f"slug: c{number}\nname: Channel {number}\nfields:\n  - {{key: tip, kind: long_text, label: Tip}}\n"
            )
        )
    member = make_staff("reader", [f"c{number}" for number in range(5)])
    public_key = bytes(member.user.public_key)
    references = set()
    channels = list(member.user.channels.all())
    label = Label.objects.create(name="urgent")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    randomness = random.Random(7)
    batch = 5000
    for start in range(0, tip_count, batch):
        tips, grants = [], []
        for _ in range(min(batch, tip_count - start)):
            received = now - timedelta(hours=randomness.randrange(0, 24 * 365 * 3))
            deadline = (
                received + timedelta(hours=randomness.randrange(1, 24 * 60)) if randomness.random() < 0.4 else None
            )
            tip_id, tip_key = uuid.uuid4(), tip_keys.new_tip_key()
            reference = new_reference(taken=references.__contains__)
            references.add(reference)
            answers = [{"key": "tip", "label": "Tip", "kind": "long_text", "value": "word " * 200}]
            tip = Tip(
                id=tip_id,
                reference=reference,
                channel=randomness.choice(channels),
                received_hour=received,
                last_activity_hour=received,
                deadline=deadline,
                status=randomness.choice(["new", "in_review", "acted_on", "closed"]),
                receipt_lookup_id=os.urandom(32),
                receipt_kdf=b"\x01" * 13,
                tipster_wrapped_key=os.urandom(73),
                answers_ciphertext=content.encrypt_json(
                    tip_key, answers, content.content_context(tip_id.bytes, "answers")
                ),
            )
            tips.append(tip)
            grants.append(
                TipKeyGrant(
                    tip=tip,
                    recipient=member.user,
                    sealed_tip_key=tip_keys.seal_tip_key(tip_key, tip_id.bytes, public_key),
                )
            )
        Tip.objects.bulk_create(tips)
        TipKeyGrant.objects.bulk_create(grants)
        Tip.labels.through.objects.bulk_create(Tip.labels.through(tip=tip, label=label) for tip in tips[::20])
    return member


def _with_summaries(page, member, summaries_for):
    lines = summaries_for(member.user, member.private_key, page.tips)
    assert len(lines) == len(page.tips) and all(lines.values())  # every row opened and summarised
    return page


def timed(function, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    arguments = parser.parse_args()
    django_for(arguments.database)
    from django.db import connection

    from tipline.casework.inbox import InboxFilters, inbox_page
    from tipline.casework.summaries import summaries_for

    started = time.perf_counter()
    member = seed(arguments.tips)
    user = member.user
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {arguments.database}; seeded {arguments.tips} tips in {time.perf_counter() - started:.0f} s")

    cursor = ""
    for _ in range(499):
        cursor = inbox_page(user, {}, cursor=cursor).next_cursor
    cases = {
        "first page": lambda: inbox_page(user, {}),
        "filtered page (status=new, label=urgent)": lambda: inbox_page(user, {"status": "new", "label": "urgent"}),
        "filtered page (deadline within 24 h)": lambda: inbox_page(user, {"deadline": "soon"}),
        "500th page": lambda: inbox_page(user, {}, cursor=cursor),
        "first page with summaries": lambda: _with_summaries(inbox_page(user, {}), member, summaries_for),
    }
    for name, case in cases.items():
        timings = timed(lambda case=case: list(case().tips), arguments.repeat)
        print(f"{name:42s} p50 {percentile(timings, 0.5):6.1f} ms   p99 {percentile(timings, 0.99):6.1f} ms")
    # The filter form offers only labels on tips the person may see (issue 31, finding 8).
    timings = timed(lambda: InboxFilters(user), arguments.repeat)
    print(
        f"{'filter form (labels on visible tips)':42s} p50 {percentile(timings, 0.5):6.1f} ms   p99 "
        f"{percentile(timings, 0.99):6.1f} ms"
    )


if __name__ == "__main__":
    main()
