"""Each message gets its place in its tip's conversation (1, 2, …), numbered in the order the
old sequential ids gave, so that ids can stop carrying order (issue 31, finding 10)."""

from django.db import migrations, models


def number_messages(apps, schema_editor):
    Message = apps.get_model("core", "Message")
    tip_id, number = None, 0
    for message in Message.objects.order_by("tip_id", "id").only("pk", "tip_id").iterator(chunk_size=2000):
        number = number + 1 if message.tip_id == tip_id else 1
        tip_id = message.tip_id
        Message.objects.filter(pk=message.pk).update(number=number)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0018_joining_needs_approval"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="number",
            field=models.PositiveIntegerField(default=0, help_text="Its place in the tip's conversation: 1, 2, …"),
        ),
        migrations.RunPython(number_messages, migrations.RunPython.noop),
    ]
