from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tipline.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from tipline.audit import checks  # noqa: F401  (registers this app's part of `tipline check`)
