"""`make test` provisions what the suite needs, or says in one line what is missing."""

import os
import subprocess

import pytest

from tests.system import REPO_ROOT

# Never touches the database under test (clean_environment gives each command SQLite): once is enough.
pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]
SCRIPT = REPO_ROOT / "scripts" / "provision-tests"


def provision(**overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT)], env=os.environ | overrides, capture_output=True, text=True, timeout=120
    )


def test_with_everything_there_it_says_nothing_and_succeeds():
    result = provision()

    assert result.returncode == 0 and result.stderr == ""


def test_a_missing_package_it_may_not_install_is_named_in_one_line():
    result = provision(
        PROVISION_INSTALL="no", PROVISION_CHROMIUM="/nonexistent/chromium", PROVISION_EXIFTOOL="/nonexistent/exiftool"
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "make test: missing chromium libimage-exiftool-perl: apt-get install chromium libimage-exiftool-perl (as "
        "root), then make test again"
    ]


def test_a_postgresql_it_cannot_reach_is_named_in_one_line():
    result = provision(TIPLINE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:1/postgres")

    assert result.returncode == 1
    assert (
        len(result.stderr.splitlines()) == 1
        and "PostgreSQL does not answer at postgres://postgres@127.0.0.1:1/postgres" in result.stderr
    )
