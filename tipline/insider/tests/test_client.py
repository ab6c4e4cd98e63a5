"""tipline-token's defences against its own server: pinned keys and challenges, key ids that
must be the keys' hashes, and a token file no one else may read; the server's refusals told
apart by their code, not their text; and the client as one file that needs nothing else."""

import copy
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tipline.members import cli as token_client
from tipline.members.cli import ClientError, Store
from tipline.members.protocol import encode_challenge, token_key_id


@pytest.fixture
def directory(organisation) -> dict:
    return Client().get(f"/api/v1/insiders/{organisation.slug}/keys").json()


def test_keys_seen_once_are_pinned_and_a_swapped_key_or_challenge_is_refused(directory):
    data = {"pins": {}}
    token_client._pin_keys(data, directory)
    token_client._pin_keys(data, directory)  # the same list again is fine
    assert len(data["pins"]) == 3

    from tipline.crypto import blind_signing

    swapped = copy.deepcopy(directory)
    other = blind_signing.generate_key_pair().public_spki
    swapped["keys"][0]["public_key"] = token_client._b64(other)
    swapped["keys"][0]["key_id"] = token_key_id(other).hex()
    with pytest.raises(ClientError, match="another key for period"):
        token_client._pin_keys(data, swapped)


def test_a_key_id_that_is_not_the_keys_hash_or_a_personal_challenge_is_refused(directory):
    lying = copy.deepcopy(directory)
    lying["keys"][1]["key_id"] = "00" * 32
    with pytest.raises(ClientError, match="not the hash of the key"):
        token_client._pin_keys({"pins": {}}, lying)
    personal = copy.deepcopy(directory)
    personal["keys"][1]["challenge"] = token_client._b64(
        encode_challenge(directory["issuer_name"], f"police/{directory['keys'][1]['epoch']}", b"\x01" * 32)
    )
    with pytest.raises(ClientError, match="not the fixed public one"):
        token_client._pin_keys({"pins": {}}, personal)


def test_the_token_file_is_written_0600_and_refused_when_others_can_read_it(tmp_path):
    store = Store(tmp_path / "tokens.json", {"pins": {}, "tokens": []})
    store.save()
    assert os.stat(store.path).st_mode & 0o777 == 0o600
    os.chmod(store.path, 0o644)
    with pytest.raises(ClientError, match="can be read by others"):
        Store.load(store.path)


@pytest.fixture
def api(monkeypatch):
    """tipline-token's requests answered by this process's API, refusals read as from HTTP;
    `api.refuse_next_batch` makes the next token request answer with that code instead."""
    client, refused = Client(), []

    def request(url: str, body: dict | None, credential: str | None = None) -> dict:
        path = urlsplit(url).path
        headers = {"HTTP_AUTHORIZATION": f"Bearer {credential}"} if credential else {}
        if path.endswith("/tokens") and refused:
            code, message = refused.pop(0)
            raise token_client.refusal(
                409, "Conflict", json.dumps({"code": code, "message": message, "field": "requests"}).encode()
            )
        if body is None:
            response = client.get(path, **headers)
        else:
            response = client.post(path, body, content_type="application/json", **headers)
        if response.status_code >= 400:
            raise token_client.refusal(response.status_code, response.reason_phrase, response.content)
        return response.json()

    monkeypatch.setattr(token_client, "_request", request)
    request.refuse_next_batch = lambda code, message: refused.append((code, message))
    return request


def new_member_code(organisation) -> str:
    from tipline.insider import members

    return members.add_members(organisation, ["officer 2002"])[0].code


def test_a_refusal_keeps_the_servers_code_apart_from_its_message():
    refused = token_client.refusal(409, "Conflict", b'{"code": "all_fetched", "message": "You fetched them already."}')
    assert refused.code == "all_fetched" and str(refused) == "You fetched them already. (all_fetched)"
    garbled = token_client.refusal(502, "Bad Gateway", b"<html>proxy error</html>")
    assert garbled.code == "" and str(garbled) == "the server answered 502 Bad Gateway"


def test_a_new_period_while_fetching_is_fetched_again_under_the_new_key(api, organisation, tmp_path):
    store = Store.load(tmp_path / "tokens.json")
    api.refuse_next_batch("epoch_changed", "The period changed; fetch again.")
    said = token_client.fetch_tokens(store, "http://tips.example", organisation.slug, new_member_code(organisation))
    assert said.startswith(f"Fetched {organisation.tokens_per_epoch} tokens for period ")
    assert len(Store.load(store.path).data["tokens"]) == organisation.tokens_per_epoch


def test_a_period_that_changes_twice_while_fetching_is_refused(api, organisation, tmp_path):
    store = Store.load(tmp_path / "tokens.json")
    api.refuse_next_batch("epoch_changed", "The period changed; fetch again.")
    api.refuse_next_batch("epoch_changed", "The period changed; fetch again.")
    with pytest.raises(ClientError, match="the period changed twice while fetching"):
        token_client.fetch_tokens(store, "http://tips.example", organisation.slug, new_member_code(organisation))


def test_a_refusal_that_only_mentions_epoch_changed_in_its_text_is_not_fetched_again(api, organisation, tmp_path):
    store = Store.load(tmp_path / "tokens.json")
    api.refuse_next_batch("paused", "Paused: not an epoch_changed, whatever the text says.")
    with pytest.raises(ClientError) as refused:
        token_client.fetch_tokens(store, "http://tips.example", organisation.slug, new_member_code(organisation))
    assert refused.value.code == "paused" and Store.load(store.path).data["tokens"] == []


def test_the_client_runs_alone_from_one_file_with_only_the_standard_library(tmp_path):
    """tipline-token.pyz on a member's device: isolated mode, and no Tipline or Django to import."""
    from tipline.members.standalone import build

    archive = build(tmp_path / "tipline-token.pyz")
    alone = (
        "import atexit, runpy, sys; sys.modules['django'] = None; sys.argv = sys.argv[1:]; "
        "atexit.register(lambda: print('ran from', sys.modules['tipline.members.cli'].__file__, file=sys.stderr)); "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TIPLINE_", "DJANGO_", "PYTHON"))
    }
    store = tmp_path / "tokens.json"
    shown = subprocess.run(
        [sys.executable, "-I", "-c", alone, str(archive), "--store", str(store), "show"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert (
        shown.returncode == 1
        and "tipline-token: no tokens yet: run `tipline-token fetch --server URL` first" in shown.stderr
    )
    assert f"ran from {archive}" in shown.stderr  # the archive's copy, not the installed package
    status = subprocess.run(
        [sys.executable, "-I", str(archive), "--store", str(store), "status"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert status.returncode == 0 and status.stdout == "No tokens yet: run `tipline-token fetch --server URL`.\n"
