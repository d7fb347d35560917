"""The interpreter's recursion limit, kept at CPython's default in every Recourse process.

``py_ecc`` (imported by ``eth_keys``, so by every Ethereum library) calls
``sys.setrecursionlimit(100000)`` at import. With that limit, a deeply nested input (a JSON body of
100,000 ``[``) overflows the C stack and kills the process with a segfault instead of raising
``RecursionError``. Importing ``py_ecc`` here first and restoring the limit right after makes the
import a no-op for everyone else: the module is imported once per process, so its side effect never
runs again.
"""

from __future__ import annotations

import sys

__all__ = ["SAFE_RECURSION_LIMIT", "pin_recursion_limit"]

#: CPython's default; deep enough for every library the processes use, shallow enough for an 8 MiB
#: C stack (the main thread's and, on Linux, every thread's default)
SAFE_RECURSION_LIMIT = 1000


def pin_recursion_limit() -> int:
    """Import ``py_ecc`` (once) and bring the recursion limit back to :data:`SAFE_RECURSION_LIMIT` if it
    is higher; return the limit that was in force before (so callers can log a raise they undid)."""
    import py_ecc  # noqa: F401 - imported for its side effect, which is undone below

    before = sys.getrecursionlimit()
    if before > SAFE_RECURSION_LIMIT:
        sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    return before
