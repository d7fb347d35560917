"""Case delegation benchmarks, each against a baseline measured in the same run on the same chain.

1. Publication cost: gas per case publishing N (10,000) cases with ``CaseDelegation.publishBatch`` (one
   Merkle root, count, budget) vs the baseline ``bench/contracts/StoragePublisher.sol``, which writes
   every case's terms to storage at publication (three packed slots per case, batches of 200 per
   transaction). Also the claim gas of a case of that batch (proof depth ⌈log2 N⌉).
2. Import: an M-row (100,000) CSV uploaded to a real gateway (``recourse serve`` subprocess, SQLite)
   until the batch is published on chain (``?confirm=true``), seconds and the gateway's peak RSS, vs the
   baseline: the same M cases written to chain storage by StoragePublisher (seconds).
3. Claims: sustained claims per second through the gateway with 20 concurrent collectors (20 fresh keys
   in an encrypted keystore, admitted by the governors), each claim a durable operation, counted when
   mined; vs the baseline: one collector claiming sequentially through the chain client (send + wait).

    python -m bench.cases_bench [--cases 10000] [--import-rows 100000] [--claims 400] [--block-time 0]

``--block-time N`` runs the claims and their baseline on a chain that mines a block every N seconds, as a
QBFT network does (Besu's ``blockperiodseconds``), instead of anvil's default of one block per transaction.

``--import-only`` runs just the import's gateway measurement (seconds, peak RSS): no publication gas, no
claims, no storage baseline (which takes minutes at 100,000 rows); its row has no baseline ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench._common import Row, print_header, print_table, private_anvil
from bench._gateway_common import GatewayProcess, Network, account, build_network, create_key
from chain.client import TxRequest
from chain.compiler import compile_project
from chain.contracts._base import BoundContract
from chain.contracts.case_delegation import CaseBatchTree, CaseTerms, derive_case_id
from chain.contracts.consortium import Role
from chain.keys import Keystore
from scripts.case_samples import case_csv

MODULE = "bench.cases_bench"
CHUNK = 200
#: claims of the sequential baseline: under automine, and with a block interval (each claim waits a block)
SEQ_CLAIMS = {False: 50, True: 10}
KEY_PASSWORD = "bench-keystore-password"  # noqa: S105 - a throwaway keystore in a temp dir


def _terms(n: int, *, deadline: int, tag: str) -> list[CaseTerms]:
    bank = account("bank").address
    salt = os.urandom(32)
    return [
        CaseTerms(
            case_id=derive_case_id(bank, f"{tag}-{i}", salt),
            debtor_commitment=os.urandom(32),
            principal=1_000_000 + i,
            overdue_amount=100_000 + i,
            overdue_days=90 + i % 400,
            region=310115,
            fee_bps=1500,
            deadline=deadline,
        )
        for i in range(n)
    ]


def _register_cases(net: Network) -> None:
    r, c = net.recourse, net.client
    pid = r.consortium.propose_system_contract(c.sender(account("governor-1")), r.cases.address, enabled=True)
    r.consortium.approve(c.sender(account("governor-2")), pid)
    r.consortium.execute(c.sender(account("governor-3")), pid)
    r.cases.set_max_open_cases(c.sender(account("regulator")), 100_000)  # the benchmark measures speed, not caps


def _storage_publisher(net: Network) -> BoundContract:
    art = compile_project(contracts_dir="bench/contracts").get("StoragePublisher")
    sender = net.client.sender(account("bench"))
    receipt = sender.transact(TxRequest(None, bytes.fromhex(art.bytecode[2:]), label="deploy StoragePublisher"))
    assert receipt.contract_address is not None
    return BoundContract(net.client, receipt.contract_address, art.abi)


def _baseline_publish(net: Network, publisher: BoundContract, terms: list[CaseTerms]) -> tuple[int, float]:
    """Write every case to storage (batches of CHUNK); returns (total gas, seconds)."""
    sender = net.client.sender(account("bench"))
    t0 = time.perf_counter()
    gas = 0
    for i in range(0, len(terms), CHUNK):
        rc = sender.transact(publisher.request("publish", [t.as_abi() for t in terms[i : i + CHUNK]]), timeout=600)
        assert rc.status, rc.tx_hash
        gas += rc.gas_used
    return gas, time.perf_counter() - t0


def publication(net: Network, n: int) -> tuple[list[Row], dict[str, Any]]:
    r = net.recourse
    now = net.client.block_timestamp()
    terms = _terms(n, deadline=now + 30 * 86400, tag="pub")
    t0 = time.perf_counter()
    tree = CaseBatchTree(terms)
    tree_s = time.perf_counter() - t0
    bank = net.client.sender(account("bank"))
    approve = r.token.approve(bank, r.cases.address, 1_000_000)
    receipt = bank.transact(r.cases.publish_batch_request(tree.root, n, now + 30 * 86400, 1_000_000))
    batch_id = r.cases.published_batch_id(receipt)
    ours = receipt.gas_used
    publisher = _storage_publisher(net)
    base_gas, base_s = _baseline_publish(net, publisher, terms)
    collector = net.client.sender(account("collector"))
    claim_gas = []
    for i in (0, n // 3, n // 2, n - 1):
        rc = r.cases.claim(collector, batch_id, terms[i], tree.proof(i))
        claim_gas.append(rc.gas_used)
    per_ours, per_base = ours / n, base_gas / n
    rows = [
        Row(
            f"publication gas per case ({n:,} cases)",
            f"{per_base:,.0f}",
            f"{per_ours:,.1f}",
            per_base / per_ours,
            f"root tx {ours:,} gas (+ approve {approve.gas_used:,}); "
            f"baseline {base_gas:,} gas in {-(-len(terms) // CHUNK)} txs",
        ),
        Row(
            f"claim gas (first claim, proof depth {len(tree.proof(0))})",
            "—",
            f"{sorted(claim_gas)[len(claim_gas) // 2]:,}",
            1.0,
            f"min {min(claim_gas):,} max {max(claim_gas):,}; the baseline paid its storage up front",
        ),
    ]
    return rows, {"tree_s": tree_s, "baseline_s": base_s}


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def import_rows(net: Network, gw: GatewayProcess, bank_key: str, m: int, *, baseline: bool = True) -> list[Row]:
    now = net.client.block_timestamp()
    data, _ = case_csv(m, deadline=now + 60 * 86400, prefix="IMP")
    before = _rss_kib(gw.pid)
    t0 = time.perf_counter()
    with httpx.Client(base_url=gw.url, timeout=1800) as http:
        r = http.post(
            "/cases/batches",
            params={"confirm": "true"},
            headers={"Authorization": f"Bearer {bank_key}", "Idempotency-Key": f"bench-import-{m}"},
            files={"file": ("cases.csv", data, "text/csv")},
            data={"fee_budget_fen": "100000000"},
        )
    ours_s = time.perf_counter() - t0
    r.raise_for_status()
    body = r.json()
    assert body["operations"][-1]["status"] == "succeeded", body
    peak = _peak_rss_kib(gw.pid)
    memory = f"{len(data) / 1e6:.1f} MB CSV; gateway RSS {before / 1024:.0f} → peak {peak / 1024:.0f} MiB"
    if not baseline:
        return [Row(f"import {m:,}-row CSV → published batch (s)", "—", f"{ours_s:,.1f}", 1.0, memory)]
    terms = _terms(m, deadline=now + 60 * 86400, tag="imp")
    publisher = _storage_publisher(net)
    _, base_s = _baseline_publish(net, publisher, terms)
    return [
        Row(
            f"import {m:,}-row CSV → published batch (s)",
            f"{base_s:,.1f}",
            f"{ours_s:,.1f}",
            base_s / ours_s,
            f"{memory}; baseline = same cases written to chain storage",
        )
    ]


def _collector_names(k: int) -> list[str]:
    return [f"bench-collector-{i:02d}" for i in range(k)]


def make_keystore(directory: Path, names: list[str]) -> dict[str, str]:
    store = Keystore(directory)
    return {n: str(store.create(n, KEY_PASSWORD).address) for n in names}


def admit_collectors(net: Network, addresses: dict[str, str]) -> None:
    r, c = net.recourse, net.client
    g1, g2, g3 = (c.sender(account(f"governor-{i}")) for i in (1, 2, 3))
    for name, address in addresses.items():
        c.rpc.call("anvil_setBalance", [address, hex(10**21)])
        pid = r.consortium.propose_admission(g1, address, name=name, roles=[Role.COLLECTOR], region=310000, kyc_tier=2)
        r.consortium.approve(g2, pid)
        r.consortium.execute(g3, pid)


async def _claim_all(gw: GatewayProcess, keys: dict[str, str], cases: list[str]) -> tuple[float, float, list[str]]:
    names = list(keys)
    per = len(cases) // len(names)
    op_ids: list[str] = []

    async def worker(i: int, client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {keys[names[i]]}"}
        for case_id in cases[i * per : (i + 1) * per]:
            r = await client.post(f"/cases/{case_id}/claim", headers={**headers, "Idempotency-Key": f"c-{case_id}"})
            if r.status_code != 202:
                raise RuntimeError(f"claim refused: {r.status_code} {r.text}")
            op_ids.append(r.json()["id"])

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=gw.url, timeout=120, limits=httpx.Limits(max_connections=40)) as client:
        await asyncio.gather(*(worker(i, client) for i in range(len(names))))
    return t0, time.perf_counter() - t0, op_ids


def sequential_claims(net: Network, n: int = 50) -> float:
    """Baseline: one collector claiming ``n`` cases sequentially through the chain client (send + wait)."""
    now = net.client.block_timestamp()
    terms = _terms(n, deadline=now + 60 * 86400, tag="seq")
    tree = CaseBatchTree(terms)
    r_ = net.recourse
    bank = net.client.sender(account("bank"))
    r_.token.approve(bank, r_.cases.address, 1_000)
    rc = bank.transact(r_.cases.publish_batch_request(tree.root, len(terms), now + 60 * 86400, 1_000))
    bid = r_.cases.published_batch_id(rc)
    collector = net.client.sender(account("collector"))
    t1 = time.perf_counter()
    for i, t in enumerate(terms):
        r_.cases.claim(collector, bid, t, tree.proof(i))
    return len(terms) / (time.perf_counter() - t1)


def interval_mining(net: Network, seconds: int) -> None:
    """Mine a block every ``seconds`` instead of one per transaction, as a QBFT network does."""
    net.client.rpc.call("evm_setAutomine", [False])
    net.client.rpc.call("evm_setIntervalMining", [seconds])


def claims(
    net: Network, gw: GatewayProcess, bank_key: str, keys: dict[str, str], n: int, base: float, *, note: str = ""
) -> list[Row]:
    now = net.client.block_timestamp()
    data, _ = case_csv(n, deadline=now + 60 * 86400, prefix="CLM")
    with httpx.Client(base_url=gw.url, timeout=600) as http:
        auth = {"Authorization": f"Bearer {bank_key}"}
        r = http.post(
            "/cases/batches",
            params={"confirm": "true"},
            headers={**auth, "Idempotency-Key": f"bench-claims-{n}"},
            files={"file": ("cases.csv", data, "text/csv")},
            data={"fee_budget_fen": "1000000"},
        )
        r.raise_for_status()
        batch = r.json()["batch"]["id"]
        end = time.monotonic() + 120  # with a block interval, "confirmed" can precede the block
        while http.get(f"/cases/batches/{batch}", headers=auth).json().get("chain_batch_id") is None:
            if time.monotonic() > end:
                state = http.get(f"/cases/batches/{batch}", headers=auth).text
                raise RuntimeError(f"batch {batch} not on chain in 120 s: {state}")
            time.sleep(0.2)
        cases = [
            c["case_id"] for c in http.get("/cases", headers=auth, params={"batch": batch, "limit": 500}).json()["data"]
        ]
        while len(cases) < n:
            page = http.get("/cases", headers=auth, params={"batch": batch, "limit": 500, "offset": len(cases)}).json()
            cases += [c["case_id"] for c in page["data"]]
        t0, intake_s, op_ids = asyncio.run(_claim_all(gw, keys, cases))
        # every operation, whoever owns it, is mined when its case shows claimed on chain
        end = time.monotonic() + 600
        while True:
            claimed = http.get("/cases", headers=auth, params={"batch": batch, "status": "claimed", "limit": 1}).json()
            if claimed["count"] >= len(op_ids) or time.monotonic() > end:
                break
            time.sleep(0.05)
        ours_s = time.perf_counter() - t0
    done = claimed["count"]
    ours = done / ours_s
    return [
        Row(
            f"claims/s through the gateway, {len(keys)} collectors{note}",
            f"{base:,.1f}",
            f"{ours:,.1f}",
            ours / base,
            f"{done} claims mined in {ours_s:.1f}s (index caught up; all 202s after {intake_s:.1f}s); "
            f"baseline 1 collector send+wait, {SEQ_CLAIMS[bool(note)]} claims",
        )
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--import-rows", type=int, default=100_000)
    p.add_argument("--claims", type=int, default=400)
    p.add_argument("--collectors", type=int, default=20)
    p.add_argument("--import-only", action="store_true", help="only the import (no gas, claims or storage baseline)")
    p.add_argument("--claims-only", action="store_true", help="only the claims and their sequential baseline")
    p.add_argument(
        "--block-time",
        type=int,
        default=0,
        help="mine a block every N seconds for the claims and their baseline (0: one block per transaction)",
    )
    args = p.parse_args()
    print_header("case delegation: publication gas, import, claims", MODULE)
    rows: list[Row] = []
    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-cases-bench-") as tmp:
        base = Path(tmp)
        net = build_network(
            node,
            base,
            [
                ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
                ("collector", (Role.COLLECTOR,)),
                ("regulator", (Role.REGULATOR,)),
            ],
            {"bank": 10_000_000_000_00},
        )
        _register_cases(net)
        seq = 0.0
        if not args.import_only:
            if not args.claims_only:
                r, extra = publication(net, args.cases)
                rows += r
                print(
                    f"(tree of {args.cases:,} cases built in {extra['tree_s']:.2f}s; "
                    f"baseline publication took {extra['baseline_s']:.1f}s)"
                )
            if args.block_time:
                # the baseline uses the bank's key: before the gateway's writer holds it
                interval_mining(net, args.block_time)
                seq = sequential_claims(net, SEQ_CLAIMS[True])
                net.client.rpc.call("evm_setAutomine", [True])  # the set-up below, block by block
            else:
                seq = sequential_claims(net)
        names = _collector_names(0 if args.import_only else args.collectors)
        keystore = base / "keystore"
        addresses = make_keystore(keystore, names)
        admit_collectors(net, addresses)
        gw = GatewayProcess(
            net,
            base / "gw",
            ["bank", *names],
            extra_env={
                "RECOURSE_CHAIN__KEYSTORE_DIR": str(keystore),
                "RECOURSE_CHAIN__KEYSTORE_PASSWORD": KEY_PASSWORD,
            },
        )
        bank_key = create_key(gw.db_url, "bank")
        keys = {n: create_key(gw.db_url, n) for n in names}
        gw.start(timeout=120)
        try:
            if not args.import_only and args.block_time:
                interval_mining(net, args.block_time)
                rows += claims(net, gw, bank_key, keys, args.claims, seq, note=f", a block every {args.block_time}s")
            elif not args.import_only:
                rows += claims(net, gw, bank_key, keys, args.claims, seq)
            if not args.claims_only:
                rows += import_rows(net, gw, bank_key, args.import_rows, baseline=not args.import_only)
        except Exception:
            print(gw.tail(4000))
            raise
        finally:
            gw.stop()
        net.client.close()
    print_table(rows, baseline_label="baseline", ours_label="ours", ratio_label="ratio")


if __name__ == "__main__":
    main()
