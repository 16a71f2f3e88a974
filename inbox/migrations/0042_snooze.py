from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inbox", "0041_tags")]

    operations = [
        migrations.AddField(
            model_name="thread",
            name="snoozed_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="thread",
            name="woke_reason",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                condition=models.Q(("snoozed_until__isnull", False)),
                fields=["snoozed_until"],
                name="thread_snoozed_until",
            ),
        ),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                condition=models.Q(("snoozed_until__isnull", False)),
                fields=["workspace", "-last_message_at", "-id"],
                name="thread_snoozed_list",
            ),
        ),
    ]
