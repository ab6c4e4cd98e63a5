"""Domain models: channels (and, with the intake issue, tips and their forms)."""

from django.conf import settings
from django.db import models


class Channel(models.Model):
    """A door a tipster can knock on: its own description, form and recipients."""

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Shown to tipsters before they write.")
    is_listed = models.BooleanField(default=True, help_text="Listed on the public landing page.")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="channels", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
