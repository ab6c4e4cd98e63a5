"""The dashboard: figures from a seeded set of tips, checked by hand; each chart an SVG image
with no script and the figures also in tables; a recipient sees only their channels."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.casework import dashboard
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import Author, Message, Tip, TipStatus
from tipline.testing.staff import make_staff, make_tip, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    for slug, name in (("desk", "News desk"), ("prisons", "Prisons")):
        import_channel(
            parse_document(f"slug: {slug}\nname: {name}\nfields:\n  - {{key: tip, kind: long_text, label: Your tip}}\n")
        )
    reader = make_staff("rita", ["desk"])
    boss = make_staff("ada", ["desk", "prisons"], admin=True)
    now = timezone.now()
    this_week = dashboard._monday(now)

    def tip(channel, received, status=TipStatus.NEW, deadline=None, reply_after_hours=None):
        made, _receipt = make_tip(channel, "text", deadline)
        Tip.objects.filter(pk=made.pk).update(received_hour=received, status=status)
        if reply_after_hours is not None:
            Message.objects.create(
                tip=made,
                author=Author.RECIPIENT,
                sent_hour=received + timedelta(hours=reply_after_hours),
                ciphertext=b"x",
            )
        return made

    tip("desk", this_week + timedelta(hours=1), reply_after_hours=2)
    tip("desk", this_week + timedelta(hours=2), reply_after_hours=10, status=TipStatus.IN_REVIEW)
    tip("desk", this_week - timedelta(days=7), reply_after_hours=4, deadline=now - timedelta(hours=1))
    tip("desk", this_week - timedelta(days=7), status=TipStatus.CLOSED, deadline=now - timedelta(hours=3))
    tip("prisons", this_week - timedelta(days=14), deadline=now + timedelta(days=2, hours=1))
    return {"reader": reader, "boss": boss, "now": now}


def test_the_figures_match_the_seeded_tips(seeded):
    figures = dashboard.figures_for(seeded["boss"].user, seeded["now"])
    assert figures.channels == ["News desk", "Prisons"]
    assert figures.tips_per_week["News desk"][-2:] == [2, 2] and figures.tips_per_week["Prisons"][-3:] == [1, 0, 0]
    assert figures.median_hours_to_first_reply == {"News desk": 4.0, "Prisons": None}  # median of 2, 10 and 4
    assert figures.open_by_status == {"New": 3, "In review": 1, "Acted on": 0}
    assert figures.overdue == 1  # the closed one does not count
    due = dict((day.date(), count) for day, count in figures.due_by_day)
    assert sum(due.values()) == 1 and due[(seeded["now"] + timedelta(days=2, hours=1)).date()] == 1


def test_a_recipient_sees_only_their_channels(seeded):
    figures = dashboard.figures_for(seeded["reader"].user, seeded["now"])
    assert figures.channels == ["News desk"] and figures.open_by_status["New"] == 2


def test_the_page_has_tables_and_the_charts_are_script_free_svg_images(seeded):
    client = sign_in(seeded["boss"])
    page = client.get("/staff/dashboard/").content.decode()
    assert page.count("<table") == 4 and page.count('class="chart"') == 4
    for name in dashboard.CHARTS:
        answer = client.get(f"/staff/dashboard/{name}.svg")
        svg = answer.content.decode()
        assert answer.status_code == 200 and answer["Content-Type"] == "image/svg+xml"
        assert svg.lstrip().startswith(("<?xml", "<svg")) and "<script" not in svg
        assert "script-src 'none'" in answer["Content-Security-Policy"]
    assert "News desk" in client.get("/staff/dashboard/tips-per-week.svg").content.decode()
    assert "'unsafe-inline'" not in client.get("/staff/dashboard/")["Content-Security-Policy"]
    assert client.get("/staff/dashboard/secrets.svg").status_code == 404


def test_the_dashboard_is_for_signed_in_staff_only(seeded):
    from django.test import Client

    assert Client().get("/staff/dashboard/").status_code == 302
    assert Client().get("/staff/dashboard/deadlines.svg").status_code == 302


def test_count_axes_are_marked_in_whole_numbers():
    assert dashboard._whole_numbers(0) == [0, 1]
    assert dashboard._whole_numbers(3) == [0, 1, 2, 3]
    assert dashboard._whole_numbers(12) == [0, 3, 6, 9, 12]
    assert dashboard._whole_numbers(13) == [0, 3, 6, 9, 12, 15]
