"""Who wrote what, as this reader can prove it: its own signing key, the colleagues' keys it
trusts (handed over with the channel key, or vouched for by a key it trusts), the signature
it puts on every reply and note it seals, and the verdict on each item it shows. What the
server says about authorship is never taken on its word: an item without a valid signature
by a trusted key is "unverified, as the server says"."""

import uuid
from dataclasses import dataclass
from typing import Any

from tipline.crypto import authorship
from tipline.crypto.encoding import b64, from_b64
from tipline.reader.profile import Vault

VERIFIED = "verified"
UNVERIFIED = "unverified"
ALTERED = "altered"


@dataclass(frozen=True)
class Verdict:
    status: str  # VERIFIED, UNVERIFIED or ALTERED
    name: str  # who signed it (VERIFIED), else who the server says wrote it


def ensure_signing_key(vault: Vault, name: str) -> bool:
    """A signing key for a vault made before them; True when one was made (save the vault)."""
    if vault.signing is not None:
        return False
    public, private = authorship.new_signing_key()
    vault.signing = {"name": name, "public": b64(public), "private": b64(private)}
    vault.trust(name, vault.signer["public"])
    return True


def trusted_keys(vault: Vault, vouches: list[dict[str, Any]], channel: str) -> dict[str, str]:
    """Signing key (base64) → name, for every key this reader trusts: its roster, then any key
    vouched for, over this channel, by a key already trusted, until nothing more is added."""
    trusted = {entry["public"]: entry["name"] for entry in vault.roster}
    added = True
    while added:
        added = False
        for vouch in vouches:
            if vouch["public_key"] in trusted or vouch["voucher"] not in trusted:
                continue
            try:
                statement = authorship.vouch_statement(channel, vouch["name"], from_b64(vouch["public_key"]))
                valid = authorship.verifies(from_b64(vouch["voucher"]), statement, from_b64(vouch["signature"]))
            except (ValueError, TypeError, KeyError):
                valid = False
            if valid:
                trusted[vouch["public_key"]] = vouch["name"]
                added = True
    return trusted


def seal_item(
    vault: Vault, tip_id: str, kind: str, item_key: str, purpose: str, ciphertext: bytes, seen: list[str]
) -> dict[str, Any]:
    statement = authorship.item_statement(uuid.UUID(tip_id).bytes, kind, item_key, purpose, ciphertext, seen)
    return {
        "signer": vault.signer["public"],
        "signature": b64(authorship.sign(from_b64(vault.signer["private"]), statement)),
        "seen": sorted(seen),
    }


def verdict(trusted: dict[str, str], tip_id: str, kind: str, item: dict[str, Any], claimed: str) -> Verdict:
    """`claimed`: who the server says wrote it, shown only as that."""
    seal = item.get("seal")
    if not isinstance(seal, dict) or not isinstance(seal.get("signer"), str) or seal["signer"] not in trusted:
        return Verdict(UNVERIFIED, claimed)
    try:
        statement = authorship.item_statement(
            uuid.UUID(tip_id).bytes,
            kind,
            str(item["key"]),
            item.get("purpose", "") or "",
            from_b64(item["ciphertext"]),
            [str(key) for key in seal.get("seen", [])],
        )
        valid = authorship.verifies(from_b64(seal["signer"]), statement, from_b64(seal["signature"]))
    except (ValueError, TypeError, KeyError):
        valid = False
    return Verdict(VERIFIED, trusted[seal["signer"]]) if valid else Verdict(ALTERED, claimed)


def vouch_item(vault: Vault, channel: str, name: str, public_key: str) -> dict[str, Any]:
    """The outbox item that tells the colleagues' readers this key is `name`'s."""
    statement = authorship.vouch_statement(channel, name, from_b64(public_key))
    return {
        "kind": "vouch",
        "tip": "",
        "key": str(uuid.uuid4()),
        "name": name,
        "public_key": public_key,
        "voucher": vault.signer["public"],
        "signature": b64(authorship.sign(from_b64(vault.signer["private"]), statement)),
    }
