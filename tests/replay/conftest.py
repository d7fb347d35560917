"""Replay fixtures: ONE private chain per test module (``tests.support.live_gateway.running_world``) with activity
in every contract, signed directly with the typed clients (no gateway: the replay needs only the chain).

The activity: admissions (court, mediator, two oracles, a second investor), four system contracts enrolled,
rCNY minted and transferred, an evidence root anchored, a case batch published and a case claimed, an oracle
report accepted, an auction lot listed, approved and a deposit locked, a fractions asset issued and subscribed
(its token is created by the factory: the replay must follow it), a dispute opened and claimed by a mediator.

``RpcProxy`` is a JSON-RPC proxy in front of the chain that can rewrite the node's answers (reorder or drop logs,
or anything else a test needs), to show what the replay makes of a node that lies.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from chain.compiler import CompileResult
from chain.contracts.asset_fractions import Terms
from chain.contracts.asset_fractions import asset_ref as fractions_ref
from chain.contracts.case_delegation import CaseBatchTree, CaseTerms, derive_case_id
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import Listing, asset_ref
from chain.eip712 import sign_report
from tests.conftest import account
from tests.support.live_gateway import World, anchored_root, running_world
from tests.support.oracle_reports import valuation_report

DAY = 86_400
CASH = 50_000_000  # fen minted to each of the investors


@dataclass
class Activity:
    """What the module's chain holds beyond the members: the ids the tests may look at."""

    batch_id: int
    case_id: bytes
    lot_id: int
    asset: str
    dispute_id: int


def drive(w: World) -> Activity:
    """Activity in every contract (see the module docstring); returns the ids it made."""
    r = w.recourse
    for name, roles in (
        ("court", (Role.COURT,)),
        ("mediator", (Role.MEDIATOR,)),
        ("oracle", (Role.ORACLE,)),
        ("oracle-2", (Role.ORACLE,)),
        ("investor-2", (Role.INVESTOR,)),
    ):
        w.admit(name, *roles, kyc_tier=2)
    for contract in (r.cases, r.disputes, r.auctions, r.fractions):
        w.allow_system_contract(contract.address)
    w.fund(("investor", "investor-2"), CASH)
    w.transfer("investor", "investor-2", 12_345)

    # a case batch, one case claimed by the collector
    now = w.client.block_timestamp()
    salt = os.urandom(32)
    bank = w.address("bank")
    terms = [
        CaseTerms(
            case_id=derive_case_id(bank, f"LN-{i:05d}", salt),
            debtor_commitment=os.urandom(32),
            principal=100_000 + i,
            overdue_amount=50_000 + i,
            overdue_days=90 + i,
            region=310000,
            fee_bps=1500,
            deadline=now + 30 * DAY,
        )
        for i in range(3)
    ]
    tree = CaseBatchTree(terms)
    r.token.approve(w.sender("bank"), r.cases.address, 100_000)
    batch_id = r.cases.publish_batch(w.sender("bank"), tree, closes_at=now + 30 * DAY, fee_budget=100_000)
    r.cases.claim(w.sender("collector"), batch_id, terms[0], tree.proof(0))

    # a dispute on it, opened by the bank with an anchored root, claimed by the mediator
    root = anchored_root(w)
    dispute_id = r.disputes.open(w.sender("bank"), terms[0].case_id, 10_000, [root])
    r.disputes.send(w.sender("mediator"), r.disputes.claim_request(dispute_id))

    # an oracle report (2 of 2 signatures)
    report = valuation_report("valuation:test", "asset:SH-7", observed_at=w.client.block_timestamp() - 5)
    sigs = [sign_report(account(n), r.oracle_hub.domain(), report) for n in ("oracle", "oracle-2")]
    r.oracle_hub.submit(w.sender("oracle"), report, sigs)

    # an auction lot: appraised and approved by the court, a deposit locked
    lot_asset = asset_ref("SH-0042")
    r.auctions.send(w.sender("court"), r.auctions.enter_appraisal_request(lot_asset, 1_000_000_00, os.urandom(32)))
    docs = os.urandom(32)
    r.evidence.anchor(w.sender("court"), docs, 3)
    listing = Listing(
        asset_ref=lot_asset,
        documents=(docs,),
        appraisal_feed=bytes(32),
        start_price=700_000_00,
        deposit=70_000_00,
        increment=5_000_00,
        announcement=3600,
        bidding_window=DAY,
        payment_window=7 * DAY,
        kyc_tier=2,
    )
    lot_id = r.auctions.list(w.sender("bank"), listing)
    r.auctions.send(w.sender("court"), r.auctions.approve_request(lot_id, w.address("court")))
    w.client.rpc.call("evm_mine", [r.auctions.lot(lot_id).starts_at])
    w.fund(("investor",), 70_000_00)
    r.token.approve(w.sender("investor"), r.auctions.address, 70_000_00)
    r.auctions.lock_deposit(w.sender("investor"), lot_id)

    # a fractions asset issued by the bank and subscribed by the investor
    froot = os.urandom(32)
    r.evidence.anchor(w.sender("bank"), froot, 3)
    fterms = Terms(
        asset_ref=fractions_ref("SH-0099-F"),
        documents_root=froot,
        price=100_00,
        min_subscription=10,
        soft_cap=100,
        hard_cap=300,
        deadline=w.client.block_timestamp() + DAY,
        valuation_feed=b"\x0f" * 32,
        kyc_tier=2,
        regions=(310000,),
    )
    asset = r.fractions.issue(w.sender("bank"), fterms, "SH-0099-F", "F")
    token = r.asset_fractions(asset)
    r.token.approve(w.sender("investor"), asset, 120 * 100_00)
    token.send(w.sender("investor"), token.subscribe_request(120))
    return Activity(batch_id=batch_id, case_id=terms[0].case_id, lot_id=lot_id, asset=asset, dispute_id=dispute_id)


@pytest.fixture(scope="module")
def busy_world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[tuple[World, Activity]]:
    with running_world(tmp_path_factory.mktemp("replay-world"), compiled) as w:
        yield w, drive(w)


# --- a JSON-RPC proxy that can lie ---

Rewrite = Callable[[dict[str, Any], Any], Any]


class ProxyError(Exception):
    """Raised by a rewrite: the proxy answers the call with this JSON-RPC error instead of its result."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class RpcProxy:
    """A thread HTTP server in front of ``upstream``: forwards every JSON-RPC request and passes each reply (one
    per call, batches too) through ``rewrite(request, result)`` before answering (a ``ProxyError`` it raises
    becomes the call's error)."""

    def __init__(self, upstream: str, rewrite: Rewrite) -> None:
        self.upstream = upstream
        self.rewrite = rewrite
        self.calls: list[str] = []
        self.http = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms ACK waits

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                reply = proxy.http.post(proxy.upstream, json=body).json()
                requests = body if isinstance(body, list) else [body]
                replies = reply if isinstance(reply, list) else [reply]
                by_id = {r.get("id"): r for r in replies}
                for req in requests:
                    proxy.calls.append(req["method"])
                    rep = by_id.get(req.get("id"))
                    if rep is not None and "result" in rep:
                        try:
                            rep["result"] = proxy.rewrite(req, rep["result"])
                        except ProxyError as exc:
                            del rep["result"]
                            rep["error"] = {"code": exc.code, "message": exc.message}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RpcProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.http.close()
