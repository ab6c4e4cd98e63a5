from django.urls import path

from tipline.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("c/<slug:slug>/", views.submit, name="submit"),
    path("check/", views.check, name="check"),
    path("check/your-tip/", views.your_tip, name="your_tip"),
    path("check/leave/", views.leave, name="leave"),
]
