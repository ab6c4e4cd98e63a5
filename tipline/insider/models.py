"""Verified insiders: organisations, their members, one issuer key per organisation and
period (epoch), how many tokens each member fetched per period, and spent tokens.

What is deliberately missing: no token, nonce or blinded message is ever stored at
issuance; no timestamp, tip or member is stored with a spent token. docs/insider-tokens.md
says what each party learns.
"""

from django.db import models

DEFAULT_EPOCH_SECONDS = 7 * 24 * 3600


class Organisation(models.Model):
    """A body whose members may prove membership, e.g. a police force's serving officers."""

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=120)
    tokens_per_epoch = models.PositiveSmallIntegerField(
        default=5, help_text="Every member gets this many tokens per period."
    )
    epoch_seconds = models.PositiveIntegerField(default=DEFAULT_EPOCH_SECONDS, help_text="Length of one period.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """One person who may fetch tokens. `reference` is what the admin's list called them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    reference = models.CharField(max_length=200)
    code_hash = models.BinaryField(max_length=32, null=True, unique=True, help_text="The unused one-time sign-in code.")
    credential_hash = models.BinaryField(
        max_length=32, null=True, unique=True, help_text="What the member's client signs in with."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation", "reference"]
        constraints = [models.UniqueConstraint(fields=["organisation", "reference"], name="one_member_per_reference")]

    def __str__(self) -> str:
        return f"{self.organisation.slug}:{self.reference}"


class IssuerKey(models.Model):
    """The blind-signing key of one organisation for one period. Public halves stay forever
    (an append-only list members pin); the private half is destroyed when its period ends."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="issuer_keys")
    epoch = models.BigIntegerField()
    key_id = models.BinaryField(
        max_length=32, unique=True, help_text="SHA-256 of public_key (the Privacy Pass key id)."
    )
    public_key = models.BinaryField(help_text="RFC 9578 SubjectPublicKeyInfo.")
    challenge = models.BinaryField(help_text="The fixed, public TokenChallenge every token of this key answers.")
    sealed_private_key = models.BinaryField(null=True, help_text="Sealed under a key derived from the site secret.")

    class Meta:
        ordering = ["organisation", "epoch"]
        constraints = [models.UniqueConstraint(fields=["organisation", "epoch"], name="one_issuer_key_per_epoch")]


class IssuanceCount(models.Model):
    """How many tokens a member fetched in a period: the issuer's whole memory of a fetch."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="issuance_counts")
    epoch = models.BigIntegerField()
    count = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "epoch"], name="one_count_per_member_epoch")]


class SpentToken(models.Model):
    """A redeemed token: a hash of its nonce, the table's key, so a second spend collides."""

    nonce_hash = models.CharField(max_length=64, primary_key=True)
    issuer_key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
