"""Screenshots of the web console for the README: ``python -m scripts.console_screenshots [--out docs/console]``.

Everything runs privately and is stopped at the end: an anvil in a temporary directory (free port), a fresh
deployment with a bank, a court, a collector and an auditor admitted, a gateway on a free 127.0.0.1 port, a
few real operations and evidence documents, and one replay. Debian's ``chromium`` (``apt-get install
chromium``) takes the pictures through Playwright (the ``dev`` extra); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from chain.client import ChainClient
from chain.compiler import compile_project
from chain.config import DEV_CHAIN_ID, PROJECT_ROOT, ChainSettings
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import Listing, asset_ref
from chain.deploy import GovernanceConfig, deploy
from chain.keys import dev_identity_account
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.settings import ApiSettings, DbSettings, EvidenceSettings, GatewaySettings, IndexerSettings
from scripts.demo_gateway import fresh_api_key, running_gateway

logger = logging.getLogger(__name__)

MEMBERS: dict[str, tuple[Role, ...]] = {
    "bank": (Role.BANK, Role.SETTLEMENT_BANK),
    "collector": (Role.COLLECTOR,),
    "court": (Role.COURT,),
    "auditor": (Role.AUDITOR,),
    "investor": (Role.INVESTOR,),
}
#: bids straight on chain in the auction room's picture (a member this gateway does not host)
OTHER_BIDDER = "investor-2"
APPRAISAL, START, DEPOSIT, INCREMENT = 1_000_000_00, 700_000_00, 70_000_00, 5_000_00
#: the documents of the asset whose shares the portfolio's picture holds (anchored before the gateway starts)
DOCUMENTS_ROOT = hashlib.sha256(b"tower documents").digest()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _world(base: Path) -> tuple[AnvilNode, Path, int]:
    node = AnvilNode(data_dir=base / "node", port=_free_port(), chain_id=DEV_CHAIN_ID)
    node.up()
    client = ChainClient(
        ChainSettings(rpc_url=node.url, port=node.port, chain_id=DEV_CHAIN_ID), data_dir=base / "setup"
    )
    try:
        acct = {n: dev_identity_account(n, chain_id=DEV_CHAIN_ID) for n in [*MEMBERS, OTHER_BIDDER, "deployer"]}
        governors = [dev_identity_account(f"governor-{i}", chain_id=DEV_CHAIN_ID) for i in (1, 2, 3)]
        path = base / "deployments.json"
        deployments, _ = deploy(
            client,
            client.sender(acct["deployer"]),
            compile_project(),
            network="screenshots",
            path=path,
            governance=GovernanceConfig(tuple(g.address for g in governors), 2, 3600),
        )
        recourse = Recourse(client, deployments)
        g1, g2 = client.sender(governors[0]), client.sender(governors[1])
        for name, roles in [*MEMBERS.items(), (OTHER_BIDDER, (Role.INVESTOR,))]:
            pid = recourse.consortium.propose_admission(
                g1, acct[name].address, name=name, roles=roles, region=310000, kyc_tier=2
            )
            recourse.consortium.approve(g2, pid)
            recourse.consortium.execute(g2, pid)
        bank = client.sender(acct["bank"])
        for name in ("bank", "investor", OTHER_BIDDER):
            recourse.token.mint(bank, acct[name].address, 5_000_000_00, reference="funding")
        pid = recourse.consortium.propose_system_contract(g1, recourse.auctions.address, enabled=True)
        recourse.consortium.approve(g2, pid)
        recourse.consortium.execute(g2, pid)
        lot_id = _lot(client, recourse, acct)
        for contract in (recourse.fractions.address, recourse.cases.address):
            pid = recourse.consortium.propose_system_contract(g1, contract, enabled=True)
            recourse.consortium.approve(g2, pid)
            recourse.consortium.execute(g2, pid)
        recourse.evidence.anchor(client.sender(acct["court"]), DOCUMENTS_ROOT, 1)
    finally:
        client.close()
    return node, path, lot_id


def _lot(client: ChainClient, recourse: Recourse, acct: dict[str, Any]) -> int:
    """A court-approved lot open for bidding, with a deposit and two bids of a member the gateway does not host."""
    a = recourse.auctions
    court = client.sender(acct["court"])
    asset = asset_ref("SH-PUDONG-0042")
    a.send(court, a.enter_appraisal_request(asset, APPRAISAL, hashlib.sha256(b"appraisal report").digest()))
    document = hashlib.sha256(b"auction announcement").digest()
    recourse.evidence.anchor(court, document, 1)
    listing = Listing(asset, (document,), bytes(32), START, DEPOSIT, INCREMENT, 3600, 86_400, 7 * 86_400, 2)
    lot_id = a.list(client.sender(acct["bank"]), listing)
    a.send(court, a.approve_request(lot_id, acct["court"].address))
    client.rpc.call("evm_mine", [a.lot(lot_id).starts_at])
    other = client.sender(acct[OTHER_BIDDER])
    recourse.token.approve(other, a.address, DEPOSIT)
    a.lock_deposit(other, lot_id)
    a.send(other, a.bid_request(lot_id, START))
    return lot_id


def _post(url: str, token: str, path: str, **kwargs: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"screens-{time.monotonic_ns()}"}
    headers.update(kwargs.pop("headers", {}))
    r = httpx.post(url + path, headers=headers, timeout=60, **kwargs)
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    return body


def take(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed: apt-get install chromium (Debian), then run this again")
    out.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="recourse-screens-"))
    node, deployments, lot_id = _world(base)
    try:
        settings = GatewaySettings(
            data_dir=base / "gw",
            chain=ChainSettings(rpc_url=node.url, port=node.port, chain_id=DEV_CHAIN_ID, deployments_file=deployments),
            db=DbSettings(),
            api=ApiSettings(host="127.0.0.1", port=_free_port(), background="thread", confirm_timeout=30),
            indexer=IndexerSettings(poll_interval=0.1),
            evidence=EvidenceSettings(batch_size=4, batch_seconds=0.3),
            institutions=list(MEMBERS),
        )
        keys = {n: fresh_api_key(settings, n, ["*"]) for n in MEMBERS}
        with running_gateway(settings) as gw:
            return _shoot(gw.url, node.url, keys, out, base, chromium, sync_playwright, lot_id)
    finally:
        node.down()
        shutil.rmtree(base, ignore_errors=True)


def _shoot(
    url: str,
    chain_url: str,
    keys: dict[str, str],
    out: Path,
    base: Path,
    chromium: str,
    sync_playwright: Any,
    lot_id: int,
) -> list[Path]:
    collector = str(dev_identity_account("collector", chain_id=DEV_CHAIN_ID).address)
    for amount in (125_000, 88_000):
        _post(
            url,
            keys["bank"],
            "/tokens/transfers",
            params={"confirm": "true"},
            json={"to": collector, "amount_fen": amount},
        )
    _post(
        url, keys["bank"], "/tokens/transfers", params={"confirm": "true"}, json={"to": collector, "amount_fen": 10**15}
    )
    genuine = b"Judgment (2026) Hu 0101 Min Chu No. 42\n" * 200
    doc = _post(
        url,
        keys["bank"],
        "/evidence",
        params={"case_ref": "CASE-2026-0042", "filename": "judgment.pdf"},
        content=genuine,
        headers={"Content-Type": "application/pdf"},
    )["evidence"][0]
    auth = {"Authorization": f"Bearer {keys['bank']}"}
    deadline = time.monotonic() + 60
    while httpx.get(f"{url}/evidence/{doc['id']}", headers=auth, timeout=10).json()["status"] != "anchored":
        if time.monotonic() > deadline:
            raise RuntimeError("the screenshot document was never anchored")
        time.sleep(0.2)
    files = base / "files"
    files.mkdir()
    (files / "judgment.pdf").write_bytes(genuine)
    (files / "judgment-copy.pdf").write_bytes(genuine.replace(b"42", b"43", 1))
    (files / "unrelated.pdf").write_bytes(b"never anchored")
    shots: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="en-US")

            def snap(name: str, *, full: bool = True) -> None:
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=full)
                shots.append(path)

            page.goto(url + "/console/login")
            snap("sign-in", full=False)
            _sign_in(page, url, keys["court"])
            snap("home", full=False)
            page.goto(url + "/console/evidence")
            page.locator("#files").set_input_files([str(f) for f in sorted(files.iterdir())])
            page.wait_for_selector("body[data-hashed='3']", state="attached")
            page.locator("#case_ref").fill("CASE-2026-0042")
            page.locator("#check").click()
            page.wait_for_selector("#results")
            snap("evidence-check")
            page.locator("#results a.cert-link").first.click()
            page.wait_for_selector("#certificate")
            page.emulate_media(media="print")
            snap("certificate-print")
            page.emulate_media(media="screen")
            page.context.clear_cookies()
            _sign_in(page, url, keys["bank"])
            page.goto(url + "/console/operations")
            snap("operations")
            page.context.clear_cookies()
            _sign_in(page, url, keys["auditor"])
            page.goto(url + "/console/audit")
            page.locator("#start-replay").click()
            page.wait_for_selector("#verdict", timeout=120_000)
            page.set_viewport_size({"width": 1280, "height": 1500})
            snap("audit", full=False)
            page.set_viewport_size({"width": 1280, "height": 860})
            page.context.clear_cookies()
            _sign_in(page, url, keys["investor"])
            page.goto(f"{url}/console/auctions/{lot_id}")
            page.locator("#lock-deposit").click()
            page.wait_for_selector("#op-result")
            page.locator("#amount_yuan").fill(f"{(START + INCREMENT) // 100}")
            page.locator("#place-bid").click()
            page.wait_for_selector("#op-result")
            page.wait_for_selector(f"#bids tbody tr:has-text('{(START + INCREMENT) // 100:,}')")
            snap("auction-room")
            _cases(url, keys)
            page.context.clear_cookies()
            _sign_in(page, url, keys["collector"])
            page.goto(f"{url}/console/cases")
            page.locator("#matches button.claim").first.click()
            page.wait_for_selector("#op-result")
            snap("case-board")
            page.locator("#own-cases a").first.click()
            page.wait_for_selector("#debtor")
            page.locator("#contact_note").fill("您好，关于您的逾期还款，今天能否约个时间沟通？让你好看")
            page.locator("#contact-check").click()
            page.wait_for_selector("#conduct-preview")
            snap("case-file")
            page.context.clear_cookies()
            _sign_in(page, url, keys["investor"])
            _fractions(url, chain_url, keys)
            page.goto(f"{url}/console/portfolio")
            snap("portfolio")
            page.locator("#lang-switch").click()
            page.wait_for_load_state()
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(url + "/console/evidence")
            snap("evidence-phone-zh", full=False)
        finally:
            browser.close()
    return shots


def _fractions(url: str, chain: str, keys: dict[str, str]) -> None:
    """The bank issues an asset, the investor buys 150 of its shares, the offering settles, a recovery is paid in."""
    rpc = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest", False]}
    terms = {
        "asset_ref": "SH-TOWER-0042",
        "valuation_feed": "valuation:commercial",
        "documents_root": "0x" + DOCUMENTS_ROOT.hex(),
        "name": "Pudong Tower NPL shares",
        "symbol": "PDT",
        "kyc_tier": 2,
        "regions": [310000],
        "max_holders": 0,
        "max_per_holder": 0,
        "price_fen": 100_00,
        "min_subscription": 10,
        "soft_cap": 100,
        "hard_cap": 300,
    }
    now = int(httpx.post(chain, json=rpc, timeout=10).json()["result"]["timestamp"], 16)
    deadline = now + 86_400
    terms["deadline"] = dt.datetime.fromtimestamp(deadline, dt.UTC).isoformat()
    issued = _post(url, keys["bank"], "/fractions/assets", params={"confirm": "true"}, json=terms)
    auth = {"Authorization": f"Bearer {keys['bank']}"}
    found: list[dict[str, Any]] = []
    for _ in range(100):
        found = httpx.get(
            f"{url}/fractions/assets", params={"issued_in": issued["tx_hash"]}, headers=auth, timeout=10
        ).json()["data"]
        if found:
            break
        time.sleep(0.1)
    base = f"/fractions/assets/{found[0]['address']}"
    confirm = {"params": {"confirm": "true"}}
    _post(url, keys["investor"], f"{base}/subscriptions", json={"shares": 150}, **confirm)
    httpx.post(chain, json={"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": [deadline]}, timeout=10)
    _post(url, keys["bank"], f"{base}/settlement", json={}, **confirm)
    _post(url, keys["investor"], f"{base}/share-claims", json={}, **confirm)
    _post(
        url, keys["bank"], f"{base}/recoveries", json={"amount_fen": 12_345_67, "source_ref": "case:SH-0042"}, **confirm
    )
    time.sleep(1)  # the index catches up (the page reads it)


def _resident_id(n: int) -> str:
    """A synthetic resident ID number (region 310101, born 1985-03-12) with a correct check character."""
    body = f"31010119850312{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _cases(url: str, keys: dict[str, str]) -> None:
    """The bank publishes a batch of three synthetic cases (no real person's data) through the gateway."""
    header = (
        "case_ref,name,id_number,phone,address,timezone,principal_fen,overdue_fen,overdue_days,region,fee_bps,deadline"
    )
    rows = [
        f"BANK-2026-00004{i},测试债务人{i},{_resident_id(i)},1380013000{i},上海市黄浦区南京东路{i}号,"
        f"Asia/Shanghai,{(i + 1) * 1_000_000},{(i + 1) * 50_000},{30 + 20 * i},310000,1500,1900000000"
        for i in range(3)
    ]
    body = (header + "\n" + "\n".join(rows) + "\n").encode()
    _post(
        url,
        keys["bank"],
        "/cases/batches",
        params={"confirm": "true"},
        files={"file": ("cases.csv", body, "text/csv")},
        data={"fee_budget_fen": "100000"},
    )
    time.sleep(1)  # the index catches up (the board reads it)


def _sign_in(page: Any, url: str, token: str) -> None:
    page.goto(url + "/console/login")
    page.locator("#api_key").fill(token)
    page.locator("#sign-in").click()
    page.wait_for_url(url + "/console")


def main() -> None:
    parser = argparse.ArgumentParser(description="Screenshots of the web console for the README.")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "console", help="output directory")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for path in take(args.out):
        logger.warning("console.screenshot path=%s", path)


if __name__ == "__main__":
    main()
