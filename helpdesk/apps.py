from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Workspaces"

    def ready(self) -> None:
        from helpdesk.db import cache_statements_with_many_parameters

        cache_statements_with_many_parameters()
