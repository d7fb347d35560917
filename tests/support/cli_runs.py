"""The ``recourse`` console script as a child process against a gateway, and what a test asserts of its
output: success (the output on one line) or a refusal (exit 1, one ``error:`` line on stderr, no traceback)."""

from __future__ import annotations

import os
import subprocess

from tests.support.serve_process import RECOURSE

__all__ = ["ok", "recourse_cli", "refused"]


def recourse_cli(gateway: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``recourse *args`` with ``gateway`` and ``key`` in its environment (and wide tables)."""
    env = {**os.environ, "RECOURSE_GATEWAY_URL": gateway, "RECOURSE_API_KEY": key, "COLUMNS": "1000"}
    return subprocess.run([str(RECOURSE), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return " ".join(proc.stdout.split())


def refused(proc: subprocess.CompletedProcess[str]) -> str:
    """A refusal: exit 1, one line on stderr starting ``error:``, no traceback."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]
