"""tipline-token's defences against its own server: pinned keys and challenges, key ids that
must be the keys' hashes, and a token file no one else may read."""

import copy
import os

import pytest
from django.test import Client

from tipline import token_client
from tipline.token_client import ClientError, Store


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
    swapped["keys"][0]["key_id"] = token_client.token_key_id(other).hex()
    with pytest.raises(ClientError, match="another key for period"):
        token_client._pin_keys(data, swapped)


def test_a_key_id_that_is_not_the_keys_hash_or_a_personal_challenge_is_refused(directory):
    lying = copy.deepcopy(directory)
    lying["keys"][1]["key_id"] = "00" * 32
    with pytest.raises(ClientError, match="not the hash of the key"):
        token_client._pin_keys({"pins": {}}, lying)
    personal = copy.deepcopy(directory)
    personal["keys"][1]["challenge"] = token_client._b64(
        token_client.encode_challenge(directory["issuer_name"], f"police/{directory['keys'][1]['epoch']}", b"\x01" * 32)
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
