# Internal notes, their attachments and their @mentions (inbox.services.notes).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import inbox.models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0037_thread_event_kinds"),
        ("helpdesk", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField()),
                ("edited_at", models.DateTimeField(blank=True, null=True)),
                ("author", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("thread", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="notes", to="inbox.thread")),
                ("workspace", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="helpdesk.workspace")),
            ],
            options={"ordering": ["created_at", "id"]},
        ),
        migrations.CreateModel(
            name="Mention",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(max_length=255)),
                ("team", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="helpdesk.team")),
                ("user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("note", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="mentions", to="inbox.note")),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.CreateModel(
            name="NoteAttachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("filename", models.CharField(max_length=255)),
                ("content_type", models.CharField(default="application/octet-stream", max_length=255)),
                ("size", models.PositiveBigIntegerField(default=0)),
                ("file", models.FileField(max_length=255, upload_to=inbox.models.note_attachment_upload_to)),
                ("note", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="attachments", to="inbox.note")),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(fields=["thread", "created_at", "id"], name="note_thread_order"),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("team__isnull", True), ("user__isnull", False)), models.Q(("team__isnull", False), ("user__isnull", True)), _connector="OR"),
                name="mention_user_xor_team",
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.UniqueConstraint(condition=models.Q(("user__isnull", False)), fields=("note", "user"), name="mention_unique_user"),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.UniqueConstraint(condition=models.Q(("team__isnull", False)), fields=("note", "team"), name="mention_unique_team"),
        ),
    ]
