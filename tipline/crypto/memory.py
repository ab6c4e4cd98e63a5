"""Best-effort wiping of secrets after use.

Honest limit: Python cannot guarantee that a secret leaves memory. `bytes` objects
(which PyNaCl returns) are immutable and may be copied by the interpreter; only
buffers we own as `bytearray` can be overwritten. Tipline keeps opened keys in
bytearrays where it can and wipes them when done; this narrows, not closes, the
window for a memory dump. Swap should be disabled or encrypted on the host.
"""

import ctypes


def wipe(buffer: bytearray | None) -> None:
    """Overwrite a bytearray with zeros in place (its length is kept)."""
    if buffer is None or len(buffer) == 0:
        return
    ctypes.memset((ctypes.c_char * len(buffer)).from_buffer(buffer), 0, len(buffer))
