"""Gateway benchmark: writes (POST to confirmed) vs plain web3.py 8, and GET latency under 100 clients.

One private anvil (hardfork cancun, automine), one fresh deployment, members admitted by 2-of-3
Consortium proposals and funded by the settlement bank. The gateway is a real ``recourse serve``
subprocess bound to 127.0.0.1 (free port, SQLite WAL in a temporary directory, indexer on, default
settings) hosting the ``bank`` institution, with an API key created in its database beforehand.

Writes: N settlement-token transfers of 1 fen each.

* gateway ``202 + poll``: C keep-alive connections of the minimal asyncio HTTP/1.1 client used for the
  reads (below; so that the load generator, not the gateway, is never the bottleneck) POST
  ``/tokens/transfers``, each with its own ``Idempotency-Key`` (202), then poll ``GET /operations/{id}``
  for their operations, oldest first (every 20 ms while the oldest is not finished), until each is
  ``succeeded``. Sender ``bank`` →
  ``collector``. Timed from the first POST until the last operation is seen ``succeeded``.
* gateway ``?confirm=true``: the same, but each POST waits for the result (200 + ``succeeded``).
* baseline, plain web3.py 8 (``Web3(HTTPProvider)``), sender ``bench`` → ``investor`` (another key, so
  nonces never collide): ``functions.transfer(...).build_transaction`` with explicit nonce, gas, fees
  and chain id and ``Account.sign_transaction`` for all N, then ``send_raw_transaction`` one by one,
  then ``wait_for_transaction_receipt`` each. Timed from the first build (signing included, as the
  gateway signs inside its timed region); the send + receipts part alone is reported too.

Every round runs each contestant once, the starting contestant rotating; medians are reported.
Correctness: every operation ``succeeded``, distinct tx hashes, every receipt status 1; the bank's
nonce advanced by exactly the number of operations (each sent once, no filler transactions); the
balances of the four members moved by exactly the transferred amounts; total supply unchanged.

Stall watchdog: anvil can leave a transaction whose nonce is the sender's next nonce in its "queued"
pool forever (see BENCHMARKS.md). If no operation makes progress for ``STALL_AFTER`` seconds, the
benchmark prints the pool state, clears the sender's pool transactions (``anvil_removePoolTransactions``;
the writer then rebroadcasts them as lost) and flags the round; flagged rounds are left out of the medians.

Reads: 100 concurrent clients, each a keep-alive HTTP/1.1 connection driven by a minimal asyncio client
(``httpx.AsyncClient`` with 100 connections saturates its own event loop first: see BENCHMARKS.md).
Endpoints: ``/healthz`` (no auth, no database: the baseline), ``/members`` (SQL index), ``/me`` (chain
reads), ``/operations/{id}`` (SQL), ``/tokens/balances/{address}`` (one chain read). Two loads:

* closed loop: every client sends its requests back to back (saturation; by Little's law the latency
  is about 100 / throughput);
* paced: every client sends one request, then waits an exponential think time so that all clients
  together offer ``--paced-rate`` requests per second (one load per value: 100 and 500 by default).

Latency is measured by the client per request; p50/p99 per run, median over rounds; rounds rotate the
endpoint order. Each endpoint's p99 is also compared with ``/healthz`` under the same load.

Run: ``.venv/bin/python -m bench.gateway_bench`` from the project root.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from eth_account.datastructures import SignedTransaction
from eth_typing import ABI, ChecksumAddress
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import TimeExhausted, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from bench._common import Row, load_note, median, print_header, print_table, private_anvil
from bench._gateway_common import GatewayProcess, Network, account, build_network, create_key
from chain.contracts.consortium import Role
from chain.node import rpc_request

MODULE = "bench.gateway_bench"

GATEWAY_FROM, GATEWAY_TO = "bank", "collector"
PLAIN_FROM, PLAIN_TO = "bench", "investor"
MEMBERS: tuple[tuple[str, tuple[Role, ...]], ...] = (
    ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
    ("collector", (Role.COLLECTOR,)),
    ("investor", (Role.INVESTOR,)),
    ("bench", (Role.INVESTOR,)),
)
AMOUNT = 1  # fen per transfer
FUNDING = {"bank": 100_000_000, "bench": 100_000_000, "collector": 100, "investor": 100}
TERMINAL = ("succeeded", "failed")
POLL = 0.02  # seconds between two polls of a still-unfinished operation
STALL_AFTER = 6.0  # seconds without progress before the watchdog looks at anvil's pool
GOAL_P99_MS = 50.0
WARMUP = 20


# --- anvil pool diagnostics (the stall watchdog) ---


def _rpc(url: str, method: str, params: list[object] | None = None) -> Any:
    return rpc_request(url, method, params, timeout=10.0)


def unstick(anvil_url: str, address: str) -> str:
    """Describe ``address``'s pool state; if transactions sit in anvil's queue, remove them from the pool."""
    status = cast(dict[str, str], _rpc(anvil_url, "txpool_status"))
    mined = int(cast(str, _rpc(anvil_url, "eth_getTransactionCount", [address, "latest"])), 16)
    content = cast(dict[str, dict[str, dict[str, Any]]], _rpc(anvil_url, "txpool_content"))
    queued = {int(n) for a, txs in content.get("queued", {}).items() if a.lower() == address.lower() for n in txs}
    ready = {int(n) for a, txs in content.get("pending", {}).items() if a.lower() == address.lower() for n in txs}
    note = (
        f"pool ready={int(status['pending'], 16)} queued={int(status['queued'], 16)}; sender mined nonce {mined}, "
        f"its queued nonces {min(queued) if queued else '-'}..{max(queued) if queued else '-'} ({len(queued)}), "
        f"ready {len(ready)}"
    )
    if queued:
        _rpc(anvil_url, "anvil_removePoolTransactions", [address])
        note += "; removed the sender's pool transactions (the sender must rebroadcast them)"
    return note


# --- writes: plain web3.py 8 ---


@dataclass
class PlainRun:
    receipts: list[TxReceipt]
    elapsed: float
    signing: float
    stalls: list[str] = field(default_factory=list)


class PlainWeb3:
    """What a web3.py user writes: contract object, explicit tx fields, local signing, raw send, wait."""

    def __init__(self, url: str, token_address: str, abi: list[dict[str, Any]], sender: str) -> None:
        self.url = url
        self.w3 = Web3(HTTPProvider(url))
        self.token: Contract = self.w3.eth.contract(address=Web3.to_checksum_address(token_address), abi=cast(ABI, abi))
        self.account = account(sender)
        self.chain_id = self.w3.eth.chain_id
        self.priority_fee = 1_000_000_000

    def burst(self, to: ChecksumAddress, n: int, gas: int) -> PlainRun:
        """Sign n with explicit nonces, send one by one, then await each receipt."""
        t0 = time.perf_counter()
        nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        signed: list[SignedTransaction] = []
        for i in range(n):
            params: TxParams = {
                "from": self.account.address,
                "nonce": Nonce(nonce + i),
                "chainId": self.chain_id,
                "gas": gas,
                "maxFeePerGas": Wei(2 * base + self.priority_fee),
                "maxPriorityFeePerGas": Wei(self.priority_fee),
            }
            tx = self.token.functions.transfer(to, AMOUNT).build_transaction(params)
            signed.append(self.account.sign_transaction(cast(dict[str, Any], tx)))
        signing = time.perf_counter() - t0
        hashes = [self.w3.eth.send_raw_transaction(s.raw_transaction) for s in signed]
        receipts: list[TxReceipt] = []
        stalls: list[str] = []
        for i, h in enumerate(hashes):
            while True:
                try:
                    receipts.append(self.w3.eth.wait_for_transaction_receipt(h, timeout=STALL_AFTER))
                    break
                except TimeExhausted:  # the same anvil stall as the gateway's: clear and resend the rest
                    stalls.append(unstick(self.url, self.account.address))
                    for s in signed[i:]:
                        try:
                            self.w3.eth.send_raw_transaction(s.raw_transaction)
                        except Web3RPCError:  # already mined or still known: nothing to resend
                            continue
        return PlainRun(receipts, time.perf_counter() - t0, signing, stalls)


# --- writes: through the gateway ---


@dataclass
class WriteRun:
    elapsed: float
    intake: float  # seconds from the first POST until the last acknowledgement
    ops: dict[str, dict[str, Any]]  # operation id -> final operation as returned by the gateway
    polls: int
    stalls: list[str]


async def gateway_writes(
    url: str,
    token: str,
    to: str,
    n: int,
    clients: int,
    *,
    confirm: bool,
    tag: str,
    on_stall: Callable[[], str] | None = None,
) -> WriteRun:
    """N transfers from ``clients`` keep-alive connections (the asyncio load generator below, so the
    client is not the bottleneck); timed from the first POST until the last is ``succeeded``."""
    host, port_text = url.removeprefix("http://").rsplit(":", 1)
    port = int(port_text)
    auth = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
    path = "/tokens/transfers" + ("?confirm=true" if confirm else "")
    shares = [list(range(c, n, clients)) for c in range(clients)]
    done: list[dict[str, dict[str, Any]]] = [{} for _ in range(clients)]
    acked = [0] * clients
    polls = [0] * clients
    acked_at = [0.0] * clients
    ends = [0.0] * clients
    conns = [await asyncio.open_connection(host, port) for _ in range(clients)]
    warm = f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    await asyncio.gather(*(_exchange(r, w, warm) for r, w in conns))  # connected before the clock starts

    async def client(c: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ids: list[str] = []
        for i in shares[c]:
            body = json.dumps({"to": to, "amount_fen": AMOUNT}).encode()
            request = (
                f"POST {path} HTTP/1.1\r\n{auth}Idempotency-Key: {tag}-{i}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            status, answer = await _exchange_body(reader, writer, request)
            assert status in ((200, 202) if confirm else (202,)), answer[:500]
            op = json.loads(answer)
            ids.append(op["id"])
            acked[c] += 1
            if op["status"] in TERMINAL:
                done[c][op["id"]] = op
        acked_at[c] = time.perf_counter()
        for op_id in ids:  # oldest first: once it is finished the next ones usually are too
            poll = f"GET /operations/{op_id} HTTP/1.1\r\n{auth}\r\n".encode()
            while op_id not in done[c]:
                status, answer = await _exchange_body(reader, writer, poll)
                assert status == 200, answer[:500]
                op = json.loads(answer)
                polls[c] += 1
                if op["status"] in TERMINAL:
                    done[c][op_id] = op
                else:
                    await asyncio.sleep(POLL)
        ends[c] = time.perf_counter()

    stalls: list[str] = []

    async def watchdog() -> None:
        last, last_change = -1, time.perf_counter()
        while True:
            await asyncio.sleep(0.1)
            progress = sum(acked) + sum(len(d) for d in done)
            if progress != last:
                last, last_change = progress, time.perf_counter()
            elif on_stall is not None and time.perf_counter() - last_change > STALL_AFTER:
                note = await asyncio.to_thread(on_stall)
                stalls.append(f"after {progress - sum(len(d) for d in done)} acks: {note}")
                last_change = time.perf_counter()

    t0 = time.perf_counter()
    guard = asyncio.create_task(watchdog())
    try:
        await asyncio.gather(*(client(c, r, w) for c, (r, w) in enumerate(conns)))
    finally:
        guard.cancel()
        for _, w in conns:
            w.close()
    ops = {k: v for d in done for k, v in d.items()}
    return WriteRun(max(ends) - t0, max(acked_at) - t0, ops, sum(polls), stalls)


# --- reads: a minimal keep-alive HTTP/1.1 load generator (asyncio streams) ---


@dataclass
class ReadRun:
    latencies: list[float]  # seconds
    elapsed: float
    errors: int

    def pct(self, q: float) -> float:
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(q * len(s)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    return (await _exchange_body(reader, writer, request))[0]


async def _exchange_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection; the status and the body of the answer."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            raise RuntimeError("chunked responses are not supported by this load generator")
    body = await reader.readexactly(length)
    return int(lines[0].split()[1]), body


async def _read_load(
    host: str, port: int, token: str, path: str, clients: int, *, requests: int = 0, rate: float = 0, seconds: float = 0
) -> ReadRun:
    """Closed loop (``requests`` in total, back to back) or paced (``rate`` req/s offered for ``seconds``)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    conns = [await asyncio.open_connection(host, port) for _ in range(clients)]
    warm = f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    await asyncio.gather(*(_exchange(r, w, warm) for r, w in conns))
    latencies: list[float] = []
    errors = 0
    rng = random.Random(1)  # noqa: S311 - think times, not secrets
    mean_think = clients / rate if rate else 0.0

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: int, until: float) -> None:
        nonlocal errors
        think = rng.uniform(0, mean_think)  # paced: spread the first requests over one mean think time
        sent = 0
        while True:
            if mean_think:
                if time.perf_counter() + think >= until:
                    return
                await asyncio.sleep(think)
                think = rng.expovariate(1 / mean_think)
            elif sent >= count:
                return
            t = time.perf_counter()
            status = await _exchange(reader, writer, request)
            latencies.append(time.perf_counter() - t)
            errors += status != 200
            sent += 1

    per = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)] if requests else []
    t0 = time.perf_counter()
    until = t0 + seconds
    await asyncio.gather(*(worker(r, w, per[i] if per else 0, until) for i, (r, w) in enumerate(conns)))
    elapsed = time.perf_counter() - t0
    for _, w in conns:
        w.close()
    return ReadRun(latencies, elapsed, errors)


def read_load(
    url: str, token: str, path: str, clients: int, *, requests: int = 0, rate: float = 0, seconds: float = 0
) -> ReadRun:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    load = _read_load(host, int(port), token, path, clients, requests=requests, rate=rate, seconds=seconds)
    return asyncio.run(load)


# --- orchestration ---


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live descendants (the gateway's background process
    included), from /proc; 0 for what is unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children.update(int(c) for c in task.read_text().split())
        except (OSError, ValueError):
            continue
    return own + sum(_cpu_seconds(c) for c in children)


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_per_op(before: tuple[float, float, float], anvil_pid: int, gw_pid: int, n: int) -> tuple[float, float, float]:
    now = (_cpu_seconds(anvil_pid), _cpu_seconds(gw_pid), _self_cpu())
    return (
        (now[0] - before[0]) / n * 1000,
        (now[1] - before[1]) / n * 1000,
        (now[2] - before[2]) / n * 1000,
    )


def _rotate(names: Sequence[str], i: int) -> list[str]:
    k = i % len(names)
    return list(names[k:]) + list(names[:k])


@dataclass
class Rates:
    clean: list[float] = field(default_factory=list)
    flagged: list[float] = field(default_factory=list)

    def add(self, rate: float, stalled: bool) -> None:
        (self.flagged if stalled else self.clean).append(rate)

    @property
    def best(self) -> list[float]:
        return self.clean or self.flagged


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=1000, help="transfers per write run (default 1000)")
    parser.add_argument("--write-rounds", type=int, default=3, help="rounds of write runs (default 3)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent write clients (default 16)")
    parser.add_argument("--read-clients", type=int, default=100, help="concurrent read clients (default 100)")
    parser.add_argument("--reads", type=int, default=2000, help="requests per closed-loop read run (default 2000)")
    parser.add_argument(
        "--paced-rate",
        type=float,
        nargs="+",
        default=[100.0, 500.0],
        help="offered req/s of the paced runs, one load per value (default 100 500)",
    )
    parser.add_argument("--paced-seconds", type=float, default=5, help="seconds per paced read run (default 5)")
    parser.add_argument("--read-rounds", type=int, default=2, help="rounds of read runs (default 2)")
    args = parser.parse_args()

    print_header("gateway benchmark: writes vs plain web3.py 8, reads under 100 concurrent clients", MODULE)
    t_start = time.perf_counter()
    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-gw-bench-") as tmp:
        network = build_network(node, Path(tmp), MEMBERS, FUNDING)
        gw = GatewayProcess(network, Path(tmp) / "gateway", [GATEWAY_FROM])
        token = create_key(gw.db_url, GATEWAY_FROM)
        try:
            gw.start()
            return run(args, network, gw, token, t_start)
        finally:
            gw.stop()
            network.client.close()


def run(args: argparse.Namespace, network: Network, gw: GatewayProcess, token: str, t_start: float) -> int:
    n, clients = args.writes, args.clients
    tok = network.recourse.token
    addr = {name: account(name).address for name, _ in MEMBERS}
    gas = network.client.estimate_gas(addr[PLAIN_FROM], tok.transfer_request(addr[PLAIN_TO], AMOUNT))
    plain = PlainWeb3(network.node.url, tok.address, tok.abi, PLAIN_FROM)
    plain_to = Web3.to_checksum_address(addr[PLAIN_TO])
    anvil_pid = int(network.node.pid_file.read_text().strip())
    print(
        f"setup   : anvil {network.node.url} (cancun, automine, pid {anvil_pid}); gateway `recourse serve` pid "
        f"{gw.pid} at {gw.url} (SQLite WAL, indexer on); setup {time.perf_counter() - t_start:.1f}s"
    )
    print(
        f"writes  : {n} transfers of {AMOUNT} fen per run, {args.write_rounds} rounds; gateway {GATEWAY_FROM} -> "
        f"{GATEWAY_TO} from {clients} client connections; plain {PLAIN_FROM} -> {PLAIN_TO}, explicit gas {gas:,}",
        flush=True,
    )
    before = {k: tok.balance_of(a) for k, a in addr.items()}
    supply = tok.total_supply()
    bank_nonce = network.client.nonces(addr[GATEWAY_FROM])[0]

    def gw_stall() -> str:
        return unstick(network.node.url, addr[GATEWAY_FROM])

    # warm-up (not timed): connections, caches, first batches
    gw_ops = len(
        asyncio.run(
            gateway_writes(gw.url, token, addr[GATEWAY_TO], WARMUP, 4, confirm=True, tag="warm", on_stall=gw_stall)
        ).ops
    )
    plain_txs = len(plain.burst(plain_to, WARMUP, gas).receipts)

    rates = {k: Rates() for k in ("plain", "plain-send", "poll", "poll-intake", "confirm")}
    # CPU ms per operation of each process during each contestant's runs: (anvil, gateway, this process)
    cpu: dict[str, list[tuple[float, float, float]]] = {"plain": [], "poll": [], "confirm": []}
    polls: list[int] = []
    stalls: list[str] = []
    for i in range(args.write_rounds):
        line: dict[str, str] = {}
        for name in _rotate(["plain", "poll", "confirm"], i):
            cpu0 = (_cpu_seconds(anvil_pid), _cpu_seconds(gw.pid), _self_cpu())
            if name == "plain":
                p = plain.burst(plain_to, n, gas)
                cpu["plain"].append(_cpu_per_op(cpu0, anvil_pid, gw.pid, n))
                assert len(p.receipts) == n, f"plain: {len(p.receipts)} receipts"
                assert all(int(r["status"]) == 1 for r in p.receipts), "a plain transfer failed"
                plain_txs += n
                rates["plain"].add(n / p.elapsed, bool(p.stalls))
                rates["plain-send"].add(n / (p.elapsed - p.signing), bool(p.stalls))
                stalls += [f"round {i + 1} plain: {s}" for s in p.stalls]
                line[name] = f"plain {n / p.elapsed:.1f}" + (" (STALLED)" if p.stalls else "")
                continue
            w = asyncio.run(
                gateway_writes(
                    gw.url,
                    token,
                    addr[GATEWAY_TO],
                    n,
                    clients,
                    confirm=name == "confirm",
                    tag=f"r{i}-{name}",
                    on_stall=gw_stall,
                )
            )
            cpu[name].append(_cpu_per_op(cpu0, anvil_pid, gw.pid, n))
            statuses = {op["status"] for op in w.ops.values()}
            assert len(w.ops) == n, f"{name}: {len(w.ops)} operations"
            assert statuses == {"succeeded"}, f"{name}: statuses {statuses}"
            assert len({op["tx_hash"] for op in w.ops.values()}) == n, f"{name}: duplicate tx hashes"
            gw_ops += n
            rates[name].add(n / w.elapsed, bool(w.stalls))
            stalls += [f"round {i + 1} gateway {name}: {s}" for s in w.stalls]
            if name == "poll":
                rates["poll-intake"].add(n / w.intake, bool(w.stalls))
                polls.append(w.polls)
            label = "202+poll" if name == "poll" else "confirm=true"
            line[name] = f"gateway {label} {n / w.elapsed:.1f}" + (" (STALLED)" if w.stalls else "")
        print(
            f"  writes round {i + 1}/{args.write_rounds} (ops/s): {'   '.join(line.values())}   ({load_note()})",
            flush=True,
        )
    for s in stalls:
        print(f"  STALL {s}", flush=True)

    after = {k: tok.balance_of(a) for k, a in addr.items()}
    expected = dict(before)
    expected[GATEWAY_FROM] -= gw_ops * AMOUNT
    expected[GATEWAY_TO] += gw_ops * AMOUNT
    expected[PLAIN_FROM] -= plain_txs * AMOUNT
    expected[PLAIN_TO] += plain_txs * AMOUNT
    nonce_delta = network.client.nonces(addr[GATEWAY_FROM])[0] - bank_nonce
    supply_ok = tok.total_supply() == supply
    writes_ok = after == expected and supply_ok and nonce_delta == gw_ops
    print(
        f"correctness: {gw_ops:,} gateway operations succeeded with distinct tx hashes, bank nonce +{nonce_delta:,} "
        f"({'= operations' if nonce_delta == gw_ops else 'MISMATCH'}); {plain_txs:,} plain receipts status 1; "
        f"balances {'match' if after == expected else 'MISMATCH'}; "
        f"total supply {'unchanged' if supply_ok else 'CHANGED'}",
        flush=True,
    )

    # reads
    some_op = next(
        iter(asyncio.run(gateway_writes(gw.url, token, addr[GATEWAY_TO], 1, 1, confirm=True, tag="read")).ops)
    )
    endpoints = {
        "/healthz": "/healthz",
        "/members": "/members",
        "/me": "/me",
        "/operations/{id}": f"/operations/{some_op}",
        "/tokens/balances/{address}": f"/tokens/balances/{addr[GATEWAY_TO]}",
    }
    loads: dict[str, tuple[int, float, float]] = {"closed": (args.reads, 0.0, 0.0)}  # requests, rate, seconds
    for rate in args.paced_rate:
        loads[f"paced {rate:g}/s"] = (0, rate, args.paced_seconds)
    rates_text = " and ".join(f"{r:g}" for r in args.paced_rate)
    print(
        f"reads   : {args.read_clients} clients; closed loop {args.reads} requests per run; paced {rates_text} "
        f"req/s offered for {args.paced_seconds:g} s per run; {args.read_rounds} rounds",
        flush=True,
    )
    reads: dict[str, dict[str, list[ReadRun]]] = {load: {e: [] for e in endpoints} for load in loads}
    for i in range(args.read_rounds):
        for load, (requests, rate, seconds) in loads.items():
            for name in _rotate(list(endpoints), i):
                r = read_load(
                    gw.url, token, endpoints[name], args.read_clients, requests=requests, rate=rate, seconds=seconds
                )
                assert r.errors == 0, f"{name}: {r.errors} non-200 answers"
                reads[load][name].append(r)
                print(
                    f"  reads round {i + 1}/{args.read_rounds} {load:12} {name:27} p50 {r.pct(0.5):7.1f} ms  "
                    f"p99 {r.pct(0.99):7.1f} ms  {r.rate:6.0f} req/s   ({load_note()})",
                    flush=True,
                )

    # report
    print()
    print(f"Writes: N={n} transfers per run, median of clean rounds (ops/s; ratio = gateway / plain)")
    w_rows = [
        _rate_row("gateway 202 + poll vs plain sign+send+receipts", rates["plain"], rates["poll"]),
        _rate_row("gateway ?confirm=true vs plain sign+send+receipts", rates["plain"], rates["confirm"]),
        _rate_row("gateway 202 + poll vs plain pre-signed (send+receipts)", rates["plain-send"], rates["poll"]),
        _rate_row("gateway POST intake (202s only) vs plain sign+send+receipts", rates["plain"], rates["poll-intake"]),
    ]
    print_table(w_rows, baseline_label="plain web3.py 8", ours_label="gateway", ratio_label="ratio (gw/plain)")
    print("CPU per operation (user+sys ms, median of rounds; client = this process) during each contestant's runs:")
    for name, label in (("plain", "plain web3.py"), ("poll", "gateway 202+poll"), ("confirm", "gateway confirm=true")):
        a, g, c = (median([x[k] for x in cpu[name]]) for k in range(3))
        print(f"  {label:21} anvil {a:5.2f}  gateway+bg {g:5.2f}  client {c:5.2f}  sum {a + g + c:5.2f}")
    print(f"GET /operations polls per 202+poll run: {polls}; stalled rounds left out: {len(stalls)}")
    print()
    overall: dict[str, list[float]] = {}
    for load, per_endpoint in reads.items() if args.read_rounds > 0 else ():
        what = (
            f"closed loop, {args.read_clients} clients back to back"
            if load == "closed"
            else f"paced, {args.read_clients} clients offering {loads[load][1]:g} req/s"
        )
        print(f"Reads ({what}): median of {args.read_rounds} rounds; ratio = p99 /healthz / p99 endpoint")
        base99 = median([r.pct(0.99) for r in per_endpoint["/healthz"]])
        r_rows = []
        for name, runs in per_endpoint.items():
            p50, p99 = median([r.pct(0.5) for r in runs]), median([r.pct(0.99) for r in runs])
            goal = "met" if p99 < GOAL_P99_MS else "NOT met"
            note = f"p50 {p50:.1f} ms; {median([r.rate for r in runs]):.0f} req/s; p99 < {GOAL_P99_MS:.0f} ms {goal}"
            r_rows.append(Row(f"GET {name}", f"{base99:.1f} ms", f"{p99:.1f} ms", base99 / p99, note))
        print_table(r_rows, baseline_label="p99 /healthz", ours_label="p99", ratio_label="ratio")
        lat = sorted(x for e, runs in per_endpoint.items() if e != "/healthz" for r in runs for x in r.latencies)
        overall[load] = [lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000]
        print(
            f"overall (the four authenticated endpoints, all rounds pooled): p50 {overall[load][0]:.1f} ms, "
            f"p99 {overall[load][1]:.1f} ms"
        )
        print()
    print(f"total {time.perf_counter() - t_start:.0f}s; {load_note()}")
    return 0 if writes_ok else 1


def _rate_row(metric: str, base: Rates, ours: Rates) -> Row:
    b, o = base.best, ours.best
    spread = f"range {min(b):.0f}-{max(b):.0f} vs {min(o):.0f}-{max(o):.0f}; n={len(b)}/{len(o)}"
    return Row(metric, f"{median(b):.1f} ops/s", f"{median(o):.1f} ops/s", median(o) / median(b), spread)


if __name__ == "__main__":
    raise SystemExit(main())
