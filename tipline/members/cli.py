"""tipline-token: fetch, keep and show the anonymous membership tokens of a Tipline server.

The member's command line on their own device: it signs in once with a one-time code, pins the
keys the server publishes, fetches each period's tokens (tipline.members.protocol blinds them)
and keeps them in a file only the member can read. Standard library only, so it also runs as
one file with no Tipline installed: tipline-token.pyz (`make token-client`).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import getpass
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tipline.members.protocol import (
    PendingToken,
    Token,
    TokenError,
    encode_challenge,
    public_key_from_spki,
    token_key_id,
)

ANONYMITY_WARNING_BELOW = 20
DEFAULT_STORE = Path.home() / ".tipline-tokens.json"
# The API's code (tipline.api.errors) for token requests made under a period that has just ended.
EPOCH_CHANGED = "epoch_changed"
# What the API sends and the token file keeps: JSON objects.
Json = dict[str, Any]


class ClientError(Exception):
    """Something the member must know about; printed, then the client stops. `code` is the
    server's code for a refusal (tipline.api.errors), empty when no server gave one."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tipline-token", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--store", type=Path, default=DEFAULT_STORE, help=f"token file (default {DEFAULT_STORE}), kept 0600"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="fetch this period's tokens (do it every period, not only before a tip)")
    fetch.add_argument("--server", required=True, help="the tip line's address, e.g. http://tipsxxxx.onion")
    fetch.add_argument("--organisation", help="your organisation's short name (asked the first time)")
    fetch.add_argument("--code", help="your one-time sign-in code (asked the first time)")
    commands.add_parser("show", help="print one token to paste into a tip form (each token works once)")
    commands.add_parser("status", help="tokens held, when they can be used, and how many members fetched")
    arguments = parser.parse_args(argv)
    try:
        store = Store.load(arguments.store)
        if arguments.command == "fetch":
            print(fetch_tokens(store, arguments.server.rstrip("/"), arguments.organisation, arguments.code))
        elif arguments.command == "show":
            print(show_token(store))
        else:
            print(describe_status(store))
    except ClientError as problem:
        print(f"tipline-token: {problem}", file=sys.stderr)
        return 1
    return 0


@dataclass
class Store:
    """The member's token file: server, credential, pinned keys and the tokens themselves."""

    path: Path
    data: Json

    @classmethod
    def load(cls, path: Path) -> Store:
        if not path.exists():
            return cls(path, {"pins": {}, "tokens": []})
        if path.stat().st_mode & 0o077:
            raise ClientError(f"{path} can be read by others; run: chmod 600 {path}")
        return cls(path, json.loads(path.read_text()))

    def save(self) -> None:
        temporary = self.path.with_name(self.path.name + ".new")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(self.data, file, indent=1)
        os.replace(temporary, self.path)


def fetch_tokens(store: Store, server: str, organisation: str | None, code: str | None) -> str:
    data = store.data
    if data.get("server") not in (None, server):
        raise ClientError(f"this token file belongs to {data['server']}; use another --store for {server}")
    data["server"] = server
    data["organisation"] = organisation = (
        data.get("organisation") or organisation or input("Organisation short name: ").strip()
    )
    if not data.get("credential"):
        code = code or getpass.getpass("One-time sign-in code: ")
        answer = _post(f"{server}/api/v1/insiders/activate", {"organisation": organisation, "code": code})
        data["credential"] = answer["credential"]
        store.save()  # the code is spent now: never lose the credential it gave
    for _attempt in range(2):  # a new period may begin between reading the keys and signing
        directory = _get(f"{server}/api/v1/insiders/{organisation}/keys")
        _pin_keys(data, directory)
        current = next((key for key in directory["keys"] if key["epoch"] == directory["current_epoch"]), None)
        if current is None:
            raise ClientError("the server published no key for this period; try again later")
        try:
            tokens = _fetch_batch(server, data["credential"], directory, current)
        except ClientError as problem:
            if problem.code == EPOCH_CHANGED:
                continue
            raise
        break
    else:
        raise ClientError("the period changed twice while fetching; try again")
    data.setdefault("tokens", []).extend(
        {"epoch": current["epoch"], "token": token.to_text(), "shown": False} for token in tokens
    )
    data["epoch_seconds"] = directory["epoch_seconds"]
    store.save()
    usable_from = _moment(current["redeem_from"])
    return (
        f"Fetched {len(tokens)} tokens for period {current['epoch']}. They can be used from {usable_from} "
        f"until {_moment(current['redeem_until'])}, not before: that gap keeps fetching and sending apart."
    )


def _fetch_batch(server: str, credential: str, directory: Json, key_entry: Json) -> list[Token]:
    spki = _unb64(key_entry["public_key"])
    key, key_id, challenge = public_key_from_spki(spki), token_key_id(spki), _unb64(key_entry["challenge"])
    pending = [PendingToken.start(key, key_id, challenge) for _ in range(directory["tokens_per_epoch"])]
    answer = _post(
        f"{server}/api/v1/insiders/{directory['organisation']}/tokens",
        {"requests": [_b64(item.request) for item in pending]},
        credential=credential,
    )
    if answer["epoch"] != key_entry["epoch"] or len(answer["responses"]) != len(pending):
        raise ClientError("the server answered for another period or with a wrong number of tokens")
    try:
        return [
            item.finish(key, challenge, key_id, _unb64(response))
            for item, response in zip(pending, answer["responses"], strict=True)
        ]
    except TokenError as problem:
        raise ClientError(str(problem)) from None


def _pin_keys(data: Json, directory: Json) -> None:
    """Trust on first use: a published key or challenge must never change afterwards, and each
    key id must be the hash of its key; a server that swaps keys could tell members apart."""
    expected_origin = f"{directory['organisation']}/"
    for entry in directory["keys"]:
        spki = _unb64(entry["public_key"])
        public_key_from_spki(spki)
        if entry["key_id"] != token_key_id(spki).hex():
            raise ClientError(f"key of period {entry['epoch']}: its id is not the hash of the key")
        challenge = _unb64(entry["challenge"])
        if challenge != encode_challenge(directory["issuer_name"], f"{expected_origin}{entry['epoch']}"):
            raise ClientError(f"key of period {entry['epoch']}: its challenge is not the fixed public one")
        pinned = data["pins"].setdefault(
            str(entry["epoch"]), {"key_id": entry["key_id"], "challenge": entry["challenge"]}
        )
        if pinned != {"key_id": entry["key_id"], "challenge": entry["challenge"]}:
            raise ClientError(
                f"the server now shows another key for period {entry['epoch']} than before. Do not fetch or use "
                "tokens; tell the people who run the tip line through another way."
            )


def show_token(store: Store) -> str:
    now = datetime.datetime.now(datetime.UTC).timestamp()
    length = store.data.get("epoch_seconds")
    held = store.data.get("tokens", [])
    if not held or not length:
        raise ClientError("no tokens yet: run `tipline-token fetch --server URL` first")
    current = int(now // length)
    for item in sorted(held, key=lambda token: token["epoch"]):
        if not item["shown"] and item["epoch"] + 1 <= current <= item["epoch"] + 2:
            item["shown"] = True
            store.save()
            return str(item["token"])
    waiting = [item["epoch"] for item in held if not item["shown"] and item["epoch"] >= current]
    if waiting:
        starts = datetime.datetime.fromtimestamp((min(waiting) + 1) * length, datetime.UTC)
        raise ClientError(f"your newest tokens can be used from {starts:%Y-%m-%d %H:%M} UTC; none can be used yet")
    raise ClientError("no unused token can be used now: fetch again this period, and use them next period")


def describe_status(store: Store) -> str:
    data = store.data
    if not data.get("server"):
        return "No tokens yet: run `tipline-token fetch --server URL`."
    lines = [f"Server {data['server']}, organisation {data['organisation']}."]
    counts = _get(f"{data['server']}/api/v1/insiders/{data['organisation']}/status")
    for epoch in counts["epochs"]:
        lines.append(
            f"Period {epoch['epoch']}: {epoch['members_fetched']} of {counts['members']} members fetched tokens."
        )
    current = next((epoch for epoch in counts["epochs"] if epoch["epoch"] == counts["current_epoch"]), None)
    fetched = current["members_fetched"] if current else 0
    if fetched < ANONYMITY_WARNING_BELOW:
        lines.append(
            f"Warning: only {fetched} members fetched tokens this period. A token hides you among those who "
            f"fetched in its period; below {ANONYMITY_WARNING_BELOW} that crowd is small."
        )
    for item in data.get("tokens", []):
        state = "used" if item["shown"] else "unused"
        lines.append(
            f"Token of period {item['epoch']}: {state}, usable in periods {item['epoch'] + 1} and {item['epoch'] + 2}."
        )
    return "\n".join(lines)


def _request(url: str, body: Json | None, credential: str | None = None) -> Json:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if credential:
        headers["Authorization"] = f"Bearer {credential}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60) as response:
            answer: Json = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as error:
        raise refusal(error.code, error.reason, error.read()) from None
    except urllib.error.URLError as error:
        raise ClientError(f"cannot reach {url}: {error.reason}") from None


def refusal(status: int, reason: str, body: bytes) -> ClientError:
    """The server's refusal as the member reads it: the API's message and code ({"code",
    "message", "field"}, tipline.api.errors), kept as `code` to act on; else the HTTP status."""
    try:
        problem = json.loads(body)
    except json.JSONDecodeError:
        return ClientError(f"the server answered {status} {reason}")
    return ClientError(
        f"{problem.get('message', reason)} ({problem.get('code', status)})", code=str(problem.get("code", ""))
    )


def _get(url: str) -> Json:
    return _request(url, None)


def _post(url: str, body: Json, credential: str | None = None) -> Json:
    return _request(url, body, credential)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _moment(iso: str) -> str:
    return datetime.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M %Z")


if __name__ == "__main__":
    sys.exit(main())
