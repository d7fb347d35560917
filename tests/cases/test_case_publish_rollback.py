"""Publishing a batch stays all or nothing although its rows reach the database in chunks.

``publish_batch`` inserts the vault rows and then the case rows ``INSERT_CHUNK`` (2,000) at a time inside one
transaction. Here the database refuses a late row (a SQLite trigger aborts the insert once the table already
holds 4,500 rows, i.e. in the third chunk, after two chunks were inserted): the request fails and nothing of
the batch is stored (no vault row, case, batch or operation). Without the trigger the same file imports
completely, with the same root as the tree of its cases rebuilt from the database.
"""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from chain.client import TxRequest
from chain.network import Recourse
from node_api.db.cases_models import CaseBatch, CaseEntry
from node_api.db.casework_models import VaultRecord
from node_api.db.models import Operation
from node_api.institutions import Institution
from node_api.problems import InvalidInputError
from node_api.services import cases as svc
from node_api.services.casework.vault import INSERT_CHUNK, PiiVault
from tests.cases.factory import csv_chunks
from tests.conftest import account

ROWS = 5_000
FAIL_AT = 4_500  # the third chunk: two chunks of this table are already inserted when it fails
CONTRACT = "0x" + "11" * 20
TOKEN = "0x" + "22" * 20


class FakeContract:
    """Just what ``publish_batch`` asks of ``recourse.cases`` / ``recourse.token``: an address and requests."""

    address = CONTRACT

    def request(self, fn: str, *args: Any) -> TxRequest:
        return TxRequest(TOKEN, repr((fn, args)).encode(), label=fn)

    def publish_batch_request(self, root: bytes, *args: Any) -> TxRequest:
        return TxRequest(CONTRACT, root + repr(args).encode(), label="publishBatch")


class FakeRecourse:
    cases = FakeContract()
    token = FakeContract()


def _publish(engine: Engine, vault: PiiVault, key: str) -> svc.PublishResult:
    with Session(engine) as s:
        return svc.publish_batch(
            session=s,
            recourse=cast(Recourse, FakeRecourse()),
            vault=vault,
            institution=Institution("bank", account("bank")),
            key=key,
            data=b"".join(csv_chunks(ROWS)),
            fmt="csv",
            fee_budget_fen=1_000_000,
            now=int(time.time()),
            max_rows=100_000,
        )


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("table", ["vault_records", "case_entries"])
def test_publish_batch_rolls_back_every_chunk_when_a_late_row_fails(engine: Engine, vault: PiiVault, table: str):
    assert ROWS > FAIL_AT > 2 * INSERT_CHUNK  # the refused row comes after two whole chunks were inserted
    # the table name comes from the parametrisation above, not from any input
    refuse = f"CREATE TRIGGER refuse_late BEFORE INSERT ON {table} WHEN (SELECT count(*) FROM {table}) >= {FAIL_AT} "  # noqa: S608
    with engine.begin() as conn:
        conn.execute(text(refuse + "BEGIN SELECT RAISE(ABORT, 'late row refused'); END"))
    with pytest.raises(InvalidInputError, match="late row refused"):
        _publish(engine, vault, "late-failure")
    for model in (VaultRecord, CaseEntry, CaseBatch, Operation):
        assert _count(engine, model) == 0, model.__name__

    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_late"))
    result = _publish(engine, vault, "late-failure")
    assert result.created
    assert (_count(engine, VaultRecord), _count(engine, CaseEntry), _count(engine, Operation)) == (ROWS, ROWS, 2)
    with Session(engine) as s:
        batch = s.exec(select(CaseBatch)).one()
        svc._TREES.pop(batch.id, None)  # rebuild from the stored cases, not the tree cached at publication
        assert svc.batch_tree(s, batch).root.hex() == batch.root[2:]
        assert len(s.exec(select(CaseEntry.case_ref).distinct()).all()) == ROWS
