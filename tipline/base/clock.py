"""The clock every rule with a time window reads: the rate limits' windows and hourly keys,
the shared cache's expiry, the receipt shown again. One seam, so that a test moves time
forward (tipline.testing.clock) instead of sleeping on the real one.

Nothing here can be set from outside the process: in production it is the system's own
clock. Call it through the module (`clock.time()`), so that the seam is the one place a
test replaces."""

import time as _system_time


def time() -> float:
    """Seconds since the Unix epoch, as time.time()."""
    return _system_time.time()
