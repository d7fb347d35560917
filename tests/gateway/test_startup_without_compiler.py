"""A gateway binds to the contracts from the deployments file alone: ``recourse serve`` starts, reads
and writes with the Solidity compiler made unimportable (a production gateway has neither py-solc-x's
binaries nor solc-js), and a deployments file written before ABIs were recorded is a one-line refusal
that says what to run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import account, free_port
from tests.gateway.conftest import migrated_key, serve_env
from tests.support.serve_process import ServeProcess

pytestmark = pytest.mark.chain


def _without_compiler(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """``env`` in which ``import solcx`` fails and py-solc-x's binary path points nowhere."""
    shadow = tmp_path / "no-compiler"
    (shadow / "solcx").mkdir(parents=True)
    (shadow / "solcx" / "__init__.py").write_text(
        'raise ImportError("py-solc-x is not installed on this gateway")\n', encoding="utf-8"
    )
    return {**env, "PYTHONPATH": str(shadow), "SOLCX_BINARY_PATH": str(tmp_path / "nowhere")}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_gateway_starts_and_serves_with_the_compiler_unavailable(gw_chain, chain_snapshot, db_url, tmp_path):
    node, deployments = gw_chain
    token = migrated_key(db_url)
    env = _without_compiler(serve_env(node, deployments, tmp_path / "gw", db_url), tmp_path)
    probe = subprocess.run(
        [sys.executable, "-c", "import chain.compiler"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert probe.returncode != 0
    assert "py-solc-x is not installed on this gateway" in probe.stderr  # the shadow really hides it
    gw = ServeProcess(env, free_port(), tmp_path / "gateway.log", cwd=tmp_path)
    try:
        gw.start()
        with httpx.Client(base_url=gw.url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
            me = http.get("/me")
            paid = http.post(
                "/tokens/transfers?confirm=true",
                json={"to": account("collector").address, "amount_fen": 5},
                headers={"Idempotency-Key": "no-compiler-1"},
            )
    finally:
        gw.stop()

    assert me.status_code == 200, me.text
    assert me.json()["address"] == account("bank").address
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_deployments_file_without_abis_is_refused_with_what_to_run(gw_chain, db_url, tmp_path):
    node, deployments = gw_chain
    raw = json.loads(deployments.read_text(encoding="utf-8"))
    for rec in raw["contracts"].values():
        rec.pop("abi")  # as written before deployments recorded ABIs
    old = tmp_path / "old-deployments.json"
    old.write_text(json.dumps(raw), encoding="utf-8")
    env = _without_compiler(serve_env(node, old, tmp_path / "gw", db_url), tmp_path)
    gw = ServeProcess(env, free_port(), tmp_path / "gateway.log", cwd=tmp_path)

    with pytest.raises(RuntimeError, match="exited during start") as refused:
        gw.start()

    assert "has no ABI for Consortium" in str(refused.value)
    assert "run `recourse deploy` again" in str(refused.value)
    assert "Traceback" not in str(refused.value)
