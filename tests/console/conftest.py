"""Console fixtures: one private chain and one real gateway (uvicorn) per test module, API keys per role, and
one headless Chromium per module (Debian's ``chromium`` driven by Playwright with ``executable_path``; never
``playwright install``, which downloads). Without chromium the browser tests are skipped, unless ``CI`` is set:
``.ci/run`` installs it and sets ``CI``, so there they must run."""

from __future__ import annotations

import functools
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from chain.compiler import CompileResult
from chain.config import PROJECT_ROOT
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import Listing, asset_ref
from node_api.settings import ApiSettings, EvidenceSettings
from tests.support.live_gateway import Gateway, World, gateway_settings, running_world, serve

#: institutions the console's gateway hosts; ``bank``, ``collector``, ``investor`` are admitted by the world
HOSTED = ["bank", "collector", "investor", "court", "auditor"]
EXTRA_MEMBERS = {
    "court": (Role.COURT,),
    "auditor": (Role.AUDITOR,),
    "investor-2": (Role.INVESTOR,),
    "investor-3": (Role.INVESTOR,),
}
#: the lot the auction-room tests watch: ¥1,000,000 appraisal, 70 % start, 10 % deposit, one day of bidding
APPRAISAL, START, DEPOSIT, INCREMENT, DAY = 1_000_000_00, 700_000_00, 70_000_00, 5_000_00, 86_400
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Console:
    world: World
    gw: Gateway
    lot_id: int = 0
    #: an evidence root anchored before the gateway started (documents of an asset the tests issue)
    documents_root: str = ""

    @property
    def url(self) -> str:
        return self.gw.url + "/console"

    def token(self, institution: str, scopes: list[str] | None = None) -> str:
        return self.gw.key(institution, scopes)["Authorization"].removeprefix("Bearer ")

    def api_post(self, institution: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(institution)}", "Idempotency-Key": str(uuid.uuid4())}
        headers.update(kwargs.pop("headers", {}))
        return httpx.post(self.gw.url + path, json=body, headers=headers, timeout=30, **kwargs)

    def anchor(self, content: bytes, *, case_ref: str | None = None) -> dict[str, Any]:
        """Submit ``content`` as evidence of the bank and wait until its batch is anchored; its status."""
        params = {"filename": "doc.bin", **({"case_ref": case_ref} if case_ref else {})}
        r = self.api_post(
            "bank", "/evidence", content=content, params=params, headers={"Content-Type": "application/octet-stream"}
        )
        assert r.status_code == 202, r.text
        evidence_id = r.json()["evidence"][0]["id"]
        auth = {"Authorization": f"Bearer {self.token('bank')}"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body: dict[str, Any] = httpx.get(f"{self.gw.url}/evidence/{evidence_id}", headers=auth, timeout=10).json()
            if body["status"] == "anchored":
                return body
            assert body["status"] != "failed", body
            time.sleep(0.1)
        raise AssertionError(f"evidence {evidence_id} was never anchored")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[Console]:
    base = tmp_path_factory.mktemp("console")
    with running_world(base / "chain", compiled) as world:
        for name, roles in EXTRA_MEMBERS.items():
            world.admit(name, *roles, kyc_tier=2)
        lot_id = list_lot(world)  # before the gateway signs for the bank and the court (one nonce owner per key)
        world.allow_system_contract(world.recourse.fractions.address)
        world.allow_system_contract(world.recourse.cases.address)
        root = os.urandom(32)
        world.recourse.evidence.anchor(world.sender("court"), root, 2)
        settings = gateway_settings(
            world,
            base / "gw",
            institutions=HOSTED,
            api=ApiSettings(background="thread", confirm_timeout=20),
            evidence=EvidenceSettings(batch_size=4, batch_seconds=0.2),
        )
        with serve(settings) as gw:
            yield Console(world=world, gw=gw, lot_id=lot_id, documents_root="0x" + root.hex())


def list_lot(world: World) -> int:
    """A court-approved lot (listed by the bank) open for bidding (block time moved to its start);
    the investors are funded and ``investor-2`` and ``investor-3`` (not hosted by the console's gateway) have
    locked their deposits."""
    auctions = world.recourse.auctions
    world.allow_system_contract(auctions.address)
    world.fund(["investor", "investor-2", "investor-3"], 2_000_000_00)
    asset = asset_ref("SH-CONSOLE-7")
    auctions.send(world.sender("court"), auctions.enter_appraisal_request(asset, APPRAISAL, os.urandom(32)))
    document = os.urandom(32)
    world.recourse.evidence.anchor(world.sender("court"), document, 1)
    listing = Listing(
        asset_ref=asset,
        documents=(document,),
        appraisal_feed=bytes(32),
        start_price=START,
        deposit=DEPOSIT,
        increment=INCREMENT,
        announcement=3600,
        bidding_window=DAY,
        payment_window=7 * DAY,
        kyc_tier=2,
    )
    lot_id = auctions.list(world.sender("bank"), listing)
    auctions.send(world.sender("court"), auctions.approve_request(lot_id, world.address("court")))
    world.client.rpc.call("evm_mine", [auctions.lot(lot_id).starts_at])
    for bidder in ("investor-2", "investor-3"):
        world.recourse.token.approve(world.sender(bidder), auctions.address, DEPOSIT)
        auctions.lock_deposit(world.sender(bidder), lot_id)
    return lot_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium); CI is unset, so the browser tests skip")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page per test; script errors and dialogs are recorded."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.script_errors = []  # type: ignore[attr-defined]
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.script_errors.append(str(e)))  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.script_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]

    def on_dialog(d: Any) -> None:
        pg.dialogs.append(d.message)  # type: ignore[attr-defined]
        d.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()


def sign_in(page: Any, console: Console, token: str) -> None:
    page.goto(console.url + "/login")
    page.get_by_label(re.compile("API key|API 密钥")).fill(token)
    page.locator("#sign-in").click()
    page.wait_for_url(console.url)


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now (axe injected from node_modules)."""
    # evaluated through the DevTools protocol: the page's CSP (no inline script) stays on, as users get it
    page.evaluate(axe_source())
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    assert result["passes"], "axe-core checked nothing"
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
