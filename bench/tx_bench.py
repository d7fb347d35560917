"""Transaction benchmark: ``chain.client.Sender`` vs plain web3.py 8, ERC-20 transfers of ``SettlementToken``.

One private anvil (hardfork cancun, automine), one fresh deployment, members admitted through 2-of-3
Consortium proposals and funded by the settlement bank. The baselines sign with identity ``bench``, our
client with ``bench-2`` (both admitted members), so nonces never collide; each pays a different member
that already holds tokens. In every round each contestant runs once, the order rotating from round to
round; the median over rounds is reported.

* sequential: N transfers, each sent and awaited before the next.
  Baseline: ``Web3(HTTPProvider)`` contract object → ``build_transaction`` (explicit nonce, gas, fees,
  chain id) → ``Account.sign_transaction`` → ``send_raw_transaction`` → ``wait_for_transaction_receipt``.
  Ours: ``Sender.transact(token.transfer_request(...))``. Run with an explicit gas limit on both sides,
  and with gas estimated on both sides (web3's ``build_transaction`` without ``gas`` vs the client's
  default path). A tuned baseline (``wait_for_transaction_receipt(poll_latency=0.002)``) shows how much of
  the difference is web3's default 100 ms receipt poll.
* burst: M transfers end to end (build + sign + send + every receipt). Baseline: sign M with explicit
  nonces, ``send_raw_transaction`` one by one, then ``wait_for_transaction_receipt`` each. Ours:
  ``Sender.transact_many`` (JSON-RPC batches). A tuned baseline sends through web3's own
  ``batch_requests`` (100 per batch) before awaiting each receipt.

Correctness: every receipt has status 1 and the final balances equal the expected totals. Gas used per
transfer is compared with an OpenZeppelin 5 ERC-20 transfer (ARCHITECTURE.md reference figures).

Run: ``.venv/bin/python -m bench.tx_bench`` from the project root.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_typing import ABI, ChecksumAddress
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.types import Nonce, TxParams, TxReceipt, Wei

from bench._common import Row, load_note, median, print_header, print_table, private_anvil
from chain.client import ChainClient, Receipt, Sender
from chain.compiler import compile_project
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Role
from chain.deploy import GovernanceConfig, deploy
from chain.keys import dev_identity_account
from chain.network import Recourse
from chain.node import AnvilNode

MODULE = "bench.tx_bench"

BASELINE_KEY = "bench"
OURS_KEY = "bench-2"
BASELINE_TO = "collector"
OURS_TO = "investor"
NEW_HOLDER = "court"
AMOUNT = 1  # fen per transfer
FUNDING = 100_000_000  # fen minted to each sender
SEED = 100  # fen minted to each recipient so that benchmarked transfers go to an existing holder
BATCH = 100  # JSON-RPC batch size of the tuned burst baseline (the client's default batch_size)
FAST_POLL = 0.002  # seconds; the tuned sequential baseline's receipt poll

#: OpenZeppelin 5 ERC-20 ``transfer`` gasUsed on anvil --hardfork cancun (ARCHITECTURE.md)
OZ_TRANSFER_EXISTING = 34_513
OZ_TRANSFER_NEW = 51_613

MEMBERS: tuple[tuple[str, tuple[Role, ...]], ...] = (
    ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
    (BASELINE_KEY, (Role.INVESTOR,)),
    (OURS_KEY, (Role.INVESTOR,)),
    (BASELINE_TO, (Role.COLLECTOR,)),
    (OURS_TO, (Role.INVESTOR,)),
    (NEW_HOLDER, (Role.COURT,)),
)


def _account(name: str) -> LocalAccount:
    return dev_identity_account(name, chain_id=DEV_CHAIN_ID)


@dataclass
class World:
    node: AnvilNode
    client: ChainClient  # setup and checks only
    recourse: Recourse


def build_world(node: AnvilNode, data_dir: Path) -> World:
    """Compile, deploy fresh, admit the members by 2-of-3 governance, fund senders and recipients."""
    settings = ChainSettings(rpc_url=node.url, port=node.port, chain_id=DEV_CHAIN_ID)
    client = ChainClient(settings, data_dir=data_dir / "setup")
    compiled = compile_project(cache_dir=data_dir / "artifacts")  # leaves the project's build/ alone
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
    g1, g2, g3 = (client.sender(_account(f"governor-{i}")) for i in (1, 2, 3))
    for identity, roles in MEMBERS:
        pid = consortium.propose_admission(
            g1, _account(identity).address, name=f"{identity} (bench)", roles=roles, region=310000, kyc_tier=2
        )
        consortium.approve(g2, pid)
        consortium.execute(g3, pid)
        assert consortium.is_active_member(_account(identity).address)
    bank = client.sender(_account("bank"))
    for identity, amount in ((BASELINE_KEY, FUNDING), (OURS_KEY, FUNDING), (BASELINE_TO, SEED), (OURS_TO, SEED)):
        token.mint(bank, _account(identity).address, amount, reference=f"bench funding {identity}")
    return World(node=node, client=client, recourse=recourse)


# --- baselines: plain web3.py 8 ---


class PlainWeb3:
    """What a web3.py user writes: a contract object, explicit tx fields, local signing, raw send, wait."""

    def __init__(self, url: str, token_address: str, abi: list[dict[str, Any]], account: LocalAccount) -> None:
        self.provider = HTTPProvider(url)
        self.w3 = Web3(self.provider)
        self.token: Contract = self.w3.eth.contract(address=Web3.to_checksum_address(token_address), abi=cast(ABI, abi))
        self.account = account
        self.chain_id = self.w3.eth.chain_id
        self.priority_fee = 1_000_000_000
        self.waits = 0
        self.slow_waits = 0  # receipts not there at the first poll: web3 then sleeps poll_latency

    def _params(self, nonce: int, gas: int | None, max_fee: int) -> TxParams:
        params: TxParams = {
            "from": self.account.address,
            "nonce": Nonce(nonce),
            "chainId": self.chain_id,
            "maxFeePerGas": Wei(max_fee),
            "maxPriorityFeePerGas": Wei(self.priority_fee),
        }
        if gas is not None:
            params["gas"] = gas
        return params

    def _start(self) -> tuple[int, int]:
        nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        return nonce, 2 * base + self.priority_fee

    def _sign(self, to: ChecksumAddress, nonce: int, gas: int | None, max_fee: int) -> SignedTransaction:
        tx = self.token.functions.transfer(to, AMOUNT).build_transaction(self._params(nonce, gas, max_fee))
        return self.account.sign_transaction(cast(dict[str, Any], tx))

    def sequential(self, to: ChecksumAddress, n: int, gas: int | None, poll: float = 0.1) -> list[TxReceipt]:
        nonce, max_fee = self._start()
        receipts = []
        for i in range(n):
            signed = self._sign(to, nonce + i, gas, max_fee)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            t0 = time.perf_counter()
            receipts.append(self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=poll))
            if poll >= 0.1:
                self.waits += 1
                self.slow_waits += time.perf_counter() - t0 >= 0.09
        return receipts

    def burst(self, to: ChecksumAddress, n: int, gas: int) -> list[TxReceipt]:
        """Sign all, send one by one, then await each receipt."""
        nonce, max_fee = self._start()
        signed = [self._sign(to, nonce + i, gas, max_fee) for i in range(n)]
        hashes = [self.w3.eth.send_raw_transaction(s.raw_transaction) for s in signed]
        return [self.w3.eth.wait_for_transaction_receipt(h) for h in hashes]

    def burst_batched(self, to: ChecksumAddress, n: int, gas: int) -> list[TxReceipt]:
        """Sign all, send as JSON-RPC batches of ``BATCH`` through the provider, then await each receipt.

        web3 8's ``w3.batch_requests()`` refuses ``eth_sendRawTransaction`` (MethodNotSupported), so a
        web3 user batches sends with the provider's ``make_batch_request``.
        """
        nonce, max_fee = self._start()
        signed = [self._sign(to, nonce + i, gas, max_fee) for i in range(n)]
        hashes: list[str] = []
        for i in range(0, n, BATCH):
            calls = [("eth_sendRawTransaction", ["0x" + s.raw_transaction.hex()]) for s in signed[i : i + BATCH]]
            replies = self.provider.make_batch_request(cast(Any, calls))
            assert isinstance(replies, list), f"batch refused: {replies}"
            for reply in replies:
                assert "error" not in reply or reply["error"] is None, f"send rejected: {reply}"
                hashes.append(str(reply["result"]))
        return [self.w3.eth.wait_for_transaction_receipt(cast(Any, h)) for h in hashes]


# --- ours: chain.client.Sender ---


class Ours:
    def __init__(self, world: World, data_dir: Path, account: LocalAccount) -> None:
        self.client = ChainClient(world.client.settings, data_dir=data_dir)
        self.recourse = Recourse(self.client, world.recourse.deployments)
        self.sender: Sender = self.client.sender(account)

    def sequential(self, to: str, n: int, gas: int | None) -> list[Receipt]:
        token = self.recourse.token
        return [self.sender.transact(token.transfer_request(to, AMOUNT, gas=gas)) for _ in range(n)]

    def burst(self, to: str, n: int, gas: int) -> list[Receipt]:
        token = self.recourse.token
        return self.sender.transact_many([token.transfer_request(to, AMOUNT, gas=gas) for _ in range(n)])

    def close(self) -> None:
        self.client.close()


# --- measurement ---

OURS = "ours"
Run = Callable[[], Sequence[TxReceipt] | Sequence[Receipt]]


@dataclass
class Samples:
    n: int
    rates: dict[str, list[float]] = field(default_factory=dict)  # contestant -> tx/s per round
    gas: set[int] = field(default_factory=set)

    def transfers(self, contestant: str) -> int:
        return self.n * len(self.rates.get(contestant, []))


def _check(receipts: Sequence[TxReceipt] | Sequence[Receipt]) -> tuple[bool, set[int]]:
    ok = True
    gas: set[int] = set()
    for r in receipts:
        if isinstance(r, Receipt):
            ok = ok and r.status
            gas.add(r.gas_used)
        else:
            ok = ok and int(r["status"]) == 1
            gas.add(int(r["gasUsed"]))
    return ok, gas


def measure(label: str, rounds: int, n: int, contestants: dict[str, Run]) -> Samples:
    """Each round runs every contestant once; the starting contestant rotates from round to round."""
    out = Samples(n, {name: [] for name in contestants})
    names = list(contestants)
    for i in range(rounds):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            t0 = time.perf_counter()
            receipts = contestants[name]()
            elapsed = time.perf_counter() - t0
            assert len(receipts) == n, f"{label}/{name}: {len(receipts)} receipts for {n} transactions"
            ok, gas = _check(receipts)
            assert ok, f"{label}/{name}: a transfer failed (status 0)"
            out.rates[name].append(n / elapsed)
            out.gas |= gas
        figures = "   ".join(f"{name} {out.rates[name][-1]:7.1f}" for name in names)
        print(f"  {label}, round {i + 1}/{rounds} (tx/s): {figures}", flush=True)
    return out


def _row(metric: str, s: Samples, baseline: str, note: str) -> Row:
    b, o = s.rates[baseline], s.rates[OURS]
    spread = f"range {min(b):.0f}-{max(b):.0f} vs {min(o):.0f}-{max(o):.0f}"
    return Row(metric, f"{median(b):.1f} tx/s", f"{median(o):.1f} tx/s", median(o) / median(b), f"{note}; {spread}")


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=200, help="transfers per sequential run (default 200)")
    parser.add_argument("--burst", type=int, default=1000, help="transfers per burst run (default 1000)")
    parser.add_argument(
        "--sequential-estimated", type=int, default=100, help="transfers per estimated-gas run (default 100)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each sequential scenario (default 3)")
    parser.add_argument("--burst-rounds", type=int, default=3, help="rounds of the burst scenario (default 3)")
    args = parser.parse_args()
    n_seq, n_est, n_burst = args.sequential, args.sequential_estimated, args.burst
    rounds, b_rounds = args.rounds, args.burst_rounds

    print_header("transaction benchmark: chain.client.Sender vs plain web3.py 8 (SettlementToken.transfer)", MODULE)
    t_start = time.perf_counter()
    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-tx-bench-") as tmp:
        data_dir = Path(tmp)
        world = build_world(node, data_dir)
        token = world.recourse.token
        addr = {name: _account(name).address for name, _ in MEMBERS}
        plain = PlainWeb3(node.url, token.address, token.abi, _account(BASELINE_KEY))
        ours = Ours(world, data_dir / "ours", _account(OURS_KEY))
        try:
            gas = world.client.estimate_gas(addr[OURS_KEY], token.transfer_request(addr[OURS_TO], AMOUNT))
            print(
                f"setup   : anvil {node.url} (cancun, automine), SettlementToken {token.address}, "
                f"{len(MEMBERS)} members admitted 2-of-3, setup {time.perf_counter() - t_start:.1f}s"
            )
            print(
                f"workload: transfers of {AMOUNT} fen; plain = {BASELINE_KEY} -> {BASELINE_TO}, "
                f"ours = {OURS_KEY} -> {OURS_TO}; explicit gas limit {gas:,} (client estimate); "
                f"{rounds} sequential / {b_rounds} burst rounds"
            )
            before = {k: token.balance_of(a) for k, a in addr.items()}
            supply_before = token.total_supply()
            to_b = Web3.to_checksum_address(addr[BASELINE_TO])
            to_o = addr[OURS_TO]

            seq = measure(
                f"sequential x{n_seq}, explicit gas",
                rounds,
                n_seq,
                {
                    "plain": lambda: plain.sequential(to_b, n_seq, gas),
                    OURS: lambda: ours.sequential(to_o, n_seq, gas),
                    "plain-2ms-poll": lambda: plain.sequential(to_b, n_seq, gas, poll=FAST_POLL),
                },
            )
            seq_est = measure(
                f"sequential x{n_est}, estimated gas",
                rounds,
                n_est,
                {
                    "plain": lambda: plain.sequential(to_b, n_est, None),
                    OURS: lambda: ours.sequential(to_o, n_est, None),
                },
            )
            burst = measure(
                f"burst x{n_burst}",
                b_rounds,
                n_burst,
                {
                    "plain": lambda: plain.burst(to_b, n_burst, gas),
                    OURS: lambda: ours.burst(to_o, n_burst, gas),
                    "plain-batched": lambda: plain.burst_batched(to_b, n_burst, gas),
                },
            )

            # gas of a transfer to a member that holds nothing yet (fresh balance slot)
            new_holder = ours.sender.transact(token.transfer_request(addr[NEW_HOLDER], AMOUNT))
            assert new_holder.status

            # correctness: balances moved exactly as many fen as transfers were mined
            plain_moved = sum(s.transfers(c) for s in (seq, seq_est, burst) for c in s.rates if c != OURS) * AMOUNT
            ours_moved = sum(s.transfers(OURS) for s in (seq, seq_est, burst)) * AMOUNT
            expected = dict(before)
            expected[BASELINE_KEY] -= plain_moved
            expected[BASELINE_TO] += plain_moved
            expected[OURS_KEY] -= ours_moved + AMOUNT
            expected[OURS_TO] += ours_moved
            expected[NEW_HOLDER] += AMOUNT
            after = {k: token.balance_of(a) for k, a in addr.items()}
            balances_ok = after == expected and token.total_supply() == supply_before
        finally:
            ours.close()
            world.client.close()
        total = time.perf_counter() - t_start

    print()
    if balances_ok:
        print(
            f"correctness: plain {plain_moved // AMOUNT:,} and ours {ours_moved // AMOUNT:,} transfers, every receipt "
            "status 1; final balances match the expected totals; total supply unchanged"
        )
    else:
        print(f"correctness: BALANCES OR SUPPLY MISMATCH: expected {expected}, got {after}")
    print(
        f"diagnostic : {plain.slow_waits} of {plain.waits} plain sequential receipts were not ready at web3's first "
        "poll (each then sleeps poll_latency=0.1 s); the client re-polls after 2, 4, 8 ... ms"
    )
    print()
    rows = [
        _row(f"sequential send+wait, explicit gas (N={n_seq})", seq, "plain", f"median of {rounds}"),
        _row(f"sequential send+wait, estimated gas (N={n_est})", seq_est, "plain", f"median of {rounds}"),
        _row(f"burst sign+send+receipts (M={n_burst})", burst, "plain", f"median of {b_rounds}"),
    ]
    print_table(rows, baseline_label="plain web3.py 8", ours_label="chain.client", ratio_label="ratio (ours/plain)")
    print()
    tuned = [
        _row(
            f"sequential, explicit gas, poll_latency={FAST_POLL}",
            seq,
            "plain-2ms-poll",
            "baseline polls receipts every 2 ms",
        ),
        _row(
            f"burst, sends in JSON-RPC batches of {BATCH}",
            burst,
            "plain-batched",
            "provider.make_batch_request, then wait_for_transaction_receipt each",
        ),
    ]
    print_table(tuned, baseline_label="tuned web3.py 8", ours_label="chain.client", ratio_label="ratio (ours/tuned)")
    print("reference (ARCHITECTURE.md): plain sequential ~110 tx/s, pre-signed one-by-one ~150 tx/s, batched ~500 tx/s")

    transfers_total = (plain_moved + ours_moved) // AMOUNT
    print()
    gas_rows = [
        Row(
            "transfer to an existing holder",
            f"{OZ_TRANSFER_EXISTING:,}",
            "/".join(f"{g:,}" for g in sorted(seq.gas | seq_est.gas | burst.gas)),
            max(seq.gas | seq_est.gas | burst.gas) / OZ_TRANSFER_EXISTING,
            f"distinct receipt gasUsed over all {transfers_total:,} benchmarked transfers",
        ),
        Row(
            "transfer to a new holder",
            f"{OZ_TRANSFER_NEW:,}",
            f"{new_holder.gas_used:,}",
            new_holder.gas_used / OZ_TRANSFER_NEW,
            f"{OURS_KEY} -> {NEW_HOLDER} (zero balance before)",
        ),
    ]
    print_table(
        gas_rows,
        baseline_label="OZ 5 ERC-20 gasUsed",
        ours_label="SettlementToken gasUsed",
        ratio_label="gas ratio (ours/OZ)",
    )
    print("(here the ratio is an overhead: SettlementToken._update adds external Consortium membership checks)")
    print(f"\ntotal wall time {total:.1f}s (anvil start, compile, deploy, admissions included); {load_note()}")
    return 0 if balances_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
