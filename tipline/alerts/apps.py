from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "tipline.alerts"
    label = "alerts"
    verbose_name = "Alerts"
