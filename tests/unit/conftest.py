"""Unit-test fixtures: throw-away project roots that compile with the real solc-js toolchain."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from chain.config import PROJECT_ROOT

ProjectFactory = Callable[[dict[str, str]], Path]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Build a project root under ``tmp_path`` with the real brownie-config.yaml and the given sources.

    ``node_modules`` and ``chain`` are symlinked from the repository so ``solc_binary`` finds npm solc
    and the solc-js wrapper (``chain/_solcjs/solc``) without any download.
    """

    def make(sources: dict[str, str]) -> Path:
        root = tmp_path / "project"
        root.mkdir()
        shutil.copy(PROJECT_ROOT / "brownie-config.yaml", root / "brownie-config.yaml")
        (root / "node_modules").symlink_to(PROJECT_ROOT / "node_modules")
        (root / "chain").symlink_to(PROJECT_ROOT / "chain")
        for rel, text in sources.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return make
