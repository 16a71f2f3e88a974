from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Conversations inbox"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from inbox import tracking  # noqa: F401  (delivery events about our replies)
        from inbox.search_schema import ensure_sqlite_triggers

        # Connects the receiver of anymail's inbound signal (intake).
        from inbox.webhooks import receivers  # noqa: F401

        # SQLite drops a table's triggers when a migration rebuilds it: full-text search's
        # triggers are put back after every migrate.
        post_migrate.connect(ensure_sqlite_triggers, sender=self)
