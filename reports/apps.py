from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Registers the SQLite percentile aggregate on every new connection.
        from reports import aggregates  # noqa: F401
