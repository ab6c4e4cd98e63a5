"""The account of a person who signs in to read tips or run the tip line."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A recipient and/or admin. Tipsters never have accounts.

    `is_staff` marks the admin role; being a recipient means being assigned to a
    channel. The key pair is made with the account, its private half wrapped under
    the one-time password until the first sign-in rewraps it under the chosen one.
    """

    display_name = models.CharField(
        max_length=80,
        blank=True,
        help_text="Shown to tipsters on channels that show who replied; empty: “the team”.",
    )
    must_change_password = models.BooleanField(
        default=True, help_text="Set while the account still has its one-time password."
    )
    public_key = models.BinaryField(max_length=32, null=True, blank=True)
    public_key_mac = models.BinaryField(
        max_length=32,
        null=True,
        blank=True,
        help_text="Vouches for public_key under the secret key file (core.public_keys).",
    )
    private_key_by_password = models.BinaryField(null=True, blank=True)
    private_key_by_recovery_code = models.BinaryField(null=True, blank=True)
    totp_secret_sealed = models.BinaryField(
        null=True, blank=True, help_text="Encrypted; opens only with the private key."
    )
    email_notifications = models.BooleanField(
        default=True, help_text="Content-free emails about new tips and deadlines."
    )
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default="en", help_text="The language of notification emails."
    )
    quiet_digest = models.BooleanField(
        default=False, help_text="New tips and messages in one daily email; deadlines still at once."
    )
    totp_last_step = models.BigIntegerField(
        default=0, help_text="A code of this 30 s step or earlier is not accepted again."
    )
    code_failures = models.PositiveSmallIntegerField(
        default=0, help_text="Wrong second-factor codes since the last lockout or sign-in."
    )
    code_lockouts = models.PositiveSmallIntegerField(
        default=0, help_text="Lockouts since the last sign-in: each pause is longer."
    )
    code_locked_until = models.DateTimeField(
        null=True, blank=True, help_text="No code step for this account before then."
    )

    @property
    def is_admin(self) -> bool:
        return self.is_staff

    @property
    def key_owner(self) -> bytes:
        """What binds this user's key wraps to this row."""
        return f"user:{self.pk}".encode()


class ApiToken(models.Model):
    """A personal API token. Like a session, it carries the owner's private key sealed under
    a secret that exists only in the token string itself (shown once, never stored)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    sealed_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Passkey(models.Model):
    """A WebAuthn credential that serves as a second factor in place of a TOTP code. Only its
    public key is kept; it opens nothing by itself (the password still opens the private key)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=80)
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
