"""Dispute fixtures: ONE private chain and ONE real gateway (uvicorn) per test module, built with the shared
harness (``tests.support.live_gateway``).

The chain has a bank, a collector, a mediator, two courts (``court`` and ``court-2``, for appeals) and
``collector-2``, a member the gateway does not host: the tests sign with it alone (evidence roots), never with a
key the gateway hosts. ``CaseDelegation`` (batch fee budgets), ``DisputeDesk`` (instalments) and
``JudicialAuction`` are system contracts. Everything the hosted institutions do goes through the gateway: the
bank publishes a batch and mints rCNY to the collector, the collector claims a case, and so on.

The gateway's writers own their nonces, so the chain is never reverted under it (an ``evm_revert`` would
rewind nonces the writers already used): each test makes its own cases and disputes, and moves block time only
forward (``evm_increaseTime``, ``evm_mine``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from chain.compiler import CompileResult
from chain.contracts.consortium import Role
from scripts.case_samples import case_csv
from tests.support.live_gateway import Client, Gateway, World, confirming_settings, running_world, serve

#: institutions the gateway hosts (their keys are the gateway's alone)
HOSTED = ["bank", "collector", "mediator", "court", "court-2"]
#: a member the gateway does not host: the tests' own signer (it anchors evidence roots)
ANCHORER = "collector-2"
DAY = 86_400
APPEAL_WINDOW = 15 * DAY
#: rCNY the bank mints to the collector, who pays instalments
COLLECTOR_CASH = 10_000_000
#: the overdue amount of the first case of every sample batch
OVERDUE = 100_000


def digest() -> str:
    return "0x" + os.urandom(32).hex()


@dataclass
class Desk:
    """The chain (reads and time only, plus the non-hosted anchorer), the gateway and a client per hosted
    institution."""

    world: World
    gw: Gateway
    clients: dict[str, Client]

    def __getitem__(self, name: str) -> Client:
        return self.clients[name]

    def address(self, name: str) -> str:
        return self.world.address(name)

    def now(self) -> int:
        return self.world.client.block_timestamp()

    def mine_at(self, timestamp: int) -> None:
        """Mine the next block at ``timestamp`` (later blocks follow it)."""
        self.world.client.rpc.call("evm_mine", [timestamp])

    def pass_time(self, seconds: int) -> None:
        self.world.client.rpc.call("evm_increaseTime", [seconds])
        self.world.client.rpc.call("evm_mine", [])

    def indexed(self) -> None:
        self.gw.wait_indexed(self.world.client)

    def anchored_root(self) -> str:
        root = os.urandom(32)
        self.world.recourse.evidence.anchor(self.world.sender(ANCHORER), root, 1)
        return "0x" + root.hex()

    def claimed_case(self) -> str:
        """A case of a fresh batch the bank publishes (through the gateway) and the collector claims."""
        data, _ = case_csv(2, deadline=self.now() + 365 * DAY)
        bank = self["bank"]
        r = httpx.post(
            f"{self.gw.url}/cases/batches?confirm=true",
            headers={**bank.headers, "Idempotency-Key": str(uuid.uuid4())},
            files={"file": ("cases.csv", data, "text/csv")},
            data={"fee_budget_fen": "1000"},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        assert [op["status"] for op in r.json()["operations"]][-1] == "succeeded", r.text
        self.indexed()
        cases = bank.get("/cases", batch=r.json()["batch"]["id"])["data"]
        case = next(c for c in cases if c["overdue_fen"] == OVERDUE)
        self["collector"].ok(f"/cases/{case['case_id']}/claim")
        return str(case["case_id"])

    def opened(self, *, claim: int = OVERDUE, collateral: list[str] | None = None) -> tuple[str, int]:
        """``(case id, dispute id)`` of a dispute the bank opens on a fresh claimed case."""
        case_id = self.claimed_case()
        body = {
            "case_id": case_id,
            "claim_amount_fen": claim,
            "evidence_roots": [self.anchored_root()],
            "collateral": collateral or [],
        }
        self["bank"].ok("/disputes", body)
        self.indexed()
        found = self["bank"].get("/disputes", case_id=case_id)["data"]
        assert len(found) == 1, found
        return case_id, int(found[0]["dispute_id"])

    def mediating(self, **kwargs: Any) -> tuple[str, int]:
        """A dispute the mediator has claimed."""
        case_id, did = self.opened(**kwargs)
        self["mediator"].ok(f"/disputes/{did}/claim")
        return case_id, did

    def dispute(self, did: int) -> dict[str, Any]:
        self.indexed()
        return self["bank"].get(f"/disputes/{did}")


@pytest.fixture(scope="module")
def dispute_world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("dispute-world"), compiled) as w:
        w.admit("mediator", Role.MEDIATOR)
        w.admit("court", Role.COURT)
        w.admit("court-2", Role.COURT)
        w.admit(ANCHORER, Role.COLLECTOR)
        for contract in (w.recourse.cases, w.recourse.disputes, w.recourse.auctions):
            w.allow_system_contract(contract.address)
        yield w


@pytest.fixture(scope="module")
def desk(dispute_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    with serve(confirming_settings(dispute_world, tmp_path_factory.mktemp("dispute-gw"), HOSTED)) as gw:
        clients = {name: Client(gw, name) for name in HOSTED}
        mint = {"to": dispute_world.address("collector"), "amount_fen": COLLECTOR_CASH, "reference": "disputes"}
        clients["bank"].ok("/tokens/mints", mint)
        yield Desk(dispute_world, gw, clients)
