"""New messages get random ids: one sequence shared by tipsters' messages and staff replies,
whose times are audited, bounded when a tipster wrote (issue 31, finding 10). Existing ids
stay; the conversation is ordered by each message's place in its tip."""

from django.db import migrations, models

import tipline.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0019_message_number"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="message",
            options={"ordering": ["number"]},
        ),
        migrations.AlterField(
            model_name="message",
            name="id",
            field=models.BigIntegerField(
                default=tipline.core.models.random_message_id, editable=False, primary_key=True, serialize=False
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(fields=("tip", "number"), name="message_place_in_tip"),
        ),
    ]
