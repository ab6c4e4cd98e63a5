"""The landing page as a tipster sees it: JavaScript off, nothing from other origins."""

import pytest

from tipline.core.models import Channel

pytestmark = pytest.mark.browser


@pytest.fixture
def channels(transactional_db):
    Channel.objects.create(slug="general", name="General tip", description="Tell us what you know.")
    Channel.objects.create(slug="hidden", name="Internal only", is_listed=False)


def test_landing_page_lists_the_open_channels_without_javascript(live_server, page, channels, screenshot):
    responses = {}
    page.on("response", lambda response: responses.update({response.url: response.status}))

    page.goto(live_server.url)

    assert page.locator("h1").inner_text() == "Send a tip"
    assert page.locator(".channel h2").all_inner_texts() == ["General tip"]
    assert responses[f"{live_server.url}/static/tipline/site.css"] == 200
    assert {url.split("/")[2] for url in responses} == {live_server.url.split("/")[2]}
    screenshot(page, "landing")


def test_landing_page_fits_a_narrow_phone_screen(live_server, page, channels, screenshot):
    page.set_viewport_size({"width": 320, "height": 640})

    page.goto(live_server.url)

    scroll_width = page.locator("body").bounding_box()["width"]
    assert scroll_width <= 320
    screenshot(page, "landing-320px")


def test_with_javascript_on_the_page_suggests_a_safer_browser_and_still_works(
    live_server, browser, channels, screenshot
):
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    try:
        page.goto(live_server.url)

        assert page.locator("#script-warning").is_visible()
        assert "Tor Browser" in page.locator("#script-warning").inner_text()
        assert page.locator("main #script-warning").count() == 1  # inside a landmark
        assert page.locator(".channel h2").all_inner_texts() == ["General tip"]
        screenshot(page, "landing-javascript-on")
        page.goto(f"{live_server.url}/staff/sign-in/")  # the advice is for tipsters, not staff
        assert page.locator("#script-warning").count() == 0
    finally:
        context.close()


def test_with_javascript_off_the_warning_stays_hidden(live_server, page, channels):
    page.goto(live_server.url)

    assert not page.locator("#script-warning").is_visible()
