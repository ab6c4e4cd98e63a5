from django.urls import path

from tipline.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.routes, name="routes"),
    path("<slug:name>/test/", views.test, name="test"),
    path("<slug:name>/remove/", views.remove, name="remove"),
]
