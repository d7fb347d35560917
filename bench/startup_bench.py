"""Start-up benchmark: binding to the deployed contracts from the deployments file's recorded ABIs vs
compiling the project to get them (what the gateway did before ``recourse deploy`` recorded ABIs).

Each sample is one fresh interpreter (``python -c``), timed by the parent from spawn to exit, that
imports what it needs, builds a ``ChainClient`` and binds ``Recourse`` to a deployment on a private
anvil: a gateway's start-up cost for this step, imports included.

* ours: ``Recourse.load(client, deployments_file)``: reads the file; imports no compiler.
* baseline, warm: ``compile_project()`` hitting the project's artifact cache (``build/artifacts``), then
  binding with its ABIs (and registering every artifact's errors), as ``Recourse.load`` used to.
* baseline, cold: the same with ``use_cache=False`` into a fresh cache dir: a gateway on a machine
  whose artifact cache is empty (a new host or container) compiles with solc-js at every start.

Run: ``.venv/bin/python -m bench.startup_bench`` from the project root (starts and stops its own anvil).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import Row, median, print_header, print_table, private_anvil
from chain.client import ChainClient
from chain.compiler import compile_project
from chain.config import DEV_CHAIN_ID, PROJECT_ROOT, ChainSettings
from chain.deploy import GovernanceConfig, deploy
from chain.keys import dev_identity_account

MODULE = "bench.startup_bench"

_CLIENT = """
import sys
from pathlib import Path
from chain.client import ChainClient
from chain.config import ChainSettings
url, port, path, data = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
client = ChainClient(ChainSettings(rpc_url=url, port=port), data_dir=data)
"""

OURS = (
    _CLIENT
    + """
from chain.network import Recourse
Recourse.load(client, path)
assert "solcx" not in sys.modules
"""
)

BASELINE = (
    _CLIENT
    + """
from dataclasses import replace
from chain.compiler import compile_project
from chain.deploy import load_deployments
from chain.network import Recourse
cache = {"cache_dir": Path(sys.argv[5]), "use_cache": False} if len(sys.argv) > 5 else {}
compiled = compile_project(**cache)
d = load_deployments(path)
d = replace(d, contracts={n: replace(c, abi=compiled.get(n).abi) for n, c in d.contracts.items()}, errors=[])
Recourse(client, d)
for artifact in compiled.artifacts.values():
    client.register_abi(artifact.abi)
"""
)


def _run(code: str, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=PROJECT_ROOT)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7, help="warm rounds (baseline and ours interleaved)")
    parser.add_argument("--cold", type=int, default=3, help="cold-cache baseline rounds (solc-js compiles)")
    args = parser.parse_args(argv)
    print_header("start-up benchmark: bind from recorded ABIs vs compile to bind", MODULE)

    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-startup-") as tmp:
        settings = ChainSettings(rpc_url=node.url, port=node.port, chain_id=DEV_CHAIN_ID)
        client = ChainClient(settings, data_dir=Path(tmp) / "setup")
        gov = GovernanceConfig(
            tuple(dev_identity_account(f"governor-{i}", chain_id=DEV_CHAIN_ID).address for i in (1, 2, 3)), 2, 3600
        )
        path = Path(tmp) / "deployments.json"
        deployer = client.sender(dev_identity_account("deployer", chain_id=DEV_CHAIN_ID))
        deploy(client, deployer, compile_project(), network="bench", path=path, governance=gov)
        client.close()
        common = [node.url, str(node.port), str(path)]

        ours_s: list[float] = []
        warm_s: list[float] = []
        for i in range(args.rounds):
            pair = [(OURS, ours_s, "ours"), (BASELINE, warm_s, "warm")]
            for code, samples, tag in pair if i % 2 == 0 else pair[::-1]:  # alternate who goes first
                samples.append(_run(code, [*common, str(Path(tmp) / f"{tag}-{i}")]))
        cold_s = [
            _run(BASELINE, [*common, str(Path(tmp) / f"cold-{i}"), str(Path(tmp) / f"cache-{i}")])
            for i in range(args.cold)
        ]

    print(f"samples : ours {', '.join(f'{s:.2f}' for s in ours_s)} s")
    print(f"          compile (warm cache) {', '.join(f'{s:.2f}' for s in warm_s)} s")
    print(f"          compile (cold cache) {', '.join(f'{s:.2f}' for s in cold_s)} s")
    print()
    o, w, c = median(ours_s), median(warm_s), median(cold_s)
    rows = [
        Row("bind, warm artifact cache", f"{w:.3f} s", f"{o:.3f} s", w / o, f"n={len(ours_s)} each, interleaved"),
        Row("bind, empty artifact cache", f"{c:.3f} s", f"{o:.3f} s", c / o, f"n={len(cold_s)} baseline"),
    ]
    print_table(rows, baseline_label="compile to bind", ours_label="recorded ABIs", ratio_label="speed-up")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
