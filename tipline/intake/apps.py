from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "tipline.intake"
    label = "intake"
    verbose_name = "Intake (tipster pages)"
