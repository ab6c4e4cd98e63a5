"""Internal notes move from the tip key, which the tipster's receipt opens, to a team key it
does not (issue 30). Existing notes stay under the tip key, marked so, until a recipient
opens the tip (or a reader writes a note on it), which seals them again."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0014_channel_key_generation_and_vouched_mode"),
    ]

    operations = [
        migrations.AddField(
            model_name="note",
            name="under_team_key",
            field=models.BooleanField(default=False, help_text="Encrypted under the team key, not the tip key."),
        ),
    ]
