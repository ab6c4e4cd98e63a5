"""Security headers on every public page, in plain HTTP and in HTTPS mode."""

import pytest

from tests.pages import PUBLIC_PAGES

ONION = "tiplinexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_sends_the_security_baseline(client, demo_channels, path):
    response = client.get(path)

    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "interest-cohort", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert "Strict-Transport-Security" not in response.headers
    assert "Onion-Location" not in response.headers


@pytest.mark.django_db
def test_https_mode_sends_hsts_on_the_clearnet_host_only(client, settings):
    settings.HTTPS = True
    settings.ALLOWED_HOSTS = ["tips.example.org", ONION]

    clearnet = client.get("/", HTTP_HOST="tips.example.org", secure=True)
    onion = client.get("/", HTTP_HOST=ONION)

    assert clearnet.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert "Strict-Transport-Security" not in onion.headers


@pytest.mark.django_db
def test_onion_location_points_clearnet_visitors_to_the_same_page_on_the_onion(client, settings):
    settings.ONION_ADDRESS = ONION
    settings.ALLOWED_HOSTS = ["tips.example.org", ONION]

    clearnet = client.get("/?lang=en", HTTP_HOST="tips.example.org")
    onion = client.get("/", HTTP_HOST=ONION)

    assert clearnet.headers["Onion-Location"] == f"http://{ONION}/?lang=en"
    assert "Onion-Location" not in onion.headers


@pytest.mark.django_db
def test_a_disallowed_host_is_refused_with_the_headers_still_set(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_static_files_are_not_shared_with_other_origins(client):
    response = client.get("/static/tipline/site.css")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_sign_out_destroys_the_session_and_clears_the_site(client, django_user_model):
    from django.contrib.sessions.models import Session

    user = django_user_model.objects.create_user("signed-in", password="x" * 20)
    client.force_login(user)
    assert Session.objects.count() == 1

    response = client.post("/staff/sign-out/")

    assert response.status_code == 302
    assert (
        response.headers["Clear-Site-Data"] == '"cache", "storage"'
    )  # cookies deleted by name, the device cookie kept
    assert Session.objects.count() == 0


@pytest.mark.django_db
def test_sign_out_without_a_csrf_token_is_refused():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/staff/sign-out/")

    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("origin", "fetch_site", "accepted"),
    [
        ("null", "same-origin", True),  # what browsers send under Referrer-Policy: no-referrer
        ("null", None, True),  # older browsers without Fetch Metadata: the token decides
        ("null", "cross-site", False),
        ("https://evil.example", "cross-site", False),
    ],
)
def test_form_posts_pass_the_origin_check_under_no_referrer_and_cross_site_ones_do_not(
    settings, origin, fetch_site, accepted
):
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    headers = {"HTTP_ORIGIN": origin} | ({"HTTP_SEC_FETCH_SITE": fetch_site} if fetch_site else {})

    response = client.post("/staff/sign-out/", {"csrfmiddlewaretoken": token}, **headers)

    assert (response.status_code == 302) is accepted
