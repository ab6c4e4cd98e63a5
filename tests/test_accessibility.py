"""Accessibility and looks, in a real Chromium: axe-core (from npm, injected by the test; the
pages themselves run with JavaScript only so the checker can) finds no serious or critical
problem on any tipster or recipient page; the tip form works from the keyboard alone with a
visible focus; and every tipster and recipient page is photographed light, dark, in Arabic and
320 px wide (test-artifacts/look-*.png), none of them scrolling sideways at 320 px."""

import re
from pathlib import Path

import pytest

from tipline.core import offline_keys
from tipline.crypto.recipient_keys import generate_key_pair
from tipline.insider.tests.conftest import make_organisation
from tipline.testing.fixtures import ARTIFACTS_DIR
from tipline.testing.privacy import PROBE_USER_AGENT
from tipline.testing.staff import make_staff, make_tip

# How a page reads and looks does not depend on the database under it: checked once, in the
# SQLite pass; every view and query behind these pages is tested on PostgreSQL as well.
pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4} \d{4} \d{4}")
NARROW, WIDE = {"width": 320, "height": 640}, {"width": 1280, "height": 720}


@pytest.fixture
def site(live_server, transactional_db, recipient_keys):
    """The demo channels, a tip with a conversation, an organisation, and an admin who is
    also a recipient of every channel."""
    from tipline.core.channel_schema import import_channel, parse_document
    from tipline.core.models import Channel

    make_organisation("police", "Metropolitan Police")
    import_channel(
        parse_document(
            "slug: desk\nname: Desk\ntipsters_may_leave_out: true\nfields:\n"
            "  - {key: tip, kind: long_text, label: Your tip}\n"
        )
    )
    import_channel(
        parse_document(
            "slug: vault\nname: Vault\noffline_key: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
        )
    )
    make_staff("bea", channels=["desk"]).user.__class__.objects.filter(username="bea").update(display_name="Editor")
    admin = make_staff("ada", channels=list(Channel.objects.values_list("slug", flat=True)), admin=True)
    channel_key = generate_key_pair()  # as tipline-reader would make it on the admin's computer
    offline_keys.set_key(admin.user, Channel.objects.get(slug="vault"), channel_key.public_key)
    tip, receipt = make_tip("general", "The ledger in room 12 is kept twice.")
    sealed, _receipt = make_tip("vault", "Only tipline-reader opens this.")
    return {
        "url": live_server.url,
        "admin": admin,
        "tip": tip,
        "receipt": receipt,
        "sealed": sealed,
        "channel_key": channel_key,
    }


@pytest.fixture
def checker(browser):
    """A tab where axe-core can run: scripts on, and the page's CSP bypassed for the checker only."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does)")
    context = browser.new_context(java_script_enabled=True, bypass_csp=True, user_agent=PROBE_USER_AGENT)
    page = context.new_page()
    yield page
    context.close()


# axe's "needs review" results that a person checked on these pages and found no problem,
# by rule, with why. Any other serious or critical one fails as a violation does.
FALSE_ALARMS: dict[str, str] = {}
DUPLICATE_IDS = """() => {
  const counts = {};
  for (const element of document.querySelectorAll("[id]")) counts[element.id] = (counts[element.id] || 0) + 1;
  return Object.keys(counts).filter(id => counts[id] > 1);
}"""


def serious_problems(page) -> list[str]:
    """Serious and critical violations, the same in "needs review" (unless a false alarm
    above), and any id used twice (a label then names the wrong field)."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations', 'incomplete']})")
    reviews = [item for item in result["incomplete"] if item["id"] not in FALSE_ALARMS]
    problems = [
        f"{item['id']} ({item['impact']}): {item['help']} at "
        + ", ".join(" ".join(node["target"]) for node in item["nodes"][:3])
        + "".join(f" ({check['message']})" for check in item["nodes"][0]["any"][:1])
        for item in result["violations"] + reviews
        if item["impact"] in ("serious", "critical")
    ]
    return problems + [f"id {name!r} is used more than once" for name in page.evaluate(DUPLICATE_IDS)]


def test_the_checker_does_find_a_serious_problem_when_there_is_one(checker):
    checker.set_content('<html lang="en"><body><main><img src="x.png"><input type="text"></main></body></html>')
    assert any(problem.startswith(("image-alt", "label")) for problem in serious_problems(checker))


def test_the_checker_finds_two_fields_sharing_an_id(checker):
    checker.set_content(
        '<html lang="en"><body><main><label for="id_text">Reply</label><textarea id="id_text"></textarea>'
        '<label for="id_text">Note</label><textarea id="id_text"></textarea></main></body></html>'
    )
    assert "id 'id_text' is used more than once" in serious_problems(checker)


def check(page, url: str, found: dict[str, list[str]], where: str = "") -> None:
    page.goto(url)
    problems = serious_problems(page)
    if problems:
        found[url + where] = problems


def test_no_tipster_page_has_a_serious_accessibility_problem(site, checker):
    base, found = site["url"], {}
    for language in ("", "/es", "/ar"):
        for path in (
            "/",
            "/c/general/",
            "/c/time-sensitive/",
            "/c/desk/",
            "/check/",
            "/insiders/police/",
            "/no-such-page/",
        ):
            check(checker, f"{base}{language}{path}", found)
    checker.set_viewport_size(NARROW)
    for path in ("/", "/c/time-sensitive/", "/insiders/police/"):
        check(checker, f"{base}{path}", found, where=" at 320 px")
    checker.set_viewport_size(WIDE)
    checker.goto(f"{base}/c/general/")
    checker.get_by_role("button", name="Send tip").click()  # empty: the error summary and field errors
    found.update({"form with errors": serious_problems(checker)} if serious_problems(checker) else {})
    checker.goto(f"{base}/c/general/")
    checker.fill("#id_answer-tip", "A tip for the checker.")
    checker.get_by_role("button", name="Send tip").click()
    found.update({"receipt": serious_problems(checker)} if serious_problems(checker) else {})
    checker.goto(f"{base}/check/")
    checker.fill("#id_receipt", site["receipt"])
    checker.get_by_role("button", name="Open my tip").click()
    assert "/check/your-tip/" in checker.url
    found.update({"your tip": serious_problems(checker)} if serious_problems(checker) else {})
    assert not found, found


def test_no_recipient_or_admin_page_has_a_serious_accessibility_problem(site, checker):
    base, admin, found = site["url"], site["admin"], {}
    check(checker, f"{base}/staff/sign-in/", found)
    checker.fill("#id_username", "ada")
    checker.fill("#id_password", admin.password)
    checker.get_by_role("button", name="Continue").click()
    found.update({"code": serious_problems(checker)} if serious_problems(checker) else {})
    checker.fill("#id_code", admin.code())
    checker.get_by_role("button", name="Sign in").click()
    paths = (
        "/staff/inbox/",
        f"/staff/tips/{site['tip'].id}/",
        f"/staff/tips/{site['tip'].id}/handover/",
        f"/staff/tips/{site['sealed'].id}/",
        f"/staff/tips/{site['tip'].id}/destroy/",
        "/staff/preferences/",
        "/staff/api-tokens/",
        "/staff/admin/",
        "/staff/admin/users/",
        "/staff/admin/channels/",
        "/staff/admin/channels/general/",
        "/staff/admin/channels/new/",
        "/staff/admin/channels/general/form/",
        "/staff/admin/audit/",
        "/staff/admin/duties/",
        "/staff/admin/insiders/",
        "/staff/admin/insiders/police/",
        "/staff/admin/routes/",
        "/staff/dashboard/",
        "/staff/password/",
        "/staff/sign-in/recover/",
        "/staff/sign-in/new-authenticator/",
        "/staff/channels/general/access/",
        "/staff/passkeys/",
        "/staff/confirm-password/",
    )
    for language in ("", "/es", "/ar"):
        for path in paths:
            check(checker, f"{base}{language}{path}", found)
    checker.set_viewport_size(NARROW)  # where wide tables scroll inside themselves
    for path in paths:
        check(checker, f"{base}{path}", found, where=" at 320 px")
    checker.set_viewport_size(WIDE)
    for name, path in {"inbox": "/ar/staff/inbox/", "tip": f"/ar/staff/tips/{site['tip'].id}/"}.items():
        checker.goto(f"{base}{path}")
        checker.screenshot(path=str(ARTIFACTS_DIR / f"staff-{name}-arabic.png"), full_page=True)
    checker.goto(f"{base}/staff/dashboard/")
    assert all(image.evaluate("i => i.complete && i.naturalWidth > 0") for image in checker.locator("img.chart").all())
    checker.screenshot(path=str(ARTIFACTS_DIR / "staff-dashboard.png"), full_page=True)
    assert not found, found


def test_the_readers_local_pages_have_no_serious_accessibility_problem(site, checker, tmp_path):
    """tipline-reader's pages, with the offline tip fetched over the API as the reader does."""
    import threading

    from django.test import Client

    from tipline.accounts.tokens import create_token
    from tipline.reader import web
    from tipline.reader.profile import Profile, Vault

    token = create_token(site["admin"].user, site["admin"].private_key, "reader", 1).secret_string
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    profile, vault = Profile(tmp_path / "reader"), Vault()
    vault.add_key(site["channel_key"].public_key, site["channel_key"].private_key)
    profile.create({"channel": "vault", "server": None}, vault, "a passphrase for the checker")
    profile.save_channel_keys(api.get("/api/v1/channels/vault/offline-key").json())
    for record in api.get("/api/v1/channels/vault/sealed-tips").json()["items"]:
        profile.save_tip(record)
    server = web.serve(profile, vault, 0, online=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found: dict[str, list[str]] = {}
    try:
        base = web.address(server).rstrip("/")
        for viewport in (WIDE, NARROW):
            checker.set_viewport_size(viewport)
            check(checker, f"{base}/", found, where=f" at {viewport['width']} px")
            check(checker, f"{base}/tips/{site['sealed'].reference}", found, where=f" at {viewport['width']} px")
        assert "Only tipline-reader opens this." in checker.content()
    finally:
        server.shutdown()
        server.server_close()
    assert found == {}


def test_the_tip_form_works_from_the_keyboard_alone_with_a_visible_focus(site, browser):
    context = browser.new_context(java_script_enabled=True, user_agent=PROBE_USER_AGENT)
    page = context.new_page()
    page.goto(f"{site['url']}/c/general/")
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.id || e.textContent.trim(), s.outlineStyle, s.outlineWidth]; }"
        )
        reached.append(focused[0])
        assert focused[1] != "none" and focused[2] != "0px", f"no visible focus on {focused[0]}"
        if focused[0] == "Send tip":
            break
    assert reached[0] == "Skip to content"
    assert reached.index("id_answer-tip") < reached.index("Send tip")
    page.keyboard.press("Shift+Tab")
    page.fill("#id_answer-tip", "")
    page.focus("#id_answer-tip")
    page.keyboard.type("Typed without a mouse.")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Send tip":
            break
    with page.expect_navigation():  # a key press, unlike a click, does not wait for the next page
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Your tip was received"
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/c/time-sensitive/", "/ar/c/time-sensitive/", "/check/"):
        page.goto(f"{site['url']}{path}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, f"{path} scrolls sideways at 320 px"
    context.close()


VARIANTS = {
    "light": {},
    "dark": {"color_scheme": "dark"},
    "320px": {"viewport": NARROW},
}


def test_every_tipster_page_is_photographed_light_dark_arabic_and_at_320_pixels(site, browser):
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    pages = {
        "landing": "/",
        "form": "/c/time-sensitive/",
        "check": "/check/",
        "members": "/insiders/police/",
        "not-found": "/gone/",
    }
    for variant, options in {**VARIANTS, "arabic": {}}.items():
        context = browser.new_context(java_script_enabled=False, user_agent=PROBE_USER_AGENT, **options)
        page = context.new_page()
        prefix = "/ar" if variant == "arabic" else ""
        for name, path in pages.items():
            page.goto(f"{site['url']}{prefix}{path}")
            page.screenshot(path=str(ARTIFACTS_DIR / f"look-{name}-{variant}.png"), full_page=True)
        page.goto(f"{site['url']}{prefix}/c/general/")
        page.fill("#id_answer-tip", "A tip for the photographs.")
        page.locator("button[type=submit]").click()
        receipt = RECEIPT.search(page.locator(".receipt").inner_text()).group()
        page.screenshot(path=str(ARTIFACTS_DIR / f"look-receipt-{variant}.png"), full_page=True)
        if variant == "light":
            page.emulate_media(media="print")
            page.screenshot(path=str(ARTIFACTS_DIR / "look-receipt-print.png"), full_page=True)
            assert not page.locator(".site-header").is_visible()
            page.emulate_media(media="screen")
        page.goto(f"{site['url']}{prefix}/check/")
        page.fill("#id_receipt", receipt)
        page.locator("form button[type=submit]").click()
        assert "/check/your-tip/" in page.url
        page.screenshot(path=str(ARTIFACTS_DIR / f"look-your-tip-{variant}.png"), full_page=True)
        page.goto(f"{site['url']}{prefix}/c/general/")
        page.locator("form button[type=submit]").click()  # empty: the error summary and the field's error
        assert page.locator(".error-summary").count() == 1
        page.screenshot(path=str(ARTIFACTS_DIR / f"look-form-errors-{variant}.png"), full_page=True)
        context.close()
    assert len(list(ARTIFACTS_DIR.glob("look-*.png"))) >= 33


def sign_in_page(browser, site, options: dict):
    from tipline.accounts.models import User

    admin = site["admin"]
    User.objects.filter(pk=admin.user.pk).update(totp_last_step=0)  # each context signs in within one code's step
    context = browser.new_context(java_script_enabled=False, user_agent=PROBE_USER_AGENT, **options)
    page = context.new_page()
    page.goto(f"{site['url']}/staff/sign-in/")
    page.fill("#id_username", admin.user.username)
    page.fill("#id_password", admin.password)
    page.locator("button[type=submit]").click()
    page.fill("#id_code", admin.code())
    page.locator("button[type=submit]").click()
    assert "/staff/inbox/" in page.url
    return context, page


def test_every_recipient_page_is_photographed_light_dark_arabic_and_at_320_pixels(site, browser):
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    pages = {
        "inbox": "/staff/inbox/",
        "tip": f"/staff/tips/{site['tip'].id}/",
        "handover": f"/staff/tips/{site['tip'].id}/handover/",
        "dashboard": "/staff/dashboard/",
        "notifications": "/staff/preferences/",
        "api-tokens": "/staff/api-tokens/",
        "admin": "/staff/admin/",
        "accounts": "/staff/admin/users/",
        "channels": "/staff/admin/channels/",
        "channel": "/staff/admin/channels/general/",
        "form-editor": "/staff/admin/channels/general/form/",
        "audit": "/staff/admin/audit/",
        "duties": "/staff/admin/duties/",
        "insiders": "/staff/admin/insiders/",
        "organisation": "/staff/admin/insiders/police/",
        "routes": "/staff/admin/routes/",
    }
    for variant, options in {**VARIANTS, "arabic": {}}.items():
        context, page = sign_in_page(browser, site, options)
        prefix = "/ar" if variant == "arabic" else ""
        for name, path in pages.items():
            page.goto(f"{site['url']}{prefix}{path}")
            page.screenshot(path=str(ARTIFACTS_DIR / f"look-staff-{name}-{variant}.png"), full_page=True)
            if variant == "320px":
                assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, (
                    f"{path} scrolls sideways at 320 px"
                )
        context.close()
    assert len(list(ARTIFACTS_DIR.glob("look-staff-*.png"))) == len(pages) * (len(VARIANTS) + 1)


CONTRAST = """() => {
  const rgb = text => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); \
return (x + 0.05) / (y + 0.05); };
  const field = document.querySelector("textarea, input[type=text]");
  const border = rgb(getComputedStyle(field).borderTopColor);
  return {
    page: ratio(border, rgb(getComputedStyle(document.body).backgroundColor)),
    field: ratio(border, rgb(getComputedStyle(field).backgroundColor)),
    scheme: getComputedStyle(document.documentElement).colorScheme,
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_form_fields_stand_out_at_3_to_1_and_native_controls_follow_the_scheme(site, browser, scheme):
    context = browser.new_context(java_script_enabled=False, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{site['url']}/c/time-sensitive/")
    measured = page.evaluate(CONTRAST)
    context.close()
    assert measured["page"] >= 3 and measured["field"] >= 3, measured  # WCAG 1.4.11
    assert measured["scheme"] == "light dark"  # a date field's calendar button and icon follow it
