"""The inbox: most urgent deadline first, filters, and keyset pages that neither skip nor repeat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.casework.inbox import inbox_page
from tipline.core.models import Label, Tip
from tipline.testing.staff import make_tip

pytestmark = pytest.mark.django_db


def test_tips_are_ordered_overdue_then_due_soon_then_later_then_none(two_channels):
    now = timezone.now()
    later, _ = make_tip("alpha", "later", now + timedelta(days=3))
    none, _ = make_tip("alpha", "no deadline")
    overdue, _ = make_tip("alpha", "overdue")
    Tip.objects.filter(pk=overdue.pk).update(deadline=now - timedelta(hours=2))
    soon, _ = make_tip("alpha", "soon", now + timedelta(hours=5))

    page = inbox_page(two_channels["alpha"].user, {})

    assert [tip.pk for tip in page.tips] == [overdue.pk, soon.pk, later.pk, none.pk]


def test_the_inbox_page_shows_urgency_and_unread(signed_in, two_channels):
    make_tip("alpha", "soon", timezone.now() + timedelta(hours=3))

    page = signed_in["alpha"].get("/staff/inbox/").content.decode()

    assert "badge--soon" in page and "unread" in page and "Alpha" in page


def test_keyset_pages_cover_every_tip_once_in_order(two_channels):
    now = timezone.now()
    created = [make_tip("alpha", f"tip {n}", now + timedelta(hours=n % 4 + 1) if n % 3 else None)[0] for n in range(23)]
    user = two_channels["alpha"].user

    seen, cursor = [], ""
    while True:
        page = inbox_page(user, {}, cursor=cursor, page_size=5)
        seen += [tip.pk for tip in page.tips]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert sorted(seen) == sorted(tip.pk for tip in created) and len(seen) == 23
    assert seen == [tip.pk for tip in inbox_page(user, {}, page_size=100).tips]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "closed"}, ["closed"]),
        ({"label": "fraud"}, ["labelled"]),
        ({"assignee": "ana"}, ["assigned"]),
        ({"assignee": "none", "deadline": "none"}, ["closed", "labelled"]),
        ({"deadline": "overdue"}, ["overdue"]),
        ({"deadline": "soon"}, ["soon"]),
        ({"deadline": "any"}, ["assigned", "overdue", "soon"]),
        ({"channel": "beta"}, []),
    ],
)
def test_filters(two_channels, filters, expected):
    now = timezone.now()
    ana = two_channels["alpha"].user
    tips = {name: make_tip("alpha", name)[0] for name in ("closed", "labelled", "assigned", "overdue", "soon")}
    Tip.objects.filter(pk=tips["closed"].pk).update(status="closed")
    tips["labelled"].labels.add(Label.objects.create(name="fraud"))
    Tip.objects.filter(pk=tips["assigned"].pk).update(assignee=ana, deadline=now + timedelta(days=9))
    Tip.objects.filter(pk=tips["overdue"].pk).update(deadline=now - timedelta(hours=1))
    Tip.objects.filter(pk=tips["soon"].pk).update(deadline=now + timedelta(hours=1))
    names = {tip.pk: name for name, tip in tips.items()}

    shown = [names[tip.pk] for tip in inbox_page(ana, filters).tips]

    assert sorted(shown) == sorted(expected)


def test_a_recipient_sees_only_the_tips_of_their_channels(two_channels):
    make_tip("alpha", "for ana")
    make_tip("beta", "for ben")

    assert len(inbox_page(two_channels["alpha"].user, {}).tips) == 1
    assert len(inbox_page(two_channels["beta"].user, {}).tips) == 1
    assert inbox_page(two_channels["admin"].user, {}).tips == []


def test_someone_who_receives_no_channel_is_told_why_the_inbox_is_empty_and_where_to_go(signed_in):
    page = signed_in["admin"].get("/staff/inbox/").content.decode()

    assert "You receive no channel yet" in page and 'href="/staff/admin/channels/"' in page
    assert "No tips match." not in page


def test_a_recipient_is_offered_only_the_labels_of_their_own_channels(signed_in):
    make_tip("alpha", "for ana")[0].labels.add(Label.objects.create(name="alpha-only"))
    make_tip("beta", "for ben")[0].labels.add(Label.objects.create(name="beta-word"))

    page = signed_in["beta"].get("/staff/inbox/").content.decode()

    assert 'value="beta-word"' in page and "alpha-only" not in page


def test_ticked_rows_change_together_each_audited_and_a_misfit_is_named(signed_in, two_channels):
    from tipline.accounts.models import User
    from tipline.audit.models import AuditEntry
    from tipline.core.models import Channel

    first, _ = make_tip("alpha", "one")
    second, _ = make_tip("alpha", "two")
    untouched, _ = make_tip("alpha", "three")
    ana = signed_in["alpha"]

    done = ana.post(
        "/staff/inbox/bulk/",
        {
            "tips": [str(first.id), str(second.id)],
            "status": "in_review",
            "label": "Fraud",
            "assignee": "ana",
            "query": "status=new",
        },
    )

    assert done.status_code == 302 and "changed=2" in done["Location"] and "status=new" in done["Location"]
    assert [
        (tip.status, tip.assignee.username, list(tip.labels.values_list("name", flat=True)))
        for tip in Tip.objects.filter(pk__in=[first.pk, second.pk])
    ] == [("in_review", "ana", ["fraud"])] * 2
    assert Tip.objects.get(pk=untouched.pk).status == "new"
    assert AuditEntry.objects.filter(action="status-changed").count() == 2
    assert "2 tips changed." in ana.get(done["Location"]).content.decode()

    Channel.objects.get(slug="beta").recipients.add(User.objects.get(username="ana"))  # ben receives beta only
    beta_tip, _ = make_tip("beta", "four")
    mixed = ana.post("/staff/inbox/bulk/", {"tips": [str(first.id), str(beta_tip.id)], "assignee": "ben"})
    assert "changed=1" in mixed["Location"] and first.reference in mixed["Location"]
    assert (
        Tip.objects.get(pk=beta_tip.pk).assignee.username == "ben"
        and Tip.objects.get(pk=first.pk).assignee.username == "ana"
    )
    assert "Left as they were:" in ana.get(mixed["Location"]).content.decode()


def test_a_bulk_change_needs_ticked_tips_and_a_change_and_stays_in_ones_channels(signed_in, two_channels):
    alpha_tip, _ = make_tip("alpha", "one")
    beta_tip, _ = make_tip("beta", "not ana's")
    ana = signed_in["alpha"]

    nothing_ticked = ana.post("/staff/inbox/bulk/", {"status": "closed"})
    nothing_chosen = ana.post("/staff/inbox/bulk/", {"tips": [str(alpha_tip.id)]})
    foreign = ana.post("/staff/inbox/bulk/", {"tips": [str(alpha_tip.id), str(beta_tip.id)], "status": "closed"})

    assert nothing_ticked.status_code == 400 and "Tick at least one tip to change." in nothing_ticked.content.decode()
    assert (
        nothing_chosen.status_code == 400
        and "Choose a status, a label or an assignee" in nothing_chosen.content.decode()
    )
    assert foreign.status_code == 404
    assert set(Tip.objects.values_list("status", flat=True)) == {"new"}  # all or nothing
