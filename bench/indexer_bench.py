"""Indexer benchmark: ``node_api.indexer.Indexer`` (fetch + decode + store in SQLite) vs web3.py 8 ``get_logs``.

One private anvil (hardfork cancun, periodic state dumps off), one fresh deployment, members admitted
through 2-of-3 Consortium
proposals. The settlement bank mints once and then makes N ``SettlementToken.transfer`` calls to three
members, sent in bursts with ``chain.client.Sender`` (JSON-RPC batches, automine off while a burst is
mined into full blocks), so the chain holds N+1 ``Transfer`` events plus the admission events.

* baseline: ``contract.events.Transfer.get_logs(from_block=start, to_block=head)`` of a web3.py 8
  contract object on ``Web3(HTTPProvider)``: fetches and decodes every Transfer (nothing stored).
* ours: a fresh SQLite database (WAL, migrated before the clock starts) and a new ``Indexer`` built the
  way the gateway builds it; the clock covers ``Indexer.sync()`` from the deployment block to the head:
  ``eth_getLogs`` of every Recourse contract in pages, decoding with the precomputed decoders, and ONE
  database transaction per page that bulk-inserts the events, applies the projections (members,
  balances, the case index: ``node_api.projections``) and moves the checkpoint. So ours does strictly
  more work (all contracts' events, stored and projected) than the baseline.

Rounds alternate the order (baseline first, then ours first, ...); medians are reported. Correctness:
every Transfer web3 decoded is in the index with identical arguments, and every member's indexed
balance equals ``balanceOf`` on chain.

With ``--against DIR`` (a source tree, e.g. ``git archive`` of the previous commit unpacked there, with
``node_modules`` linked), every round also times ``Indexer.sync()`` of this tree and of DIR in the same
subprocess harness (``bench/_indexer_once.py``, alternating which goes first) against the same chain,
and a second table compares the two: a change to the indexer is measured side by side, in one run.

Run: ``.venv/bin/python -m bench.indexer_bench`` from the project root (``--events`` to change N).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from eth_account.signers.local import LocalAccount
from eth_typing import ABI
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel
from web3 import HTTPProvider, Web3

from bench._common import Row, free_port, median, print_header, print_table
from chain.client import ChainClient
from chain.compiler import compile_project
from chain.config import DEV_CHAIN_ID, PROJECT_ROOT, ChainSettings
from chain.contracts.consortium import Role
from chain.deploy import GovernanceConfig, deploy
from chain.keys import dev_identity_account
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.db import models
from node_api.db.engine import make_engine, migrate
from node_api.indexer import Indexer

MODULE = "bench.indexer_bench"
RECIPIENTS = ("collector", "investor", "court")
MEMBERS: tuple[tuple[str, tuple[Role, ...]], ...] = (
    ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
    ("collector", (Role.COLLECTOR,)),
    ("investor", (Role.INVESTOR,)),
    ("court", (Role.COURT,)),
)
BURST = 2_000
EVENTS = SQLModel.metadata.tables[str(models.ChainEvent.__tablename__)]
BALANCES = SQLModel.metadata.tables[str(models.BalanceRow.__tablename__)]


@contextmanager
def quiet_anvil() -> Iterator[AnvilNode]:
    """A private anvil (cancun) that does not dump its state every second while we measure."""
    with tempfile.TemporaryDirectory(prefix="recourse-indexer-bench-node-") as tmp:
        node = AnvilNode(data_dir=Path(tmp), port=free_port(), chain_id=DEV_CHAIN_ID, state_interval=86_400)
        node.up()
        try:
            yield node
        finally:
            node.down()


def _account(name: str) -> LocalAccount:
    return dev_identity_account(name, chain_id=DEV_CHAIN_ID)


@dataclass
class World:
    client: ChainClient
    recourse: Recourse
    head: int


def build_world(url: str, port: int, data_dir: Path, n_events: int) -> World:
    settings = ChainSettings(rpc_url=url, port=port, chain_id=DEV_CHAIN_ID)
    client = ChainClient(settings, data_dir=data_dir / "setup")
    compiled = compile_project()
    governance = GovernanceConfig(
        governors=tuple(_account(f"governor-{i}").address for i in (1, 2, 3)), threshold=2, proposal_lifetime=3600
    )
    deployments, _ = deploy(
        client,
        client.sender(_account("deployer")),
        compiled,
        network="bench",
        path=data_dir / "deployments.json",
        governance=governance,
        fresh=True,
    )
    recourse = Recourse(client, deployments)
    consortium, token = recourse.consortium, recourse.token
    g1, g2 = client.sender(_account("governor-1")), client.sender(_account("governor-2"))
    for identity, roles in MEMBERS:
        pid = consortium.propose_admission(
            g1, _account(identity).address, name=f"{identity} (bench)", roles=roles, region=310000, kyc_tier=2
        )
        consortium.approve(g2, pid)
        consortium.execute(g1, pid)
    bank = client.sender(_account("bank"))
    token.mint(bank, bank.address, 10**15, reference="indexer bench funding")
    targets = [_account(r).address for r in RECIPIENTS]
    gas = client.estimate_gas(bank.address, token.transfer_request(targets[0], 1)) + 20_000
    client.rpc.call("evm_setAutomine", [False])
    hashes: list[str] = []
    try:
        for first in range(0, n_events, BURST):
            count = min(BURST, n_events - first)
            reqs = [token.transfer_request(targets[i % 3], 1 + i % 97, gas=gas) for i in range(first, first + count)]
            hashes += bank.send(reqs)
            while int(client.rpc.call("txpool_status")["pending"], 16):
                client.rpc.call("evm_mine")
            print(f"  generated {first + count:,}/{n_events:,} transfers", flush=True)
    finally:
        client.rpc.call("evm_setAutomine", [True])
    receipts = bank.wait(hashes)
    assert all(r.status for r in receipts), "a benchmark transfer failed"
    return World(client=client, recourse=recourse, head=client.block_number())


def baseline(url: str, world: World) -> tuple[float, float, dict[str, tuple[str, str, int]]]:
    w3 = Web3(HTTPProvider(url))
    token = world.recourse.token
    contract = w3.eth.contract(address=Web3.to_checksum_address(token.address), abi=cast(ABI, token.abi))
    start = world.recourse.deployments.start_block
    t0, c0 = time.perf_counter(), time.process_time()
    logs = contract.events.Transfer.get_logs(from_block=start, to_block=world.head)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    decoded = {
        f"{lg['blockNumber']:012d}/{lg['transactionIndex']:06d}/{lg['logIndex']:06d}": (
            str(lg["args"]["from"]),
            str(lg["args"]["to"]),
            int(lg["args"]["value"]),
        )
        for lg in logs
    }
    return elapsed, cpu, decoded


def ours(world: World, db_dir: Path) -> tuple[float, float, Engine, int]:
    engine = make_engine(f"sqlite:///{db_dir / 'gateway.sqlite'}")
    migrate(engine)
    indexer = Indexer(
        engine=engine,
        client=world.client,
        decoder=world.recourse.event_decoder(),
        start_block=world.recourse.deployments.start_block,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        position = indexer.sync()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        indexer.close()
    assert position.block == world.head, f"indexer stopped at {position.block}, head {world.head}"
    with engine.connect() as conn:
        stored = int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one())
    return elapsed, cpu, engine, stored


def in_tree(tree: Path, node: AnvilNode, data_dir: Path, run: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``Indexer.sync()`` by the code of ``tree`` (``bench/_indexer_once.py``)."""
    work = data_dir / run
    work.mkdir()
    script = Path(__file__).with_name("_indexer_once.py")
    args = [node.url, str(node.port), str(data_dir / "indexer-target.json"), str(work / "gateway.sqlite"), str(work)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(  # noqa: S603 - our own script, our own interpreter
        [sys.executable, str(script), *args], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"indexer of {tree} failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["wall"]), float(result["cpu"])


def check(world: World, engine: Engine, web3_events: dict[str, tuple[str, str, int]]) -> list[str]:
    problems: list[str] = []
    with engine.connect() as conn:
        rows = conn.execute(
            select(EVENTS.c.key, EVENTS.c.args).where(
                EVENTS.c.contract == "SettlementToken", EVENTS.c.name == "Transfer"
            )
        ).all()
        indexed = {k: (a["from"], a["to"], int(a["value"])) for k, a in rows}
        balances = {a: int(v) for a, v in conn.execute(select(BALANCES.c.address, BALANCES.c.amount))}
    if indexed != web3_events:
        missing = len(web3_events.keys() - indexed.keys())
        extra = len(indexed.keys() - web3_events.keys())
        problems.append(f"Transfer events differ from web3 (missing {missing}, extra {extra})")
    token = world.recourse.token
    for name, _ in MEMBERS:
        address = _account(name).address
        if balances.get(address, 0) != token.balance_of(address):
            problems.append(f"balance of {name}: index {balances.get(address, 0)}, chain {token.balance_of(address)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="Transfer events to generate (default 20000)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("--against", type=Path, help="also time the indexer of this source tree, side by side")
    args = parser.parse_args()
    n, rounds = args.events, args.rounds
    against: Path | None = args.against.resolve() if args.against else None
    trees: dict[str, list[tuple[float, float]]] = {"this tree": [], "against": []}

    print_header("indexer benchmark: node_api.indexer (fetch+decode+store) vs web3.py 8 get_logs", MODULE)
    t_start = time.perf_counter()
    with quiet_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-indexer-bench-") as tmp:
        data_dir = Path(tmp)
        world = build_world(node.url, node.port, data_dir, n)
        try:
            start = world.recourse.deployments.start_block
            print(
                f"setup   : anvil {node.url}, blocks {start}..{world.head}, {n:,} transfers + admissions, "
                f"setup {time.perf_counter() - t_start:.1f}s"
            )
            if against is not None:  # what both trees' indexers follow, in a form neither reads differently
                compiled = compile_project()
                contracts = {
                    n: {"address": c.address, "abi": compiled.get(n).abi}
                    for n, c in world.recourse.deployments.contracts.items()
                }
                target = {"start_block": start, "contracts": contracts}
                (data_dir / "indexer-target.json").write_text(json.dumps(target))
            base_s: list[float] = []
            ours_s: list[float] = []
            base_cpu: list[float] = []
            ours_cpu: list[float] = []
            stored = 0
            web3_events: dict[str, tuple[str, str, int]] = {}
            for i in range(rounds):
                order = ("baseline", "ours") if i % 2 == 0 else ("ours", "baseline")
                for which in order:
                    if which == "baseline":
                        elapsed, cpu, web3_events = baseline(node.url, world)
                        base_s.append(elapsed)
                        base_cpu.append(cpu)
                    else:
                        db_dir = data_dir / f"db-{i}"
                        db_dir.mkdir()
                        elapsed, cpu, engine, stored = ours(world, db_dir)
                        ours_s.append(elapsed)
                        ours_cpu.append(cpu)
                        engine.dispose()
                if against is not None:
                    for which in ("this tree", "against") if i % 2 == 0 else ("against", "this tree"):
                        tree = PROJECT_ROOT if which == "this tree" else against
                        trees[which].append(in_tree(tree, node, data_dir, f"{which.replace(' ', '-')}-{i}"))
                print(
                    f"  round {i + 1}/{rounds}: web3 get_logs {len(web3_events) / base_s[-1]:9,.0f} events/s   "
                    f"indexer {stored / ours_s[-1]:9,.0f} events/s ({stored:,} events stored)   "
                    f"ratio {base_s[-1] / ours_s[-1]:5.2f}x"
                )
            # correctness (outside the timed runs): a fresh index against web3's decoding and the chain
            db_dir = data_dir / "db-check"
            db_dir.mkdir()
            _, _, engine, _ = ours(world, db_dir)
            problems = check(world, engine, web3_events)
            engine.dispose()
        finally:
            world.client.close()
    transfers = len(web3_events)
    b_rate = transfers / median(base_s)
    o_rate = stored / median(ours_s)
    o_rate_transfers = transfers / median(ours_s)
    print()
    print(
        "correctness: "
        + (
            "every web3-decoded Transfer is indexed with identical args; indexed balances == balanceOf"
            if not problems
            else "; ".join(problems)
        )
    )
    print()
    paired = [b / o for b, o in zip(base_s, ours_s, strict=True)]
    rows = [
        Row(
            f"Transfer events fetched+decoded (N={transfers:,})",
            f"{b_rate:,.0f} ev/s",
            f"{o_rate_transfers:,.0f} ev/s",
            o_rate_transfers / b_rate,
            f"median of {rounds}; web3 {median(base_s):.2f}s, ours {median(ours_s):.2f}s (also stored + projected); "
            f"per-round ratios {min(paired):.1f}-{max(paired):.1f}x",
        ),
        Row(
            "CPU time of this process (load-independent)",
            f"{median(base_cpu):.2f} s",
            f"{median(ours_cpu):.2f} s",
            median(base_cpu) / median(ours_cpu),
            "speed-up (web3 / ours); excludes anvil's own CPU on both sides",
        ),
        Row(
            f"all Recourse events indexed ({stored:,})",
            "-",
            f"{o_rate:,.0f} ev/s",
            o_rate / b_rate,
            "every event of every contract, into SQLite (WAL)",
        ),
    ]
    print_table(rows, baseline_label="web3.py 8 get_logs", ours_label="Indexer.sync", ratio_label="ratio (ours/web3)")
    print("reference (ARCHITECTURE.md, same machine class): get_logs fetch+decode ~1,300-1,500 events/s")
    if against is not None:
        print(f"\nside by side, same harness (bench/_indexer_once.py), same chain: this tree vs {against}")
        mine, theirs = trees["this tree"], trees["against"]
        w_mine, w_theirs = median([w for w, _ in mine]), median([w for w, _ in theirs])
        c_mine, c_theirs = median([c for _, c in mine]), median([c for _, c in theirs])
        print_table(
            [
                Row(
                    f"Indexer.sync wall time, median of {rounds}",
                    f"{w_theirs:.3f} s",
                    f"{w_mine:.3f} s",
                    w_theirs / w_mine,
                    f"web3 get_logs / Indexer.sync: against {median(base_s) / w_theirs:.1f}x, "
                    f"this tree {median(base_s) / w_mine:.1f}x",
                ),
                Row("Indexer.sync CPU time, median", f"{c_theirs:.3f} s", f"{c_mine:.3f} s", c_theirs / c_mine),
            ],
            baseline_label="against",
            ours_label="this tree",
            ratio_label="ratio (against/this)",
        )
    print(
        f"\ntotal wall time {time.perf_counter() - t_start:.1f}s (including anvil start, deploy and event generation)"
    )
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
