"""Console benchmarks, each against a baseline measured in the same run.

1. Live auction room. ``--rooms`` (100) open console rooms — each one an open page: its own signed-in session
   (API key through the console's sign-in form) following ``GET /console/auctions/{id}/live`` (SSE), spread
   round-robin over ``--lots`` (10) lots — and, side by side, the same number of the API's own live rooms
   (``GET /auctions/lots/{id}/room``, ``auctions_bench.Room``) on the same lots. Another client places
   ``--bids`` (50) bids straight on chain (two investors the gateway does not host, alternating per lot, the
   lots taken round-robin, one bid at a time with ``--gap`` seconds between them). Measured per (bid, room):
   from the moment the bid's block was first seen on the node (``auctions_bench.BlockWatch``, polled every
   5 ms; the receipt arrives after it) to the moment the bid's SSE message arrived in that room. p50/p95/p99
   for both; goal: console p99 < 1 s. Three phases: both kinds open side by side (the same bids; they share the
   gateway's event loop, so one kind's work delays the other), then each kind alone with ``--bids`` more bids
   (``--together-only`` skips these).
2. Evidence check in the browser. Headless Chromium (Debian's, through Playwright with ``executable_path``) on
   the console's evidence page: from choosing a file (``set_input_files``) to the digest computed in the page
   (WebCrypto, the file read whole) and to the answer shown after pressing Check, for a ``--file-mb`` (100)
   MB file and a 1 MB file (fixed costs); baseline: ``hashlib.sha256`` of the same file in Python.

    python -m bench.console_bench [--rooms 100] [--lots 10] [--bids 50] [--file-mb 100] [--together-only]
        [--skip-rooms] [--skip-browser]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._common import Row, median, print_header, print_table, private_anvil
from bench._gateway_common import GatewayProcess, Network, account, build_network, create_key
from bench.auctions_bench import START, STEP, BlockWatch, Room, _governed, _lot, lock_deposits
from chain.contracts.consortium import Role

MODULE = "bench.console_bench"
BIDDERS = ("investor", "investor-2")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_session(base_url: str, token: str) -> str:
    """Sign in at the console's form with ``token``, as a browser does; the ``Cookie`` header of the session."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        page = http.get("/console/login")
        found = _CSRF.search(page.text)
        if page.status_code != 200 or found is None:
            raise RuntimeError(f"sign-in page answered {page.status_code}")
        r = http.post("/console/login", data={"csrf": found.group(1), "api_key": token})
        if r.status_code != 303 or "rc_session" not in http.cookies:
            raise RuntimeError(f"sign-in answered {r.status_code}: {r.text[:300]}")
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


class ConsoleRoom(Room):
    """One open console room: follows ``/console/auctions/{id}/live`` and records when each ``bid`` arrived
    (its block number is the first part of the message's ``id``, the event key)."""

    def _follow(self, headers: dict[str, str], last: str) -> str:
        with httpx.stream("GET", self.url, headers=headers, timeout=httpx.Timeout(10, read=600)) as r:
            if r.status_code != 200:
                raise httpx.HTTPStatusError(f"live room answered {r.status_code}", request=r.request, response=r)
            event, key = "", ""
            for line in r.iter_lines():
                self.ready.set()  # the first line (``retry:``) comes once the room follows the event hub
                if self.stop.is_set():
                    return last
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("id:"):
                    key = line[3:].strip()
                elif line == "":
                    if event == "bid" and key:
                        if key in self.arrivals:
                            self.duplicates += 1
                        self.arrivals[key] = (time.perf_counter(), int(key.split("/", 1)[0]), {})
                    if key:
                        last = key
                    event, key = "", ""
        return last


def _pct(samples: Sequence[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * q))] if s else float("nan")


def _latencies(
    rooms: Sequence[Room], expected: dict[int, list[tuple[str, int, float]]], lot_of: list[int], watch: BlockWatch
) -> tuple[list[float], list[float], int]:
    """(ms from block seen, ms from receipt seen, missing) over every (bid, room of its lot) pair."""
    from_block, from_receipt, missing = [], [], 0
    for room, lot_id in zip(rooms, lot_of, strict=True):
        for key, block, receipt_at in expected[lot_id]:
            got = room.arrivals.get(key)
            if got is None:
                missing += 1
                continue
            from_block.append((got[0] - watch.seen.get(block, receipt_at)) * 1000)
            from_receipt.append((got[0] - receipt_at) * 1000)
    return from_block, from_receipt, missing


class _Bidding:
    """Bids straight on chain by the two investors (alternating per lot), lots round-robin, one at a time."""

    def __init__(self, net: Network, lots: list[int]) -> None:
        self.net, self.lots = net, lots
        self.placed = dict.fromkeys(lots, 0)
        self.senders = [net.client.sender(account(n)) for n in BIDDERS]

    def run(self, bids: int, gap: float) -> dict[int, list[tuple[str, int, float]]]:
        """Per lot: (event key, block, when the receipt was seen) of every bid placed."""
        a = self.net.recourse.auctions
        out: dict[int, list[tuple[str, int, float]]] = {lot_id: [] for lot_id in self.lots}
        for k in range(bids):
            lot_id = self.lots[k % len(self.lots)]
            n = self.placed[lot_id]
            receipt = a.send(self.senders[n % 2], a.bid_request(lot_id, START + (n + 1) * STEP))
            receipt_at = time.perf_counter()
            self.placed[lot_id] = n + 1
            (log,) = a.events_between(from_block=receipt.block_number, to_block=receipt.block_number, name="BidPlaced")
            out[lot_id].append((log.key, receipt.block_number, receipt_at))
            time.sleep(gap)
        return out


@dataclass
class _Phase:
    label: str
    console: tuple[list[float], list[float], int] | None
    api: tuple[list[float], list[float], int] | None
    duplicates: int
    reconnects: int


def _phase(
    label: str,
    rooms: Sequence[Room],
    kinds: Sequence[str],
    lot_of: Sequence[int],
    bidding: _Bidding,
    bids: int,
    gap: float,
) -> _Phase:
    """Open ``rooms`` (each of kind ``console`` or ``api``, following ``lot_of``), place the bids, wait until
    every room has shown every bid of its lot (30 s at most), close them; the latencies per kind."""
    watch = BlockWatch(bidding.net.node.url)
    try:
        for room in rooms:
            room.start()
        for room in rooms:
            if not room.ready.wait(60):
                raise RuntimeError(f"a room never opened: {room.url}")
        time.sleep(2)  # every stream subscribed to the hub
        watch.start()
        expected = bidding.run(bids, gap)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
            all(key in room.arrivals for key, _, _ in expected[lot_id])
            for room, lot_id in zip(rooms, lot_of, strict=True)
        ):
            time.sleep(0.2)
    finally:
        for room in rooms:
            room.stop.set()
        watch.stop.set()
    got: dict[str, tuple[list[float], list[float], int]] = {}
    for kind in ("console", "api"):
        mine = [(r, lot_id) for r, k, lot_id in zip(rooms, kinds, lot_of, strict=True) if k == kind]
        if mine:
            got[kind] = _latencies([r for r, _ in mine], expected, [lot_id for _, lot_id in mine], watch)
    return _Phase(
        label,
        got.get("console"),
        got.get("api"),
        sum(r.duplicates for r in rooms),
        sum(r.reconnects for r in rooms),
    )


def room_rows(net: Network, base: Path, rooms: int, n_lots: int, bids: int, gap: float, apart: bool) -> list[Row]:
    lots = [_lot(net, f"console-{i}") for i in range(n_lots)]
    investors = {n: account(n) for n in BIDDERS}
    for lot_id in lots:
        lock_deposits(net, investors, lot_id)
    bidding = _Bidding(net, lots)
    gw = GatewayProcess(net, base / "gw", ["bank"])
    token = create_key(gw.db_url, "bank", ["auctions:read"])
    gw.start(timeout=300)
    lot_of = [lots[i % n_lots] for i in range(rooms)]
    phases: list[_Phase] = []
    try:
        t0 = time.perf_counter()
        cookies = [console_session(gw.url, token) for _ in range(rooms)]
        sign_in_s = time.perf_counter() - t0

        def consoles() -> list[Room]:
            return [
                ConsoleRoom(f"{gw.url}/console/auctions/{lot_id}/live", {"Cookie": ck, "Accept": "text/event-stream"})
                for lot_id, ck in zip(lot_of, cookies, strict=True)
            ]

        def apis() -> list[Room]:
            auth = {"Authorization": f"Bearer {token}"}
            return [Room(f"{gw.url}/auctions/lots/{lot_id}/room", auth) for lot_id in lot_of]

        both = ["console"] * rooms + ["api"] * rooms
        phases.append(_phase("side by side", [*consoles(), *apis()], both, [*lot_of, *lot_of], bidding, bids, gap))
        if apart:
            phases.append(_phase("console alone", consoles(), ["console"] * rooms, lot_of, bidding, bids, gap))
            phases.append(_phase("API alone", apis(), ["api"] * rooms, lot_of, bidding, bids, gap))
    except Exception:
        print(gw.tail(3000))
        raise
    finally:
        gw.stop()
    rows = []
    together = phases[0]
    assert together.console is not None
    assert together.api is not None
    (con_b, con_r, con_missing), (api_b, api_r, api_missing) = together.console, together.api
    per = f"side by side: {rooms} console + {rooms} API rooms over {n_lots} lots, {bids} bids"
    for q, label in ((0.50, "p50"), (0.95, "p95"), (0.99, "p99")):
        api_ms, con_ms = _pct(api_b, q), _pct(con_b, q)
        rows.append(
            Row(
                f"live room: block seen → bid shown, {label} ms",
                f"{api_ms:,.0f}",
                f"{con_ms:,.0f}",
                api_ms / con_ms,
                per if q == 0.5 else "",
            )
        )
    api_rp, con_rp = _pct(api_r, 0.99), _pct(con_r, 0.99)
    rows.append(
        Row(
            "live room: receipt seen → bid shown, p99 ms",
            f"{api_rp:,.0f}",
            f"{con_rp:,.0f}",
            api_rp / con_rp,
            "the bidding client's own receipt as the start",
        )
    )
    rows.append(
        Row(
            "live room: console p99 against the 1 s goal",
            "1,000",
            f"{_pct(con_b, 0.99):,.0f}",
            1000 / _pct(con_b, 0.99),
            f"goal met: {_pct(con_b, 0.99) < 1000}; samples api {len(api_b)}, console {len(con_b)}; missing api "
            f"{api_missing}, console {con_missing}; duplicates {together.duplicates}; "
            f"reconnects {together.reconnects}; "
            f"{rooms} sign-ins took {sign_in_s:.1f}s",
        )
    )
    if apart:
        alone_con, alone_api = phases[1].console, phases[2].api
        assert alone_con is not None
        assert alone_api is not None
        for q, label in ((0.50, "p50"), (0.95, "p95"), (0.99, "p99")):
            api_ms, con_ms = _pct(alone_api[0], q), _pct(alone_con[0], q)
            rows.append(
                Row(
                    f"live room, each alone: block seen → bid shown, {label} ms",
                    f"{api_ms:,.0f}",
                    f"{con_ms:,.0f}",
                    api_ms / con_ms,
                    f"{rooms} rooms of one kind only, {bids} more bids each; missing api {alone_api[2]}, console "
                    f"{alone_con[2]}; duplicates {phases[1].duplicates + phases[2].duplicates}"
                    if q == 0.5
                    else "",
                )
            )
    return rows


# --- evidence check in the browser ------------------------------------------------------------------------


def _random_file(path: Path, mb: int) -> Path:
    with path.open("wb") as f:
        for _ in range(mb):
            f.write(os.urandom(1 << 20))
    return path


def _python_sha256(path: Path) -> float:
    """Seconds for ``hashlib.sha256`` of the whole file, read in 1 MiB chunks (page cache warm)."""
    t0 = time.perf_counter()
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    h.hexdigest()
    return time.perf_counter() - t0


def _browser_check(page: Any, console_url: str, path: Path) -> tuple[float, float, str]:
    """(s to the digest in the page, s to the answer shown after Check, the answer) for one file."""
    page.goto(console_url + "/evidence")
    t0 = time.perf_counter()
    page.locator("#files").set_input_files(str(path))
    page.wait_for_selector("body[data-hashed='1']", state="attached", timeout=600_000)
    hashed = time.perf_counter() - t0
    page.locator("#check").click()
    page.wait_for_selector("#results tbody tr", timeout=120_000)
    answered = time.perf_counter() - t0
    return hashed, answered, str(page.locator("#results tbody tr").first.get_attribute("data-result"))


def browser_rows(net: Network, base: Path, file_mb: int, runs: int) -> list[Row]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    from playwright.sync_api import sync_playwright

    big = _random_file(base / f"evidence-{file_mb}mb.bin", file_mb)
    small = _random_file(base / "evidence-1mb.bin", 1)
    gw = GatewayProcess(net, base / "gw-evidence", ["court"])
    token = create_key(gw.db_url, "court", ["evidence:read"])
    gw.start(timeout=300)
    times: dict[Path, list[tuple[float, float, str]]] = {big: [], small: []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
            try:
                page = browser.new_context(locale="en-US").new_page()
                page.goto(gw.url + "/console/login")
                page.locator("#api_key").fill(token)
                page.locator("#sign-in").click()
                page.wait_for_url(gw.url + "/console")
                _browser_check(page, gw.url + "/console", small)  # warm-up: page, script and WebCrypto loaded
                for _ in range(runs):
                    for f in (small, big):
                        times[f].append(_browser_check(page, gw.url + "/console", f))
            finally:
                browser.close()
    except Exception:
        print(gw.tail(3000))
        raise
    finally:
        gw.stop()
    py = {f: median([_python_sha256(f) for _ in range(runs)]) for f in (small, big)}
    rows = []
    for f, label in ((small, "1 MB"), (big, f"{file_mb} MB")):
        hashed = median([t[0] for t in times[f]])
        answered = median([t[1] for t in times[f]])
        answers = sorted({t[2] for t in times[f]})
        rows.append(
            Row(
                f"evidence check {label}: chosen → digest in page, s",
                f"{py[f]:.3f}",
                f"{hashed:.3f}",
                py[f] / hashed,
                f"median of {runs}; baseline hashlib.sha256 of the same file",
            )
        )
        rows.append(
            Row(
                f"evidence check {label}: chosen → answer shown, s",
                f"{py[f]:.3f}",
                f"{answered:.3f}",
                py[f] / answered,
                f"digest + Check (POST, chain read, page); answer {'/'.join(answers)}",
            )
        )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rooms", type=int, default=100)
    p.add_argument("--lots", type=int, default=10)
    p.add_argument("--bids", type=int, default=50)
    p.add_argument("--gap", type=float, default=0.3, help="seconds between two bids")
    p.add_argument("--file-mb", type=int, default=100)
    p.add_argument("--runs", type=int, default=3, help="browser checks per file size")
    p.add_argument("--skip-rooms", action="store_true")
    p.add_argument(
        "--together-only", action="store_true", help="only the side-by-side phase (not each kind alone as well)"
    )
    p.add_argument("--skip-browser", action="store_true")
    args = p.parse_args()
    print_header("Console: live auction room, evidence check in the browser", MODULE)
    rows: list[Row] = []
    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-console-") as tmp:
        base = Path(tmp)
        net = build_network(
            node,
            base,
            [
                ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
                ("court", (Role.COURT,)),
                *((name, (Role.INVESTOR,)) for name in BIDDERS),
            ],
            {"bank": 10**15, **dict.fromkeys(BIDDERS, 10**12)},
        )
        _governed(
            net,
            lambda g: net.recourse.consortium.propose_system_contract(g, net.recourse.auctions.address, enabled=True),
        )
        if not args.skip_rooms:
            rows += room_rows(net, base, args.rooms, args.lots, args.bids, args.gap, not args.together_only)
        if not args.skip_browser:
            rows += browser_rows(net, base, args.file_mb, args.runs)
        net.client.close()
    print_table(rows, baseline_label="baseline", ours_label="console", ratio_label="ratio")


if __name__ == "__main__":
    main()
