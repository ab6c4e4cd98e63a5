from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "tipline.casework"
    label = "casework"
    verbose_name = "Casework (recipient pages)"
