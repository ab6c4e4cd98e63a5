"""A route reaches public addresses, and internal ones only where the configuration allows
them (here 127.0.0.1; 127.0.0.2 and ::1 stand for internal services): not by an address
typed in, not by a name that resolves to one, not by a redirect. The staff page says only
whether a test alert went out, and never takes a file:// directory.

Every server here is real: HTTP receivers (tipline.testing.receiver) and aiosmtpd."""

import ipaddress

import pytest

from tipline.alerts.addresses import AddressRefused, connect, literal_refused
from tipline.alerts.delivery import send_test
from tipline.alerts.models import Route
from tipline.alerts.routes import RouteError, RouteSpec, add_route
from tipline.alerts.transports import Addressee, DeliveryFailed
from tipline.testing.receiver import start_receiver
from tipline.testing.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def internal_service():
    """A receiver on 127.0.0.2: an internal address no configuration here allows."""
    receiver, server = start_receiver("127.0.0.2")
    yield receiver
    server.shutdown()


@pytest.fixture
def nothing_internal(settings):
    settings.ALERT_INTERNAL_NETWORKS = ()


def reached(receiver) -> int:
    return len(receiver.requests) + len(receiver.refused)


def webhook(target: str) -> Route:
    return add_route(RouteSpec(name="hook", kind="webhook", target=target, secret="s3cret"))


def test_a_redirect_to_an_internal_address_is_not_followed(hook_receiver, internal_service):
    hook_receiver.redirect_to = f"{internal_service.url}/internal"
    route = webhook(f"{hook_receiver.url}/hook")

    for _attempt in range(4):
        with pytest.raises(DeliveryFailed, match="redirects"):
            send_test(route)

    assert reached(hook_receiver) == 4 and reached(internal_service) == 0


@pytest.mark.parametrize("host", ["127.0.0.2", "[::1]", "[::ffff:127.0.0.2]", "169.254.169.254", "10.0.0.1", "0.0.0.0"])
def test_an_internal_address_is_refused_when_the_route_is_added(host):
    for kind, target in (("webhook", f"https://{host}:8443/hook"), ("email", f"smtp://{host}:25")):
        with pytest.raises(RouteError, match="TIPLINE_ALERT_INTERNAL_NETWORKS"):
            add_route(RouteSpec(name=f"to-{kind}", kind=kind, target=target, secret="s3cret"))
    assert not Route.objects.exists()


# IPv6 addresses that lead to internal IPv4 ones, which Python's is_global calls public:
# NAT64 (10.0.0.1, the cloud metadata address, 127.0.0.2), IPv4-compatible, 6to4, Teredo.
IPV4_INSIDE_IPV6 = [
    "64:ff9b::a00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:2",
    "::7f00:2",
    "::a00:5",
    "2002:a00:1::1",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    "64:ff9b:1::a00:1",
]


@pytest.mark.parametrize("address", IPV4_INSIDE_IPV6)
def test_an_internal_ipv4_address_inside_an_ipv6_one_is_refused(address):
    with pytest.raises(RouteError, match="TIPLINE_ALERT_INTERNAL_NETWORKS"):
        webhook(f"http://[{address}]/hook")
    with pytest.raises(AddressRefused):
        connect((address, 80), timeout=1)
    assert not Route.objects.exists()


def test_a_public_ipv4_address_behind_nat64_may_still_be_reached():
    assert not literal_refused("[64:ff9b::808:808]") and not literal_refused("[2a00:1450:4001:80b::200e]")


def test_a_name_that_resolves_to_an_address_not_allowed_is_not_connected_to(hook_receiver, nothing_internal):
    route = webhook(f"http://localhost:{hook_receiver.port}/hook")

    with pytest.raises(DeliveryFailed, match="routes may not reach"):
        send_test(route)

    assert reached(hook_receiver) == 0


def test_a_mail_server_on_an_address_not_allowed_is_not_connected_to(smtp_server, nothing_internal):
    route = add_route(RouteSpec(name="mail", kind="email", target=f"smtp+plain://localhost:{smtp_server.port}"))

    with pytest.raises(DeliveryFailed, match="routes may not reach"):
        send_test(route, Addressee("ana@example.org"))

    assert len(smtp_server) == 0


def test_an_allowed_internal_network_is_reached(hook_receiver, internal_service, settings):
    settings.ALERT_INTERNAL_NETWORKS = (*settings.ALERT_INTERNAL_NETWORKS, ipaddress.ip_network("127.0.0.2/32"))
    send_test(webhook(f"{internal_service.url}/hook"))

    assert len(internal_service.requests) == 1


@pytest.fixture
def admin(db):
    member = make_staff("root", admin=True)
    type(member.user).objects.filter(pk=member.user.pk).update(email="root@example.org")
    return sign_in(member)


def test_the_test_alert_does_not_tell_an_open_port_from_a_closed_one(admin, hook_receiver, settings):
    from tests.system import free_port

    settings.ALERT_SEND_TIMEOUT_SECONDS = 1  # an HTTP server never answers an SMTP client's wait for a greeting

    pages = []
    for name, port in (("open", hook_receiver.port), ("closed", free_port())):
        add_route(RouteSpec(name=name, kind="email", target=f"smtp://127.0.0.1:{port}"))
        page = admin.post(f"/staff/admin/routes/{name}/test/").content.decode()
        pages.append(page.replace(name, "NAME").split('id="test-result"')[1].split("</div>")[0])

    assert pages[0] == pages[1]
    assert "could not be delivered" in pages[0]
    for detail in ("refused", "Disconnected", "SSL", "TLS", "Errno", str(hook_receiver.port)):
        assert detail not in pages[0]


def test_the_routes_page_shows_a_failing_route_without_its_reason(admin, hook_receiver):
    hook_receiver.down = True
    route = webhook(f"{hook_receiver.url}/hook")
    with pytest.raises(DeliveryFailed):
        send_test(route)

    row = admin.get("/staff/admin/routes/").content.decode().split("<td>hook</td>")[1].split("</tr>")[0]

    assert "failing (1 failed attempt since it last worked)" in row and "503" not in row


def test_a_file_directory_is_not_taken_from_the_staff_page(admin, tmp_path):
    directory = tmp_path / "planted"

    answer = admin.post("/staff/admin/routes/", {"name": "drop", "kind": "email", "target": f"file://{directory}"})

    assert answer.status_code == 400 and "command line only" in answer.content.decode()
    assert not Route.objects.exists() and not directory.exists()
