import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0038_notes_notifications"),
        ("helpdesk", "0003_workspace_settings_agent_time_zone"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Notification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("assigned", "A conversation is assigned to me"),
                            ("customer_replied", "A customer replies on my conversation"),
                            ("mentioned", "I am mentioned in a note"),
                            ("delivery_failed", "A reply I sent failed to deliver"),
                        ],
                        max_length=24,
                    ),
                ),
                ("data", models.JSONField(blank=True, default=dict)),
                ("in_app", models.BooleanField(default=True)),
                ("email_pending", models.BooleanField(default=False)),
                ("read_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField()),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "thread",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="inbox.thread",
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="helpdesk.workspace",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("in_app", True), ("read_at__isnull", True)),
                        fields=["recipient", "id"],
                        name="notification_unread",
                    ),
                    models.Index(fields=["recipient", "-id"], name="notification_recipient_list"),
                    models.Index(
                        condition=models.Q(("email_pending", True)),
                        fields=["recipient", "thread"],
                        name="notification_email_pending",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="NotificationEmailWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_sent_at", models.DateTimeField(blank=True, null=True)),
                ("flush_at", models.DateTimeField(blank=True, null=True)),
                (
                    "recipient",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "thread",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="inbox.thread",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("recipient", "thread"), name="notification_email_window_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="NotificationPreference",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("assigned", "A conversation is assigned to me"),
                            ("customer_replied", "A customer replies on my conversation"),
                            ("mentioned", "I am mentioned in a note"),
                            ("delivery_failed", "A reply I sent failed to deliver"),
                        ],
                        max_length=24,
                    ),
                ),
                ("in_app", models.BooleanField(default=True)),
                ("email", models.BooleanField(default=True)),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "kind"), name="notification_preference_unique"
                    )
                ],
            },
        ),
    ]
