"""Shared benchmark helpers: machine facts, a private anvil, result tables.

Every benchmark prints the exact command that produced its figures, the machine it ran on, and a
table of baseline, ours and the ratio. Rates are compared as ``ours / baseline`` (above 1.0 means we
are faster); durations as ``baseline / ours`` (a speed-up, above 1.0 means we are faster).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chain.config import DEV_CHAIN_ID, PROJECT_ROOT
from chain.node import AnvilNode, anvil_binary

__all__ = [
    "Machine",
    "Row",
    "command_line",
    "free_port",
    "load_note",
    "machine",
    "median",
    "print_header",
    "print_table",
    "private_anvil",
]


@dataclass(frozen=True)
class Machine:
    nproc: int
    cpu: str
    python: str
    anvil: str
    os: str
    date: str


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _anvil_version() -> str:
    try:
        out = subprocess.run(
            [str(anvil_binary()), "--version"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown ({exc.__class__.__name__})"
    first = out.strip().splitlines()[0] if out.strip() else "unknown"
    commit = next((ln.split(":", 1)[1].strip()[:10] for ln in out.splitlines() if ln.startswith("Commit")), "")
    return f"{first.removeprefix('anvil Version: ')}" + (f" ({commit})" if commit else "")


def machine() -> Machine:
    return Machine(
        nproc=os.cpu_count() or 0,
        cpu=_cpu_model(),
        python=platform.python_version(),
        anvil=_anvil_version(),
        os=f"{platform.system()} {platform.release()}",
        date=dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def command_line(module: str) -> str:
    """The command that reproduces this run, relative to the project root."""
    python = Path(sys.executable)
    try:
        shown = python.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        shown = str(python)
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f"{shown} -m {module}" + (f" {args}" if args else "")


def print_header(title: str, module: str) -> Machine:
    m = machine()
    print(f"== {title} ==")
    print(f"command : {command_line(module)}   (cwd {PROJECT_ROOT})")
    print(f"machine : {m.nproc} cores ({m.cpu}), {m.os}, Python {m.python}, anvil {m.anvil}")
    print(f"date    : {m.date}; {load_note()}")
    return m


def load_note() -> str:
    """The 1/5/15-minute load averages: other processes on a 2-core machine skew absolute rates."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples))


@dataclass(frozen=True)
class Row:
    """One line of a result table; ``ratio`` is already oriented so that above 1.0 favours ours."""

    metric: str
    baseline: str
    ours: str
    ratio: float
    note: str = ""


def print_table(rows: Sequence[Row], *, baseline_label: str, ours_label: str, ratio_label: str) -> None:
    headers = ("metric", baseline_label, ours_label, ratio_label, "note")
    cells = [(r.metric, r.baseline, r.ours, f"{r.ratio:.2f}x", r.note) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip())
    print("-" * len(line.rstrip()))
    for c in cells:
        cols = (v.ljust(w) if i in (0, 4) else v.rjust(w) for i, (v, w) in enumerate(zip(c, widths, strict=True)))
        print("  ".join(cols).rstrip())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def private_anvil() -> Iterator[AnvilNode]:
    """An anvil of our own: fresh temporary data dir, free port, hardfork cancun; stopped by ``down()``."""
    with tempfile.TemporaryDirectory(prefix="recourse-bench-") as tmp:
        node = AnvilNode(data_dir=Path(tmp), port=free_port(), chain_id=DEV_CHAIN_ID, hardfork="cancun")
        node.up()
        try:
            yield node
        finally:
            node.down()
