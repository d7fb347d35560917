"""Case-delegation fixtures on top of tests/conftest.py and tests/chain/conftest.py: the bank, two
collectors and a regulator admitted, CaseDelegation registered as a system contract (so it can hold rCNY),
and helpers that build batches of case terms. For the tests without a chain (case files, publication,
matching): a migrated SQLite gateway database and a vault with a random key."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from chain.client import ChainClient
from chain.contracts.case_delegation import CaseBatchTree, CaseTerms, derive_case_id
from chain.contracts.consortium import Role
from chain.network import Recourse
from node_api.db.engine import make_engine, migrate
from node_api.services.casework.vault import PiiVault
from tests.chain.conftest import INITIAL_BANK_CASH, Admit, SignerFactory, admit, members, signer  # noqa: F401
from tests.conftest import account

SHANGHAI = 310000
PUDONG = 310115
FEE_BPS = 1500


def register_system_contract(recourse: Recourse, sign: SignerFactory, address: str) -> None:
    pid = recourse.consortium.propose_system_contract(sign("governor-1"), address, enabled=True)
    recourse.consortium.approve(sign("governor-2"), pid)
    recourse.consortium.execute(sign("governor-1"), pid)


@dataclass
class CaseWorld:
    recourse: Recourse
    client: ChainClient
    signer: SignerFactory
    admit: Admit

    def now(self) -> int:
        return self.client.block_timestamp()

    def terms(
        self, n: int, *, deadline: int | None = None, overdue: int = 50_000, region: int = PUDONG
    ) -> list[CaseTerms]:
        salt = os.urandom(32)
        bank = account("bank").address
        end = deadline if deadline is not None else self.now() + 30 * 86400
        return [
            CaseTerms(
                case_id=derive_case_id(bank, f"LN-{i:05d}", salt),
                debtor_commitment=os.urandom(32),
                principal=100_000 + i,
                overdue_amount=overdue + i,
                overdue_days=90 + i,
                region=region,
                fee_bps=FEE_BPS,
                deadline=end,
            )
            for i in range(n)
        ]

    def publish(self, terms: list[CaseTerms], *, budget: int = 100_000) -> tuple[int, CaseBatchTree]:
        tree = CaseBatchTree(terms)
        cases = self.recourse.cases
        self.recourse.token.approve(self.signer("bank"), cases.address, budget)
        closes_at = max(t.deadline for t in terms)
        batch_id = cases.publish_batch(self.signer("bank"), tree, closes_at=closes_at, fee_budget=budget)
        return batch_id, tree

    def advance(self, seconds: int) -> None:
        self.client.rpc.call("evm_increaseTime", [seconds])
        self.client.rpc.call("evm_mine")


@pytest.fixture
def world(members: Recourse, client: ChainClient, signer: SignerFactory, admit: Admit) -> CaseWorld:  # noqa: F811
    admit("collector", [Role.COLLECTOR])
    admit("collector-2", [Role.COLLECTOR])
    register_system_contract(members, signer, members.cases.address)
    return CaseWorld(members, client, signer, admit)


WorldFactory = Callable[[], CaseWorld]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'gw.sqlite'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def vault() -> PiiVault:
    return PiiVault(os.urandom(32))
