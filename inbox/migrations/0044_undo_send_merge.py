import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inbox", "0043_saved_replies")]

    operations: list = [
        # "sending": undo send (Message.send_after) and forwards (Message.is_forward).
        migrations.AddField(
            model_name="message",
            name="is_forward",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="message",
            name="send_after",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # "merge": merged threads.
        migrations.AddField(
            model_name="thread",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="merged_threads",
                to="inbox.thread",
            ),
        ),
        migrations.AlterField(
            model_name="thread",
            name="kind",
            field=models.CharField(
                choices=[
                    ("conversation", "Conversation"),
                    ("forwarding_confirmation", "Forwarding confirmation"),
                    ("merged", "Merged into another thread"),
                ],
                default="conversation",
                max_length=24,
            ),
        ),
    ]
