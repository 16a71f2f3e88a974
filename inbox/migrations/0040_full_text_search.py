from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inbox", "0039_thread_activity")]

    operations: list = []
