"""Tips keep a short keyed lookup tag of their receipt, so that unknown receipts are refused
before Argon2id (issue 31, finding 2: a flood of unknown receipts locked every tipster out).
Tips from before have none; their receipts still open them, the slow way, and get a tag then."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0016_bound_authorship_and_reader_signatures"),
    ]

    operations = [
        migrations.AddField(
            model_name="sitesecret",
            name="receipt_tag_key_id",
            field=models.BinaryField(
                help_text="Names the key of the tips' lookup tags; another key means those tags are void.",
                max_length=8,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="tip",
            name="receipt_tag",
            field=models.BinaryField(
                db_index=True,
                help_text="A short keyed hash of the receipt (key not in the database): unknown receipts are refused before Argon2id. Empty for a tip from before tags until its receipt is used once.",
                max_length=3,
                null=True,
            ),
        ),
    ]
