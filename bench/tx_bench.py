"""Transaction benchmark: ``chain.client.Sender`` vs plain web3.py 8, ERC-20 transfers of ``SettlementToken``.

One private anvil (hardfork cancun, automine), one fresh deployment, members admitted through 2-of-3
Consortium proposals and funded by the settlement bank. The baseline signs with identity ``bench``, our
client with ``bench-2`` (both admitted members), so nonces never collide; each pays a different member
that already holds tokens. Rounds alternate the order (baseline first, then ours first, ...) and the
median is reported.

* sequential: N transfers, each sent and awaited before the next.
  Baseline: ``Web3(HTTPProvider)`` contract object → ``build_transaction`` (explicit nonce, gas, fees,
  chain id) → ``Account.sign_transaction`` → ``send_raw_transaction`` → ``wait_for_transaction_receipt``.
  Ours: ``Sender.transact(token.transfer_request(...))``. Run twice: with an explicit gas limit on both
  sides, and with gas estimated on both sides (web3's ``build_transaction`` without ``gas`` vs the
  client's default path).
* burst: M transfers end to end (build + sign + send + every receipt). Baseline: sign M with explicit
  nonces, ``send_raw_transaction`` one by one, then ``wait_for_transaction_receipt`` each. Ours:
  ``Sender.transact_many`` (JSON-RPC batches).

Correctness: every receipt has status 1 and the final balances equal the expected totals. Gas used per
transfer is compared with an OpenZeppelin 5 ERC-20 transfer (ARCHITECTURE.md reference figures).

Run: ``.venv/bin/python -m bench.tx_bench`` from the project root.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ABI, ChecksumAddress
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.types import TxParams, TxReceipt

from bench._common import Row, median, print_header, print_table, private_anvil
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
    recourse = Recourse(client, deployments, compiled)
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


# --- baseline: plain web3.py 8 ---


class PlainWeb3:
    """What a web3.py user writes: a contract object, explicit tx fields, local signing, raw send, wait."""

    def __init__(self, url: str, token_address: str, abi: list[dict[str, Any]], account: LocalAccount) -> None:
        self.w3 = Web3(HTTPProvider(url))
        self.token: Contract = self.w3.eth.contract(
            address=Web3.to_checksum_address(token_address), abi=cast(ABI, abi)
        )
        self.account = account
        self.chain_id = self.w3.eth.chain_id
        self.priority_fee = 1_000_000_000

    def _params(self, nonce: int, gas: int | None, max_fee: int) -> TxParams:
        params: TxParams = {
            "from": self.account.address,
            "nonce": nonce,
            "chainId": self.chain_id,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": self.priority_fee,
        }
        if gas is not None:
            params["gas"] = gas
        return params

    def _start(self) -> tuple[int, int]:
        nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        return nonce, 2 * base + self.priority_fee

    def sequential(self, to: ChecksumAddress, n: int, gas: int | None) -> list[TxReceipt]:
        nonce, max_fee = self._start()
        receipts = []
        for i in range(n):
            tx = self.token.functions.transfer(to, AMOUNT).build_transaction(self._params(nonce + i, gas, max_fee))
            signed = self.account.sign_transaction(cast(dict[str, Any], tx))
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipts.append(self.w3.eth.wait_for_transaction_receipt(tx_hash))
        return receipts

    def burst(self, to: ChecksumAddress, n: int, gas: int) -> list[TxReceipt]:
        nonce, max_fee = self._start()
        fn = self.token.functions.transfer
        signed = [
            self.account.sign_transaction(
                cast(dict[str, Any], fn(to, AMOUNT).build_transaction(self._params(nonce + i, gas, max_fee)))
            )
            for i in range(n)
        ]
        hashes = [self.w3.eth.send_raw_transaction(s.raw_transaction) for s in signed]
        return [self.w3.eth.wait_for_transaction_receipt(h) for h in hashes]


# --- ours: chain.client.Sender ---


class Ours:
    def __init__(self, world: World, data_dir: Path, account: LocalAccount) -> None:
        settings = world.client.settings
        self.client = ChainClient(settings, data_dir=data_dir)
        self.recourse = Recourse(self.client, world.recourse.deployments, world.recourse.compiled)
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


@dataclass
class Samples:
    baseline: list[float]  # tx/s
    ours: list[float]
    baseline_gas: set[int]
    ours_gas: set[int]


def _statuses_ok(receipts: Sequence[TxReceipt] | Sequence[Receipt]) -> tuple[bool, set[int]]:
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


def measure(
    label: str,
    rounds: int,
    n: int,
    baseline: Callable[[], Sequence[TxReceipt]],
    ours: Callable[[], Sequence[Receipt]],
) -> Samples:
    """Run baseline and ours ``rounds`` times each, alternating which goes first."""
    out = Samples([], [], set(), set())
    for i in range(rounds):
        order = ("baseline", "ours") if i % 2 == 0 else ("ours", "baseline")
        for which in order:
            t0 = time.perf_counter()
            receipts = baseline() if which == "baseline" else ours()
            elapsed = time.perf_counter() - t0
            assert len(receipts) == n, f"{label}/{which}: {len(receipts)} receipts for {n} transactions"
            ok, gas = _statuses_ok(receipts)
            assert ok, f"{label}/{which}: a transfer failed (status 0)"
            if which == "baseline":
                out.baseline.append(n / elapsed)
                out.baseline_gas |= gas
            else:
                out.ours.append(n / elapsed)
                out.ours_gas |= gas
        print(f"  {label} round {i + 1}/{rounds}: plain {out.baseline[-1]:7.1f} tx/s   ours {out.ours[-1]:7.1f} tx/s")
    return out


def _row(metric: str, s: Samples, note: str) -> Row:
    b, o = median(s.baseline), median(s.ours)
    spread = f"plain {min(s.baseline):.0f}-{max(s.baseline):.0f}, ours {min(s.ours):.0f}-{max(s.ours):.0f}"
    return Row(metric, f"{b:.1f} tx/s", f"{o:.1f} tx/s", o / b, f"{note}; range {spread}")


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=200, help="transfers per sequential run (default 200)")
    parser.add_argument("--burst", type=int, default=1000, help="transfers per burst run (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each side per sequential scenario (default 5)")
    parser.add_argument("--burst-rounds", type=int, default=3, help="runs of each side of the burst (default 3)")
    args = parser.parse_args()
    n_seq, n_burst, rounds, b_rounds = args.sequential, args.burst, args.rounds, args.burst_rounds

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
                f"ours = {OURS_KEY} -> {OURS_TO}; explicit gas limit {gas:,} (client estimate); {rounds}/{b_rounds} rounds"
            )
            before = {k: token.balance_of(a) for k, a in addr.items()}
            supply_before = token.total_supply()
            to_b = Web3.to_checksum_address(addr[BASELINE_TO])
            to_o = addr[OURS_TO]

            seq = measure(
                f"sequential x{n_seq}, explicit gas",
                rounds,
                n_seq,
                lambda: plain.sequential(to_b, n_seq, gas),
                lambda: ours.sequential(to_o, n_seq, gas),
            )
            seq_est = measure(
                f"sequential x{n_seq}, estimated gas",
                rounds,
                n_seq,
                lambda: plain.sequential(to_b, n_seq, None),
                lambda: ours.sequential(to_o, n_seq, None),
            )
            burst = measure(
                f"burst x{n_burst}",
                b_rounds,
                n_burst,
                lambda: plain.burst(to_b, n_burst, gas),
                lambda: ours.burst(to_o, n_burst, gas),
            )

            # gas of a transfer to a member that holds nothing yet (fresh storage slot)
            new_holder = ours.sender.transact(token.transfer_request(addr[NEW_HOLDER], AMOUNT))
            assert new_holder.status

            # correctness: totals
            transfers_each = 2 * rounds * n_seq + b_rounds * n_burst
            sent_each = transfers_each * AMOUNT
            expected = dict(before)
            expected[BASELINE_KEY] -= sent_each
            expected[BASELINE_TO] += sent_each
            expected[OURS_KEY] -= sent_each + AMOUNT
            expected[OURS_TO] += sent_each
            expected[NEW_HOLDER] += AMOUNT
            after = {k: token.balance_of(a) for k, a in addr.items()}
            balances_ok = after == expected and token.total_supply() == supply_before
        finally:
            ours.close()
            world.client.close()
        total = time.perf_counter() - t_start

    print()
    print(
        f"correctness: {transfers_each} transfers per side, all receipts status 1; balances "
        + ("match the expected totals" if balances_ok else f"MISMATCH: expected {expected}, got {after}")
        + f" (each side moved {sent_each:,} fen; total supply unchanged)"
    )
    print()
    rows = [
        _row(f"sequential send+wait, explicit gas (N={n_seq})", seq, f"median of {rounds}"),
        _row(f"sequential send+wait, estimated gas (N={n_seq})", seq_est, f"median of {rounds}"),
        _row(f"burst sign+send+receipts (M={n_burst})", burst, f"median of {b_rounds}"),
    ]
    print_table(rows, baseline_label="plain web3.py 8", ours_label="chain.client", ratio_label="ratio (ours/plain)")
    print("reference (ARCHITECTURE.md, same machine class): plain sequential ~110 tx/s, pre-signed one-by-one ~150 tx/s,")
    print("                                                 batched JSON-RPC (100/batch) ~500 tx/s")

    gas_existing = seq.ours_gas | seq.baseline_gas | seq_est.ours_gas | seq_est.baseline_gas
    gas_existing |= burst.ours_gas | burst.baseline_gas
    print()
    gas_rows = [
        Row(
            "transfer to an existing holder",
            f"{OZ_TRANSFER_EXISTING:,}",
            "/".join(f"{g:,}" for g in sorted(gas_existing)),
            max(gas_existing) / OZ_TRANSFER_EXISTING,
            f"distinct gasUsed over all {2 * transfers_each} transfers",
        ),
        Row(
            "transfer to a new holder",
            f"{OZ_TRANSFER_NEW:,}",
            f"{new_holder.gas_used:,}",
            new_holder.gas_used / OZ_TRANSFER_NEW,
            f"{OURS_KEY} -> {NEW_HOLDER} (zero balance)",
        ),
    ]
    print_table(
        gas_rows,
        baseline_label="OZ 5 ERC-20 gasUsed",
        ours_label="SettlementToken gasUsed",
        ratio_label="overhead (ours/OZ)",
    )
    print(
        "(the overhead is the consortium membership checks in _update: external isActiveMember calls on the "
        "Consortium for sender and recipient)"
    )
    print(f"\ntotal wall time {total:.1f}s (including anvil start, compile cache, deploy and admissions)")
    return 0 if balances_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
