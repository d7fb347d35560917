"""Indexer, event-decoding and event-stream fixtures on top of :mod:`tests.support.live_gateway`: a private
anvil per module (or per test, for reorgs), real gateways served by uvicorn in a thread on SQLite databases
of their own, the webhook receiver, and the index's tables."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel

from chain.compiler import CompileResult
from node_api.db import models
from tests.support.live_gateway import (
    Gateway,
    World,
    close_world,
    gateway_settings,
    make_world,
    receiver,  # noqa: F401 - a fixture
    serve,
)

EVENTS = SQLModel.metadata.tables[str(models.ChainEvent.__tablename__)]
MEMBER_ROWS = SQLModel.metadata.tables[str(models.MemberRow.__tablename__)]
BALANCES = SQLModel.metadata.tables[str(models.BalanceRow.__tablename__)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    """Shared by the tests of a module: they only add events (each gateway indexes from scratch)."""
    w = make_world(tmp_path_factory.mktemp("world"), compiled)
    yield w
    close_world(w)


@pytest.fixture
def fresh_world(tmp_path: Path, compiled: CompileResult) -> Iterator[World]:
    """A chain of this test's own (reorgs, outages, exact projections)."""
    w = make_world(tmp_path / "world", compiled)
    yield w
    close_world(w)


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Callable[..., contextlib.AbstractContextManager[Gateway]]:
    """``with gateway_factory(world) as gw``: a gateway on its own SQLite database under tmp_path."""
    counter = iter(range(1000))

    def make(
        world: World, *, data_dir: Path | None = None, db_url: str | None = None, **extra: Any
    ) -> contextlib.AbstractContextManager[Gateway]:
        d = data_dir or tmp_path / f"gw-{next(counter)}"
        return serve(gateway_settings(world, d, db_url, **extra))

    return make
