from django.apps import AppConfig


class InsiderConfig(AppConfig):
    name = "tipline.insider"
    label = "insider"
    verbose_name = "Verified insiders"
