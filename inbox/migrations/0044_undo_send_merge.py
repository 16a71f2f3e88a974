from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inbox", "0043_saved_replies")]

    operations: list = []
