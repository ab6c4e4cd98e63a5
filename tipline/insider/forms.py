"""Admin forms for verified insiders: an organisation and a list of members."""

from django import forms

from tipline.insider.models import Organisation


class OrganisationForm(forms.Form):
    slug = forms.SlugField(max_length=64, label="Short name", help_text="Used in addresses and by members' clients; cannot change.")
    name = forms.CharField(max_length=120)
    tokens_per_epoch = forms.IntegerField(min_value=1, max_value=50, initial=5, label="Tokens per member per period")
    epoch_days = forms.IntegerField(
        min_value=1, max_value=90, initial=7, label="Period length in days",
        help_text="Tokens fetched in one period work in the next two. Shorter periods mean smaller crowds.",
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Organisation.objects.filter(slug=slug).exists():
            raise forms.ValidationError("An organisation with this short name exists already.")
        return slug


class MembersForm(forms.Form):
    listing = forms.CharField(
        label="New members, one per line", widget=forms.Textarea(attrs={"rows": 8}),
        help_text="A name or staff number per line, as your list has it. Members already there are skipped.",
    )
