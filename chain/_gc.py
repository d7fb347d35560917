"""``gc_paused``: one process-wide pause of Python's cyclic garbage collector for bulk event work.

A page of 20,000 logs allocates about half a million short-lived, acyclic objects (JSON dicts, rows, events)
while the state being built keeps growing: the collector would run hundreds of times a page and traverse the
whole state on each full pass (a third or more of the CPU of the gateway's indexer and of the auditor's replay).
One instance for the process, re-entrant across threads (an indexer's fetch thread and writer overlap, and a
gateway may run a replay beside its indexer): collection resumes when the last pause ends, and never if it was
off before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


class _GcPause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


gc_paused = _GcPause()
