"""A gateway's transport key pair on disk: ``<data dir>/exchange/transport-<n>.key``, owner-only.

The public half is what the consortium registers in ``GatewayDirectory``; the private half never leaves the
gateway. Keys are numbered so that a rotation keeps the previous one until the directory's switch time
has passed (``keys()`` returns every key held, newest first)."""

from __future__ import annotations

import os
from pathlib import Path

from node_api.exchange.envelope import TransportKey

__all__ = ["TransportKeyStore"]


class TransportKeyStore:
    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "exchange"

    def _paths(self) -> list[Path]:
        found = []
        for p in self.directory.glob("transport-*.key"):
            number = p.stem.removeprefix("transport-")
            if number.isdigit():
                found.append((int(number), p))
        return [p for _, p in sorted(found, reverse=True)]

    def keys(self) -> list[TransportKey]:
        """Every key held, newest first."""
        return [TransportKey.from_bytes(bytes.fromhex(p.read_text().strip())) for p in self._paths()]

    def current(self) -> TransportKey:
        """The newest key, created (owner-only file) when there is none."""
        held = self.keys()
        return held[0] if held else self.add()

    def add(self) -> TransportKey:
        """A new key, newer than every key held (the next one of a rotation)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        paths = self._paths()
        number = int(paths[0].stem.removeprefix("transport-")) + 1 if paths else 1
        key = TransportKey.generate()
        path = self.directory / f"transport-{number}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.private_bytes().hex())
        return key
