from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tipline.audit"
    label = "audit"
    verbose_name = "Audit log"
