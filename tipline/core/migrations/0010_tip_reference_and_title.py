"""Every tip gets a short random reference (tips sent before get one drawn here), and room for
a title recipients give it, encrypted under the tip key."""

from django.db import migrations, models


def draw_references(apps, schema_editor):
    from tipline.core.references import new_reference

    Tip = apps.get_model("core", "Tip")
    drawn = set()
    for tip in Tip.objects.filter(reference__isnull=True).only("pk"):
        reference = new_reference(taken=lambda candidate: candidate in drawn)
        drawn.add(reference)
        Tip.objects.filter(pk=tip.pk).update(reference=reference)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_channel_escalate_after_minutes"),
    ]

    operations = [
        migrations.AddField(
            model_name="tip",
            name="title_ciphertext",
            field=models.BinaryField(
                blank=True, help_text="A title recipients gave the tip, encrypted under the tip key.", null=True
            ),
        ),
        migrations.AddField(model_name="tip", name="reference", field=models.CharField(max_length=12, null=True)),
        migrations.RunPython(draw_references, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tip",
            name="reference",
            field=models.CharField(
                help_text="A short random name for the tip (T-7KQ4-M2XP) that staff and the tipster both see.",
                max_length=12,
                unique=True,
            ),
        ),
    ]
