"""Making recipients and admins who have finished their first sign-in, and signing them in."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.test import Client
from django_otp.oath import TOTP

from tipline.accounts import signin
from tipline.accounts.models import User
from tipline.accounts.services import create_user
from tipline.crypto import recipient_keys


@dataclass
class StaffMember:
    user: User
    password: str
    totp_secret: bytes
    private_key: bytes
    recovery_code: str = ""

    def code(self, steps_ahead: int = 1) -> str:
        """A valid code for a later time step than any used so far (codes are single-use)."""
        totp = TOTP(self.totp_secret)
        totp.drift = steps_ahead
        return f"{totp.token():06d}"


def make_staff(username: str, channels: Sequence[str] = (), admin: bool = False) -> StaffMember:
    roles = (["admin"] if admin else []) + (["recipient"] if channels or not admin else [])
    login = create_user(username, roles, list(channels))
    user = User.objects.get(username=username)
    assert user.private_key_by_password is not None, "create_user gave them a key"
    private_key = recipient_keys.unwrap_with_password(
        bytes(user.private_key_by_password), login.password, user.key_owner
    )
    secret = signin.new_totp_secret()
    password = f"a long passphrase for {username}"
    recovery_code = signin.activate(user, private_key, password, secret, f"{TOTP(secret).token():06d}")
    user.refresh_from_db()
    return StaffMember(
        user=user, password=password, totp_secret=secret, private_key=private_key, recovery_code=recovery_code
    )


def sign_in(member: StaffMember, client: Client | None = None) -> Client:
    client = client or Client()
    first = client.post("/staff/sign-in/", {"username": member.user.username, "password": member.password})
    assert first.status_code == 302, first.content.decode()[:500]
    User.objects.filter(pk=member.user.pk).update(totp_last_step=0)  # each test sign-in may reuse a step
    second = client.post("/staff/sign-in/code/", {"code": member.code()})
    assert second.status_code == 302, second.content.decode()[:3000]
    return client


def make_tip(channel_slug: str, text: str = "something happened", deadline=None, files=()):
    """A tip sent through the service layer, as the form would; returns (tip, receipt)."""
    import secrets

    from tipline.core.conversation import Answer
    from tipline.core.models import Channel, Tip
    from tipline.core.submission import submit_tip

    channel = Channel.objects.get(slug=channel_slug)
    answers = [Answer(key="tip", label="Your tip", kind="long_text", value=text)]
    submitted = submit_tip(channel, answers, deadline, list(files), secrets.token_hex(8))
    return Tip.objects.get(pk=submitted.tip_id), submitted.receipt


def browser_password_step(page, base_url: str, member: StaffMember) -> None:
    """The first sign-in step in a real browser: username and password, up to the code page."""
    page.goto(f"{base_url}/staff/sign-in/")
    page.fill("#id_username", member.user.username)
    page.fill("#id_password", member.password)
    page.get_by_role("button", name="Continue").click()


def browser_sign_in(page, base_url: str, member: StaffMember, code: str | None = None) -> None:
    browser_password_step(page, base_url, member)
    page.fill("#id_code", code or member.code())
    page.get_by_role("button", name="Sign in").click()


def note_opens_with(key: bytes, note) -> bool:
    """Whether `key` opens a stored note (as the tip key a receipt unwraps, say)."""
    from tipline.crypto import content
    from tipline.crypto.errors import DecryptionError

    try:
        content.decrypt_content(
            key, bytes(note.ciphertext), content.note_context(note.tip.crypto_id, note.key, note.bound_as)
        )
        return True
    except DecryptionError:
        return False
