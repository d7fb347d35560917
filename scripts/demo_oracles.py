"""The oracle part of the demo: three operator processes (k = 2) value an asset and push it on chain.

1. the valuation model (cached artefact, or a small one trained once on the Ames sales);
2. the gateway values the demo asset (estimate, 80 % interval, top contributions);
3. three ``recourse oracles run`` processes start, each with its own key (oracle, oracle-2, oracle-3);
   they sign the round's report, exchange signatures through the gateway, and the round's leader submits;
4. the on-chain report is read back (value, interval, signers, block), then a read with a ``max_age``
   smaller than the report's age is refused as stale;
5. the three processes are stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from chain.client import ChainClient
from chain.config import PROJECT_ROOT
from node_api.services.analytics import load_artefact
from scripts.demo_analytics import demo_model
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle, fresh_api_key
from scripts.oracles_cli import DEMO_ASSET, ensure_demo_subjects

__all__ = ["oracle_demo_steps"]

OPERATORS = ("oracle", "oracle-2", "oracle-3")
FEED = "valuation:residential"
PERIOD_S = 5


def _usd(minor: int) -> str:
    return f"${minor / 100:,.2f}"


def _start(
    gw: GatewayHandle, name: str, subjects: Path, model_dir: Path, state_root: Path, *, feed: str = "valuation"
) -> subprocess.Popen[bytes]:
    key = fresh_api_key(gw.settings, name, ["oracles:read", "oracles:write"])
    env = {**os.environ, "RECOURSE_ORACLE__MODEL_DIR": str(model_dir)}
    args = [
        sys.executable,
        "-m",
        "scripts.cli",
        "oracles",
        "run",
        "--as",
        name,
        "--gateway",
        gw.url,
        "--api-key",
        key,
        "--period",
        str(PERIOD_S),
        "--tick",
        "0.5",
        "--fallback",
        "2",
        "--subjects",
        str(subjects),
        "--feed",
        feed,
    ]
    log = (state_root / f"{name}.log").open("ab")
    try:
        return subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> list[str]:
    out = []
    for proc in procs.values():
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
    for name, proc in procs.items():
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        out.append(f"{name} (pid {proc.pid}, exit {proc.returncode})")
    return out


def oracle_demo_steps(gw: GatewayHandle, console: Console) -> None:
    """Value an asset through three oracle operator processes and show the on-chain report."""
    settings = gw.settings
    model_dir = settings.analytics.model_dir or settings.data_dir / "models"
    artefact, how = demo_model(gw, console, "valuation", "Ames sales")
    model = load_artefact(artefact, "valuation")
    _step(console, f"oracles: valuation model {model.version} ({how}); feed {FEED}, k = 2 of 3 oracles")

    # the contracts are fresh: so are the operators' round states and the demo subject
    state_root = settings.data_dir / "oracles"
    for name in OPERATORS:
        shutil.rmtree(state_root / name, ignore_errors=True)
    state_root.mkdir(parents=True, exist_ok=True)
    subjects_file = state_root / "demo-subjects.json"
    subjects_file.unlink(missing_ok=True)
    features: dict[str, Any] = ensure_demo_subjects(subjects_file, model)[DEMO_ASSET]

    bank = fresh_api_key(settings, "bank", ["analytics:read", "oracles:read"])
    with httpx.Client(base_url=gw.url, timeout=60, headers={"Authorization": f"Bearer {bank}"}) as http:
        v = http.post("/valuations", json={"asset_ref": DEMO_ASSET, "features": features, "top": 3}).json()
        top = ", ".join(f"{c['feature']} {c['percent']:+.1f}%" for c in v["contributions"])
        _step(
            console,
            f"POST /valuations {DEMO_ASSET} → {_usd(v['estimate_minor'])} "
            f"(80% interval {_usd(v['low_minor'])} – {_usd(v['high_minor'])}); top reasons: {top}",
        )

        procs: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name in OPERATORS:
                procs[name] = _start(gw, name, subjects_file, model_dir, state_root)
            pids = ", ".join(f"{n} pid {p.pid}" for n, p in procs.items())
            _step(console, f"oracle operators started as 3 processes, each with its own key: {pids}")
            path = f"/oracle/values/{FEED}/{DEMO_ASSET}"
            with console.status("operators sign, exchange signatures, the round's leader submits…"):
                r = wait_for_report(http, path, procs, state_root, what="oracle report")
            names = {fresh_address: n for n, fresh_address in _addresses(gw).items()}
            signers = ", ".join(names.get(s, s) for s in r["signers"])
            model_version = bytes.fromhex(r["model_version"][2:]).rstrip(b"\0").decode("ascii", "replace")
            _step(
                console,
                f"on-chain report: {_usd(r['value'])} in [{_usd(r['low'])}, {_usd(r['high'])}], model {model_version}, "
                f"signed by {len(r['signers'])} of 3 oracles (k = 2: {signers}), block {r['accepted_block']}",
            )
            age = _age_at_least(gw, http, path, 2)
            stale = http.get(path, params={"max_age": age - 1})
            problem = stale.json()
            _step(
                console,
                f"the same value read with max_age {age - 1}s (it is {problem.get('age_s', age)}s old) → stale value "
                f"refused → {stale.status_code} {problem.get('code')}",
            )
        finally:
            stopped = _stop(procs)
    _step(console, f"oracle operators stopped by PID: {', '.join(stopped)}")
    from scripts.demo_packages import package_demo_steps  # an NPL package's price, pushed by the same operators

    package_demo_steps(gw, console)


def wait_for_report(
    http: httpx.Client, path: str, procs: dict[str, subprocess.Popen[bytes]], state_root: Path, *, what: str
) -> dict[str, Any]:
    """The report the operators put on chain (``GET path``), polled for up to 60 s; an operator that exits or
    a minute without a report fails the demo step, naming the operators' logs."""
    deadline = time.monotonic() + 60
    while True:
        got = http.get(path, params={"max_age": 3600})
        if got.status_code == 200:
            report: dict[str, Any] = got.json()
            return report
        dead = [n for n, p in procs.items() if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            raise RuntimeError(
                f"no {what} on chain ({got.json().get('code')}); operators exited: {dead or 'none'}; "
                f"see {state_root}/*.log"
            )
        time.sleep(0.5)


def _addresses(gw: GatewayHandle) -> dict[str, str]:
    from chain.keys import resolve_address

    c = gw.settings.chain
    return {n: resolve_address(n, chain_id=c.chain_id, keystore_dir=c.keystore_dir) for n in OPERATORS}


def _age_at_least(gw: GatewayHandle, http: httpx.Client, path: str, seconds: int) -> int:
    """The report's age in block time once it is at least ``seconds`` (mines an empty block if needed)."""
    deadline = time.monotonic() + 15
    while True:
        age = int(http.get(path, params={"max_age": 3600}).json()["age_s"])
        if age >= seconds or time.monotonic() > deadline:
            return max(age, 1)
        time.sleep(1.0)
        client = ChainClient.connect(gw.settings.chain, data_dir=gw.settings.data_dir)
        try:
            client.rpc.call("evm_mine")
        finally:
            client.close()
