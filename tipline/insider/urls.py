from django.urls import path

from tipline.insider import views

app_name = "insider"

urlpatterns = [
    path("insiders/<slug:slug>/", views.organisation_page, name="organisation"),
    path("staff/admin/insiders/", views.admin_organisations, name="admin_organisations"),
    path("staff/admin/insiders/<slug:slug>/", views.admin_organisation, name="admin_organisation"),
    path(
        "staff/admin/insiders/<slug:slug>/members/<int:member_id>/new-code/",
        views.admin_new_code,
        name="admin_new_code",
    ),
]
