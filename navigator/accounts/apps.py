from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "navigator.accounts"
    label = "navigator_accounts"
    verbose_name = "Navigator sign-in"

    def ready(self) -> None:
        from navigator.accounts import receivers  # noqa: F401  (connects signals)
