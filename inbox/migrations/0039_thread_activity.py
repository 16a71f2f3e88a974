from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inbox", "0038_notes_notifications")]

    operations: list = []
