"""The Celery app. Configuration lives in settings.CELERY_CONFIG."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")


@app.on_configure.connect
def _configure_from_django(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.conf.update(settings.CELERY_CONFIG)


app.autodiscover_tasks()
