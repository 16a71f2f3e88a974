from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inbox", "0041_tags")]

    operations: list = []
