"""The admins' form for a new route (the command line takes the same fields)."""

from django import forms
from django.utils.translation import gettext_lazy

from tipline.alerts.models import RouteKind
from tipline.alerts.routes import RouteSpec
from tipline.core.models import Channel


class RouteForm(forms.Form):
    name = forms.SlugField(
        max_length=64, label=gettext_lazy("Name"), help_text=gettext_lazy("For example: night-desk-phones.")
    )
    kind = forms.ChoiceField(choices=RouteKind.choices, label=gettext_lazy("Kind"))
    target = forms.CharField(
        max_length=500,
        label=gettext_lazy("Target"),
        help_text=gettext_lazy(
            "Email: smtp://user@mail.example.org:587 (or smtps://…:465). Others: the https:// address the service "
            "gave you; for Matrix the homeserver, for ntfy the topic's address."
        ),
    )
    room = forms.CharField(
        max_length=255,
        required=False,
        label=gettext_lazy("Matrix room id"),
        help_text=gettext_lazy("For example: !abc123:example.org"),
    )
    secret = forms.CharField(
        max_length=500,
        required=False,
        strip=True,
        label=gettext_lazy("Secret"),
        widget=forms.PasswordInput,
        help_text=gettext_lazy(
            "The webhook's signing secret, the Matrix access token, an ntfy token or the SMTP password. Stored sealed."
        ),
    )
    channels = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Channels"),
        help_text=gettext_lazy("None ticked: every channel."),
    )
    escalation_only = forms.BooleanField(
        required=False, label=gettext_lazy("Only escalations (alerts nobody acted on)")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [(channel.slug, channel.name) for channel in Channel.objects.all()]

    def spec(self) -> RouteSpec:
        data = self.cleaned_data
        return RouteSpec(
            name=data["name"],
            kind=data["kind"],
            target=data["target"],
            room=data["room"],
            secret=data["secret"],
            channel_slugs=tuple(data["channels"]),
            escalation_only=data["escalation_only"],
        )
