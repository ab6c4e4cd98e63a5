"""Sign-in, activation, recovery and password forms."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class SignInForm(forms.Form):
    username = forms.CharField(
        max_length=150, label=gettext_lazy("Username"), widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        max_length=1024,
        label=gettext_lazy("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        max_length=1024,
        label=gettext_lazy("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class NewPasswordForm(forms.Form):
    """A new password, typed twice, checked by Django's validators."""

    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        max_length=1024,
        help_text=gettext_lazy("At least 12 characters; not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    repeat_password = forms.CharField(
        label=gettext_lazy("New password again"),
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        password, repeat = cleaned.get("new_password"), cleaned.get("repeat_password")
        if password and repeat and password != repeat:
            self.add_error("repeat_password", _("The two passwords differ."))
        elif password:
            try:
                password_validation.validate_password(password, self.user)
            except forms.ValidationError as problems:
                self.add_error("new_password", problems)
        return cleaned


class RecoveryCodeField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=gettext_lazy("Recovery code"),
            max_length=64,
            help_text=gettext_lazy("The code of 32 letters and digits you wrote down."),
            widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            **kwargs,
        )


class RecoverPasswordForm(NewPasswordForm, CodeForm):
    username = forms.CharField(
        max_length=150, label=gettext_lazy("Username"), widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    recovery_code = RecoveryCodeField()
    field_order = ["username", "recovery_code", "code", "new_password", "repeat_password"]


class NewAuthenticatorForm(SignInForm):
    recovery_code = RecoveryCodeField()


class PasswordChangeForm(NewPasswordForm):
    current_password = forms.CharField(
        label=gettext_lazy("Current password"),
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    keep_api_tokens = forms.BooleanField(
        required=False,
        label=gettext_lazy("Keep my API tokens working"),
        help_text=gettext_lazy(
            "Unless you tick this, your API tokens are revoked: each one opens your key, whoever holds it."
        ),
    )
    field_order = ["current_password", "new_password", "repeat_password", "keep_api_tokens"]


class ActivationForm(NewPasswordForm, CodeForm):
    field_order = ["new_password", "repeat_password", "code"]


class PreferencesForm(forms.Form):
    display_name = forms.CharField(
        required=False,
        max_length=80,
        label=gettext_lazy("Name tipsters see on your replies"),
        help_text=gettext_lazy(
            "Tipsters see it on your replies on channels set to show who replied (elsewhere, and when empty, “the "
            "team”), and on the tip form of channels that let tipsters leave recipients out: without a name no "
            "colleague there shares, you are not listed there and cannot be left out. A role is enough, e.g. “Editor”."
        ),
    )
    email = forms.EmailField(required=False, label=gettext_lazy("Email address for notifications"))
    email_notifications = forms.BooleanField(
        required=False, label=gettext_lazy("Email me about new tips, messages and deadlines")
    )
    quiet_digest = forms.BooleanField(
        required=False,
        label=gettext_lazy(
            "Quiet digest: one daily email for new tips and messages (deadline alerts still come at once)"
        ),
    )
    language = forms.ChoiceField(
        required=False, choices=settings.LANGUAGES, label=gettext_lazy("Language of notification emails")
    )

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or self.initial.get("language", settings.LANGUAGE_CODE)


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label=gettext_lazy("What the token is for"),
        help_text=gettext_lazy("For example: case-management sync."),
    )
    days = forms.IntegerField(min_value=1, max_value=365, initial=90, label=gettext_lazy("Valid for (days)"))
