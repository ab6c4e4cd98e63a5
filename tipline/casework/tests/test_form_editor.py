"""The channel form editor without JavaScript: fields moved, removed, added and translated
by buttons that post the whole form, a preview built by the tipster page's own field
builder, problems beside the field they concern, and Save audited as any channel change."""

import pytest

from tipline.audit.models import AuditEntry
from tipline.core.channel_schema import export_channel
from tipline.core.models import Channel

EDITOR = "/staff/admin/channels/alpha/form/"


def rows(page_data: dict, *fields: dict) -> dict:
    """A posted editor: the management form and each field's values."""
    data = {"field-TOTAL_FORMS": str(len(fields)), "field-INITIAL_FORMS": str(len(fields)), **page_data}
    for number, field in enumerate(fields):
        data |= {f"field-{number}-{name}": value for name, value in field.items() if value is not False}
    return data


TIP = {"key": "tip", "kind": "long_text", "label": "Your tip", "help": "", "choices": "", "required": "on"}
FILES = {"key": "files", "kind": "file", "label": "Files", "help": "", "choices": ""}
WHERE = {
    "key": "where",
    "kind": "select",
    "label": "Where?",
    "help": "",
    "choices": "North\nSouth",
    "label_es": "¿Dónde?",
    "choices_es": "Norte\nSur",
}


def test_the_editor_shows_each_field_and_saves_reordered_translated_fields(signed_in):
    admin = signed_in["admin"]
    shown = admin.get(EDITOR).content.decode()

    saved = admin.post(EDITOR, rows({"action": "save"}, FILES, TIP, WHERE))

    assert 'name="field-0-key" value="tip"' in shown and 'name="field-1-key" value="files"' in shown
    assert saved.status_code == 302 and saved["Location"].endswith("/staff/admin/channels/alpha/?saved=1")
    alpha = Channel.objects.get(slug="alpha")
    assert list(alpha.fields.values_list("key", flat=True)) == ["files", "tip", "where"]
    assert alpha.fields.get(key="where").choices == ["North", "South"]
    assert alpha.translations["es"]["fields"]["where"] == {"label": "¿Dónde?", "choices": ["Norte", "Sur"]}
    assert AuditEntry.objects.filter(action="channel-changed", target="alpha", actor="root").exists()
    assert "where" in export_channel(alpha)  # the YAML export stays the same document


def test_buttons_move_remove_and_add_fields_without_saving(signed_in):
    admin = signed_in["admin"]
    before = export_channel(Channel.objects.get(slug="alpha"))

    moved = admin.post(EDITOR, rows({"action": "down-0"}, TIP, FILES)).content.decode()
    removed = admin.post(EDITOR, rows({"action": "remove-1"}, TIP, FILES)).content.decode()
    added = admin.post(EDITOR, rows({"action": "add", "new_kind": "date"}, TIP, FILES)).content.decode()

    assert moved.index('value="files"') < moved.index('value="tip"')
    assert 'value="files"' not in removed and 'value="tip"' in removed
    assert 'name="field-2-kind"' in added and '<option value="date" selected>' in added
    assert export_channel(Channel.objects.get(slug="alpha")) == before  # nothing saved


def test_problems_sit_beside_the_field_they_concern_in_plain_words(signed_in):
    bad_key = {**TIP, "key": "Your Tip"}
    no_choices = {**WHERE, "choices": "", "choices_es": ""}
    response = signed_in["admin"].post(EDITOR, rows({"action": "save"}, bad_key, no_choices))
    page = response.content.decode()

    assert response.status_code == 400 and "Not saved yet" in page
    first, second = page.index("Field 1:"), page.index("Field 2:")
    assert "may hold only lower-case letters, digits and dashes" in page[first:second]
    assert "a select field needs at least one choice" in page[second:]
    assert Channel.objects.get(slug="alpha").fields.count() == 2  # unchanged


def test_preview_shows_the_form_as_tipsters_will_see_it(signed_in):
    page = signed_in["admin"].post(EDITOR, rows({"action": "preview"}, TIP, WHERE)).content.decode()

    preview = page[page.index("Preview: the form as tipsters will see it") :]
    assert 'id="preview_answer-where"' in preview and '<option value="North">North</option>' in preview
    assert "Your tip" in preview and "(required)" in preview
    assert Channel.objects.get(slug="alpha").fields.filter(key="where").count() == 0


@pytest.mark.browser
def test_an_admin_builds_a_form_in_a_browser_without_javascript(live_server, page, transactional_db, screenshot):
    from tipline.core.channel_schema import import_channel, parse_document
    from tipline.testing.staff import browser_sign_in, make_staff

    import_channel(
        parse_document("slug: alpha\nname: Alpha\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n")
    )
    admin = make_staff("root", ["alpha"], admin=True)
    browser_sign_in(page, live_server.url, admin)

    page.goto(f"{live_server.url}{EDITOR}")
    page.select_option("#new_kind", "select")
    page.get_by_role("button", name="Add the field").click()
    page.fill("#id_field-1-label", "Which office?")
    page.fill("#id_field-1-key", "office")
    page.fill("#id_field-1-choices", "Madrid\nLisbon")
    page.get_by_role("button", name="Move field 2 up").click()
    page.get_by_role("button", name="Preview").click()
    assert page.locator(".preview select option").all_inner_texts() == ["—", "Madrid", "Lisbon"]
    screenshot(page, "staff-form-editor")
    page.get_by_role("button", name="Save", exact=True).click()

    assert "Saved: Alpha and its form are what tipsters see now." in page.content()
    assert list(Channel.objects.get(slug="alpha").fields.values_list("key", flat=True)) == ["office", "tip"]
