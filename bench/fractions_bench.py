"""AssetFractions gas benchmarks, each against baselines deployed and measured in the same run on the same chain.

1. Transfer gas (anvil receipts, whole transactions) to an existing holder and to a new holder, with every
   compliance rule of the asset active — KYC tier, an allowed region, a lock-up whose date has passed, a holder
   cap and a per-holder maximum — and measured after a recovery was paid in (non-zero per-share accounting:
   every transfer also moves both accounts' corrections), against
   (a) a plain OpenZeppelin 5 ERC-20 (``node_modules/@openzeppelin/contracts``, compiled here with the
       project's solc and settings), and
   (b) ERC-3643 T-REX 4.1.6 deployed from the compiled artifacts of the npm package
       ``@tokenysolutions/t-rex`` (``bench/_trex.py``): through its factory, proxies behind its implementation
       authority, an identity registry of ONCHAINID identities holding a KYC claim from a trusted issuer, and
       the modules ``CountryAllowModule`` (≈ the allowed region) and ``MaxBalanceModule`` (≈ the per-holder
       maximum). T-REX 4.1.6 ships no lock-up module and no holder-count module: those two rules have no
       T-REX counterpart here (T-REX does the fewer checks).
   Goals: AssetFractions ≤ 2× the OZ ERC-20 and ≤ 0.25× T-REX.
2. Claim gas with 10 and with 10,000 holders (goal: identical, O(1)): two assets with the same terms, one
   holder subscribing all shares, which it then transfers, one each, to 9 (resp. 9,999) other members; the
   same recovery paid into both; the same 5 holders claim in both.
3. DvP: ``buy`` (shares and rCNY in one transaction) against the same trade by hand (a share transfer and an
   rCNY transfer), with and without the buyer's ``approve`` that ``buy`` needs.

Every holder is a real member of the Consortium: an active INVESTOR of KYC tier 2 in region 310000, admitted by
2-of-3 governance proposals; the 10,000 are admitted in bursts (automine off while a burst is mined into full
blocks), their shares sent as real transfers in bursts. Gas is deterministic, so each figure is the median of a
few identical transactions (min and max shown).

    python -m bench.fractions_bench [--holders 10000] [--transfers 20]
"""

from __future__ import annotations

import argparse
import posixpath
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from bench._common import Row, free_port, median, print_header, print_table
from bench._gateway_common import Network, account, build_network
from bench._trex import TrexSuite, deploy_trex
from chain.client import Receipt, Sender, TxRequest
from chain.compiler import solc_binary
from chain.config import DEV_CHAIN_ID, PROJECT_ROOT, load_project_config
from chain.contracts._base import BoundContract
from chain.contracts.asset_fractions import AssetFractions, FractionsFactory, Terms, asset_ref
from chain.contracts.consortium import ProposalKind, Role, name_digest
from chain.node import AnvilNode

MODULE = "bench.fractions_bench"
REGION = 310000  # the members' region (Shanghai); the assets allow it
COUNTRY = 156  # ISO 3166 numeric code of China: T-REX's country of every investor
KYC_TIER = 2
PRICE = 10_000  # fen per share
DAY = 86_400
BURST = 2_000  # transactions per burst while automine is off
BURST_GAS_LIMIT = 1_000_000_000  # the block gas limit while a burst is mined (2,000 admissions: ~570 M gas)
NEW_HOLDERS = 10  # transfers to a new holder measured per token
CLAIMERS = 5
TRADES = 10
MAX_PER_HOLDER = 100_000


# --- the chain and the members -----------------------------------------------------------------------------


@contextmanager
def _anvil() -> Iterator[AnvilNode]:
    """A private anvil (cancun) whose periodic state dump is off: 10,000 members make the state large."""
    with tempfile.TemporaryDirectory(prefix="recourse-fractions-") as tmp:
        node = AnvilNode(
            data_dir=Path(tmp), port=free_port(), chain_id=DEV_CHAIN_ID, hardfork="cancun", state_interval=86_400
        )
        node.up()
        try:
            yield node
        finally:
            node.down()


def _fresh(tag: str, count: int) -> list[LocalAccount]:
    """Deterministic throwaway keys (never funded unless they must send)."""
    return [Account.from_key(keccak(text=f"recourse fractions bench {tag} {i}")) for i in range(count)]


def _addresses(keys: Sequence[LocalAccount]) -> list[str]:
    return [str(k.address) for k in keys]


def _gas(receipt: Receipt) -> int:
    assert receipt.status == 1, receipt
    return int(receipt.gas_used)


def _burst(net: Network, sender: Sender, requests: Sequence[TxRequest], label: str) -> list[Receipt]:
    """Send ``requests`` in bursts of BURST with automine off, mining blocks until each burst is in.

    While a burst is mined the block gas limit is raised (anvil_setBlockGasLimit, restored after): 2,000
    admissions fill 19 blocks of 30 M gas, and after 15 full blocks the EIP-1559 base fee (+12.5 % a full block)
    passes the transactions' fee cap and anvil drops the rest of the burst. Gas used per transaction does not
    depend on the block gas limit."""
    c = net.client
    hashes: list[str] = []
    limit = int(c.rpc.call("eth_getBlockByNumber", ["latest", False])["gasLimit"], 16)
    c.rpc.call("evm_setAutomine", [False])
    c.rpc.call("anvil_setBlockGasLimit", [hex(BURST_GAS_LIMIT)])
    try:
        for first in range(0, len(requests), BURST):
            hashes += sender.send(requests[first : first + BURST])
            while int(c.rpc.call("txpool_status")["pending"], 16):
                c.rpc.call("evm_mine")
            mined, _ = c.nonces(sender.address)
            assert mined == sender.next_nonce, f"{label}: the node dropped transactions ({mined} < {sender.next_nonce})"
            if len(requests) > BURST:
                print(f"  {label}: {min(first + BURST, len(requests)):,}/{len(requests):,}", flush=True)
    finally:
        c.rpc.call("anvil_setBlockGasLimit", [hex(limit)])
        c.rpc.call("evm_setAutomine", [True])
    receipts = sender.wait(hashes, timeout=600)
    failed = sum(1 for r in receipts if not r.status)
    assert failed == 0, f"{label}: {failed} of {len(receipts)} transactions failed"
    return receipts


def admit_in_bulk(net: Network, addresses: Sequence[str], tag: str) -> None:
    """Admit ``addresses`` as active INVESTOR members (KYC tier 2, region 310000) by real governance: governor-1
    proposes every admission, governor-2 approves each, governor-3 executes each, each step one burst."""
    c, cons = net.client, net.recourse.consortium
    g1, g2, g3 = (c.sender(account(f"governor-{i}")) for i in (1, 2, 3))
    first = int(cons.call("proposalCount")) + 1

    def admission(i: int) -> bytes:
        profile = [name_digest(f"fractions bench {tag} {i}"), [Role.INVESTOR.id], REGION, 0, KYC_TIER]
        return abi_encode(["bytes32", "bytes32[]", "uint32", "uint64", "uint8"], profile)

    proposes = [cons.request("propose", int(ProposalKind.ADMIT), a, admission(i)) for i, a in enumerate(addresses)]
    gas = c.estimate_gas(g1.address, proposes[0])
    _burst(net, g1, [TxRequest(r.to, r.data, gas=gas) for r in proposes], f"{tag}: proposals")
    ids = range(first, first + len(addresses))
    assert int(cons.call("proposalCount")) == ids[-1]
    for sender, fn in ((g2, "approve"), (g3, "execute")):
        gas = c.estimate_gas(sender.address, cons.request(fn, ids[0]))
        _burst(net, sender, [cons.request(fn, pid, gas=gas) for pid in ids], f"{tag}: {fn}")
    for a in (addresses[0], addresses[-1]):
        assert cons.is_active_member(a), a


# --- AssetFractions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    lock_up: int
    deadline: int
    max_holders: int
    hard_cap: int
    soft_cap: int


def _governed(net: Network, propose: Callable[[Sender], int]) -> None:
    c = net.client
    pid = propose(c.sender(account("governor-1")))
    net.recourse.consortium.approve(c.sender(account("governor-2")), pid)
    net.recourse.consortium.execute(c.sender(account("governor-3")), pid)


def fractions_factory(net: Network) -> FractionsFactory:
    """The deployment's FractionsFactory, made a system contract by a governed SetSystemContract proposal (as
    every contract that holds SettlementToken) so that it can enrol the tokens it deploys."""
    r = net.recourse
    if not r.consortium.is_system_contract(r.fractions.address):
        _governed(net, lambda g: r.consortium.propose_system_contract(g, r.fractions.address, enabled=True))
    return r.fractions


def issue(net: Network, tag: str, lim: Limits) -> AssetFractions:
    """The bank issues an asset whose every rule is on: KYC tier 2, region 310000, a lock-up, both limits."""
    r, c = net.recourse, net.client
    root = keccak(text=f"fractions bench documents {tag}")
    r.evidence.anchor(c.sender(account("court")), root, 1)
    terms = Terms(
        asset_ref=asset_ref(f"BENCH-FRACTIONS-{tag}"),
        documents_root=root,
        price=PRICE,
        min_subscription=1,
        soft_cap=lim.soft_cap,
        hard_cap=lim.hard_cap,
        deadline=lim.deadline,
        kyc_tier=KYC_TIER,
        regions=(REGION,),
        lock_up_until=lim.lock_up,
        max_holders=lim.max_holders,
        max_per_holder=MAX_PER_HOLDER,
    )
    address = fractions_factory(net).issue(c.sender(account("bank")), terms, f"Bench fractions {tag}", f"BF-{tag}")
    return r.asset_fractions(address)


def subscribe(net: Network, asset: AssetFractions, investor: Sender, shares: int) -> None:
    net.recourse.token.approve(investor, asset.address, shares * PRICE)
    asset.send(investor, asset.subscribe_request(shares))


def pay_in(net: Network, asset: AssetFractions, amount: int, ref: str) -> None:
    bank = net.client.sender(account("bank"))
    net.recourse.token.approve(bank, asset.address, amount)
    asset.send(bank, asset.pay_in_request(amount, keccak(text=ref)))


# --- OpenZeppelin 5 ERC-20 ---------------------------------------------------------------------------------

OZ_ERC20 = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Benchmark baseline only: a plain OpenZeppelin 5 ERC-20, the whole supply minted to the deployer.
contract BenchERC20 is ERC20 {
    constructor(uint256 supply) ERC20("Bench ERC-20", "BENCH") {
        _mint(msg.sender, supply);
    }
}
"""
_IMPORT = re.compile(r"""^\s*import\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']""", re.MULTILINE)


def compile_oz_erc20() -> tuple[list[dict[str, Any]], bytes]:
    """``BenchERC20`` compiled with the project's solc, EVM version and optimizer settings (brownie-config.yaml),
    importing OpenZeppelin 5 from node_modules like the contracts do."""
    config = load_project_config().compiler
    remaps = [r.split("=", 1) for r in config.remappings]
    sources = {"bench/BenchERC20.sol": {"content": OZ_ERC20}}
    pending = ["bench/BenchERC20.sol"]
    while pending:
        unit = pending.pop()
        for imp in _IMPORT.findall(sources[unit]["content"]):
            if imp.startswith("."):
                path = posixpath.normpath(posixpath.join(posixpath.dirname(unit), imp))
            else:
                prefix, target = max(((p, t) for p, t in remaps if imp.startswith(p)), key=lambda pt: len(pt[0]))
                path = target + imp[len(prefix) :]
            if path not in sources:
                sources[path] = {"content": (PROJECT_ROOT / path).read_text(encoding="utf-8")}
                pending.append(path)
    std_input = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "evmVersion": config.evm_version,
            "optimizer": {"enabled": config.optimizer_enabled, "runs": config.optimizer_runs},
            "remappings": list(config.remappings),
            "outputSelection": {"bench/BenchERC20.sol": {"BenchERC20": ["abi", "evm.bytecode.object"]}},
        },
    }
    out = solcx.compile_standard(std_input, solc_binary=solc_binary(config.version), allow_empty=True)
    errors = [e["formattedMessage"] for e in out.get("errors", []) if e.get("severity") == "error"]
    assert not errors, errors
    contract = out["contracts"]["bench/BenchERC20.sol"]["BenchERC20"]
    return contract["abi"], bytes.fromhex(contract["evm"]["bytecode"]["object"])


class BenchERC20(BoundContract):
    contract_name = "BenchERC20"


# --- measurements ------------------------------------------------------------------------------------------


@dataclass
class Actors:
    seller: Sender  # holds many shares (and rCNY)
    holder: Sender  # an existing holder the seller transfers to
    buyer: Sender  # the DvP buyer: holds shares and rCNY
    big: Sender  # subscribes every share of the two claim assets
    new_holders: list[str]  # members that never held anything: one new-holder transfer each
    claimers: list[Sender]
    bulk: list[str]  # the other holders of the claim assets


@dataclass
class Figures:
    existing: list[int]
    new: list[int]


def _series(sender: Sender, requests: Sequence[TxRequest]) -> list[int]:
    return [_gas(sender.transact(req)) for req in requests]


def oz_figures(net: Network, a: Actors, transfers: int) -> Figures:
    abi, bytecode = compile_oz_erc20()
    ctor = abi_encode(["uint256"], [10**24])
    rc = a.seller.transact(TxRequest(None, bytecode + ctor, label="deploy BenchERC20"))
    assert rc.contract_address is not None
    oz = BenchERC20(net.client, rc.contract_address, abi)
    _gas(a.seller.transact(oz.request("transfer", a.holder.address, 1_000)))  # the holder holds already
    existing = _series(a.seller, [oz.request("transfer", a.holder.address, 1) for _ in range(transfers)])
    new = _series(a.seller, [oz.request("transfer", h, 1) for h in a.new_holders])
    return Figures(existing, new)


def trex_figures(net: Network, a: Actors, transfers: int) -> tuple[Figures, TrexSuite]:
    suite = deploy_trex(
        net.client, net.client.sender(account("bench")), countries=[COUNTRY], max_balance=MAX_PER_HOLDER
    )
    for wallet in (a.seller.address, a.holder.address, *a.new_holders):
        suite.onboard(wallet, COUNTRY)
    suite.mint(a.seller.address, 50_000)
    suite.mint(a.holder.address, 1_000)
    existing = _series(a.seller, [suite.transfer_request(a.holder.address, 1) for _ in range(transfers)])
    new = _series(a.seller, [suite.transfer_request(h, 1) for h in a.new_holders])
    assert suite.balance_of(a.new_holders[-1]) == 1
    return Figures(existing, new), suite


def fractions_figures(asset: AssetFractions, a: Actors, transfers: int) -> Figures:
    existing = _series(a.seller, [asset.transfer_request(a.holder.address, 1) for _ in range(transfers)])
    new = _series(a.seller, [asset.transfer_request(h, 1) for h in a.new_holders])
    assert asset.balance_of(a.new_holders[-1]) == 1
    return Figures(existing, new)


@dataclass
class Trades:
    make_offer: list[int]
    approve: list[int]
    buy: list[int]
    share_transfer: list[int]
    rcny_transfer: list[int]


def dvp_figures(net: Network, asset: AssetFractions, a: Actors) -> Trades:
    """TRADES trades of one share at PRICE: by DvP (offer, approve, buy) and by hand (two transfers)."""
    token = net.recourse.token
    t = Trades([], [], [], [], [])
    for _ in range(TRADES):
        rc = a.seller.transact(asset.make_offer_request(1, PRICE))
        t.make_offer.append(_gas(rc))
        offer_id = int(asset.first(asset.events(rc), "OfferMade").args["offerId"])
        t.approve.append(_gas(a.buyer.transact(token.request("approve", asset.address, PRICE))))
        t.buy.append(_gas(a.buyer.transact(asset.buy_request(offer_id, 1))))
        t.share_transfer.append(_gas(a.seller.transact(asset.transfer_request(a.buyer.address, 1))))
        t.rcny_transfer.append(_gas(a.buyer.transact(token.transfer_request(a.seller.address, PRICE))))
    return t


def claim_figures(asset: AssetFractions, claimers: Sequence[Sender]) -> list[int]:
    gas = []
    for s in claimers:
        assert asset.claimable(s.address) > 0
        gas.append(_gas(s.transact(asset.claim_request())))
    return gas


def distribute(net: Network, asset: AssetFractions, big: Sender, holders: Sequence[str], label: str) -> None:
    """One share from ``big`` to each of ``holders`` (every one a new holder): real transfers, in bursts."""
    c = net.client
    gas = c.estimate_gas(big.address, asset.transfer_request(holders[0], 1))
    requests = [asset.transfer_request(h, 1) for h in holders]
    _burst(net, big, [TxRequest(r.to, r.data, gas=gas, label=r.label) for r in requests], label)
    assert asset.holder_count() == len(holders) + 1, asset.holder_count()


# --- the table ---------------------------------------------------------------------------------------------


def _span(samples: Sequence[int]) -> str:
    return f"median of {len(samples)} (min {min(samples):,}, max {max(samples):,})"


def rows(
    ours: Figures, oz: Figures, trex: Figures, claims: tuple[list[int], list[int]], t: Trades, n: int
) -> list[Row]:
    """Ratios are baseline / ours (above 1.0 favours AssetFractions), as every bench prints them."""
    out: list[Row] = []
    for kind, mine, base_oz, base_trex in (
        ("existing holder", ours.existing, oz.existing, trex.existing),
        ("new holder", ours.new, oz.new, trex.new),
    ):
        m = median(mine)
        out += [
            Row(
                f"transfer to an {kind}: vs OZ 5 ERC-20" if kind[0] == "e" else f"transfer to a {kind}: vs OZ 5 ERC-20",
                f"{median(base_oz):,.0f}",
                f"{m:,.0f}",
                median(base_oz) / m,
                f"goal ≥ 0.50x (ours ≤ 2× OZ); ours/OZ = {m / median(base_oz):.2f}; ours {_span(mine)}",
            ),
            Row(
                f"transfer to an {kind}: vs T-REX 4.1.6" if kind[0] == "e" else f"transfer to a {kind}: vs T-REX 4.1.6",
                f"{median(base_trex):,.0f}",
                f"{m:,.0f}",
                median(base_trex) / m,
                f"goal ≥ 4.00x (ours ≤ 0.25× T-REX); ours/T-REX = {m / median(base_trex):.2f}; "
                f"T-REX {_span(base_trex)}",
            ),
        ]
    small, large = claims
    same = "identical for each claimer" if small == large else f"differ: {small} vs {large}"
    out.append(
        Row(
            f"claim: 10 holders (baseline) vs {n:,} holders",
            f"{median(small):,.0f}",
            f"{median(large):,.0f}",
            median(small) / median(large),
            f"goal 1.00x (O(1)); {len(small)} claimers, {same}; first claim of an asset {small[0]:,} / {large[0]:,}",
        )
    )
    buy, approve, make = median(t.buy), median(t.approve), median(t.make_offer)
    by_hand = median(t.share_transfer) + median(t.rcny_transfer)
    out += [
        Row(
            "DvP: buy vs approve + share transfer + rCNY transfer",
            f"{approve + by_hand:,.0f}",
            f"{buy:,.0f}",
            (approve + by_hand) / buy,
            f"the issue's baseline; approve {approve:,.0f}, share transfer {median(t.share_transfer):,.0f}, "
            f"rCNY transfer {median(t.rcny_transfer):,.0f}; median of {len(t.buy)} one-share trades",
        ),
        Row(
            "DvP: approve + buy vs share transfer + rCNY transfer",
            f"{by_hand:,.0f}",
            f"{approve + buy:,.0f}",
            by_hand / (approve + buy),
            f"every transaction the buyer sends vs the two legs alone; the seller's makeOffer {make:,.0f} more",
        ),
    ]
    return out


def _code_version() -> str:
    """The commit measured, and whether the contracts or the bench differ from it (gas follows the code)."""
    git = ["git", "-C", str(PROJECT_ROOT)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "contracts", "bench"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown ({exc.__class__.__name__})"
    changed = [line[3:] for line in dirty.stdout.splitlines()]
    return f"commit {head.stdout.strip()}" + (f", with local changes in {', '.join(changed)}" if changed else "")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--holders", type=int, default=10_000, help="holders of the large claim asset")
    p.add_argument("--transfers", type=int, default=20, help="transfers to an existing holder per token")
    args = p.parse_args()
    if args.holders < 10 or args.transfers < 1:
        p.error("--holders must be at least 10 (the small claim asset has 10) and --transfers at least 1")
    print_header("AssetFractions: transfer gas vs T-REX and OpenZeppelin ERC-20, claims, DvP", MODULE)
    print(f"code    : {_code_version()}")
    t0 = time.perf_counter()
    with _anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-fractions-") as tmp:
        investors = ("investor", "investor-2", "investor-3", "investor-4")
        net = build_network(
            node,
            Path(tmp),
            [("bank", (Role.BANK, Role.SETTLEMENT_BANK)), ("court", (Role.COURT,))]
            + [(n, (Role.INVESTOR,)) for n in investors],
            {"bank": 10**15} | dict.fromkeys(investors, 10**10),
        )
        c, r = net.client, net.recourse
        claimer_keys = _fresh("claimer", CLAIMERS)
        new_holders = _addresses(_fresh("new holder", NEW_HOLDERS))
        bulk = _addresses(_fresh("holder", args.holders - CLAIMERS - 1))
        admit_in_bulk(net, _addresses(claimer_keys) + new_holders, "named")
        admit_in_bulk(net, bulk, "holders")
        bank = c.sender(account("bank"))
        for k in claimer_keys:  # the claimers send their claims: gas money, and rCNY already held
            c.rpc.call("anvil_setBalance", [k.address, hex(10**20)])
            r.token.mint(bank, k.address, 1_000, reference="fractions bench claimer")
        a = Actors(
            seller=c.sender(account("investor")),
            holder=c.sender(account("investor-2")),
            buyer=c.sender(account("investor-3")),
            big=c.sender(account("investor-4")),
            new_holders=new_holders,
            claimers=[c.sender(k) for k in claimer_keys],
            bulk=bulk,
        )

        now = c.block_timestamp()
        trading = Limits(
            lock_up=now + 2 * DAY, deadline=now + DAY, max_holders=1_000, hard_cap=1_000_000, soft_cap=10_000
        )
        claiming = Limits(
            lock_up=now + 2 * DAY, deadline=now + DAY, max_holders=2 * args.holders, hard_cap=100_000, soft_cap=100_000
        )
        asset = issue(net, "TRADE", trading)
        small = issue(net, "CLAIM-10", claiming)
        large = issue(net, f"CLAIM-{args.holders}", claiming)
        subscribe(net, asset, a.seller, 50_000)
        subscribe(net, asset, a.holder, 1_000)
        subscribe(net, asset, a.buyer, 1_000)
        subscribe(net, small, a.big, 100_000)
        subscribe(net, large, a.big, 100_000)
        c.rpc.call("evm_increaseTime", [2 * DAY + 60])  # past the deadlines and the lock-ups
        c.rpc.call("evm_mine")
        for x, subscribers in ((asset, (a.seller, a.holder, a.buyer)), (small, (a.big,)), (large, (a.big,))):
            x.send(bank, x.settle_offering_request())
            for s in subscribers:
                x.send(bank, x.claim_shares_request(s.address))
        distribute(net, small, a.big, [str(s.address) for s in a.claimers] + a.bulk[:4], "10 holders")
        distribute(net, large, a.big, [str(s.address) for s in a.claimers] + a.bulk, f"{args.holders:,} holders")
        pay_in(net, asset, 1_000_000, "fractions bench recovery TRADE")
        for x in (small, large):
            pay_in(net, x, 10_000_000, "fractions bench recovery CLAIM")
        assert asset.total_paid_in() > 0

        print("  measuring transfers …", flush=True)
        ours = fractions_figures(asset, a, args.transfers)
        oz = oz_figures(net, a, args.transfers)
        trex, _ = trex_figures(net, a, args.transfers)
        trades = dvp_figures(net, asset, a)
        claims = (claim_figures(small, a.claimers), claim_figures(large, a.claimers))
        assert large.holder_count() == args.holders
        table = rows(ours, oz, trex, claims, trades, args.holders)
        c.close()
    print(f"(set-up and measurements took {time.perf_counter() - t0:,.0f} s)")
    print_table(table, baseline_label="baseline gas", ours_label="AssetFractions gas", ratio_label="baseline/ours")


if __name__ == "__main__":
    main()
