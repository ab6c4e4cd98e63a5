from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tipline.core"
    label = "core"
    verbose_name = "Tipline core"

    def ready(self) -> None:
        from tipline.core import checks  # noqa: F401  (registers this app's part of `tipline check`)
