"""Admin pages for verified insiders: create an organisation, add members from a list and
see their codes once, give a member a new code; recipients who are not admins get nothing."""

import html
import re

from tipline.audit.models import AuditEntry
from tipline.insider import members
from tipline.insider.models import Member, Organisation
from tipline.testing.staff import make_staff, sign_in

CODE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){7}")


def test_an_admin_creates_an_organisation_adds_members_and_hands_out_codes(db):
    client = sign_in(make_staff("ada", admin=True))
    created = client.post(
        "/staff/admin/insiders/",
        {"slug": "police", "name": "Metropolitan Police", "tokens_per_epoch": 5, "epoch_days": 7},
    )
    assert created.status_code == 302 and created["Location"] == "/staff/admin/insiders/police/"
    page = client.post(
        "/staff/admin/insiders/police/", {"listing": "officer 1\nofficer 2\nofficer 1\n"}
    ).content.decode()
    codes = CODE.findall(page)
    assert len(codes) == 2 and "shown only now" in page
    assert members.activate("police", codes[1]).startswith("tlm1.")
    assert not CODE.findall(client.get("/staff/admin/insiders/police/").content.decode())  # never shown again

    member = Member.objects.get(reference="officer 1")
    renewed = client.post(f"/staff/admin/insiders/police/members/{member.pk}/new-code/").content.decode()
    assert len(CODE.findall(renewed)) == 1 and CODE.findall(renewed)[0] != codes[0]
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "organisation-changed",
        "members-added",
        "member-reset",
    }


def test_a_taken_short_name_is_refused_with_a_message(db):
    client = sign_in(make_staff("ada", admin=True))
    Organisation.objects.create(slug="police", name="Police")
    refused = client.post(
        "/staff/admin/insiders/", {"slug": "police", "name": "Other", "tokens_per_epoch": 5, "epoch_days": 7}
    )
    assert refused.status_code == 400 and "exists already" in html.unescape(refused.content.decode())


def test_recipients_who_are_not_admins_cannot_reach_the_insider_admin_pages(db):
    Organisation.objects.create(slug="police", name="Police")
    client = sign_in(make_staff("rita", channels=[]))
    for url in ("/staff/admin/insiders/", "/staff/admin/insiders/police/"):
        assert client.get(url).status_code == 403
    assert (
        client.post(
            "/staff/admin/insiders/", {"slug": "x", "name": "X", "tokens_per_epoch": 5, "epoch_days": 7}
        ).status_code
        == 403
    )
    assert not Organisation.objects.filter(slug="x").exists()
