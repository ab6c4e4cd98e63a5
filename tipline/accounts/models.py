"""The account of a person who signs in to read tips or run the tip line."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A recipient and/or admin. Tipsters never have accounts.

    `is_staff` marks the admin role; being a recipient means being assigned to a
    channel. A new account holds a one-time password until its first sign-in.
    """

    must_change_password = models.BooleanField(
        default=True, help_text="Set while the account still has its one-time password."
    )

    @property
    def is_admin(self) -> bool:
        return self.is_staff
