"""Replay benchmark: ``chain.replay.run.run_replay`` (page, check, decode, fold, compare with the chain's views) vs
web3.py 8 ``get_logs`` + decoding alone, on one chain, in one run; and a large run (1,000,000 events by default).

The chain: one private anvil (hardfork cancun, periodic state dumps off) with the indexer benchmark's world
(``bench.indexer_bench.build_world``: a fresh deployment, members admitted through 2-of-3 proposals, the settlement
bank's ``--transfers`` SettlementToken transfers sent in bursts), then the bulk of the events, made cheaply: the
bank publishes a case batch (CaseDelegation enrolled as a system contract), the collector claims a case, the bank
anchors one evidence root, then opens a dispute on the case citing that root ``--roots-per-dispute`` times (one
``EvidenceSubmitted`` per citation) and abandons it, again and again (an abandoned dispute lets the case be
disputed anew). So most events are ``DisputeDesk.EvidenceSubmitted``, the rest ``Transfer``s, admissions and the
disputes' ``DisputeOpened``/``DisputeAbandoned``.

* baseline: web3.py 8 on ``Web3(HTTPProvider)``: ``contract.events.Transfer.get_logs`` (SettlementToken) and
  ``contract.events.EvidenceSubmitted.get_logs`` (DisputeDesk) over the first blocks holding about
  ``--baseline-events`` events (web3 decodes ~1,500 events/s: a million would take ten minutes). Nothing checked.
* ours, same blocks: ``run_replay(to_block=…)`` in a child process: every contract's logs paged and checked (keys,
  block hashes, parent hashes, code hashes), decoded, folded through every reducer, compared with the contracts'
  views at the target block, privileged actions collected. The report must be ``ok``.
* ours, large: the same to the head (``--events`` in all), with the child's peak RSS (``ru_maxrss``).

Run: ``.venv/bin/python -m bench.replay_bench`` from the project root (``--events 200000`` for a shorter run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from eth_typing import ABI
from web3 import HTTPProvider, Web3

from bench._common import Row, print_header, print_table
from bench.indexer_bench import World, _account, build_world, quiet_anvil
from chain.client import TxRequest
from chain.contracts.case_delegation import CaseBatchTree, CaseTerms, derive_case_id
from chain.node import AnvilNode

MODULE = "bench.replay_bench"
#: transactions sent per burst while automine is off (then mined into full blocks)
BURST = 100


def _governed_system_contract(world: World, address: str) -> None:
    c = world.recourse.consortium
    g1, g2 = (world.client.sender(_account(f"governor-{i}")) for i in (1, 2))
    pid = c.propose_system_contract(g1, address, enabled=True)
    c.approve(g2, pid)
    c.execute(g1, pid)


def add_disputes(world: World, n_events: int, roots: int) -> int:
    """Open and abandon disputes citing one root ``roots`` times each until about ``n_events`` more events are on
    chain; returns how many were added."""
    r, client = world.recourse, world.client
    bank, collector = client.sender(_account("bank")), client.sender(_account("collector"))
    _governed_system_contract(world, r.cases.address)
    now = client.block_timestamp()
    terms = CaseTerms(
        case_id=derive_case_id(bank.address, "LN-BENCH", os.urandom(32)),
        debtor_commitment=os.urandom(32),
        principal=10_000_000,
        overdue_amount=5_000_000,
        overdue_days=120,
        region=310000,
        fee_bps=1000,
        deadline=now + 365 * 86_400,
    )
    tree = CaseBatchTree([terms])
    r.token.approve(bank, r.cases.address, 1_000)
    batch_id = r.cases.publish_batch(bank, tree, closes_at=terms.deadline, fee_budget=1_000)
    r.cases.claim(collector, batch_id, terms, tree.proof(0))
    root = os.urandom(32)
    r.evidence.anchor(bank, root, 1)
    added = 6  # batch, claim (+ its events), the anchor: counted loosely, the replay counts exactly
    desk = r.disputes
    gas_open = client.estimate_gas(bank.address, desk.open_request(terms.case_id, 1_000, [root] * roots)) + 50_000
    first = desk.dispute_count() + 1
    pairs = max(1, math.ceil((n_events - added) / (roots + 2)))
    # one JSON-RPC batch per burst: keep it well under the node's request size limit (each citation is 32 bytes)
    per_burst = max(1, min(BURST // 2, 400_000 // (64 * roots)))
    client.rpc.call("evm_setAutomine", [False])
    hashes: list[str] = []
    try:
        for start in range(0, pairs, per_burst):
            reqs: list[TxRequest] = []
            for i in range(start, min(pairs, start + per_burst)):
                reqs.append(desk.request("open", terms.case_id, 1_000, [root] * roots, [], gas=gas_open))
                reqs.append(desk.request("abandon", first + i, bytes(32), gas=120_000))
            # full blocks raise the base fee 12.5% a block; reset it so fees computed a moment ago still pay
            client.rpc.call("anvil_setNextBlockBaseFeePerGas", ["0x0"])
            hashes += bank.send(reqs)
            while int(client.rpc.call("txpool_status")["pending"], 16):
                client.rpc.call("evm_mine")
            done = min(pairs, start + per_burst)
            if done % (per_burst * 20) == 0 or done == pairs:
                print(f"  generated {done * (roots + 2):,} dispute events", flush=True)
    finally:
        client.rpc.call("evm_setAutomine", [True])
    receipts = bank.wait(hashes)
    assert all(rc.status for rc in receipts), "a benchmark dispute transaction failed"
    world.head = client.block_number()
    return added + pairs * (roots + 2)


def prefix_block(world: World, events: int) -> int:
    """The first block by which the chain holds at least ``events`` Recourse events (counted with raw logs)."""
    d = world.recourse.deployments
    addresses = [c.address for c in d.contracts.values()]
    seen, block, step = 0, d.start_block, 25
    while block <= world.head:
        end = min(block + step - 1, world.head)
        logs = world.client.rpc.call(
            "eth_getLogs", [{"fromBlock": hex(block), "toBlock": hex(end), "address": addresses}]
        )
        for lg in logs:
            seen += 1
            if seen >= events:
                return int(lg["blockNumber"], 16)
        block = end + 1
    return world.head


def baseline(url: str, world: World, to_block: int) -> tuple[float, int]:
    """Seconds for web3.py to fetch and decode the Transfer and EvidenceSubmitted events up to ``to_block``."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 600}))
    token, desk = world.recourse.token, world.recourse.disputes
    t_contract = w3.eth.contract(address=Web3.to_checksum_address(token.address), abi=cast(ABI, token.abi))
    d_contract = w3.eth.contract(address=Web3.to_checksum_address(desk.address), abi=cast(ABI, desk.abi))
    start = world.recourse.deployments.start_block
    t0 = time.perf_counter()
    n = len(t_contract.events.Transfer.get_logs(from_block=start, to_block=to_block))
    n += len(d_contract.events.EvidenceSubmitted.get_logs(from_block=start, to_block=to_block))
    return time.perf_counter() - t0, n


def ours(node: AnvilNode, deployments: Path, to_block: int | None) -> dict[str, Any]:
    """``run_replay`` in a child process (its own peak RSS): events, seconds, ok, differences, peak RSS."""
    args = [sys.executable, "-m", MODULE, "--child", node.url, str(deployments), str(to_block or "")]
    out = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - our own module
    if out.returncode != 0:
        raise RuntimeError(f"the replay child failed: {out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def peak_rss() -> int:
    """This process's peak resident set in bytes: ``VmHWM``, which starts afresh at ``exec``. (``ru_maxrss`` does
    not: a child inherits the high-water mark of the parent it was forked from, here the generator's gigabyte.)"""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(url: str, deployments: str, to_block: str) -> int:
    from chain.replay.run import run_replay

    t0, c0 = time.perf_counter(), time.process_time()
    report, _ = run_replay(rpc_url=url, deployments=Path(deployments), to_block=int(to_block) if to_block else None)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = peak_rss()
    print(
        json.dumps(
            {
                "events": report.events,
                "wall": wall,
                "cpu": cpu,
                "ok": report.ok,
                "differences": len(report.differences),
                "integrity": len(report.integrity),
                "anomalies": len(report.anomalies),
                "privileged": len(report.privileged),
                "to_block": report.to_block,
                "rss": rss,
            }
        )
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events on chain in all (default 1000000)")
    parser.add_argument("--transfers", type=int, default=10_000, help="of which Transfers (default 10000)")
    parser.add_argument("--roots-per-dispute", type=int, default=1_000, help="EvidenceSubmitted per dispute")
    parser.add_argument("--baseline-events", type=int, default=50_000, help="events web3.py decodes (50000)")
    parser.add_argument("--child", nargs=3, metavar=("URL", "DEPLOYMENTS", "TO_BLOCK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)

    print_header("replay benchmark: chain.replay run_replay (page+check+decode+fold+compare) vs web3.py 8", MODULE)
    t_setup = time.perf_counter()
    with quiet_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-replay-bench-") as tmp:
        data_dir = Path(tmp)
        world = build_world(node.url, node.port, data_dir, args.transfers)
        try:
            add_disputes(world, args.events - args.transfers, args.roots_per_dispute)
            deployments = data_dir / "deployments.json"
            start = world.recourse.deployments.start_block
            prefix = prefix_block(world, args.baseline_events)
            print(f"setup   : blocks {start}..{world.head}, setup {time.perf_counter() - t_setup:.1f}s")
            base_s, base_n = baseline(node.url, world, prefix)
            small = ours(node, deployments, prefix)
            large = ours(node, deployments, None)
        finally:
            world.client.close()
    for run in (small, large):
        assert run["ok"], f"the replay is not ok: {run}"
    b_rate = base_n / base_s
    s_rate = small["events"] / small["wall"]
    l_rate = large["events"] / large["wall"]
    print(
        f"\nsame blocks {start}..{prefix}: web3.py decoded {base_n:,} events in {base_s:.2f}s; "
        f"run_replay replayed and checked {small['events']:,} in {small['wall']:.2f}s"
    )
    print(
        f"large     : {large['events']:,} events to block {large['to_block']:,} replayed and checked in "
        f"{large['wall']:.1f}s wall ({large['cpu']:.1f}s CPU in the replay process), peak RSS "
        f"{large['rss'] / 2**20:,.0f} MiB; report ok, 0 differences, 0 integrity failures, "
        f"{large['privileged']} privileged actions\n"
    )
    print_table(
        [
            Row("events/s, same blocks", f"{b_rate:,.0f}", f"{s_rate:,.0f}", s_rate / b_rate, "ours checks everything"),
            Row("events/s, large run", f"{b_rate:,.0f}", f"{l_rate:,.0f}", l_rate / b_rate, f"{large['events']:,}"),
            Row(
                "large run seconds (goal < 60)",
                "60",
                f"{large['wall']:.1f}",
                60 / large["wall"],
                "goal",
            ),
            Row("peak RSS MiB (goal < 1024)", "1024", f"{large['rss'] / 2**20:,.0f}", 2**30 / large["rss"], "goal"),
        ],
        baseline_label="web3.py 8 / goal",
        ours_label="run_replay",
        ratio_label="ratio",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
