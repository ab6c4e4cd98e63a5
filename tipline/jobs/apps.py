from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "tipline.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
