"""A real gateway on a real anvil with a published batch: ``collector`` holds case 0, ``collector-2`` holds
case 1, case 2 is still in the pool; the debtors of all three are in the gateway's PII vault."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from chain.client import ChainClient
from chain.config import ChainSettings
from chain.contracts.case_delegation import CaseBatchTree, CaseTerms, derive_case_id
from chain.contracts.consortium import Role
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.app import create_app
from node_api.db.models import Operation
from node_api.deps import get_casework
from node_api.services.case_import import DebtorRecord, debtor_commitment, new_salt
from node_api.services.casework.contacts import CaseworkRuntime
from node_api.services.casework.vault import PiiVault
from node_api.settings import ApiSettings, DbSettings, GatewaySettings, IndexerSettings
from tests.cases.conftest import engine, vault  # noqa: F401 - a migrated SQLite database, a fresh vault
from tests.cases.factory import resident_id
from tests.conftest import account, fresh_pg_database
from tests.gateway.conftest import INSTITUTION_ROLES, PEPPER, Gateway, admit, chain_snapshot, gw_chain  # noqa: F401

PUDONG = 310115
DEBTORS = (
    DebtorRecord(name="陈美玲", id_number=resident_id(11), phone="+8613812340011", address="上海市浦东新区世纪大道1号"),
    DebtorRecord(
        name="Grace Wong", id_number=resident_id(12), phone="+12125550112", address="5 Mott St, New York",
        timezone="America/New_York",
    ),
    DebtorRecord(name="刘强", id_number=resident_id(13), phone="+8613812340013", address="上海市黄浦区"),
)  # fmt: skip


class FakeClock:
    """``ClockPort`` that says what the test sets."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at


def casework_of(gw: Gateway) -> CaseworkRuntime:
    """The case-work services the gateway's lifespan built."""
    casework = gw.state.services.casework
    assert isinstance(casework, CaseworkRuntime)
    return casework


def vault_of(gw: Gateway) -> PiiVault:
    return casework_of(gw).vault


def stop_clock(gw: Gateway, at: dt.datetime) -> FakeClock:
    """Serve the case-work routes with a clock stopped at ``at`` (the gateway's own services otherwise)."""
    clock = FakeClock(at)
    stopped = replace(casework_of(gw), clock=clock)
    app = gw.http.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[get_casework] = lambda: stopped
    return clock


@dataclass
class CaseworkWorld:
    gw: Gateway
    case_ids: list[str]
    terms: list[CaseTerms]

    def case(self, i: int) -> str:
        return self.case_ids[i]

    def headers(self, who: str, key: str | None = None, scopes: list[str] | None = None) -> dict[str, str]:
        h = self.gw.key(who, scopes)
        if key is not None:
            h["Idempotency-Key"] = key
        return h

    def set_clock(self, at: dt.datetime) -> FakeClock:
        """Stop the gateway's case-work clock at ``at`` (live contacts are checked at that time)."""
        return stop_clock(self.gw, at)

    def wait_operation(self, operation_id: str, timeout: float = 30.0) -> Operation:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with Session(self.gw.state.engine) as s:
                op = s.get(Operation, operation_id)
                if op is not None and op.status in ("succeeded", "failed"):
                    return op
            time.sleep(0.1)
        raise AssertionError(f"operation {operation_id} did not finish")


def _setup_chain(node: AnvilNode, deployments: Path, data_dir: Path) -> list[CaseTerms]:
    client = ChainClient(ChainSettings(rpc_url=node.url, port=node.port), data_dir=data_dir)
    try:
        recourse = Recourse.load(client, deployments)
        admit(recourse, client, "collector-2", (Role.COLLECTOR,))
        g1, g2 = client.sender(account("governor-1")), client.sender(account("governor-2"))
        pid = recourse.consortium.propose_system_contract(g1, recourse.cases.address, enabled=True)
        recourse.consortium.approve(g2, pid)
        recourse.consortium.execute(g2, pid)
        bank = account("bank").address
        salt = os.urandom(32)
        deadline = client.block_timestamp() + 30 * 86_400
        terms = [
            CaseTerms(
                case_id=derive_case_id(bank, f"CW-{i}", salt),
                debtor_commitment=debtor_commitment(d, new_salt()),
                principal=1_000_000 + i,
                overdue_amount=200_000,
                overdue_days=120,
                region=PUDONG,
                fee_bps=1500,
                deadline=deadline,
            )
            for i, d in enumerate(DEBTORS)
        ]
        tree = CaseBatchTree(terms)
        recourse.token.approve(client.sender(account("bank")), recourse.cases.address, 1_000_000)
        batch_id = recourse.cases.publish_batch(
            client.sender(account("bank")), tree, closes_at=deadline, fee_budget=1_000_000
        )
        recourse.cases.claim(client.sender(account("collector")), batch_id, terms[0], tree.proof(0))
        recourse.cases.claim(client.sender(account("collector-2")), batch_id, terms[1], tree.proof(1))
        return terms
    finally:
        client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def casework(
    request: pytest.FixtureRequest,
    gw_chain: tuple[AnvilNode, Path],  # noqa: F811
    chain_snapshot: Callable[[], ChainClient],  # noqa: F811
    tmp_path: Path,
) -> Iterator[CaseworkWorld]:
    node, deployments = gw_chain
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'gw.sqlite'}"
    else:
        db_url = fresh_pg_database(request.getfixturevalue("pg_server"))
    terms = _setup_chain(node, deployments, tmp_path / "setup")
    settings = GatewaySettings(
        data_dir=tmp_path / "gw",
        chain=ChainSettings(rpc_url=node.url, port=node.port, deployments_file=deployments),
        db=DbSettings(url=db_url),
        api=ApiSettings(confirm_timeout=20, background="thread"),
        indexer=IndexerSettings(poll_interval=0.05),
        institutions=[*INSTITUTION_ROLES, "collector-2"],
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings)) as client:
        gw = Gateway(client)
        vault = vault_of(gw)
        with Session(gw.state.engine) as s:
            vault.put_many(s, [(t.case_id, new_salt(), d) for t, d in zip(terms, DEBTORS, strict=True)])
            s.commit()
        yield CaseworkWorld(gw=gw, case_ids=["0x" + t.case_id.hex() for t in terms], terms=terms)


def yesterday(zone: str, hh: int, mm: int) -> str:
    """ISO time of ``hh:mm`` yesterday in ``zone`` (in the past, within the back-dating window)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    day = dt.datetime.now(tz).date() - dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz).isoformat()
