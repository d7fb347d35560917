"""Judicial-auction benchmarks, each against a baseline measured in the same run on the same chain.

1. Gas (anvil receipts): a deposit, a first bid, a later bid (deposit already locked; the median of 20), a
   deposit withdrawal and a proceeds withdrawal, against the baseline of ONE SettlementToken transfer to an
   existing holder. The goal: a later bid costs no more than that transfer.
2. A closing war: N bidders (200) place B bids (2,000) in the last 5 minutes of a lot, every bid moving the
   end. Ours: through a real gateway (``recourse serve`` subprocess, SQLite) hosting the N bidders (fresh
   keys in a keystore), each bid a durable operation (``POST /auctions/lots/{id}/bids``), while one client
   follows the lot's live room (SSE). Baseline: N plain web3.py clients bidding directly on a second lot of
   the same chain (build the transaction — which estimates gas, so a bid already beaten is refused there as
   the gateway refuses it — sign, send, wait). Amounts come from one shared counter (start + k × increment)
   in both runs, so the two face the same races. Reported: accepted (mined) bids per second, exactly-once
   (every mined bid once in the chain's events, in the gateway's index and in the room), every extension
   (end = max(previous end, block time + 300 s)), and the delay from a bid's block being seen on the node to
   the bid arriving in the live room (p50, p99; goal p99 < 500 ms).

    python -m bench.auctions_bench [--bidders 200] [--bids 2000] [--gas-only]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import Nonce

from bench._common import Row, median, print_header, print_table, private_anvil
from bench._gateway_common import GatewayProcess, Network, account, build_network, create_key
from chain.client import Receipt, Sender
from chain.config import DEV_CHAIN_ID
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import EXTENSION_SECONDS, Listing, Payee, asset_ref

MODULE = "bench.auctions_bench"
KEY_PASSWORD = "bench-keystore-password"  # noqa: S105 - a throwaway keystore in a temp dir
START, DEPOSIT, STEP = 1_000_000, 100_000, 100
DAY = 86_400


def _governed(net: Network, propose: Callable[[Sender], Any]) -> None:
    c = net.client
    pid = propose(c.sender(account("governor-1")))
    net.recourse.consortium.approve(c.sender(account("governor-2")), pid)
    net.recourse.consortium.execute(c.sender(account("governor-3")), pid)


def _lot(net: Network, tag: str, *, kyc_tier: int = 2, window: int = DAY) -> int:
    """A lot appraised by the court, listed by the bank and approved: bidding opens at once for a day."""
    r, c = net.recourse, net.client
    a = r.auctions
    asset = asset_ref(f"BENCH-{tag}")
    a.send(c.sender(account("court")), a.enter_appraisal_request(asset, START, bytes(32)))
    root = Web3.keccak(text=f"bench document {tag} {time.time_ns()}")
    r.evidence.anchor(c.sender(account("court")), root, 1)
    listing = Listing(asset, (bytes(root),), bytes(32), START, DEPOSIT, STEP, 0, window, DAY, kyc_tier)
    lot_id = a.list(c.sender(account("bank")), listing)
    a.send(c.sender(account("court")), a.approve_request(lot_id, account("court").address))
    return lot_id


def _gas(receipt: Receipt) -> int:
    assert receipt.status == 1, receipt
    return int(receipt.gas_used)


def gas_rows(net: Network) -> list[Row]:
    """Gas of each auction step and of one token transfer to an existing holder, same chain, same run."""
    r, c = net.recourse, net.client
    a, token = r.auctions, r.token
    inv = [c.sender(account(n)) for n in ("investor", "investor-2")]
    transfer = _gas(token.transfer(inv[0], account("bank").address, 1))  # both hold rCNY already
    lot_id = _lot(net, "gas")
    deposits = []
    for s in inv:
        token.approve(s, a.address, DEPOSIT)
        deposits.append(_gas(s.transact(a.lock_deposit_request(lot_id))))
    first_bid = _gas(inv[0].transact(a.bid_request(lot_id, START)))
    later = [_gas(inv[(i + 1) % 2].transact(a.bid_request(lot_id, START + (i + 1) * STEP))) for i in range(20)]
    c.rpc.call("evm_mine", [a.lot(lot_id).ends_at - 200])  # the last minutes: each bid moves the end
    late = []
    for i in range(10):  # a block 5 s later each time: every one of these bids moves the end again
        before = a.lot(lot_id).ends_at
        c.rpc.call("evm_setNextBlockTimestamp", [c.block_timestamp() + 5])
        late.append(_gas(inv[(i + 1) % 2].transact(a.bid_request(lot_id, START + (i + 21) * STEP))))
        assert a.lot(lot_id).ends_at > before
    assert a.lot(lot_id).ends_at > c.block_timestamp() + 290
    price = START + 30 * STEP
    end = a.lot(lot_id).ends_at
    c.rpc.call("evm_mine", [end])
    a.send(c.sender(account("bank")), a.close_request(lot_id))
    loser = inv[0] if a.lot(lot_id).highest_bidder == account("investor-2").address else inv[1]
    winner = inv[1] if loser is inv[0] else inv[0]
    withdraw_deposit = _gas(loser.transact(a.withdraw_deposit_request(lot_id)))
    token.approve(winner, a.address, price)
    a.send(winner, a.pay_request(lot_id))
    a.send(
        c.sender(account("court")),
        a.confirm_request(lot_id, [Payee(account("bank").address, price)], b"r" * 32, b"t" * 32),
    )
    withdraw = _gas(c.sender(account("bank")).transact(a.withdraw_request()))
    bid = median(later)
    return [
        Row(
            "gas: bid, deposit locked, not the first",
            f"{transfer:,}",
            f"{bid:,.0f}",
            transfer / bid,
            f"median of 20 (min {min(later):,}, max {max(later):,}); baseline: 1 rCNY transfer to a holder",
        ),
        Row(
            "gas: bid in the last 5 minutes (moves the end)",
            f"{transfer:,}",
            f"{median(late):,.0f}",
            transfer / median(late),
            "median of 10; also rewrites the end",
        ),
        Row(
            "gas: first bid of a lot",
            f"{transfer:,}",
            f"{first_bid:,}",
            transfer / first_bid,
            "writes the highest-bid slot from zero",
        ),
        Row(
            "gas: lock deposit (after approve)",
            f"{transfer:,}",
            f"{median(deposits):,.0f}",
            transfer / median(deposits),
            "KYC and bar checks, bidder code, token pull",
        ),
        Row(
            "gas: withdraw deposit",
            f"{transfer:,}",
            f"{withdraw_deposit:,}",
            transfer / withdraw_deposit,
            "transient reentrancy lock + token push",
        ),
        Row("gas: withdraw proceeds", f"{transfer:,}", f"{withdraw:,}", transfer / withdraw, ""),
    ]


# --- the closing war ------------------------------------------------------------------------------------


def _bidder_names(n: int) -> list[str]:
    return [f"bench-bidder-{i:03d}" for i in range(n)]


def make_bidders(net: Network, keystore: Path, n: int) -> dict[str, LocalAccount]:
    """N fresh keys (a keystore the gateway reads; pbkdf2 with few rounds so 200 decrypt in seconds), admitted
    as INVESTOR members of KYC tier 2, funded with gas and rCNY."""
    keystore.mkdir(parents=True, exist_ok=True)
    out: dict[str, LocalAccount] = {}
    r, c = net.recourse, net.client
    bank = c.sender(account("bank"))
    for name in _bidder_names(n):
        acct: LocalAccount = Account.create()
        blob = Account.encrypt(acct.key, KEY_PASSWORD, kdf="pbkdf2", iterations=1024)
        (keystore / f"{name}.json").write_text(json.dumps(blob), encoding="utf-8")
        c.rpc.call("anvil_setBalance", [acct.address, hex(10**21)])
        g1, g2, g3 = (c.sender(account(f"governor-{i}")) for i in (1, 2, 3))
        pid = r.consortium.propose_admission(
            g1, acct.address, name=name, roles=[Role.INVESTOR], region=310000, kyc_tier=2
        )
        r.consortium.approve(g2, pid)
        r.consortium.execute(g3, pid)
        r.token.mint(bank, acct.address, 100 * START, reference=f"bench {name}")
        out[name] = acct
    return out


def lock_deposits(net: Network, bidders: dict[str, LocalAccount], lot_id: int) -> None:
    r, c = net.recourse, net.client
    for acct in bidders.values():
        s = c.sender(acct)
        r.token.approve(s, r.auctions.address, 2 * DEPOSIT)
        s.transact(r.auctions.lock_deposit_request(lot_id))


def _to_last_minutes(net: Network, lot_id: int) -> None:
    """Mine a block 299 s before the lot's end: from here on every bid moves the end."""
    end = net.recourse.auctions.lot(lot_id).ends_at
    net.client.rpc.call("evm_mine", [end - EXTENSION_SECONDS + 1])


class Counter:
    def __init__(self, total: int) -> None:
        self._it = itertools.count()
        self._lock = threading.Lock()
        self.total = total

    def next(self) -> int | None:
        with self._lock:
            k = next(self._it)
        return k if k < self.total else None


def web3_war(net: Network, bidders: dict[str, LocalAccount], lot_id: int, bids: int) -> tuple[float, dict[str, int]]:
    """Baseline: one plain web3.py client per bidder (own HTTP provider, local signing, build → send → wait)."""
    abi = net.recourse.auctions.abi
    counter, outcome, lock = Counter(bids), {"mined": 0, "reverted": 0, "refused": 0}, threading.Lock()

    def client(acct: LocalAccount) -> None:
        w3 = Web3(Web3.HTTPProvider(net.node.url, request_kwargs={"timeout": 120}))
        contract = w3.eth.contract(address=Web3.to_checksum_address(net.recourse.auctions.address), abi=abi)
        nonce = int(w3.eth.get_transaction_count(acct.address))
        while (k := counter.next()) is not None:
            try:
                tx = contract.functions.bid(lot_id, START + (k + 1) * STEP).build_transaction(
                    {"from": acct.address, "nonce": Nonce(nonce), "chainId": DEV_CHAIN_ID}
                )
            except Exception:  # noqa: BLE001 - the estimate reverted: a higher bid got there first
                with lock:
                    outcome["refused"] += 1
                continue
            signed = acct.sign_transaction(cast(Any, tx))
            h = w3.eth.send_raw_transaction(signed.raw_transaction)
            nonce += 1
            status = w3.eth.wait_for_transaction_receipt(h, timeout=120, poll_latency=0.02)["status"]
            with lock:
                outcome["mined" if status == 1 else "reverted"] += 1

    threads = [threading.Thread(target=client, args=(a,)) for a in bidders.values()]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, outcome


class BlockWatch(threading.Thread):
    """When each block was first seen on the node (polled every 5 ms)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.seen: dict[int, float] = {}

    def run(self) -> None:
        with httpx.Client(timeout=5) as http:
            while not self.stop.is_set():
                try:
                    r = http.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []})
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                n = int(r.json()["result"], 16)
                now = time.perf_counter()
                for b in range(max(self.seen, default=n - 1) + 1, n + 1):
                    self.seen.setdefault(b, now)
                time.sleep(0.005)


class Room(threading.Thread):
    """Follows the lot's live room; records when each bid event arrived."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.arrivals: dict[str, tuple[float, int, dict[str, Any]]] = {}
        self.duplicates = 0
        self.reconnects = 0
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        last = ""
        while not self.stop.is_set():
            headers = {**self.headers, **({"Last-Event-ID": last} if last else {})}
            try:
                last = self._follow(headers, last)
            except httpx.HTTPError:
                self.reconnects += 1  # resume after the last event seen: nothing may be lost or repeated
                time.sleep(0.2)

    def _follow(self, headers: dict[str, str], last: str) -> str:
        with httpx.stream("GET", self.url, headers=headers, timeout=httpx.Timeout(10, read=600)) as r:
            event, data, key = "", "", ""
            for line in r.iter_lines():
                if self.stop.is_set():
                    return last
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif line.startswith("id:"):
                    key = line[3:].strip()
                elif line == "":
                    if event == "lot":
                        self.ready.set()
                    elif event == "JudicialAuction.BidPlaced":
                        body = json.loads(data)
                        if key in self.arrivals:
                            self.duplicates += 1
                        self.arrivals[key] = (time.perf_counter(), int(body["block_number"]), body["args"])
                    if key:
                        last = key
                    event, data, key = "", "", ""
        return last


async def _gateway_bids(gw: GatewayProcess, keys: dict[str, str], lot_id: int, bids: int) -> dict[str, int]:
    """Every bidder posts bids until the counter runs out. A connection the server closed under the client
    (keep-alive race, reset) is retried with the SAME Idempotency-Key, as a real client does: the gateway
    answers a repeat with the original operation, so a bid is never placed twice."""
    counter, outcome = Counter(bids), {"accepted": 0, "refused": 0, "retried": 0}

    async def post(http: httpx.AsyncClient, path: str, body: dict[str, int], headers: dict[str, str]) -> httpx.Response:
        for attempt in range(5):
            try:
                return await http.post(path, json=body, headers=headers)
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError, httpx.WriteError):
                outcome["retried"] += 1
                await asyncio.sleep(0.2 * (attempt + 1))
        return await http.post(path, json=body, headers=headers)

    async def bidder(token: str, http: httpx.AsyncClient) -> None:
        while (k := counter.next()) is not None:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"war-{lot_id}-{k}"}
            r = await post(http, f"/auctions/lots/{lot_id}/bids", {"amount_fen": START + (k + 1) * STEP}, headers)
            outcome["accepted" if r.status_code == 202 else "refused"] += 1
            if r.status_code not in (202, 409):
                raise RuntimeError(f"bid answered {r.status_code}: {r.text}")

    async with httpx.AsyncClient(base_url=gw.url, timeout=120, limits=httpx.Limits(max_connections=200)) as http:
        await asyncio.gather(*(bidder(t, http) for t in keys.values()))
    return outcome


def _check_extensions(net: Network, lot_id: int, start_block: int) -> tuple[int, int, list[dict[str, Any]]]:
    """Every BidPlaced: end == max(previous end, block time + 300). Returns (bids, wrong, events)."""
    a, c = net.recourse.auctions, net.client
    events = [e for e in a.events_between(from_block=start_block, name="BidPlaced") if int(e.args["lotId"]) == lot_id]
    approved = [e for e in a.events_between(from_block=0, name="LotApproved") if int(e.args["lotId"]) == lot_id]
    end = int(approved[-1].args["endsAt"])
    wrong = 0
    times: dict[int, int] = {}
    for e in events:
        t = times.get(e.block_number)
        if t is None:
            t = times[e.block_number] = c.block_timestamp(e.block_number)
        end = max(end, t + EXTENSION_SECONDS)
        if int(e.args["endsAt"]) != end:
            wrong += 1
    return len(events), wrong, [dict(e.args) | {"key": e.key} for e in events]


def war(net: Network, base: Path, bidders: dict[str, LocalAccount], bids: int, db_url: str | None = None) -> list[Row]:
    a = net.recourse.auctions
    # two lots, every bidder's deposit locked on both (before any web3.py client spends a nonce)
    lot_w3, lot_gw = _lot(net, "war-web3"), _lot(net, "war-gateway", window=2 * DAY)
    lock_deposits(net, bidders, lot_w3)
    lock_deposits(net, bidders, lot_gw)
    # baseline: web3.py clients on the first lot
    _to_last_minutes(net, lot_w3)
    b0 = net.client.block_number()
    w3_s, w3_out = web3_war(net, bidders, lot_w3, bids)
    w3_n, w3_wrong, _ = _check_extensions(net, lot_w3, b0)
    w3_rate = w3_n / w3_s

    # ours: the same bidders through a gateway, on the second lot
    gw = GatewayProcess(
        net,
        base / "gw",
        ["bank", *bidders],
        extra_env={
            "RECOURSE_CHAIN__KEYSTORE_DIR": str(base / "keystore"),
            "RECOURSE_CHAIN__KEYSTORE_PASSWORD": KEY_PASSWORD,
        },
        db_url=db_url,
    )
    keys = {n: create_key(gw.db_url, n) for n in bidders}
    watcher_key = create_key(gw.db_url, "bank")
    gw.start(timeout=300)
    try:
        watch = BlockWatch(net.node.url)
        watch.start()
        room = Room(f"{gw.url}/auctions/lots/{lot_gw}/room", {"Authorization": f"Bearer {watcher_key}"})
        room.start()
        room.ready.wait(30)
        _to_last_minutes(net, lot_gw)
        b1 = net.client.block_number()
        t0 = time.perf_counter()
        outcome = asyncio.run(_gateway_bids(gw, keys, lot_gw, bids))
        intake_s = time.perf_counter() - t0
        # done when the chain has had no new bid for 3 s and the room has shown every mined bid
        deadline, last_n, last_change = time.monotonic() + 600, -1, time.monotonic()
        with httpx.Client(base_url=gw.url, timeout=30) as http:
            auth = {"Authorization": f"Bearer {watcher_key}"}
            while time.monotonic() < deadline:
                n_chain = sum(
                    1 for e in a.events_between(from_block=b1, name="BidPlaced") if int(e.args["lotId"]) == lot_gw
                )
                if n_chain != last_n:
                    last_n, last_change = n_chain, time.monotonic()
                elif time.monotonic() - last_change > 3 and len(room.arrivals) >= n_chain:
                    break
                time.sleep(0.5)
            ours_s = max(watch.seen.get(v[1], v[0]) for v in room.arrivals.values()) - t0 if room.arrivals else intake_s
            indexed = http.get(f"/auctions/lots/{lot_gw}/bids", headers=auth, params={"limit": 1000}).json()
            index_keys = [b["key"] for b in indexed["data"]]
            while indexed["next_after"]:
                indexed = http.get(
                    f"/auctions/lots/{lot_gw}/bids",
                    headers=auth,
                    params={"limit": 1000, "after": indexed["next_after"]},
                ).json()
                index_keys += [b["key"] for b in indexed["data"]]
        room.stop.set()
        watch.stop.set()
        gw_n, gw_wrong, events = _check_extensions(net, lot_gw, b1)
        chain_keys = [e["key"] for e in events]
        lat = sorted((t - watch.seen[blk]) * 1000 for t, blk, _ in room.arrivals.values() if blk in watch.seen)
        p50 = lat[len(lat) // 2] if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        exactly_once = sorted(room.arrivals) == chain_keys == index_keys and room.duplicates == 0
    except Exception:
        kept = Path(tempfile.gettempdir()) / "recourse-auctions-bench-gateway.log"
        kept.write_bytes(gw.log.read_bytes() if gw.log.exists() else b"")
        print(gw.tail(3000))
        print(f"(the gateway's whole log is kept in {kept})")
        raise
    finally:
        gw.stop()
    ours_rate = gw_n / ours_s
    return [
        Row(
            f"closing war: mined bids/s, {len(bidders)} bidders, {bids} bids",
            f"{w3_rate:,.1f}",
            f"{ours_rate:,.1f}",
            ours_rate / w3_rate,
            f"ours {gw_n} mined in {ours_s:.1f}s (202: {outcome['accepted']}, 409 at once: {outcome['refused']}, "
            f"retried after a reset: {outcome['retried']}); "
            f"web3.py {w3_n} mined in {w3_s:.1f}s (reverted {w3_out['reverted']}, "
            f"refused by estimate {w3_out['refused']})",
        ),
        Row(
            "closing war: extensions correct",
            f"{w3_n - w3_wrong}/{w3_n}",
            f"{gw_n - gw_wrong}/{gw_n}",
            1.0 if gw_wrong == 0 else 0.0,
            "end == max(previous end, block time + 300) for every mined bid",
        ),
        Row(
            "closing war: block seen → live room, ms",
            "—",
            f"p50 {p50:,.0f} / p99 {p99:,.0f}",
            500 / p99 if lat else 0.0,
            f"{len(lat)} bids; ratio = 500 ms goal / p99; exactly once in chain, index and room: {exactly_once}; "
            f"room reconnects: {room.reconnects}",
        ),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bidders", type=int, default=200)
    p.add_argument("--bids", type=int, default=2000)
    p.add_argument("--gas-only", action="store_true", help="only the gas figures (about 20 s)")
    p.add_argument("--db-url", default=None, help="the gateway's database (default: SQLite in a temp dir)")
    args = p.parse_args()
    print_header("Judicial auctions: gas per step, a closing war through the gateway", MODULE)
    rows: list[Row] = []
    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-auctions-") as tmp:
        base = Path(tmp)
        net = build_network(
            node,
            base,
            [
                ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
                ("court", (Role.COURT,)),
                ("investor", (Role.INVESTOR,)),
                ("investor-2", (Role.INVESTOR,)),
            ],
            {"bank": 10**15, "investor": 10**12, "investor-2": 10**12},
        )
        _governed(
            net,
            lambda g: net.recourse.consortium.propose_system_contract(g, net.recourse.auctions.address, enabled=True),
        )
        rows += gas_rows(net)
        if not args.gas_only:
            bidders = make_bidders(net, base / "keystore", args.bidders)
            rows += war(net, base, bidders, args.bids, args.db_url)
        net.client.close()
    print_table(rows, baseline_label="baseline", ours_label="ours", ratio_label="ratio")


if __name__ == "__main__":
    main()
