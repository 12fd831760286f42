from django.apps import AppConfig


class NavigatorConfig(AppConfig):
    name = "navigator"
    verbose_name = "Navigator platform"

    def ready(self) -> None:
        from navigator import checks  # noqa: F401  (registers system checks)
