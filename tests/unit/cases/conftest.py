"""Fixtures: a migrated SQLite gateway database and a vault with a random key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from node_api.db.engine import make_engine, migrate
from node_api.services.casework.vault import PiiVault


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'gw.sqlite'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def vault() -> PiiVault:
    return PiiVault(os.urandom(32))
