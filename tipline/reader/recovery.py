"""`tipline-reader recover`: on an admin's own computer, the organisation recovery key's private
half opens tips' recovery boxes and seals their keys to a recipient's new key (or to the next
recovery key, after a rotation), which the API then stores. The private key is read here and
never sent; the recipient's key is shown by fingerprint, computed here, before anything is sealed
to it, so a hostile server cannot slip in a key of its own unnoticed."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from uuid import UUID

from tipline.crypto import recovery_keys
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import DecryptionError
from tipline.reader.client import Client
from tipline.reader.language import _
from tipline.reader.profile import ReaderError

BATCH = 500


@dataclass
class Recovered:
    done: int = 0
    not_opened: int = 0  # sealed to a recovery key other than this file's
    refused: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # asked for, but not sealed to the recovery key


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    public_key: bytes
    fingerprint: str  # computed here from the key, never taken from the server's word
    channels: list[str]


def account(client: Client, username: str) -> Account:
    answer = client.get(f"/recovery/accounts/{quote(username, safe='')}")
    try:
        public_key = from_b64(str(answer["public_key"]))
    except (KeyError, ValueError):
        public_key = b""
    if len(public_key) != 32:
        raise ReaderError(
            _("The server sent no usable public key for %(name)s. Nothing was sealed.") % {"name": username},
        )
    return Account(
        username=str(answer.get("username", username)),
        display_name=str(answer.get("display_name", "")),
        public_key=public_key,
        fingerprint=recovery_keys.account_fingerprint(public_key),
        channels=[str(slug) for slug in answer.get("channels", [])],
    )


def same_fingerprint(given: str, fingerprint: str) -> bool:
    return "".join(given.split()).upper() == "".join(fingerprint.split())


def grant(client: Client, private_key: bytes, to: Account, references: list[str], unreadable: bool) -> Recovered:
    """Seal each chosen tip's keys (those `references`, or every tip no current recipient can
    read) to the account's key, page by page, and post them in batches."""
    query = {"reference": references} if references else {"unreadable": "true"} if unreadable else {}
    if not query:
        raise ReaderError(
            _("Say which tips: --tip T-XXXX-XXXX (repeat), or --unreadable for every tip no recipient can read now.")
        )
    result, seen = Recovered(), set[str]()

    def post(batch: list[dict[str, Any]]) -> None:
        answer = client.post("/recovery/grants", {"grantee": to.username, "tips": batch})
        result.done += int(answer.get("granted", 0))
        result.refused += [f"{item.get('tip')}: {item.get('reason')}" for item in answer.get("refused", [])]

    asked = {reference.strip().upper() for reference in references}
    _each_page(client, query, private_key, to.public_key, post, result, seen, only=asked or None)
    result.missing = sorted(asked - seen)
    return result


def reseal(client: Client, old_private_key: bytes, new_public_key: bytes) -> Recovered:
    """After `tipline recovery-key install` of a new generation: every tip still sealed to a
    retired one is opened with its private key and sealed to the new public key, which comes
    from the admin's own file and must be the one the server now seals new tips to."""
    current = (client.get("/recovery/key").get("current") or {}).get("public_key")
    if current is None or from_b64(str(current)) != bytes(new_public_key):
        raise ReaderError(
            _(
                "The tip line's current recovery key is not the one in your new public key file "
                "(fingerprint %(fingerprint)s): "
                "install it first (tipline recovery-key install), or find out who changed it. Nothing was sealed."
            )
            % {"fingerprint": recovery_keys.fingerprint(new_public_key)}
        )
    result = Recovered()

    def post(batch: list[dict[str, Any]]) -> None:
        result.done += int(client.post("/recovery/resealed", {"tips": batch}).get("resealed", 0))

    _each_page(client, {"retired": "true"}, old_private_key, new_public_key, post, result, set())
    return result


def _each_page(
    client: Client,
    query: dict[str, Any],
    private_key: bytes,
    to_public_key: bytes,
    post: Callable[[list[dict[str, Any]]], None],
    result: Recovered,
    seen: set[str],
    only: set[str] | None = None,
) -> None:
    """`only`: the references asked for; a server that sends others gets nothing sealed for them."""
    cursor, batch = "", []
    while True:
        page = client.get("/recovery/tips", **query, **({"after": cursor} if cursor else {}))
        for item in page.get("items", []):
            reference = str(item.get("reference", ""))
            if only is not None and reference not in only:
                continue
            seen.add(reference)
            try:
                tip_id = UUID(str(item["id"])).bytes
                sealed = recovery_keys.reseal(from_b64(str(item["sealed_key"])), tip_id, private_key, to_public_key)
            except (KeyError, ValueError, DecryptionError):  # UnsupportedFormatError is one
                result.not_opened += 1
                continue
            batch.append({"tip": str(item["id"]), "sealed_key": b64(sealed)})
            if len(batch) == BATCH:
                post(batch)
                batch = []
        cursor = page.get("next_cursor") or ""
        if not cursor:
            break
    if batch:
        post(batch)
