from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "tipline.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # The domain announces events through tipline.core.events without importing this app.
        from tipline.alerts import outbox
        from tipline.core import events

        events.register(outbox.record, outbox.recorded_since)
