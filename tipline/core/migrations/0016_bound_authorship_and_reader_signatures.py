"""Who wrote a message or note is bound into its ciphertext's associated data from now on,
and tipline-reader's items carry its signature; readers vouch for each other's signing keys
(issue 30: a database writer or a taken-over server re-attributed messages and notes).
Existing items keep their old associated data (bound_as empty) and show as unverified."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0015_note_under_team_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="bound_as",
            field=models.CharField(
                blank=True,
                max_length=40,
                null=True,
                help_text="Who wrote it, as bound into the ciphertext's associated data (tipline.crypto.content); empty before that.",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="reader_seal",
            field=models.JSONField(
                blank=True, null=True, help_text="tipline-reader's signature: signer, signature, items seen."
            ),
        ),
        migrations.AddField(
            model_name="note",
            name="bound_as",
            field=models.CharField(
                blank=True, max_length=40, null=True, help_text="Who wrote it, bound into the associated data."
            ),
        ),
        migrations.AddField(
            model_name="note",
            name="reader_seal",
            field=models.JSONField(
                blank=True, null=True, help_text="tipline-reader's signature: signer, signature, items seen."
            ),
        ),
        migrations.CreateModel(
            name="ReaderVouch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=150)),
                ("public_key", models.BinaryField(max_length=32)),
                ("voucher", models.BinaryField(max_length=32)),
                ("signature", models.BinaryField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "channel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="reader_vouches", to="core.channel"
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
    ]
