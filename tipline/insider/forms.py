"""Admin forms for verified insiders: an organisation and a list of members."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tipline.insider.models import Organisation


class OrganisationForm(forms.Form):
    slug = forms.SlugField(
        max_length=64,
        label=gettext_lazy("Short name"),
        help_text=gettext_lazy("Used in addresses and by members' clients; cannot change."),
    )
    name = forms.CharField(max_length=120, label=gettext_lazy("Name"))
    tokens_per_epoch = forms.IntegerField(
        min_value=1, max_value=50, initial=5, label=gettext_lazy("Tokens per member per period")
    )
    epoch_days = forms.IntegerField(
        min_value=1,
        max_value=90,
        initial=7,
        label=gettext_lazy("Period length in days"),
        help_text=gettext_lazy(
            "Tokens fetched in one period work in the next two. Shorter periods mean smaller crowds."
        ),
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Organisation.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("An organisation with this short name exists already."))
        return slug


class MembersForm(forms.Form):
    listing = forms.CharField(
        label=gettext_lazy("New members, one per line"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "A name or staff number per line, as your list has it. Members already there are skipped."
        ),
    )
