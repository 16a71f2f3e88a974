from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Conversations inbox"

    def ready(self) -> None:
        # Connects the receiver of anymail's inbound signal (intake).
        from inbox import tracking  # noqa: F401  (delivery events about our replies)
        from inbox.webhooks import receivers  # noqa: F401
