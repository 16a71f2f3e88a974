import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0042_snooze"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedReply",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=120)),
                ("body_html", models.TextField()),
                ("usage_count", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("owner", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="saved_replies", to=settings.AUTH_USER_MODEL)),
                ("workspace", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="saved_replies", to="helpdesk.workspace")),
            ],
            options={"ordering": ["name", "id"]},
        ),
        migrations.CreateModel(
            name="SavedReplyAttachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file", models.FileField(upload_to="saved_replies/%Y/%m/")),
                ("filename", models.CharField(max_length=255)),
                ("content_type", models.CharField(default="application/octet-stream", max_length=255)),
                ("size", models.PositiveIntegerField(default=0)),
                ("saved_reply", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="attachments", to="inbox.savedreply")),
            ],
        ),
        migrations.AddIndex(
            model_name="savedreply",
            index=models.Index(fields=["workspace", "name"], name="saved_reply_workspace_name"),
        ),
    ]
