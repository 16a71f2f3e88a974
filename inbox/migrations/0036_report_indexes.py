from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inbox", "0035_leaner_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(fields=["workspace", "created_at"], name="thread_created"),
        ),
    ]
