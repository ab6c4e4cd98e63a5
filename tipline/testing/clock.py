"""A clock a test moves forward by hand instead of sleeping: the `clock` fixture puts it in
place of tipline.base.clock for the test's own process, never for a server it starts (nor for
Redis, which expires its entries on its own clock)."""

import time

import pytest

from tipline.base import clock as seam


class MovedClock:
    """Starts at the real time and moves only when told, and only forward."""

    def __init__(self) -> None:
        self._time = time.time()

    def time(self) -> float:
        return self._time

    def advance(self, seconds: float) -> None:
        """As if `seconds` had passed."""
        if seconds < 0:
            raise ValueError("A clock moved by hand still goes forward only.")
        self._time += seconds

    def advance_to(self, timestamp: float) -> None:
        """To a later moment (seconds since the Unix epoch)."""
        self.advance(timestamp - self._time)


def install(monkeypatch: pytest.MonkeyPatch) -> MovedClock:
    """Replace tipline.base.clock's time with a MovedClock's until the test ends (monkeypatch undoes it)."""
    moved = MovedClock()
    monkeypatch.setattr(seam, "time", moved.time)
    return moved
