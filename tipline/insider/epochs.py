"""Periods (epochs): numbered from the Unix epoch in whole periods of the organisation's
length, so anyone can compute them. Tokens issued in period E are accepted in E+1 and E+2
only, which keeps fetching and sending apart in time."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

ACCEPTED_AFTER = (1, 2)


@dataclass(frozen=True)
class Epoch:
    number: int
    seconds: int

    @property
    def starts(self) -> datetime:
        return datetime.fromtimestamp(self.number * self.seconds, UTC)

    @property
    def ends(self) -> datetime:
        return datetime.fromtimestamp((self.number + 1) * self.seconds, UTC)

    @property
    def redeem_from(self) -> datetime:
        return Epoch(self.number + ACCEPTED_AFTER[0], self.seconds).starts

    @property
    def redeem_until(self) -> datetime:
        return Epoch(self.number + ACCEPTED_AFTER[1], self.seconds).ends


def current(seconds: int, now: datetime | None = None) -> Epoch:
    moment = now or timezone.now()
    return Epoch(int(moment.timestamp() // seconds), seconds)
