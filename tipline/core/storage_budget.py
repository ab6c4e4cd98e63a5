"""A channel's storage budget: how many bytes of tipsters' files it stores in one hour
(TIPLINE_CHANNEL_FILE_MIB_PER_HOUR), so that one client's valid tips cannot use up the disk
floor every tipster's files need. Reaching it refuses files (507, the text kept) until the
hour ends, and tells the admins once an hour."""

from dataclasses import dataclass

from django.conf import settings

from tipline.core import events, throttle

EVENT = "storage-budget-reached"


@dataclass
class StorageBudgetSpent(Exception):
    retry_after_seconds: int


def spend(channel, uploads) -> None:
    """Count the uploads' bytes against the channel's hour; raise StorageBudgetSpent (and
    count nothing) when they do not fit."""
    amount = sum(upload.size for upload in uploads)
    if not amount:
        return
    try:
        throttle.spend_against(f"storage:channel:{channel.pk}", amount, settings.CHANNEL_FILE_BYTES_PER_HOUR, 3600)
    except throttle.Throttled as spent:
        _tell_admins(channel)
        raise StorageBudgetSpent(spent.retry_after_seconds) from None


def _tell_admins(channel) -> None:
    # Once per budget window (the clock hour), as a tipster caused it.
    events.announce_once_this_hour(channel, EVENT)
