from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tipline.core"
    label = "core"
    verbose_name = "Tipline core"
