from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "tipline.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from tipline.jobs import checks  # noqa: F401  (registers this app's part of `tipline check`)
