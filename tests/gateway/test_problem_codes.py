"""Every problem code in the gateway's catalogue (each ``CoreError`` subclass with a code of its own) is
produced by a real request to a real gateway on a real anvil, with the status the catalogue gives it.

``PRODUCERS`` holds one request per code. The test is parametrised over the catalogue, not over
``PRODUCERS``, so a code added to the catalogue without a request that produces it fails here by name.
Analytics refusals (``ANA-00x``) carry the analytics layer's own codes per instance and are covered by
the analytics tests; ``ANA-404`` (no model installed) is a class of its own and is here.

Each entry gets a fresh gateway (SQLite, writers in a thread) whose JSON-RPC goes through a small TCP
relay, so that "the chain is unreachable" is a real outage: the relay is closed, the node keeps running.
"""

from __future__ import annotations

import datetime as dt
import os
import selectors
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from chain.client import ChainClient
from chain.config import ChainSettings
from chain.contracts.asset_fractions import Terms
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import Listing, asset_ref
from chain.eip712 import Report, ReportSignature, sign_report
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.app import create_app
from node_api.db.casework_models import VaultRecord
from node_api.problems import CoreError
from node_api.routes.audit import audit_runner
from node_api.services.casework.settings import CaseworkSettings
from node_api.settings import ApiSettings, DbSettings, EvidenceSettings, GatewaySettings, IndexerSettings
from oracles.gateway import report_json
from scripts.case_samples import case_csv
from tests.conftest import account, admit, free_port
from tests.gateway.conftest import INSTITUTION_ROLES, PEPPER, Gateway
from tests.support.oracle_reports import valuation_report
from tests.unit.test_problem_catalogue import CLASSES

pytestmark = pytest.mark.chain

PROBLEM = "application/problem+json"
FEED = "valuation:problem-codes"
MAX_UPLOAD = 4096
MAX_ROWS = 10

#: every code the catalogue defines per class (``CoreError`` itself and per-instance codes excluded)
CATALOGUE = sorted({c.code for c in CLASSES if isinstance(c.__dict__.get("code"), str) and c.code != CoreError.code})


class RpcRelay:
    """A TCP relay from a local port to the node; :meth:`close` cuts every connection (a chain outage)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="rpc-relay", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in sel.select():
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
            a.close()
            b.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            socks, self._socks = self._socks, []
        self.listener.close()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@dataclass
class World:
    gw: Gateway
    recourse: Recourse  # set-up and signing only (the probe client, not the gateway's)
    relay: RpcRelay

    @property
    def http(self) -> TestClient:
        return self.gw.http

    def h(self, who: str, key: str | None = None, scopes: list[str] | None = None) -> dict[str, str]:
        headers = self.gw.key(who, scopes)
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def now(self) -> int:
        return self.recourse.client.block_timestamp()

    def publish(self, n: int = 3, budget: int = 100_000) -> tuple[dict[str, Any], list[str]]:
        """Publish ``n`` cases through the gateway and wait; returns the response body and the case ids."""
        data, _ = case_csv(n, deadline=self.now() + 30 * 86_400)
        r = self.http.post(
            "/cases/batches",
            params={"confirm": "true"},
            headers=self.h("bank", _key()),
            files={"file": ("cases.csv", data, "text/csv")},
            data={"fee_budget_fen": str(budget)},
        )
        assert r.status_code == 200, r.text
        batch = r.json()["batch"]["id"]
        cases = self.http.get("/cases", headers=self.h("bank"), params={"batch": batch}).json()["data"]
        return r.json(), [c["case_id"] for c in cases]

    def claimed(self, collector: str = "collector") -> list[str]:
        """A fresh batch whose first case ``collector`` holds."""
        _, ids = self.publish()
        r = self.http.post(f"/cases/{ids[0]}/claim", params={"confirm": "true"}, headers=self.h(collector, _key()))
        assert r.json()["status"] == "succeeded", r.text
        return ids

    def report(self, subject: str, observed_at: int | None = None) -> Report:
        at = observed_at if observed_at is not None else self.now() - 5
        return valuation_report(FEED, subject, observed_at=at)

    def sign(self, who: str, report: Report) -> ReportSignature:
        return sign_report(account(who), self.recourse.oracle_hub.domain(), report)


def _key() -> str:
    return uuid.uuid4().hex


def _sig(sig: ReportSignature) -> dict[str, str]:
    return {"signer": sig.signer, "r": "0x" + sig.r.hex(), "vs": "0x" + sig.vs.hex()}


def _yesterday(hh: int, mm: int, zone: str = "Asia/Shanghai") -> str:
    tz = ZoneInfo(zone)
    day = dt.datetime.now(tz).date() - dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz).isoformat()


def _transfer(to: str = "collector", amount: int = 5) -> dict[str, Any]:
    return {"to": account(to).address, "amount_fen": amount}


# --- one request per code ---


def _auth_001(w: World) -> httpx.Response:
    return w.http.get("/me")


def _auth_002(w: World) -> httpx.Response:
    return w.http.post("/tokens/transfers", json=_transfer(), headers=w.h("bank", _key(), scopes=["members:read"]))


def _auth_003(w: World) -> httpx.Response:
    body = {**_transfer("bank"), "reference": "not a settlement bank"}
    return w.http.post("/tokens/mints", json=body, headers=w.h("collector", _key()))


def _auth_004(w: World) -> httpx.Response:
    bank, collector = w.h("bank"), w.h("collector")
    headers = {"Authorization": bank["Authorization"], "X-API-Key": collector["Authorization"].removeprefix("Bearer ")}
    return w.http.get("/me", headers=headers)


def _ops_400(w: World) -> httpx.Response:
    return w.http.post("/tokens/transfers", json=_transfer(), headers=w.h("bank"))


def _ops_409(w: World) -> httpx.Response:
    headers = w.h("bank", "same-key")
    assert w.http.post("/tokens/transfers", json=_transfer(amount=5), headers=headers).status_code == 202
    return w.http.post("/tokens/transfers", json=_transfer(amount=6), headers=headers)


def _gen_404(w: World) -> httpx.Response:
    return w.http.get(f"/operations/{uuid.uuid4()}", headers=w.h("bank"))


def _gen_422(w: World) -> httpx.Response:
    return w.http.post("/tokens/transfers", json={"to": "nobody", "amount_fen": 5}, headers=w.h("bank", _key()))


def _gen_503(w: World) -> httpx.Response:
    w.relay.close()
    return w.http.get("/readyz")


def _chn_503(w: World) -> httpx.Response:
    headers = w.h("bank")
    w.relay.close()
    return w.http.get(f"/tokens/balances/0x{os.urandom(20).hex()}", headers=headers)


def _ana_404(w: World) -> httpx.Response:
    doc = w.http.get("/openapi.json").json()
    example = doc["paths"]["/valuations"]["post"]["requestBody"]["content"]["application/json"]["example"]
    return w.http.post("/valuations", json=example, headers=w.h("bank"))


def _cas_401(w: World) -> httpx.Response:
    _, ids = w.publish()
    offer = {"collector": account("collector-2").address, "window_seconds": 3600}
    r = w.http.post(f"/cases/{ids[0]}/offer", params={"confirm": "true"}, json=offer, headers=w.h("bank", _key()))
    assert r.json()["status"] == "succeeded", r.text
    return w.http.post(f"/cases/{ids[0]}/decline", headers=w.h("collector", _key()))


def _cas_403(w: World) -> httpx.Response:
    _, ids = w.publish()
    offer = {"collector": account("investor").address, "window_seconds": 3600}
    return w.http.post(f"/cases/{ids[0]}/offer", json=offer, headers=w.h("bank", _key()))


def _cas_404(w: World) -> httpx.Response:
    return w.http.post(f"/cases/0x{'ab' * 32}/claim", headers=w.h("collector", _key()))


def _cas_409(w: World) -> httpx.Response:
    ids = w.claimed("collector")
    return w.http.post(f"/cases/{ids[0]}/claim", headers=w.h("collector-2", _key()))


def _cas_410(w: World) -> httpx.Response:
    _, ids = w.publish()
    r = w.http.post(f"/cases/{ids[0]}/recall", params={"confirm": "true"}, headers=w.h("bank", _key()))
    assert r.json()["status"] == "succeeded", r.text
    return w.http.post(f"/cases/{ids[0]}/claim", headers=w.h("collector", _key()))


def _cas_412(w: World) -> httpx.Response:
    _, ids = w.publish()
    return w.http.post(f"/cases/{ids[0]}/recoveries/confirm", json={"close_case": False}, headers=w.h("bank", _key()))


def _cas_425(w: World) -> httpx.Response:
    balance = w.recourse.token.balance_of(account("bank").address)
    body, ids = w.publish(budget=balance + 1)  # publishBatch cannot pull the budget: the publication fails
    assert [op["status"] for op in body["operations"]] == ["succeeded", "failed"], body
    return w.http.post(f"/cases/{ids[0]}/claim", headers=w.h("collector", _key()))


def _cim_413(w: World) -> httpx.Response:
    data, _ = case_csv(MAX_ROWS + 1, deadline=w.now() + 86_400)
    return w.http.post(
        "/cases/batches",
        headers=w.h("bank", _key()),
        files={"file": ("cases.csv", data, "text/csv")},
        data={"fee_budget_fen": "1000"},
    )


def _cim_422(w: World) -> httpx.Response:
    data, _ = case_csv(2, deadline=w.now() + 86_400)
    return w.http.post(
        "/cases/batches",
        headers=w.h("bank", _key()),
        files={"file": ("cases.csv", data.replace(b"1500,", b"abc,", 1), "text/csv")},
        data={"fee_budget_fen": "1000"},
    )


def _contact(w: World, who: str, case_id: str, attempted_at: str) -> httpx.Response:
    body = {"channel": "phone", "attempted_at": attempted_at}
    return w.http.post(f"/cases/{case_id}/contacts", json=body, headers=w.h(who, _key()))


def _cnd_001(w: World) -> httpx.Response:
    return _contact(w, "collector", w.claimed()[0], _yesterday(3, 0))  # 03:00 in the debtor's zone


def _cwk_403(w: World) -> httpx.Response:
    return w.http.get(f"/cases/{w.claimed()[0]}/debtor", headers=w.h("collector-2"))


def _cwk_422(w: World) -> httpx.Response:
    return _contact(w, "collector", w.claimed()[0], "2099-01-01T10:00:00+08:00")


def _vlt_404(w: World) -> httpx.Response:
    case_id = w.claimed()[0]
    with Session(w.gw.state.engine) as s:  # the vault lost this debtor's record
        s.delete(s.get(VaultRecord, case_id))
        s.commit()
    return w.http.get(f"/cases/{case_id}/debtor", headers=w.h("collector"))


def _vlt_500(w: World) -> httpx.Response:
    ids = w.claimed()
    with Session(w.gw.state.engine) as s:  # another case's ciphertext moved into this case's row
        mine, other = s.get(VaultRecord, ids[0]), s.get(VaultRecord, ids[1])
        assert mine is not None
        assert other is not None
        mine.nonce, mine.ciphertext = other.nonce, other.ciphertext
        s.add(mine)
        s.commit()
    return w.http.get(f"/cases/{ids[0]}/debtor", headers=w.h("collector"))


def _upload(w: World, data: bytes) -> httpx.Response:
    headers = {**w.h("bank", _key()), "Content-Type": "application/pdf"}
    return w.http.post("/evidence", content=data, headers=headers)


def _digest(w: World) -> str:
    r = w.http.post(
        "/evidence/digests", json={"items": [{"digest": "0x" + os.urandom(32).hex()}]}, headers=w.h("bank", _key())
    )
    assert r.status_code == 202, r.text
    return str(r.json()["evidence"][0]["id"])


def _evd_403(w: World) -> httpx.Response:
    r = _upload(w, b"the loan contract")
    assert r.status_code == 202, r.text
    return w.http.get(f"/evidence/{r.json()['evidence'][0]['id']}/content", headers=w.h("investor"))


def _evd_404(w: World) -> httpx.Response:
    return w.http.get(f"/evidence/{_digest(w)}/content", headers=w.h("bank"))


def _evd_409(w: World) -> httpx.Response:
    return w.http.get(f"/evidence/{_digest(w)}/receipt", headers=w.h("bank"))  # batches wait an hour here


def _evd_413(w: World) -> httpx.Response:
    return _upload(w, b"\0" * (MAX_UPLOAD + 1))


def _evd_422(w: World) -> httpx.Response:
    digests = ["0x" + os.urandom(32).hex() for _ in range(1001)]
    return w.http.post("/evidence/verify", json={"digests": digests}, headers=w.h("court"))


def _evd_502(w: World) -> httpx.Response:
    return _upload(w, b"a document for an IPFS node that is down")


def _signature_body(w: World, report: Report, sig: ReportSignature) -> dict[str, Any]:
    return {"round": 1, "report": report_json(report), "signature": _sig(sig)}


def _orc_001(w: World) -> httpx.Response:
    report = w.report("asset:garbled")
    sig = ReportSignature(account("oracle").address, b"\0" * 32, b"\0" * 32)
    return w.http.post("/oracle/signatures", json=_signature_body(w, report, sig), headers=w.h("oracle"))


def _orc_002(w: World) -> httpx.Response:
    report = w.report("asset:not-an-oracle")
    body = _signature_body(w, report, w.sign("investor", report))
    return w.http.post("/oracle/signatures", json=body, headers=w.h("oracle"))


def _orc_003(w: World) -> httpx.Response:
    report = w.report("asset:stale")
    sigs = [_sig(w.sign(n, report)) for n in ("oracle", "oracle-2")]
    body = {"round": 1, "report": report_json(report), "signatures": sigs}
    r = w.http.post("/oracle/reports", params={"confirm": "true"}, json=body, headers=w.h("oracle", _key()))
    assert r.json()["status"] == "succeeded", r.text
    return w.http.get(f"/oracle/values/{FEED}/asset:stale", params={"max_age": 1}, headers=w.h("oracle"))


def _orc_004(w: World) -> httpx.Response:
    return w.http.get(f"/oracle/values/{FEED}/asset:never-reported", headers=w.h("oracle"))


# --- judicial auctions: a lot set up straight on chain (probe keys), then the refused request through the gateway ---


def _lot(w: World, *, deposit_by: str | None = None) -> int:
    """An approved lot open for bids now (court appraisal, collector-anchored document, bank listing)."""
    r, sign = w.recourse, w.recourse.client.sender
    a = r.auctions
    if not r.consortium.is_system_contract(a.address):
        g1, g2 = sign(account("governor-1")), sign(account("governor-2"))
        pid = r.consortium.propose_system_contract(g1, a.address, enabled=True)
        r.consortium.approve(g2, pid)
        r.consortium.execute(g2, pid)
    asset = asset_ref(f"PC-{_key()}")
    a.send(sign(account("court")), a.enter_appraisal_request(asset, 1_000_000, os.urandom(32)))
    root = os.urandom(32)
    r.evidence.anchor(sign(account("collector")), root, 1)
    listing = Listing(asset, (root,), bytes(32), 700_000, 70_000, 5_000, 0, 86_400, 86_400, 0)
    lot_id = a.list(sign(account("bank")), listing)
    a.send(sign(account("court")), a.approve_request(lot_id, account("court").address))
    if deposit_by is not None:
        bidder = sign(account(deposit_by))
        r.token.mint(sign(account("bank")), account(deposit_by).address, 1_000_000, reference="problem codes")
        r.token.approve(bidder, a.address, 70_000)
        a.lock_deposit(bidder, lot_id)
    return lot_id


def _auc_403(w: World) -> httpx.Response:
    lot_id = _lot(w)  # the investor has not locked the deposit
    return w.http.post(f"/auctions/lots/{lot_id}/bids", json={"amount_fen": 700_000}, headers=w.h("investor", _key()))


def _auc_404(w: World) -> httpx.Response:
    return w.http.post("/auctions/lots/424242/bids", json={"amount_fen": 1}, headers=w.h("investor", _key()))


def _auc_409(w: World) -> httpx.Response:
    lot_id = _lot(w)  # bidding has not ended
    return w.http.post(f"/auctions/lots/{lot_id}/closing", headers=w.h("bank", _key()))


def _auc_412(w: World) -> httpx.Response:
    lot_id = _lot(w, deposit_by="investor")
    return w.http.post(f"/auctions/lots/{lot_id}/bids", json={"amount_fen": 699_999}, headers=w.h("investor", _key()))


def _auc_422(w: World) -> httpx.Response:
    listing = {
        "asset": "PC-unanchored",
        "documents": ["0x" + os.urandom(32).hex()],  # never anchored
        "start_price_fen": 700_000,
        "deposit_fen": 70_000,
        "increment_fen": 5_000,
    }
    return w.http.post("/auctions/lots", json=listing, headers=w.h("bank", _key()))


# --- asset fractions: an asset issued straight on chain (probe keys), then the refused request through the gateway ---


def _fraction_asset(w: World) -> str:
    """An asset token whose offering is open for a day (factory registered, collector-anchored documents)."""
    r, sign = w.recourse, w.recourse.client.sender
    if not r.consortium.is_system_contract(r.fractions.address):
        g1, g2 = sign(account("governor-1")), sign(account("governor-2"))
        pid = r.consortium.propose_system_contract(g1, r.fractions.address, enabled=True)
        r.consortium.approve(g2, pid)
        r.consortium.execute(g2, pid)
    root = os.urandom(32)
    r.evidence.anchor(sign(account("collector")), root, 1)
    reference = f"PC-{_key()}"
    terms = Terms(asset_ref(reference), root, 100, 1, 10, 100, w.now() + 86_400)
    return r.fractions.issue(sign(account("bank")), terms, reference, "PC")


def _frc_403(w: World) -> httpx.Response:
    asset = _fraction_asset(w)  # only a court may freeze
    body = {"account": account("investor").address, "order_digest": "0x" + "0c" * 32}
    return w.http.post(f"/fractions/assets/{asset}/freezes", json=body, headers=w.h("bank", _key()))


def _frc_404(w: World) -> httpx.Response:
    return w.http.post(f"/fractions/assets/0x{'12' * 20}/settlement", headers=w.h("bank", _key()))


def _frc_409(w: World) -> httpx.Response:
    asset = _fraction_asset(w)  # the offering runs until tomorrow
    return w.http.post(f"/fractions/assets/{asset}/settlement", headers=w.h("bank", _key()))


def _frc_422(w: World) -> httpx.Response:
    terms = {
        "asset_ref": "PC-unanchored",
        "documents_root": "0x" + os.urandom(32).hex(),  # never anchored
        "name": "PC",
        "symbol": "PC",
        "price_fen": 100,
        "min_subscription": 1,
        "soft_cap": 10,
        "hard_cap": 100,
        "deadline": dt.datetime.fromtimestamp(w.now() + 86_400, dt.UTC).isoformat(),
    }
    return w.http.post("/fractions/assets", json=terms, headers=w.h("bank", _key()))


# --- disputes: a case published and claimed through the gateway, then the refused dispute request ---


def _dispute_body(case_id: str, claim: int = 1) -> dict[str, Any]:
    return {"case_id": case_id, "claim_amount_fen": claim}


def _dsp_403(w: World) -> httpx.Response:
    case_id = w.claimed()[0]  # the investor is neither the case's bank nor its collector
    return w.http.post("/disputes", json=_dispute_body(case_id), headers=w.h("investor", _key()))


def _dsp_404(w: World) -> httpx.Response:
    return w.http.post("/disputes/424242/claim", headers=w.h("mediator", _key()))


def _dsp_409(w: World) -> httpx.Response:
    case_id = w.claimed()[0]
    r = w.http.post("/disputes", params={"confirm": "true"}, json=_dispute_body(case_id), headers=w.h("bank", _key()))
    assert r.json()["status"] == "succeeded", r.text
    return w.http.post("/disputes", json=_dispute_body(case_id), headers=w.h("bank", _key()))  # already open


def _dsp_422(w: World) -> httpx.Response:
    case_id = w.claimed()[0]  # a claim far above what is overdue on the case
    return w.http.post("/disputes", json=_dispute_body(case_id, 10**15), headers=w.h("bank", _key()))


# --- the auditor's replay: reports for auditors and regulators, one replay at a time ---


def _aud_403(w: World) -> httpx.Response:
    return w.http.get("/audit/report", headers=w.h("investor"))  # neither AUDITOR nor REGULATOR


def _aud_404(w: World) -> httpx.Response:
    return w.http.get("/audit/report", headers=w.h("auditor"))  # no replay has run on this gateway


def _aud_409(w: World) -> httpx.Response:
    release = threading.Event()

    def held(**_kwargs: Any) -> Any:  # a replay that runs until the second request has been answered
        release.wait(30)
        raise RuntimeError("released by the test")

    audit_runner(w.gw.state).replay = held
    try:
        first = w.http.post("/audit/replays", headers=w.h("auditor"))
        assert first.status_code == 202, first.text
        return w.http.post("/audit/replays", headers=w.h("regulator"))
    finally:
        release.set()


# --- the web console: every form carries a token bound to this browser (and its session) ---


def _con_403(w: World) -> httpx.Response:
    # a script (it asks for JSON) posting a console form without its token; a browser gets the same as a page
    return w.http.post(
        "/console/login", data={"api_key": "not-even-checked"}, headers={"Accept": "application/problem+json"}
    )


#: code → (expected status, the request that produces it)
PRODUCERS: dict[str, tuple[int, Callable[[World], httpx.Response]]] = {
    "ANA-404": (404, _ana_404),
    "AUC-403": (403, _auc_403),
    "AUC-404": (404, _auc_404),
    "AUC-409": (409, _auc_409),
    "AUC-412": (409, _auc_412),
    "AUC-422": (422, _auc_422),
    "AUD-403": (403, _aud_403),
    "AUD-404": (404, _aud_404),
    "AUD-409": (409, _aud_409),
    "AUTH-001": (401, _auth_001),
    "AUTH-002": (403, _auth_002),
    "AUTH-003": (403, _auth_003),
    "AUTH-004": (400, _auth_004),
    "CAS-401": (403, _cas_401),
    "CAS-403": (403, _cas_403),
    "CAS-404": (404, _cas_404),
    "CAS-409": (409, _cas_409),
    "CAS-410": (409, _cas_410),
    "CAS-412": (409, _cas_412),
    "CAS-425": (409, _cas_425),
    "CHN-503": (503, _chn_503),
    "CON-403": (403, _con_403),
    "CIM-413": (413, _cim_413),
    "CIM-422": (422, _cim_422),
    "CND-001": (422, _cnd_001),
    "CWK-403": (403, _cwk_403),
    "CWK-422": (422, _cwk_422),
    "DSP-403": (403, _dsp_403),
    "DSP-404": (404, _dsp_404),
    "DSP-409": (409, _dsp_409),
    "DSP-422": (422, _dsp_422),
    "EVD-403": (403, _evd_403),
    "EVD-404": (404, _evd_404),
    "EVD-409": (409, _evd_409),
    "EVD-413": (413, _evd_413),
    "EVD-422": (422, _evd_422),
    "EVD-502": (502, _evd_502),
    "FRC-403": (403, _frc_403),
    "FRC-404": (404, _frc_404),
    "FRC-409": (409, _frc_409),
    "FRC-422": (422, _frc_422),
    "GEN-404": (404, _gen_404),
    "GEN-422": (422, _gen_422),
    "GEN-503": (503, _gen_503),
    "OPS-400": (400, _ops_400),
    "OPS-409": (409, _ops_409),
    "ORC-001": (422, _orc_001),
    "ORC-002": (403, _orc_002),
    "ORC-003": (409, _orc_003),
    "ORC-004": (404, _orc_004),
    "VLT-404": (404, _vlt_404),
    "VLT-500": (500, _vlt_500),
}


def _evidence_settings(code: str) -> EvidenceSettings:
    if code == "EVD-502":  # an IPFS store whose node is down
        return EvidenceSettings(store="ipfs", ipfs_url=f"http://127.0.0.1:{free_port()}", ipfs_timeout=2)
    return EvidenceSettings(batch_seconds=3600, max_upload_bytes=MAX_UPLOAD)


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    gw_chain: tuple[AnvilNode, Path],
    chain_snapshot: Callable[[], ChainClient],
    tmp_path: Path,
) -> Iterator[World]:
    node, deployments = gw_chain
    probe = chain_snapshot()
    recourse = Recourse.load(probe, deployments)
    admit(recourse, probe, "collector-2", (Role.COLLECTOR,))
    admit(recourse, probe, "oracle-2", (Role.ORACLE,))
    g1, g2 = probe.sender(account("governor-1")), probe.sender(account("governor-2"))
    pid = recourse.consortium.propose_system_contract(g1, recourse.cases.address, enabled=True)
    recourse.consortium.approve(g2, pid)
    recourse.consortium.execute(g2, pid)
    relay = RpcRelay(("127.0.0.1", node.port))
    settings = GatewaySettings(
        data_dir=tmp_path / "gw",
        chain=ChainSettings(rpc_url=relay.url, port=node.port, deployments_file=deployments),
        db=DbSettings(url=f"sqlite:///{tmp_path / 'gateway.sqlite'}"),
        api=ApiSettings(confirm_timeout=20, background="thread"),
        indexer=IndexerSettings(poll_interval=0.05),
        evidence=_evidence_settings(request.node.callspec.params["code"]),
        casework=CaseworkSettings(max_batch_rows=MAX_ROWS),
        institutions=[*INSTITUTION_ROLES, "collector-2"],
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
    )
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield World(Gateway(client), recourse, relay)
    finally:
        relay.close()


@pytest.mark.parametrize("code", CATALOGUE)
def test_every_problem_code_is_produced_by_a_request(world: World, code: str) -> None:
    if code not in PRODUCERS:
        pytest.fail(f"no request in PRODUCERS produces {code}: add one when adding a problem code")
    status, produce = PRODUCERS[code]

    response = produce(world)

    assert response.headers["content-type"].startswith(PROBLEM), response.text
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.json()["status"] == status


def test_every_producer_belongs_to_a_code_of_the_catalogue() -> None:
    assert set(PRODUCERS) <= set(CATALOGUE), sorted(set(PRODUCERS) - set(CATALOGUE))


@pytest.mark.parametrize("code", ["FRC-422"])
@pytest.mark.parametrize("field", ["from", "to"])
def test_a_forced_transfer_from_or_to_the_zero_address_is_frc_422(world: World, code: str, field: str) -> None:
    """``AssetFractions`` refuses it with ``ERC20InvalidSender``/``ERC20InvalidReceiver``: a 422 on the field,
    not a 500."""
    asset = _fraction_asset(world)
    body = {"from": account("investor").address, "to": account("bank").address, "shares": 1}
    body[field] = "0x" + "00" * 20

    r = world.http.post(
        f"/fractions/assets/{asset}/forced-transfers",
        json=body | {"order_digest": "0x" + "0f" * 32},
        headers=world.h("court", _key()),
    )

    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, code, field), r.text
