"""Evidence benchmark: throughput of document digests to anchored receipts, gas per document, and
verification latency under 100 concurrent clients — each against a baseline in the same run.

1. **Throughput.** 50,000 small documents (their SHA-256 digests, ``POST /evidence/digests``, 1,000 per
   call, 4 concurrent submitters) through a real ``recourse serve`` (batch size 1,000): time from the first
   submission to the last document anchored with its receipt available (``status = anchored``). Baseline:
   the same kind of documents anchored one transaction per document (``EvidenceRegistry.anchor`` of each
   digest's one-leaf tree) with the project's chain client, sent as JSON-RPC batches (its fastest path).
2. **Gas.** ``gasUsed`` of one batch anchor (1,000 documents) / 1,000 vs ``gasUsed`` of a one-document
   anchor, same chain, same run.
3. **Verification latency.** 100 concurrent clients (keep-alive HTTP/1.1, a minimal asyncio client) POST
   ``/evidence/verify`` with one anchored digest each time; p50/p99, closed loop and paced (100 clients
   offering ``--paced-rate`` req/s together). Baseline: the same clients sending the direct JSON-RPC
   ``eth_call EvidenceRegistry.verify(root, digest, proof)`` to the chain node for the same digests.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._common import Row, load_note, median, print_header, print_table, private_anvil
from bench._gateway_common import GatewayProcess, Network, account, build_network, create_key
from chain.contracts.consortium import Role
from chain.merkle import StandardMerkleTree

GOAL_RATE = 5_000
GOAL_GAS_RATIO = 100
GOAL_P99_MS = 20.0


def digest(i: int, salt: str = "doc") -> str:
    return "0x" + hashlib.sha256(f"{salt}-{i}".encode()).hexdigest()


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as c:
        return dict(c.execute("select status, count(*) from evidence_items group by status").fetchall())


def gateway_throughput(gw: GatewayProcess, token: str, n: int, per_call: int, workers: int) -> tuple[float, float]:
    """Seconds from first submission to all ``n`` anchored, and seconds until all were acknowledged."""
    db = gw.data_dir / "gateway.sqlite"
    calls = [list(range(i, min(i + per_call, n))) for i in range(0, n, per_call)]
    headers = {"Authorization": f"Bearer {token}"}

    def submit(idx: list[int]) -> None:
        with httpx.Client(base_url=gw.url, timeout=120) as http:
            r = http.post(
                "/evidence/digests",
                json={"items": [{"digest": digest(i), "case_ref": f"CASE-{i // 100}"} for i in idx]},
                headers={**headers, "Idempotency-Key": f"bench-{idx[0]}"},
            )
            assert r.status_code == 202, r.text

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(submit, calls))
    acked = time.perf_counter() - t0
    while True:
        c = _counts(db)
        if c.get("anchored", 0) + c.get("failed", 0) >= n:
            break
        time.sleep(0.05)
    total = time.perf_counter() - t0
    assert c.get("failed", 0) == 0, c
    return total, acked


@dataclass
class Lat:
    latencies: list[float]
    elapsed: float
    errors: int

    def pct(self, q: float) -> float:
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(q * len(s)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    return int(lines[0].split()[1]), body


def _post(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _load(
    url: str, path: str, bodies: list[bytes], headers: dict[str, str], clients: int, requests: int, rate: float
) -> Lat:
    host, port_s = url.removeprefix("http://").rsplit(":", 1)
    port = int(port_s)
    conns = [await asyncio.open_connection(host, port) for _ in range(clients)]
    latencies: list[float] = []
    errors = 0
    rng = random.Random(7)  # noqa: S311 - load shape, not secrets
    mean_think = clients / rate if rate else 0.0
    per = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]

    async def worker(k: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal errors
        think = rng.uniform(0, mean_think)
        for j in range(per[k]):
            if mean_think:
                await asyncio.sleep(think)
                think = rng.expovariate(1 / mean_think)
            req = _post(host, port, path, bodies[(k * 7919 + j) % len(bodies)], headers)
            t = time.perf_counter()
            try:
                status, body = await _exchange(reader, writer, req)
            except (ConnectionError, asyncio.IncompleteReadError):  # the server closed an idle keep-alive
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                conns[k] = (reader, writer)
                t = time.perf_counter()
                status, body = await _exchange(reader, writer, req)
            latencies.append(time.perf_counter() - t)
            if status != 200 or (b'"verified"' not in body and b'"result":"0x' not in body):
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k, r, w) for k, (r, w) in enumerate(conns)))
    elapsed = time.perf_counter() - t0
    for _, w in conns:
        w.close()
    return Lat(latencies, elapsed, errors)


def load(
    url: str, path: str, bodies: list[bytes], headers: dict[str, str], *, clients: int, requests: int, rate: float
) -> Lat:
    return asyncio.run(_load(url, path, bodies, headers, clients, requests, rate))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--documents", type=int, default=50_000)
    p.add_argument("--per-call", type=int, default=1_000)
    p.add_argument("--submitters", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=1_000)
    p.add_argument("--baseline-documents", type=int, default=1_000, help="one anchor transaction each")
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--requests", type=int, default=4_000, help="verification requests per latency run")
    p.add_argument("--paced-rate", type=float, default=100.0, help="req/s offered by all clients together")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    print_header("Evidence: batched anchoring vs one anchor per document; verification latency", "bench.evidence_bench")
    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-evidence-bench-") as tmp:
        data = Path(tmp)
        members = [
            ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
            ("court", (Role.COURT,)),
            ("bank-2", (Role.BANK,)),
        ]
        network = build_network(node, data, members, funding={})
        gw = GatewayProcess(
            network,
            data / "gw",
            ["bank", "court"],
            extra_env={
                "RECOURSE_EVIDENCE__BATCH_SIZE": str(args.batch_size),
                "RECOURSE_EVIDENCE__BATCH_SECONDS": "0.5",
                "RECOURSE_INDEXER__ENABLED": "false",
            },
        )
        (data / "gw").mkdir(parents=True, exist_ok=True)
        bank_token = create_key(gw.db_url, "bank")
        court_token = create_key(gw.db_url, "court", ["members:read"])
        gw.start()
        try:
            return run(args, network, gw, bank_token, court_token)
        finally:
            gw.stop()


def run(args: argparse.Namespace, network: Network, gw: GatewayProcess, bank_token: str, court_token: str) -> int:
    registry = network.recourse.evidence
    # --- baseline: one anchor transaction per document (project client, JSON-RPC batches) ---
    sender = network.client.sender(account("bank-2"))
    reqs = [
        registry.anchor_request(StandardMerkleTree.of([digest(i, "single")]).root, 1)
        for i in range(args.baseline_documents)
    ]
    t0 = time.perf_counter()
    receipts = sender.transact_many(reqs)
    base_secs = time.perf_counter() - t0
    assert all(r.status == 1 for r in receipts)
    base_rate = args.baseline_documents / base_secs
    single_gas = median([r.gas_used for r in receipts])
    print(
        f"baseline: {args.baseline_documents} documents, one anchor tx each: {base_secs:.2f} s = "
        f"{base_rate:,.0f} docs/s; "
        f"gas per document {single_gas:,.0f} ({load_note()})"
    )
    # --- ours: the gateway, batched ---
    total, acked = gateway_throughput(gw, bank_token, args.documents, args.per_call, args.submitters)
    rate = args.documents / total
    print(
        f"gateway : {args.documents:,} documents acknowledged in {acked:.2f} s, all anchored in {total:.2f} s "
        f"= {rate:,.0f} docs/s ({load_note()})"
    )
    with sqlite3.connect(gw.data_dir / "gateway.sqlite") as c:
        rows = c.execute(
            "select b.leaf_count, o.gas_used from evidence_batches b join operations o on o.idempotency_key = "
            "'evidence-batch:' || b.id where b.status = 'anchored'"
        ).fetchall()
        sample = c.execute(
            "select i.digest, i.proof, b.root from evidence_items i join evidence_batches b on b.id = i.batch_id "
            "where i.status = 'anchored'"
        ).fetchall()
    full = [g / n for n, g in rows if n == args.batch_size and g]
    batched_gas = median(full) if full else float("nan")
    print(
        f"batches : {len(rows)} anchor transactions; gas per document in a full batch of {args.batch_size}: "
        f"{batched_gas:,.1f}"
    )
    # --- verification latency ---
    random.Random(3).shuffle(sample)  # noqa: S311 - request order, not secrets
    sample = sample[: max(args.requests, 5_000)]
    ours_bodies = [json.dumps({"digest": d}).encode() for d, _, _ in sample]
    call_bodies = []
    for d, proof, root in sample:
        data = registry.function("verify").encode(
            [bytes.fromhex(root[2:]), bytes.fromhex(d[2:]), [bytes.fromhex(x[2:]) for x in json.loads(proof)]]
        )
        call_bodies.append(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_call",
                    "params": [{"to": registry.address, "data": "0x" + data.hex()}, "latest"],
                }
            ).encode()
        )
    auth = {"Authorization": f"Bearer {court_token}"}
    load(gw.url, "/evidence/verify", ours_bodies[:200], auth, clients=10, requests=400, rate=0)  # warm-up
    results: dict[str, dict[str, list[Lat]]] = {"closed": {"ours": [], "base": []}, "paced": {"ours": [], "base": []}}
    for rnd in range(args.rounds):
        for mode, rate_ in (("closed", 0.0), ("paced", args.paced_rate)):
            n_req = args.requests if mode == "closed" else int(args.paced_rate * 20)
            order = [
                ("ours", gw.url, "/evidence/verify", ours_bodies, auth),
                ("base", network.node.url, "/", call_bodies, {}),
            ]
            if rnd % 2:
                order.reverse()
            for name, url, path, bodies, hdrs in order:
                r = load(url, path, bodies, hdrs, clients=args.clients, requests=n_req, rate=rate_)
                assert r.errors == 0, f"{name}: {r.errors} errors"
                results[mode][name].append(r)
                print(
                    f"round {rnd + 1} {mode:6} {name:4}: p50 {r.pct(0.5):7.1f} ms  p99 {r.pct(0.99):7.1f} ms  "
                    f"{r.rate:6.0f} req/s  ({load_note()})"
                )
    print()
    rows_out = [
        Row(
            "throughput (docs/s, submission -> anchored)",
            f"{base_rate:,.0f}",
            f"{rate:,.0f}",
            rate / base_rate,
            f"goal >= {GOAL_RATE:,}: {'met' if rate >= GOAL_RATE else 'NOT met'}",
        ),
        Row(
            "gas per document",
            f"{single_gas:,.0f}",
            f"{batched_gas:,.1f}",
            single_gas / batched_gas,
            f"goal >= {GOAL_GAS_RATIO}x cheaper: {'met' if single_gas / batched_gas >= GOAL_GAS_RATIO else 'NOT met'}",
        ),
    ]
    for mode in ("closed", "paced"):
        o, b = results[mode]["ours"], results[mode]["base"]
        o50, o99 = median([r.pct(0.5) for r in o]), median([r.pct(0.99) for r in o])
        b50, b99 = median([r.pct(0.5) for r in b]), median([r.pct(0.99) for r in b])
        label = "closed loop" if mode == "closed" else f"paced {args.paced_rate:.0f} req/s"
        rows_out.append(Row(f"verify p50 ({label})", f"{b50:.1f} ms", f"{o50:.1f} ms", b50 / o50, ""))
        rows_out.append(
            Row(
                f"verify p99 ({label})",
                f"{b99:.1f} ms",
                f"{o99:.1f} ms",
                b99 / o99,
                f"goal < {GOAL_P99_MS:.0f} ms: {'met' if o99 < GOAL_P99_MS else 'NOT met'}; "
                f"{median([r.rate for r in o]):.0f} vs {median([r.rate for r in b]):.0f} req/s",
            )
        )
    print_table(rows_out, baseline_label="baseline", ours_label="recourse", ratio_label="ratio")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
