from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "tipline.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # The domain announces events through tipline.core.events without importing this app.
        from tipline.alerts import checks, outbox  # noqa: F401  (checks: this app's part of `tipline check`)
        from tipline.core import events

        events.register(outbox.record, outbox.recorded_since)
