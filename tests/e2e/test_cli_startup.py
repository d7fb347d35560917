"""``recourse --help`` (and each group's) loads no heavy library: the chain client (web3, eth-account), the
gateway (FastAPI, SQLModel, uvicorn), the models (pandas, scikit-learn, LightGBM). That is what keeps
start-up short (BENCHMARKS.md, "CLI start-up"); checked by module, not by the clock."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chain.contracts.consortium import ProposalKind
from scripts.cli import KIND_NAMES

HEAVY = (
    "web3",
    "eth_account",
    "eth_abi",
    "chain.client",
    "chain.contracts",
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "uvicorn",
    "httpx",
    "pandas",
    "numpy",
    "sklearn",
    "lightgbm",
    "analytics",
    "node_api.app",
    "node_api.services",
    "oracles",
)

#: runs the console script's entry point with the given arguments, then lists the heavy modules loaded
PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["recourse", *json.loads(sys.argv[1])]
from scripts.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        *[[group, "--help"] for group in ("chain", "members", "tokens", "apikeys", "keys", "models", "oracles")],
        *[
            [group, "--help"]
            for group in ("cases", "auctions", "evidence", "serve", "verify-receipt", "deploy", "demo")
        ],
        ["members", "propose", "--help"],
        ["evidence", "verify", "--help"],
    ],
    ids=lambda a: " ".join(a),
)
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    assert "Usage" in proc.stdout
    assert report["loaded"] == []


def test_the_help_texts_lists_agree_with_their_sources() -> None:
    """Listed in the CLI module (so --help needs no import); they must match what they stand for. (The API
    key scopes come from ``node_api.scopes``, a module of constants the CLI and the gateway share.)"""
    # every kind `members propose` offers is one the contract knows; a kind the contract gains is offered
    # once the command builds its arguments (until then it is refused, never taken for another kind)
    assert set(KIND_NAMES) <= {k.name.lower().replace("_", "-") for k in ProposalKind}
    assert len(set(KIND_NAMES)) == len(KIND_NAMES) == 10
