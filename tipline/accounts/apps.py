from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tipline.accounts"
    label = "accounts"
    verbose_name = "Accounts"
