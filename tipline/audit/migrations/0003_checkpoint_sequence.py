"""The newest audit checkpoint's sequence and MAC, so that a checkpoint file deleted or cut
back is found (issue 31, finding 6). Existing deployments start at 0: their old lines stay
valid and the next checkpoint begins the chain."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_keyed_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="chainhead",
            name="checkpoint_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="chainhead",
            name="checkpoint_sequence",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
