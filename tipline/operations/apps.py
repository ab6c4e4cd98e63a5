from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running an instance. No models: an app so that its part of `tipline check` is registered."""

    name = "tipline.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from tipline.operations import checks  # noqa: F401  (registers this app's part of `tipline check`)
