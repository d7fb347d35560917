"""Money columns keep every fen: values beyond 2**53 (where floats lose digits) round-trip exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from node_api.db.engine import make_engine, migrate
from node_api.db.models import BalanceRow

BIG = 2**200 + 12_345  # far beyond float precision


@pytest.mark.parametrize("amount", [0, 2**53 + 1, BIG, 2**256 - 1])
def test_balance_round_trips_exactly_on_sqlite(tmp_path: Path, amount: int) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'money.sqlite'}")
    migrate(engine)
    with Session(engine) as s:
        s.add(BalanceRow(address="0x" + "ab" * 20, amount=amount, updated_key="k"))
        s.commit()
    with Session(engine) as s:
        row = s.get(BalanceRow, "0x" + "ab" * 20)
        assert row is not None
        assert row.amount == amount
        assert isinstance(row.amount, int)
    engine.dispose()
