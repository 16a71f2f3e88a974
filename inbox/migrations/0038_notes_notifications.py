from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inbox", "0037_thread_event_kinds")]

    operations: list = []
