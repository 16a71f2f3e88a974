from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inbox", "0040_full_text_search")]

    operations: list = []
