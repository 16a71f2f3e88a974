from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("channels_cfg", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="emailchannel",
            name="team_address",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="emailchannel",
            name="provider",
            field=models.CharField(blank=True, max_length=24),
        ),
    ]
