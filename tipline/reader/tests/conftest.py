import pytest

from tipline.accounts.tokens import create_token
from tipline.core.channel_schema import import_channel, parse_document
from tipline.reader import cli
from tipline.testing.staff import make_staff

VAULT_CHANNEL = (
    "slug: vault\nname: Vault\noffline_key: true\nfields:\n"
    "  - {key: tip, kind: long_text, label: Your tip, required: true}\n"
    "  - {key: files, kind: file, label: Files}\n"
)
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def vault_desk(transactional_db, monkeypatch):
    """An offline-key channel with two recipients, Ana and Ben, each with a personal token."""
    import_channel(parse_document(VAULT_CHANNEL))
    people = {name: make_staff(name, ["vault"]) for name in ("ana", "ben")}
    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TIPLINE_INSECURE_FAST_KDF", "1")
    tokens = {
        name: create_token(person.user, person.private_key, "reader", 30).secret_string
        for name, person in people.items()
    }
    return people, tokens


def run_reader(profile, *arguments, token: str | None = None, monkeypatch=None, capsys=None) -> str:
    """tipline-reader in this process; returns what it printed, and fails on a non-zero exit."""
    if token is not None:
        monkeypatch.setenv("TIPLINE_READER_TOKEN", token)
    status = cli.main(["--profile", str(profile), *arguments])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out
