"""Over Tor the tip line cannot tell clients apart, so Tor's proof-of-work defence is what
makes a flooding client pay: the documented torrc turns it on (and Tor accepts it), and
`tipline check` names an onion service that lacks it."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tipline.operations.deployment import find_problems

pytestmark = pytest.mark.django_db
REPO_ROOT = Path(__file__).resolve().parent.parent
ONION = "tipline2tipline2tipline2tipline2tipline2tipline2tipline2aa.onion"
POW_OFF = "proof-of-work defence is off"


def documented_torrc(service_directory: Path) -> str:
    text = (REPO_ROOT / "docs" / "deployment.md").read_text()
    block = re.search(r"cat >> /etc/tor/torrc <<'EOF'\n(.*?)\nEOF\n", text, re.S).group(1)
    return block.replace("/var/lib/tor/tipline/", f"{service_directory}/")


def problems_for(torrc: Path, settings) -> list[str]:
    settings.ONION_ADDRESS, settings.TORRC = ONION, torrc
    return [problem for problem in find_problems() if "torrc" in problem.lower() or "onion service" in problem]


@pytest.fixture
def service_directory(tmp_path) -> Path:
    directory = tmp_path / "tor" / "tipline"
    directory.mkdir(parents=True, mode=0o700)
    (tmp_path / "tor").chmod(0o700)
    return directory


@pytest.mark.skipif(shutil.which("tor") is None, reason="tor is not installed")
def test_tor_accepts_the_documented_torrc_with_its_proof_of_work_defence(tmp_path, service_directory):
    torrc = tmp_path / "torrc"
    torrc.write_text(f"DataDirectory {tmp_path / 'tor'}\nSocksPort 0\n" + documented_torrc(service_directory))
    modules = subprocess.run(["tor", "--list-modules"], capture_output=True, text=True).stdout

    verified = subprocess.run(["tor", "--verify-config", "-f", str(torrc)], capture_output=True, text=True, timeout=60)

    assert "pow: yes" in modules
    assert verified.returncode == 0 and "Configuration was valid" in verified.stdout, verified.stdout


def test_the_documented_torrc_passes_the_check_and_fails_it_without_its_defence(tmp_path, service_directory, settings):
    documented, stripped = tmp_path / "torrc", tmp_path / "torrc-without-pow"
    documented.write_text(documented_torrc(service_directory))
    stripped.write_text(documented_torrc(service_directory).replace("HiddenServicePoWDefensesEnabled 1", ""))

    assert problems_for(documented, settings) == []
    assert POW_OFF in problems_for(stripped, settings)[0]


def test_an_onion_service_without_proof_of_work_is_named(tmp_path, settings):
    torrc = tmp_path / "torrc"
    torrc.write_text(
        "HiddenServiceDir /var/lib/tor/other/\nHiddenServicePort 80 127.0.0.1:9000\nHiddenServicePoWDefensesEnabled 1\n"
        "HiddenServiceDir /var/lib/tor/tipline/\nHiddenServicePort 80 127.0.0.1:8000\n"
        "# HiddenServicePoWDefensesEnabled 1   (a comment turns nothing on)\n"
    )

    problems = problems_for(torrc, settings)

    assert len(problems) == 1 and POW_OFF in problems[0]
    assert "/var/lib/tor/tipline/" in problems[0] and "/var/lib/tor/other/" not in problems[0]


def test_the_defence_turned_on_in_an_included_file_counts(tmp_path, settings):
    (tmp_path / "torrc.d").mkdir()
    (tmp_path / "torrc.d" / "tipline.conf").write_text(
        "HiddenServiceDir /var/lib/tor/tipline/\nHiddenServicePort 80 127.0.0.1:8000\n"
        "hiddenservicepowdefensesenabled 1\n"
    )
    torrc = tmp_path / "torrc"
    torrc.write_text(f"SocksPort 0\n%include {tmp_path / 'torrc.d'}\n")

    assert problems_for(torrc, settings) == []


def test_a_torrc_that_cannot_be_read_or_defines_no_onion_service_is_said(tmp_path, settings):
    empty = tmp_path / "torrc"
    empty.write_text("SocksPort 9050\n")

    assert "cannot be read" in problems_for(tmp_path / "missing", settings)[0]
    assert "defines no onion service" in problems_for(empty, settings)[0]


def test_without_an_onion_address_the_torrc_is_not_read(tmp_path, settings):
    settings.ONION_ADDRESS, settings.TORRC = "", tmp_path / "missing"

    assert not [problem for problem in find_problems() if "Tor" in problem]
