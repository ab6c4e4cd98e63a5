"""Pages for verified insiders: the public page members read (guidance, the published keys
and how many fetched), and the admin pages for organisations and their members."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tipline.accounts.access import admin_page
from tipline.insider import admin_services, epochs, issuance, keys
from tipline.insider.forms import MembersForm, OrganisationForm
from tipline.insider.models import IssuerKey, Member, Organisation


@require_GET
def organisation_page(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    keys.ensure_keys(organisation)
    current = epochs.current(organisation.epoch_seconds)
    published = [
        (key, epochs.Epoch(key.epoch, organisation.epoch_seconds))
        for key in IssuerKey.objects.filter(organisation=organisation).order_by("-epoch")
    ]
    context = {
        "organisation": organisation,
        "current": current,
        "published": published,
        "fetched": issuance.members_fetched(organisation, current.number),
        "members": organisation.members.filter(is_active=True).count(),
    }
    return render(request, "insider/organisation.html", context)


@require_http_methods(["GET", "POST"])
@admin_page
def admin_organisations(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = admin_services.create_organisation(
            request.user.username, data["slug"], data["name"], data["tokens_per_epoch"], data["epoch_days"] * 86400
        )
        return redirect("insider:admin_organisation", slug=organisation.slug)
    context = {"organisations": Organisation.objects.all(), "form": form}
    return render(request, "insider/admin_organisations.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_page
def admin_organisation(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    form = MembersForm(request.POST or None)
    codes = []
    if request.method == "POST" and form.is_valid():
        codes = admin_services.add_members(request.user.username, organisation, form.cleaned_data["listing"])
        form = MembersForm()
    return _organisation_admin(request, organisation, form, codes)


@require_POST
@admin_page
def admin_new_code(request, slug, member_id):
    member = get_object_or_404(Member, organisation__slug=slug, pk=member_id)
    code = admin_services.new_code(request.user.username, member)
    return _organisation_admin(request, member.organisation, MembersForm(), [code])


def _organisation_admin(request, organisation, form, codes):
    context = {
        "organisation": organisation,
        "form": form,
        "codes": codes,
        "members": organisation.members.all(),
        "channels": organisation.channels.all(),
    }
    return render(request, "insider/admin_organisation.html", context, status=400 if form.errors else 200)
