from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inbox", "0042_snooze")]

    operations: list = []
