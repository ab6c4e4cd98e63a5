"""Everything the reader exchanges with the server or carries on a file: syncing (send what
waits, check the channel's key, fetch tips and files), rotating and sharing the channel key,
and the bundles for a machine that never goes online (ciphertext out, sealed replies back)."""

import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from tipline.crypto import authorship, channel_keys, recipient_keys, tip_keys
from tipline.crypto.encoding import b64, from_b64
from tipline.reader import authors, opening
from tipline.reader.client import Client, ServerSaid
from tipline.reader.language import _, gettext_noop
from tipline.reader.profile import Profile, ReaderError, Vault, private_file

BUNDLE_FORMAT = "tipline-reader-bundle/1"
REPLIES_FORMAT = "tipline-reader-replies/1"
RESEAL_BATCH = 500
SIGNED = (
    "bound",
    "seal",
    "proof",
)  # authorship in the associated data, this reader's signature, proof of the channel key
NOTE_EXTRAS = ("team", "sealed_key", "resealed_notes")  # a note under the team key; a tip's first team key
VOUCH_FIELDS = ("name", "public_key", "voucher", "signature")
QUEUED_FIELDS = ("kind", "tip", "key", "purpose", "ciphertext", *SIGNED, *NOTE_EXTRAS, *VOUCH_FIELDS)


@dataclass(frozen=True)
class SyncResult:
    tips: int
    files: int
    sent: int
    forgotten: int = 0  # tips the server destroyed, removed here too
    kept: int = 0  # tips the server no longer lists before their retention ended: kept here, and said so
    listed: frozenset[str] = frozenset()  # the ids of the tips the server listed
    token_expires: str | None = None  # set when the API token expires within TOKEN_WARNING_DAYS
    refused: tuple[str, ...] = ()  # what the server said of each sealed item it refused (they stay in the outbox)


KEPT_WARNING = gettext_noop(
    "WARNING: tips no longer listed by the server although their retention has not ended, kept here: %(count)d. "
    "Unless your admins shortened the retention, the server may have been taken over: tell them."
)

_TEXT, _MAYBE_TEXT, _NUMBER = (str,), (str, type(None)), (int,)
_RECORD_FIELDS: dict[str, tuple[type, ...]] = {
    "id": _TEXT,
    "reference": _TEXT,
    "received_hour": _TEXT,
    "deadline": _MAYBE_TEXT,
    "status": _TEXT,
    "message_count": _NUMBER,
    "file_count": _NUMBER,
    "channel_key": _NUMBER,
    "sealed_key": _TEXT,
    "answers": _TEXT,
    "messages": (list,),
    "notes": (list,),
    "files": (list,),
    "destroyed_after": _MAYBE_TEXT,
}
_ITEM_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "messages": {
        "key": _TEXT,
        "author": _TEXT,
        "sender": _TEXT,
        "sent_hour": _TEXT,
        "purpose": _TEXT,
        "ciphertext": _TEXT,
        "bound_as": _MAYBE_TEXT,
        "seal": (dict, type(None)),
    },
    "notes": {
        "key": _TEXT,
        "author": _TEXT,
        "written_hour": _TEXT,
        "ciphertext": _TEXT,
        "bound_as": _MAYBE_TEXT,
        "seal": (dict, type(None)),
    },
    "files": {"id": _TEXT, "message": _MAYBE_TEXT, "blob_name": _TEXT, "wrapped_key": _TEXT, "meta": _TEXT},
}


def checked_record(record: object) -> dict[str, Any]:
    """A tip as the server (or a bundle) sent it, refused unless every field the reader uses has
    its type: a taken-over server's junk stops the sync with a clear message, before anything
    is stored or forgotten, instead of crashing a later list or show."""
    problem = _record_problem(record)
    if problem:
        raise ReaderError(
            _(
                "The server sent a tip that is not well formed (%(problem)s); nothing more was stored. "
                "The server may have been taken over: tell your admins."
            )
            % {"problem": problem}
        )
    return cast(dict[str, Any], record)  # _record_problem found it an object of the right fields


def _record_problem(record: object) -> str:
    if not isinstance(record, dict):
        return "not an object"
    for name, types in _RECORD_FIELDS.items():
        if name == "destroyed_after" and name not in record:
            continue  # servers before this version do not send it
        if not isinstance(record.get(name), types) or isinstance(record.get(name), bool):
            return f"field {name}"
    try:
        uuid.UUID(record["id"])
    except ValueError:
        return "field id"
    if record.get("destroyed_after") is not None and not _is_moment(record["destroyed_after"]):
        return "field destroyed_after"
    for part, fields in _ITEM_FIELDS.items():
        for item in record[part]:
            if not isinstance(item, dict):
                return f"an item of {part}"
            for name, types in fields.items():
                if name in ("bound_as", "seal") and name not in item:
                    continue
                if not isinstance(item.get(name), types):
                    return f"field {name} of an item of {part}"
            if item.get("seal") is not None and not _is_seal(item["seal"]):
                return f"field seal of an item of {part}"
    return ""


def _is_moment(value: str) -> bool:
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except (TypeError, ValueError):
        return False


def _is_seal(seal: dict[str, Any]) -> bool:
    return (
        isinstance(seal.get("signer"), str)
        and isinstance(seal.get("signature"), str)
        and isinstance(seal.get("seen"), list)
        and all(isinstance(key, str) for key in seal["seen"])
    )


def checked_vouches(vouches: object) -> list[dict[str, Any]]:
    """The server's list of readers' vouches, keeping only entries of the right shape (each is
    checked by its signature when used)."""
    if not isinstance(vouches, list):
        return []
    return [
        vouch
        for vouch in vouches
        if isinstance(vouch, dict) and all(isinstance(vouch.get(name), str) for name in VOUCH_FIELDS)
    ]


def checked_keys(listed: object) -> dict[str, Any]:
    """The server's channel-keys answer, refused unless shaped as the tip line writes it."""

    def key_ok(key: object) -> bool:
        return (
            isinstance(key, dict)
            and isinstance(key.get("id"), int)
            and isinstance(key.get("generation"), int)
            and not isinstance(key.get("generation"), bool)
            and isinstance(key.get("public_key"), str)
            and isinstance(key.get("fingerprint"), str)
            and isinstance(key.get("uploaded_by"), (str, type(None)))
        )

    well_formed = (
        isinstance(listed, dict)
        and (listed.get("current") is None or key_ok(listed["current"]))
        and isinstance(listed.get("retired"), list)
        and all(key_ok(key) for key in listed["retired"])
    )
    if not well_formed:
        raise ReaderError(
            _(
                "The server sent a tip that is not well formed (%(problem)s); nothing more was stored. "
                "The server may have been taken over: tell your admins."
            )
            % {"problem": "channel keys"}
        )
    return cast(dict[str, Any], listed)  # well formed, as just checked


def client_for(profile: Profile, vault: Vault) -> Client:
    settings = profile.settings()
    if not settings.get("server") or not vault.token:
        raise ReaderError(
            _("This reader works without a network (air-gapped): carry bundles with import-bundle and export-replies.")
        )
    return Client(settings["server"], vault.token)


def sync(profile: Profile, vault: Vault, check_key: bool = True) -> SyncResult:
    client = client_for(profile, vault)
    slug = profile.settings()["channel"]
    refused: list[str] = []
    sent = send_waiting(profile, client, refused)
    listed = checked_keys(client.get(f"/channels/{slug}/offline-key"))
    if check_key:
        check_current_key(profile, vault, listed)
    profile.save_channel_keys(listed)
    vouches = client.get(f"/channels/{slug}/reader-vouches")
    profile.save_vouches(checked_vouches(vouches.get("vouches") if isinstance(vouches, dict) else None))
    opened = _opened_challenge(vault, listed)
    expires = _expiring(listed.get("token_expires_at"))
    files, seen, cursor = 0, set(), ""
    while True:
        page = client.get(
            f"/channels/{slug}/sealed-tips",
            **({"after": cursor} if cursor else {}),
            **({"proof": opened} if opened else {}),
        )
        opening.pin_keys(profile, vault, [checked_record(record) for record in page["items"]])
        for record in page["items"]:
            profile.save_tip(record)
            files += _fetch_files(profile, client, record)
            seen.add(record["id"])
        profile.pin_retention(page["items"])
        if not page["next_cursor"]:
            forgotten, kept = profile.forget_all_but(seen)
            return SyncResult(
                tips=len(seen),
                files=files,
                sent=sent,
                forgotten=forgotten,
                kept=kept,
                listed=frozenset(seen),
                token_expires=expires,
                refused=tuple(refused),
            )
        cursor = page["next_cursor"]


TOKEN_WARNING_DAYS = 14


def _expiring(expires_at: str | None) -> str | None:
    if not isinstance(expires_at, str):
        return None
    moment = datetime.fromisoformat(expires_at)
    return expires_at[:10] if moment - datetime.now(UTC) < timedelta(days=TOKEN_WARNING_DAYS) else None


def replace_token(profile: Profile, vault: Vault, new_token: str) -> str:
    """A new API token for this reader, taken only once the server accepts it (the old one
    stays in the vault until then). Returns the account it belongs to."""
    settings = profile.settings()
    if not settings.get("server"):
        raise ReaderError(_("This reader works without a network (air-gapped): it holds no API token."))
    account = whoami(Client(settings["server"], new_token), settings["channel"])
    vault.token = new_token
    return account


def _opened_challenge(vault: Vault, listed: dict[str, Any]) -> str:
    """The server's challenge opened with the current key, so that fetching counts as
    reading; empty on a reader that does not hold it (the online side of an air-gapped pair)."""
    current = listed["current"]
    if current is None or not listed.get("challenge") or not vault.holds(from_b64(current["public_key"])):
        return ""
    return b64(
        channel_keys.open_sealed(vault.private_key_for(from_b64(current["public_key"])), from_b64(listed["challenge"]))
    )


def check_current_key(profile: Profile, vault: Vault, listed: dict[str, Any]) -> None:
    """New tips are sealed to the server's current key: it must be one this reader holds, and
    no older than the newest it has seen. If it is not, someone replaced it or brought back a
    retired one; unless a colleague rotated it, that someone may hold the server, and new tips
    would be readable by them (or by whoever held the retired key). The newest generation
    seen is pinned in the profile once the check passes."""
    current = listed["current"]
    if not vault.keys:
        raise ReaderError(
            _(
                "This reader holds no channel key (the online side of an air-gapped pair, or one waiting for a "
                "colleague): carry tips out with tipline-reader export-bundle, or get the key with join and accept-key."
            )
        )
    if current is None:
        raise ReaderError(
            _("The channel has no offline key on the server, so it takes no tips: tipline-reader init sets one.")
        )
    public_key = from_b64(current["public_key"])
    if not vault.holds(public_key):
        raise ReaderError(
            _(
                "The server seals new tips to a key this reader does not hold (fingerprint %(fingerprint)s, set by "
                "%(who)s). If no colleague rotated it, the server may have been taken over: tell your admins at once. "
                "If a colleague did, run tipline-reader join here and ask them to run tipline-reader share-key with "
                "its request."
            )
            % {"fingerprint": current["fingerprint"], "who": current["uploaded_by"]}
        )
    generations = [key["generation"] for key in listed["retired"]]
    settings = profile.settings()
    pinned = settings.get("newest_key_generation", 0)
    # The newest key this reader holds that the server ever listed: one made by a rotation whose
    # upload failed was never current anywhere, and does not count.
    ever_listed = set(settings.get("listed_keys", [])) | {key["public_key"] for key in [current, *listed["retired"]]}
    newest_listed = next(
        (from_b64(key["public"]) for key in reversed(vault.keys) if key["public"] in ever_listed), None
    )
    if public_key != newest_listed or current["generation"] < max([pinned, *generations]):
        raise ReaderError(
            _(
                "The server seals new tips to an older key of this channel again (fingerprint %(fingerprint)s, "
                "generation %(generation)s; this reader has seen generation %(seen)s). No rotation does that: the "
                "server may have been taken over, and whoever holds the retired key could read new tips. Tell your "
                "admins at once."
            )
            % {
                "fingerprint": current["fingerprint"],
                "generation": current["generation"],
                "seen": max([pinned, *generations]),
            }
        )
    if current["generation"] > pinned or not ever_listed <= set(settings.get("listed_keys", [])):
        profile.update_settings(
            newest_key_generation=max(pinned, current["generation"]), listed_keys=sorted(ever_listed)
        )


def send_waiting(profile: Profile, client: Client, refused: list[str] | None = None) -> int:
    """Send sealed replies, notes and vouches; each keeps its key, so one sent twice is stored
    once. An item the server refuses (4xx) stays in the outbox and is named in `refused`; it
    holds up nothing else. One for a tip the server no longer lists goes with the tip at the
    sync's end (its retention), never before; a refused vouch is set aside with the sent."""
    sent = 0
    slug = profile.settings()["channel"]
    for path, item in profile.queued():
        try:
            body = {key: item[key] for key in ("key", "ciphertext", *SIGNED) if key in item}
            if item["kind"] == "vouch":
                client.post(
                    f"/channels/{slug}/reader-vouches",
                    {key: item[key] for key in (*VOUCH_FIELDS, "proof") if key in item},
                )
            elif item["kind"] == "reply":
                client.post(f"/tips/{item['tip']}/sealed-replies", body | {"purpose": item["purpose"]})
            else:
                client.post(
                    f"/tips/{item['tip']}/sealed-notes", body | {key: item[key] for key in NOTE_EXTRAS if key in item}
                )
        except ServerSaid as refusal:
            if refusal.status in (401, 429) or refusal.status >= 500:
                raise  # the token, the server's load: nothing this item can change
            if refused is not None:
                refused.append(str(refusal))
            if item["kind"] == "vouch":
                profile.mark_sent(path)
            continue
        profile.mark_sent(path)
        sent += 1
    return sent


def _fetch_files(profile: Profile, client: Client, record: dict[str, Any]) -> int:
    fetched = 0
    for item in record["files"]:
        path = profile.blob_path(item["id"])
        if path.exists():
            continue
        partial = path.with_name(path.name + ".part")
        with private_file(partial) as handle:
            for chunk in client.download(f"/tips/{record['id']}/sealed-files/{item['id']}"):
                handle.write(chunk)
        partial.replace(path)
        fetched += 1
    return fetched


# ---- the channel key: first upload, rotation, sharing -------------------------------------


def whoami(client: Client, slug: str) -> str:
    """The account the token belongs to: the name a new reader signs as, unless told another."""
    name: str = client.get(f"/channels/{slug}/offline-key")["you"]
    return name


def check_no_key_yet(client: Client, slug: str) -> str:
    """Before a first key is made: a channel that has one already is joined, not set up again.
    Returns the token's account name."""
    listed = client.get(f"/channels/{slug}/offline-key")
    if listed["current"] is not None:
        raise ReaderError(
            _(
                "Channel %(channel)s has a key already (fingerprint %(fingerprint)s): ask a colleague who holds it to "
                "share it (tipline-reader join here, then tipline-reader share-key there)."
            )
            % {"channel": slug, "fingerprint": listed["current"]["fingerprint"]}
        )
    name: str = listed["you"]
    return name


def upload_first_key(client: Client, slug: str, public_key: bytes) -> dict[str, Any]:
    return client.put(f"/channels/{slug}/offline-key", {"public_key": b64(public_key)})


@dataclass(frozen=True)
class Rotation:
    fingerprint: str
    resealed: int
    not_opened: int  # sealed to a key this reader never held: left for the colleague who holds it


def rotate(profile: Profile, vault: Vault, save_vault: Callable[[], None]) -> Rotation:
    """A new key pair; new tips are sealed to it at once, and every tip the server lists for
    the channel is sealed again to it here, in batches, so the old key can go. The new key is
    in the vault on disk (`save_vault`) before the server hears of it, and the old one stays
    there: a tip not yet sealed again still opens."""
    client, slug = client_for(profile, vault), profile.settings()["channel"]
    listed = client.get(f"/channels/{slug}/offline-key")
    check_current_key(profile, vault, listed)
    old_public = from_b64(listed["current"]["public_key"])
    proof = channel_keys.open_sealed(vault.private_key_for(old_public), from_b64(listed["challenge"]))
    pair = recipient_keys.generate_key_pair()
    vault.add_key(pair.public_key, pair.private_key)
    save_vault()
    listed = client.put(f"/channels/{slug}/offline-key", {"public_key": b64(pair.public_key), "proof": b64(proof)})
    profile.save_channel_keys(listed)
    new_proof = channel_keys.open_sealed(pair.private_key, from_b64(listed["challenge"]))
    sync(profile, vault)
    resealed, not_opened = [], 0
    for record in profile.tip_records():
        if record["channel_key"] == listed["current"]["id"]:
            continue
        try:
            keys = opening.keys_of(profile, vault, record)
        except ReaderError:
            not_opened += 1
            continue
        resealed.append(
            {
                "tip": record["id"],
                "sealed_key": b64(tip_keys.seal_keys(keys, uuid.UUID(record["id"]).bytes, pair.public_key)),
            }
        )
    done = 0
    for start in range(0, len(resealed), RESEAL_BATCH):
        done += client.post(
            f"/channels/{slug}/offline-key/resealed",
            {"proof": b64(new_proof), "tips": resealed[start : start + RESEAL_BATCH]},
        )["resealed"]
    sync(profile, vault)
    return Rotation(fingerprint=channel_keys.fingerprint(pair.public_key), resealed=done, not_opened=not_opened)


def new_transfer_request(vault: Vault) -> str:
    """A one-off key for receiving the channel key from a colleague, with this reader's signing
    key and name: the request they seal to and vouch for. Both compare its fingerprint aloud
    before anything is sealed, so neither key can be swapped on the way."""
    pair = recipient_keys.generate_key_pair()
    vault.transfer = {"public": b64(pair.public_key), "private": b64(pair.private_key)}
    return ".".join(["tlr2", b64(pair.public_key), vault.signer["public"], b64(vault.signer["name"].encode())])


@dataclass(frozen=True)
class Request:
    transfer_key: bytes
    signing_key: str | None  # base64; None in a request from a reader before signing keys
    name: str | None
    text: str


def request_name(request: str) -> str | None:
    return _request(request).name


def request_fingerprint(request: str) -> str:
    return channel_keys.fingerprint(hashlib.blake2b(_request(request).text.encode(), digest_size=32).digest())


def share_keys(profile: Profile, vault: Vault, request: str) -> bytes:
    """The channel keys and the signing keys this reader trusts, sealed for the request; the
    requester's signing key is trusted from now on, and a vouch for it waits in the outbox so
    that the colleagues' readers trust it too."""
    if not vault.keys:
        raise ReaderError(_("This reader holds no channel key to share."))
    asked = _request(request)
    if asked.signing_key is None or asked.name is None:  # both or neither: a reader before signing keys
        return channel_keys.seal_transfer(vault.keys, asked.transfer_key)
    channel = profile.settings()["channel"]
    if any(entry["name"] == asked.name and entry["public"] != asked.signing_key for entry in vault.roster):
        raise ReaderError(
            _("A colleague's reader signs as %(name)s already: ask the new one to join again with another --name.")
            % {"name": asked.name}
        )
    vault.trust(asked.name, asked.signing_key)
    vouch = authors.vouch_item(vault, channel, asked.name, asked.signing_key)
    proof_key = profile.channel_keys().get("proof_key")
    if proof_key:  # the server takes vouches only from a holder of the channel key
        statement = authorship.vouch_statement(channel, asked.name, from_b64(asked.signing_key))
        vouch["proof"] = b64(
            channel_keys.prove_item(
                from_b64(vault.keys[-1]["private"]),
                from_b64(proof_key),
                authorship.NO_TIP,
                authorship.vouch_proof_key(asked.name, from_b64(asked.signing_key)),
                statement,
            )
        )
    profile.queue(vouch)
    return channel_keys.seal_transfer({"keys": vault.keys, "roster": vault.roster}, asked.transfer_key)


def accept_keys(vault: Vault, sealed: bytes) -> int:
    if vault.transfer is None:
        raise ReaderError(
            _("This reader asked for no key: run tipline-reader join first, and send its request to a colleague.")
        )
    handed = channel_keys.open_transfer(sealed, from_b64(vault.transfer["private"]))
    keys, roster = (handed, []) if isinstance(handed, list) else (handed["keys"], handed["roster"])
    for key in keys:
        vault.add_key(from_b64(key["public"]), from_b64(key["private"]))
    for entry in roster:
        vault.trust(entry["name"], entry["public"])
    vault.transfer = None
    return len(keys)


def _request(request: str) -> Request:
    text = request.strip()
    prefix, *parts = text.split(".")
    try:
        transfer = from_b64(parts[0]) if parts else b""
        signing = from_b64(parts[1]) if prefix == "tlr2" and len(parts) == 3 else None
        name = from_b64(parts[2]).decode() if signing is not None else None
    except (ValueError, UnicodeDecodeError):
        transfer, signing, name = b"", None, None
    if (
        len(transfer) != 32
        or (prefix == "tlr2" and (signing is None or len(signing) != 32 or not name))
        or prefix not in ("tlr1", "tlr2")
    ):
        raise ReaderError(_("A key request looks like tlr2.… as tipline-reader join printed it."))
    return Request(transfer, b64(signing) if signing else None, name, text)


# ---- bundles for a machine that never goes online ----------------------------------------


def export_bundle(profile: Profile, vault: Vault, destination: Path) -> SyncResult:
    """Sync, then write the channel's keys list, tips and files, all ciphertext, to one file."""
    result = sync(profile, vault, check_key=False)  # this side may hold no key: the air-gapped one checks
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("format", BUNDLE_FORMAT)
        bundle.writestr("made-at", datetime.now(UTC).isoformat())
        bundle.writestr("channel-keys.json", json.dumps(profile.channel_keys()))
        bundle.writestr("vouches.json", json.dumps(profile.vouches()))
        for record in profile.tip_records():
            if record["id"] not in result.listed:
                continue  # kept on this side only (the server stopped listing it): a bundle holds what the server has
            bundle.writestr(f"tips/{record['id']}.json", json.dumps(record))
            for item in record["files"]:
                if profile.blob_path(item["id"]).exists():
                    bundle.write(profile.blob_path(item["id"]), f"blobs/{item['id']}")
    return result


def import_bundle(profile: Profile, vault: Vault, source: Path) -> int:
    """Read a bundle into the store. Names inside it are never used as paths: each tip and file
    is saved under its own id, checked to be a UUID."""
    with zipfile.ZipFile(source) as bundle:
        if bundle.read("format").decode() != BUNDLE_FORMAT:
            raise ReaderError(_("%(file)s is not a tipline-reader bundle.") % {"file": source})
        listed = checked_keys(json.loads(bundle.read("channel-keys.json")))
        channel = profile.settings()["channel"]
        if listed.get("channel", channel) != channel:
            raise ReaderError(
                _("%(file)s is a bundle of channel %(other)s; this reader reads channel %(channel)s. Nothing was read.")
                % {"file": source, "other": listed.get("channel"), "channel": channel}
            )
        made_at = bundle.read("made-at").decode() if "made-at" in bundle.namelist() else ""
        if made_at and made_at < profile.settings().get("last_bundle_at", ""):
            raise ReaderError(
                _("%(file)s is older than the bundle read before it: nothing was read. Bring the newest bundle.")
                % {"file": source}
            )
        check_current_key(profile, vault, listed)
        profile.save_channel_keys(listed)
        if "vouches.json" in bundle.namelist():
            profile.save_vouches(checked_vouches(json.loads(bundle.read("vouches.json"))))
        seen, brought = set(), []
        for name in bundle.namelist():
            if name.startswith("tips/"):
                record = checked_record(json.loads(bundle.read(name)))
                profile.save_tip(record)
                brought.append(record)
                seen.add(record["id"])
            elif name.startswith("blobs/"):
                try:
                    target_path = profile.blob_path(name.removeprefix("blobs/"))
                except ValueError:
                    raise ReaderError(
                        _(
                            "%(file)s holds a file named %(name)r, which no bundle has: it was not made by "
                            "tipline-reader."
                        )
                        % {"file": source, "name": name}
                    ) from None
                with bundle.open(name) as source_blob, private_file(target_path) as target:
                    while chunk := source_blob.read(64 * 1024):
                        target.write(chunk)
    opening.pin_keys(profile, vault, brought)
    profile.pin_retention(brought)
    if made_at:
        profile.update_settings(last_bundle_at=made_at)
    _forgotten, kept = profile.forget_all_but(seen)  # a bundle holds every tip the server still has
    if kept:
        print(_(KEPT_WARNING) % {"count": kept})
    return len(seen)


def export_replies(profile: Profile, destination: Path) -> int:
    waiting = profile.queued()
    with zipfile.ZipFile(destination, "w") as replies:
        replies.writestr("format", REPLIES_FORMAT)
        for _path, item in waiting:
            replies.writestr(f"outbox/{item['key']}.json", json.dumps(item))
    for path, _item in waiting:
        profile.mark_sent(path)
    return len(waiting)


def import_replies(profile: Profile, source: Path) -> int:
    with zipfile.ZipFile(source) as replies:
        if replies.read("format").decode() != REPLIES_FORMAT:
            raise ReaderError(_("%(file)s is not a tipline-reader replies file.") % {"file": source})
        items = [json.loads(replies.read(name)) for name in replies.namelist() if name.startswith("outbox/")]
    for item in items:
        profile.queue({key: item[key] for key in QUEUED_FIELDS if key in item})
    return len(items)
