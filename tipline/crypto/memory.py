"""What Tipline does about secrets in memory: it keeps them out of core dumps.

Python cannot wipe a secret from memory: PyNaCl takes and returns immutable `bytes`, which the
interpreter may copy, and Tipline holds no key in a buffer of its own that it could overwrite.
What it can do is make sure that what a process holds (opened private keys, a tip on its way
into the encryption) never reaches the disk through a crash dump: the server's and the worker's
processes call `keep_out_of_core_dumps()` before they open anything. Swap is the host's to
disable or encrypt (docs/deployment.md).
"""

import ctypes
import resource
import sys

_PR_SET_DUMPABLE = 4  # linux/prctl.h


def keep_out_of_core_dumps() -> None:
    """No core file, for this process and the ones it starts (a hard limit of 0, which they
    cannot raise), and on Linux no dump and no ptrace or /proc/PID/mem reading by other
    processes of the same user without CAP_SYS_PTRACE."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
