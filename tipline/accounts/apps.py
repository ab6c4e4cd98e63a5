from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tipline.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from tipline.accounts import checks  # noqa: F401  (registers this app's part of `tipline check`)
