"""The NPL package part of the demo: a package of distressed loans priced, then pushed on chain k-of-n.

1. the recovery model (the artefact in the model dir, or fitted once on the bundled loans, under a second);
2. the package (the 178 distressed Lending Club loans, outcomes removed) is priced as
   ``recourse models price-package`` prices it: expected recovery, P10/P50/P90 of the present value at
   8 %, by grade, every amount an integer number of minor units;
3. the three oracle operators run again with ``--feed package``: they price the same file with the same
   seed, co-sign, and the round's leader submits; the on-chain report (value P50, low/high P10/P90) is read
   back through the gateway and checked against the price of step 2;
4. the three processes are stopped by PID.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
from rich.console import Console

from analytics.recovery import MONTHS, RECOVERED
from oracles.feeds.package import PACKAGE_FEED, PackageFeed
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle, fresh_api_key
from scripts.demo_oracles import OPERATORS, _addresses, _start, _stop, _usd, wait_for_report
from scripts.package_cli import RECOVERY_DATA, ensure_recovery_model, load_recovery_data, load_recovery_model

__all__ = ["DEMO_PACKAGE", "package_demo_steps"]

DEMO_PACKAGE = "package:demo-npl-2026-q4"
SPEC = {"file": "demo-package.csv", "discount_rate": 0.08, "seed": 7, "simulations": 2000, "segment": "grade"}


def package_demo_steps(gw: GatewayHandle, console: Console) -> None:
    """Price a package of NPLs and push the price on chain through the three oracle operators."""
    settings = gw.settings
    model_dir = settings.analytics.model_dir or settings.data_dir / "models"
    with console.status("recovery model: the artefact in the model dir, or fitted once on the bundled loans…"):
        model = load_recovery_model(ensure_recovery_model(model_dir))
    state_root = settings.data_dir / "oracles"
    state_root.mkdir(parents=True, exist_ok=True)
    frame, _, _ = load_recovery_data(RECOVERY_DATA)
    frame.drop(columns=[RECOVERED, MONTHS]).to_csv(state_root / str(SPEC["file"]), index=False)
    subjects = state_root / "demo-packages.json"
    subjects.write_text(json.dumps({"subjects": {DEMO_PACKAGE: SPEC}}, indent=1) + "\n", encoding="utf-8")
    price = PackageFeed(model, subjects).price(DEMO_PACKAGE, dict(SPEC))
    t = price.total
    grades = ", ".join(f"{s.segment} {_usd(s.p50_pv_fen)}" for s in price.segments)
    _step(
        console,
        f"package {DEMO_PACKAGE}: {t.loans} distressed loans, balance {_usd(t.balance_fen)}; recovery model "
        f"{model.version}: expected recovery {_usd(t.expected_recovery_fen)}, present value at 8% P10 "
        f"{_usd(t.p10_pv_fen)} / P50 {_usd(t.p50_pv_fen)} / P90 {_usd(t.p90_pv_fen)} "
        f"({price.simulations} simulations, seed {price.seed}); P50 by grade: {grades}",
    )

    for name in OPERATORS:  # fresh round states and job stores: these processes run the package feed
        shutil.rmtree(state_root / name, ignore_errors=True)
    bank = fresh_api_key(settings, "bank", ["oracles:read"])
    procs: dict[str, subprocess.Popen[bytes]] = {}
    with httpx.Client(base_url=gw.url, timeout=60, headers={"Authorization": f"Bearer {bank}"}) as http:
        try:
            for name in OPERATORS:
                procs[name] = _start(gw, name, subjects, model_dir, state_root, feed="package")
            path = f"/oracle/values/{PACKAGE_FEED}/{DEMO_PACKAGE}"
            with console.status("operators price the package, exchange signatures, the round's leader submits…"):
                r = wait_for_report(http, path, procs, state_root, what="package report")
            if (r["value"], r["low"], r["high"]) != (t.p50_pv_fen, t.p10_pv_fen, t.p90_pv_fen):
                raise RuntimeError(f"the on-chain package price {r['value']} differs from the local P50 {t.p50_pv_fen}")
            names = {address: n for n, address in _addresses(gw).items()}
            signers = ", ".join(names.get(s, s) for s in r["signers"])
            _step(
                console,
                f"on-chain package valuation ({PACKAGE_FEED}): P50 {_usd(r['value'])} in [P10 {_usd(r['low'])}, "
                f"P90 {_usd(r['high'])}], the same integers as priced above, signed by {len(r['signers'])} of 3 "
                f"oracles (k = 2: {signers}), block {r['accepted_block']}",
            )
        finally:
            stopped = _stop(procs)
    _step(console, f"package oracle operators stopped by PID: {', '.join(stopped)}")
