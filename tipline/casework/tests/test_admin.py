"""Admin pages: accounts created with a one-time password, disabled and reset; channels and
their forms edited as YAML with errors that say what to fix; exports; all audited."""

import pytest

from tipline.accounts.models import User
from tipline.audit.models import AuditEntry
from tipline.core.models import Channel

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_recipient_who_gets_a_one_time_password(signed_in):
    response = signed_in["admin"].post("/staff/admin/users/", {"username": "kim", "channels": ["alpha"]})

    page = response.content.decode()
    assert response.status_code == 200 and "Created <strong>kim</strong>" in page
    kim = User.objects.get(username="kim")
    assert (
        kim.must_change_password and kim.public_key and list(kim.channels.values_list("slug", flat=True)) == ["alpha"]
    )
    assert AuditEntry.objects.filter(actor="root", action="user-created", target="kim").exists()


def test_a_duplicate_account_is_refused_with_a_message(signed_in):
    response = signed_in["admin"].post("/staff/admin/users/", {"username": "ana"})

    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_disabling_and_resetting_an_account(signed_in):
    admin = signed_in["admin"]

    admin.post("/staff/admin/users/ana/disable/", {"confirmed": "on"})  # alpha's only recipient: confirmed below
    disabled = User.objects.get(username="ana")
    asked = admin.post("/staff/admin/users/ana/reset/")
    assert "Reset ana?" in asked.content.decode() and not User.objects.get(username="ana").must_change_password
    reset = admin.post("/staff/admin/users/ana/reset/", {"confirmed": "on", "unreadable": "ana"})

    assert not disabled.is_active
    assert "Tips sealed to their old key stay closed to them" in reset.content.decode()
    assert User.objects.get(username="ana").must_change_password
    assert signed_in["alpha"].get("/staff/inbox/").status_code == 302  # a disabled user's session ends
    assert set(AuditEntry.objects.filter(target="ana").values_list("action", flat=True)) == {
        "user-changed",
        "user-reset",
    }


def test_the_last_active_admin_is_neither_disabled_nor_reset_on_the_web(signed_in):
    admin = signed_in["admin"]

    disabled = admin.post("/staff/admin/users/root/disable/", {"confirmed": "on"})
    reset = admin.post("/staff/admin/users/root/reset/")

    for refused in (disabled, reset):
        assert (
            refused.status_code == 400
            and "root is the only active admin: create another admin first" in refused.content.decode()
        )
    root = User.objects.get(username="root")
    assert root.is_active and not root.must_change_password
    assert admin.get("/staff/admin/users/").status_code == 200  # still signed in


def test_an_admin_is_disabled_once_another_admin_is_active(signed_in):
    from tipline.testing.staff import make_staff

    make_staff("boss", [], admin=True)

    answer = signed_in["admin"].post("/staff/admin/users/root/disable/")

    assert answer.status_code == 302 and not User.objects.get(username="root").is_active


def test_disabling_a_channels_only_reader_asks_first_naming_the_channels_that_stop_taking_tips(signed_in):
    from tipline.core.submission import channel_is_receiving

    admin = signed_in["admin"]

    asked = admin.post("/staff/admin/users/ana/disable/")

    notice = asked.content.decode().split("Disabling ana")[1].split("</div>")[0]
    assert (
        asked.status_code == 200
        and notice.startswith(" leaves nobody who can read new tips of Alpha:")
        and "Beta" not in notice
    )
    assert User.objects.get(username="ana").is_active and channel_is_receiving(Channel.objects.get(slug="alpha"))

    admin.post("/staff/admin/users/ana/disable/", {"confirmed": "on"})

    assert not User.objects.get(username="ana").is_active and not channel_is_receiving(
        Channel.objects.get(slug="alpha")
    )


def test_disabling_one_of_two_readers_of_a_channel_needs_no_confirmation(signed_in):
    from tipline.testing.staff import make_staff

    Channel.objects.get(slug="alpha").recipients.add(make_staff("cleo").user)

    answer = signed_in["admin"].post("/staff/admin/users/ana/disable/")

    assert answer.status_code == 302 and not User.objects.get(username="ana").is_active


def test_a_channel_form_is_edited_as_yaml(signed_in):
    admin = signed_in["admin"]
    document = admin.get("/staff/admin/channels/alpha/").content.decode()
    new_document = (
        "slug: alpha\nname: Alpha desk\nfields:\n"
        "  - {key: tip, kind: long_text, label: Your tip}\n"
        "  - {key: when, kind: date, label: When, deadline: true}\n"
    )

    saved = admin.post("/staff/admin/channels/alpha/", {"document": new_document, "recipients": ["ana"]})

    assert "slug: alpha" in document
    assert saved.status_code == 302
    confirmed = admin.get(saved["Location"]).content.decode()
    assert "Saved: Alpha desk and its form are what tipsters see now." in confirmed and 'href="/c/alpha/"' in confirmed
    alpha = Channel.objects.get(slug="alpha")
    assert alpha.name == "Alpha desk" and list(alpha.fields.values_list("key", flat=True)) == ["tip", "when"]
    assert AuditEntry.objects.filter(action="channel-changed", target="alpha").exists()


def test_a_bad_channel_document_is_refused_with_each_problem_on_its_line_in_plain_words(signed_in):
    bad = "slug: Alpha Desk\nname: Alpha\ncolour: blue\nfields:\n  - {key: tip, kind: essay, label: Your tip}\n"

    response = signed_in["admin"].post("/staff/admin/channels/alpha/", {"document": bad})
    page = response.content.decode()

    assert response.status_code == 400
    assert "fields[0].kind: must be one of: short_text, long_text," in page
    assert "slug: may hold only lower-case letters, digits and dashes" in page and "[a-z0-9]" not in page
    assert "colour: is not a setting a channel has (check its spelling)" in page
    assert page.count("<br>", page.index('class="error"'), page.index("</p>", page.index('class="error"'))) == 2
    assert "essay" in page  # the typed document is kept


def test_a_channel_is_exported_as_yaml_and_json(signed_in):
    yaml_export = signed_in["admin"].get("/staff/admin/channels/alpha/export.yaml")
    json_export = signed_in["admin"].get("/staff/admin/channels/alpha/export.json")

    assert yaml_export.content.decode().startswith("slug: alpha")
    assert json_export.json()["slug"] == "alpha"


def test_the_audit_page_filters_and_shows_the_chain_state(signed_in):
    from tipline.audit.checkpoints import write_checkpoint

    signed_in["admin"].post("/staff/admin/users/", {"username": "kim"})
    unwitnessed = signed_in["admin"].get("/staff/admin/audit/?action=user-created").content.decode()
    write_checkpoint()

    page = signed_in["admin"].get("/staff/admin/audit/?action=user-created").content.decode()

    assert "no checkpoint covers them yet" in unwitnessed
    assert "the hash chain is intact" in page and "no checkpoint" not in page and "kim" in page
    assert "sign-in" not in page.split("<tbody>")[1]


def test_a_channel_file_can_be_uploaded_instead_of_typed(signed_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "gamma.json",
        b'{"slug": "gamma", "name": "Gamma", "fields": [{"key": "tip", "kind": "long_text", "label": "Tip"}]}',
    )

    response = signed_in["admin"].post("/staff/admin/channels/new/", {"document": "ignored", "upload": upload})

    assert response.status_code == 302
    assert Channel.objects.get(slug="gamma").fields.get().label == "Tip"
