"""ONE private chain and ONE real gateway (uvicorn) for the module, with a dispute agreed, confirmed and partly
paid through the gateway (so the index holds members, balances, cases and a dispute with payments), and an
AUDITOR member the gateway hosts (the auditor's key reads the index; it also runs the gateway's replays).

Built with the shared harness (``tests.support.live_gateway``) and the disputes tests' ``Desk``. Tests that tamper
with the gateway's database restore what they changed before they return.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain.compiler import CompileResult
from chain.contracts.consortium import Role
from tests.disputes.conftest import ANCHORER, APPEAL_WINDOW, COLLECTOR_CASH, DAY, HOSTED, OVERDUE, Desk, digest
from tests.support.live_gateway import Client, World, confirming_settings, running_world, serve

#: the institutions the gateway hosts: the disputes tests' and an auditor
GATEWAY_HOSTS = [*HOSTED, "auditor", "investor"]
#: the dispute's first instalment, paid
PAID = 60_000


@pytest.fixture(scope="module")
def audit_world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("audit-world"), compiled) as w:
        w.admit("mediator", Role.MEDIATOR)
        w.admit("court", Role.COURT)
        w.admit("court-2", Role.COURT)
        w.admit("auditor", Role.AUDITOR)
        w.admit(ANCHORER, Role.COLLECTOR)
        for contract in (w.recourse.cases, w.recourse.disputes, w.recourse.auctions):
            w.allow_system_contract(contract.address)
        yield w


@pytest.fixture(scope="module")
def desk(audit_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The gateway, after a dispute was opened, mediated, agreed, confirmed, made final and paid in part."""
    with serve(confirming_settings(audit_world, tmp_path_factory.mktemp("audit-gw"), GATEWAY_HOSTS)) as gw:
        clients = {name: Client(gw, name) for name in GATEWAY_HOSTS}
        mint = {"to": audit_world.address("collector"), "amount_fen": COLLECTOR_CASH, "reference": "audit"}
        clients["bank"].ok("/tokens/mints", mint)
        d = Desk(audit_world, gw, clients)
        _, did = d.mediating()
        now = d.now()
        d["mediator"].ok(
            f"/disputes/{did}/agreement",
            {
                "terms_digest": digest(),
                "commitment_digest": digest(),
                "plan_digest": digest(),
                "relief_fen": 0,
                "grace_seconds": DAY,
                "schedule": [
                    {"amount_fen": PAID, "due_at": now + 30 * DAY},
                    {"amount_fen": OVERDUE - PAID, "due_at": now + 60 * DAY},
                ],
            },
        )
        d["court"].ok(f"/disputes/{did}/ruling", {"ruling": "confirmed", "document_digest": digest()})
        d.pass_time(APPEAL_WINDOW + 1)
        d["bank"].ok(f"/disputes/{did}/finalization")
        d["collector"].ok(f"/disputes/{did}/payments", {"amount_fen": PAID})
        d.indexed()
        yield d
