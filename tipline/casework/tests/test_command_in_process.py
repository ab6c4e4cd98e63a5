"""`tipline` called inside a process where Django already runs (the tests do; so would a
script) leaves that process's logging alone: a second django.setup() would point its console
handler at whatever sys.stderr is at that moment, which may be closed soon after."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_running_the_command_in_process_keeps_the_logging_handlers_it_found(capsys):
    from tipline.cli import main

    handlers_before = list(logging.getLogger().handlers)

    assert main(["jobs", "status"]) == 0

    assert logging.getLogger().handlers == handlers_before
    assert "Workers running" in capsys.readouterr().out
