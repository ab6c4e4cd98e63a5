from django.urls import path

from tipline.casework import admin_views, dashboard_views, views

app_name = "casework"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/bulk/", views.inbox_bulk, name="inbox_bulk"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/<slug:name>.svg", dashboard_views.dashboard_chart, name="dashboard_chart"),
    path("tips/<uuid:tip_id>/", views.tip_detail, name="tip"),
    path("tips/<uuid:tip_id>/reply/", views.reply, name="reply"),
    path("tips/<uuid:tip_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("tips/<uuid:tip_id>/note/", views.note, name="note"),
    path("tips/<uuid:tip_id>/triage/", views.triage, name="triage"),
    path("tips/<uuid:tip_id>/title/", views.title, name="title"),
    path("tips/<uuid:tip_id>/deadline/", views.deadline, name="deadline"),
    path("tips/<uuid:tip_id>/grant/", views.grant, name="grant"),
    path("tips/<uuid:tip_id>/hold/", views.hold, name="hold"),
    path("tips/<uuid:tip_id>/destroy/", views.destroy, name="destroy"),
    path("tips/<uuid:tip_id>/export/", views.export_zip, name="export"),
    path("tips/<uuid:tip_id>/handover/", views.handover, name="handover"),
    path("tips/<uuid:tip_id>/files/<uuid:file_id>/", views.download, name="download"),
    path("channels/<slug:slug>/access/", views.channel_access, name="channel_access"),
    path("channels/<slug:slug>/joining/", views.channel_joining, name="channel_joining"),
    path("admin/", admin_views.admin_home, name="admin_home"),
    path("admin/users/", admin_views.users, name="admin_users"),
    path("admin/users/<str:username>/<str:action>/", admin_views.user_action, name="admin_user_action"),
    path("admin/channels/", admin_views.channels, name="admin_channels"),
    path("admin/channels/new/", admin_views.channel_edit, name="admin_channel_new"),
    path("admin/channels/<slug:slug>/", admin_views.channel_edit, name="admin_channel_edit"),
    path("admin/channels/<slug:slug>/form/", admin_views.channel_form_editor, name="admin_form_editor"),
    path(
        "admin/channels/<slug:slug>/export.<str:file_format>", admin_views.channel_export, name="admin_channel_export"
    ),
    path("admin/audit/", admin_views.audit_log, name="admin_audit"),
    path("admin/duties/", admin_views.duty_report, name="admin_duties"),
    path("admin/duties.csv", admin_views.duty_report_csv, name="admin_duties_csv"),
]
