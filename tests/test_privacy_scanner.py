"""The privacy scan itself: it must find a marker wherever one was left."""

import logging
import tempfile

import pytest

from tipline.core.models import Channel
from tipline.testing import environment
from tipline.testing.privacy import PrivacyScanner

MARKER = "scanner-self-test-marker-5521"


def scanner() -> PrivacyScanner:
    return PrivacyScanner(directories=[environment.DATA_DIR, environment.TEMP_DIR], markers={MARKER})


@pytest.mark.django_db
def test_scan_finds_a_marker_in_a_database_row():
    Channel.objects.create(slug="scan", name=MARKER)

    assert [finding.place for finding in scanner().scan()] == ["table core_channel"]


@pytest.mark.django_db
def test_scan_finds_a_marker_in_a_temp_file_and_in_the_data_dir():
    with tempfile.NamedTemporaryFile(delete=True) as temp_file, open(environment.DATA_DIR / "stray.bin", "wb") as stray:
        temp_file.write(MARKER.encode())
        temp_file.flush()
        stray.write(b"prefix" + MARKER.encode())
        stray.flush()
        places = {finding.place for finding in scanner().scan()}
    (environment.DATA_DIR / "stray.bin").unlink()

    assert places == {temp_file.name, str(environment.DATA_DIR / "stray.bin")}


@pytest.mark.django_db
def test_scan_finds_a_marker_in_captured_logs(caplog):
    logging.getLogger("tipline.test").warning("leaking %s", MARKER)
    subject = scanner()
    subject.add_log(caplog.text)

    with pytest.raises(AssertionError, match=MARKER):
        subject.assert_clean()
