"""``recourse auctions …``: judicial auctions through a gateway (over HTTP, with an API key).

Sellers list lots, courts approve and supervise them, investors lock deposits and bid, anyone follows a lot's
live room. Amounts are yuan (``705000.00``) or fen (``70500000fen``) as everywhere in the CLI; durations are
seconds or ``30m``, ``24h``, ``7d``; digests are ``0x`` + 64 hex or a file (its SHA-256).

Every failure is one line on stderr and exit code 1: the gateway's problem (code and detail) with what to do
about it, or, for a step the chain refused when it ran (a deposit, a payment), the reason decoded from the
operation's error fields.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scripts.gateway_http import (
    DEFAULT_GATEWAY,
    GatewayCalls,
    GatewayOpt,
    KeyOpt,
    WaitOpt,
    connect,
    console,
    err_console,
    fail,
    parse_address,
    parse_digest,
    parse_fen,
    parse_seconds,
    plain_problem_line,
    sse_messages,
    yuan,
)

if TYPE_CHECKING:  # loaded by the commands that run, not for --help
    import httpx

__all__ = ["app", "failure_reason", "problem_line"]


app = typer.Typer(
    help="Judicial auctions: list, approve, deposit, bid, pay, confirm and watch lots (through a gateway).",
    no_args_is_help=True,
)
LotArg = Annotated[int, typer.Argument(help="Lot id (on chain).", min=1)]
AMOUNT_HELP = "yuan (705000.00) or fen (70500000fen)"
#: how long a command waits for the gateway to index a lot its operation created
INDEX_WAIT_S = 30.0


def problem_line(body: dict[str, Any], status: int | str = "") -> str:
    """A problem as one line: its code and detail, then what to do about it when the problem says."""
    line = plain_problem_line(body, status)
    rule = body.get("rule")
    if body.get("minimum_bid_fen") is not None:
        line += f"; bid at least {yuan(int(body['minimum_bid_fen']))}"
    elif rule == "start_price" and body.get("minimum_fen") is not None:
        line += f"; set a starting price of at least {yuan(int(body['minimum_fen']))}"
    elif rule == "deposit" and body.get("minimum_fen") is not None:
        line += f"; set a deposit from {yuan(int(body['minimum_fen']))} to {yuan(int(body['maximum_fen']))}"
    elif rule == "kyc_tier":
        line += (
            "; only an INVESTOR with that KYC tier may bid (the governors set tiers: members propose update-profile)"
        )
    elif rule == "documents":
        line += "; anchor the documents first (recourse evidence submit) and pass their root or evidence id"
    elif body.get("code") == "AUC-404":
        line += "; see `recourse auctions lots` for the lots this gateway knows"
    return line


_gateway = GatewayCalls(key_prefix="cli-auction", problem_line=problem_line)
_call, _key, _write, _document_root = _gateway.call, _gateway.key, _gateway.write, _gateway.document_root
failure_reason = _gateway.failure_reason


def _utc(ts: int | None) -> str:
    if not ts:
        return "—"
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: int) -> str:
    s = abs(int(seconds))
    d, rest = divmod(s, 86_400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    parts = [f"{d}d"] * bool(d) + [f"{h}h"] * bool(h) + [f"{m}m"] * bool(m) + [f"{sec}s"] * bool(sec or not s)
    return " ".join(parts[:2])


def _new_lot(http: httpx.Client, op: dict[str, Any]) -> dict[str, Any] | None:
    """The lot the operation's transaction listed (once the gateway indexed it)."""
    if op["status"] != "succeeded" or not op.get("tx_hash"):
        return None
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        found = _call(http, "GET", "/auctions/lots", params={"listed_in": op["tx_hash"]})["data"]
        if found:
            return dict(found[0])
        if time.monotonic() > deadline:
            fail(
                f"transaction {op['tx_hash']} is mined but the gateway has not indexed its lot after "
                f"{INDEX_WAIT_S:.0f}s; find it later with `recourse auctions lots --listed-in {op['tx_hash']}`"
            )
        time.sleep(0.25)


def _lot_summary(lot: dict[str, Any]) -> str:
    return (
        f"lot {lot['lot_id']} (round {lot['round']}, {lot['kind']}): start {yuan(lot['start_price_fen'])}, "
        f"deposit {yuan(lot['deposit_fen'])}, increment {yuan(lot['increment_fen'])}, "
        f"appraisal {yuan(lot['appraisal_fen'])}, KYC tier {lot['kyc_tier']}; {lot['status']}"
    )


def _terms(start: str, deposit: str, increment: str, announcement: str, window: str, payment: str) -> dict[str, Any]:
    """A listing's (or a relisting's) prices and periods from the options, checked in that order."""
    return {
        "start_price_fen": parse_fen(start, "--start"),
        "deposit_fen": parse_fen(deposit, "--deposit"),
        "increment_fen": parse_fen(increment, "--increment"),
        "announcement_seconds": parse_seconds(announcement, "--announcement"),
        "bidding_window_seconds": parse_seconds(window, "--window"),
        "payment_window_seconds": parse_seconds(payment, "--payment-window"),
    }


# --- sellers and courts ---


@app.command("appraise")
def appraise(
    asset: Annotated[str, typer.Argument(help="Asset reference, e.g. SH-0042 (its id: keccak256('asset:' + ref)).")],
    value: Annotated[str, typer.Option("--value", help=f"Appraised value: {AMOUNT_HELP}.")],
    document: Annotated[str, typer.Option("--document", help="The appraisal report: a file or its 0x digest.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A court enters an asset's appraisal (the report's digest on chain); listings may use it."""
    fen = parse_fen(value, "--value")
    digest = parse_digest(document, "--document")
    body = {"asset": asset, "value_fen": fen, "document_digest": digest}
    with connect(gateway, api_key) as http:
        _write(
            http,
            "/auctions/appraisals",
            _key("appraise", api_key, asset, fen, digest),
            wait=wait,
            what="the appraisal",
            body=body,
        )
    console.print(f"appraisal of {asset}: {yuan(fen)} (report {digest})", soft_wrap=True)


@app.command("list")
def list_lot(
    asset: Annotated[str, typer.Option("--asset", help="Asset reference (the oracle subject, e.g. asset:SH-0042).")],
    document: Annotated[
        list[str], typer.Option("--document", help="Anchored evidence: root (0x…) or evidence id (repeatable).")
    ],
    start: Annotated[str, typer.Option("--start", help=f"Starting price, ≥ 70 % of the appraisal: {AMOUNT_HELP}.")],
    deposit: Annotated[str, typer.Option("--deposit", help="Deposit, 5–20 % of the starting price.")],
    increment: Annotated[str, typer.Option("--increment", help="Smallest raise over the highest bid.")],
    feed: Annotated[
        str | None,
        typer.Option("--feed", help="OracleHub feed valuing the asset (valuation:residential); omit for the court's."),
    ] = None,
    announcement: Annotated[str, typer.Option("--announcement", help="From approval to bidding (0, 30m, 7d).")] = "0",
    window: Annotated[str, typer.Option("--window", help="Bidding window, at least 24h.")] = "24h",
    payment_window: Annotated[
        str, typer.Option("--payment-window", help="From the end to the payment deadline.")
    ] = "7d",
    kyc_tier: Annotated[int, typer.Option("--kyc-tier", min=0, max=255, help="Smallest KYC tier of a bidder.")] = 1,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A BANK (or a COURT) lists a lot; prints the new lot id. The chain checks every rule first."""
    terms = _terms(start, deposit, increment, announcement, window, payment_window)
    body: dict[str, Any] = {"asset": asset, "appraisal_feed": feed, **terms, "kyc_tier": kyc_tier}
    with connect(gateway, api_key) as http:
        body["documents"] = [_document_root(http, d) for d in document]
        key = _key("list", api_key, *sorted(body.items()))
        op = _write(http, "/auctions/lots", key, wait=wait, what="the listing", body=body)
        lot = _new_lot(http, op)
    if lot is None:
        console.print(f"listing accepted as operation {op['id']} (not mined yet)")
        return
    source = f"oracle feed {feed}" if feed else "the court's appraisal"
    console.print(f"listed {_lot_summary(lot)} (appraisal from {source})", soft_wrap=True)
    console.print(f"lot id: {lot['lot_id']}")


@app.command("relist")
def relist(
    lot_id: LotArg,
    start: Annotated[str, typer.Option("--start", help="New starting price, at most 20 % below the last.")],
    deposit: Annotated[str, typer.Option("--deposit", help="Deposit, 5–20 % of the starting price.")],
    increment: Annotated[str, typer.Option("--increment", help="Smallest raise over the highest bid.")],
    announcement: Annotated[str, typer.Option("--announcement", help="From approval to bidding.")] = "0",
    window: Annotated[str, typer.Option("--window", help="Bidding window, at least 24h.")] = "24h",
    payment_window: Annotated[
        str, typer.Option("--payment-window", help="From the end to the payment deadline.")
    ] = "7d",
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The seller relists a failed or defaulted lot within 30 days; prints the new lot id."""
    body = _terms(start, deposit, increment, announcement, window, payment_window)
    with connect(gateway, api_key) as http:
        key = _key("relist", api_key, lot_id, *sorted(body.items()))
        op = _write(http, f"/auctions/lots/{lot_id}/relisting", key, wait=wait, what="the relisting", body=body)
        lot = _new_lot(http, op)
    if lot is not None:
        console.print(f"lot {lot_id} relisted as {_lot_summary(lot)}", soft_wrap=True)
        console.print(f"lot id: {lot['lot_id']}")


@app.command("fixed-price")
def fixed_price(
    lot_id: LotArg,
    price: Annotated[
        str, typer.Option("--price", help=f"Fixed price, at least the last starting price: {AMOUNT_HELP}.")
    ],
    period: Annotated[str, typer.Option("--period", help="How long the offer stays open (7d).")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The court offers a lot that failed twice at a fixed price (变卖); prints the new lot id."""
    body = {"price_fen": parse_fen(price, "--price"), "period_seconds": parse_seconds(period, "--period")}
    with connect(gateway, api_key) as http:
        key = _key("fixed", api_key, lot_id, *sorted(body.items()))
        url = f"/auctions/lots/{lot_id}/fixed-price-offer"
        op = _write(http, url, key, wait=wait, what="the fixed-price offer", body=body)
        lot = _new_lot(http, op)
    if lot is not None:
        console.print(f"lot {lot_id} offered at a fixed price as {_lot_summary(lot)}", soft_wrap=True)
        console.print(f"lot id: {lot['lot_id']}")


@app.command("approve")
def approve(
    lot_id: LotArg,
    forfeit_to: Annotated[
        str | None,
        typer.Option("--forfeit-to", help="Who receives a defaulting winner's deposit (default: this court)."),
    ] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A court approves a listed lot and becomes its court; the announcement period starts."""
    with connect(gateway, api_key) as http:
        to = (
            parse_address(forfeit_to, "--forfeit-to")
            if forfeit_to
            else str(_call(http, "GET", "/auctions/owed")["address"])
        )
        url = f"/auctions/lots/{lot_id}/approval"
        before = _lot_view(http, lot_id)
        body = {"forfeit_to": to}
        op = _write(http, url, _key("approve", api_key, lot_id, to), wait=wait, what="the approval", body=body)
        lot = _indexed(http, lot_id, before) if op["status"] == "succeeded" else None
    if lot is not None and lot.get("starts_at"):
        console.print(
            f"lot {lot_id} approved: bidding from {_utc(lot['starts_at'])} until {_utc(lot['ends_at'])} "
            f"(block time); forfeited deposits go to {to}",
            soft_wrap=True,
        )
    else:
        console.print(f"approval of lot {lot_id} accepted")


def _order_step(kind: str, path: str, what: str) -> Any:
    def step(
        lot_id: LotArg,
        order: Annotated[str, typer.Option("--order", help="The court's order: a file or its 0x digest.")],
        gateway: GatewayOpt = DEFAULT_GATEWAY,
        api_key: KeyOpt = "",
        wait: WaitOpt = True,
    ) -> None:
        digest = parse_digest(order, "--order")
        with connect(gateway, api_key) as http:
            key = _key(kind, api_key, lot_id, digest)
            _write(http, f"/auctions/lots/{lot_id}/{path}", key, wait=wait, what=what, body={"order_digest": digest})
        console.print(f"lot {lot_id}: {what} done (order {digest})", soft_wrap=True)

    return step


app.command("suspend", help="The lot's court suspends it (暂缓); the time left is kept.")(
    _order_step("suspend", "suspension", "the suspension")
)
app.command("cancel", help="The court cancels a lot before its first bid; depositors withdraw.")(
    _order_step("cancel", "cancellation", "the cancellation")
)


@app.command("preempt")
def preempt(
    lot_id: LotArg,
    holder: Annotated[str, typer.Argument(help="The pre-emption holder's address (an INVESTOR member).")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The lot's court registers a pre-emption holder (优先购买权人), who may match the highest bid."""
    to = parse_address(holder, "HOLDER")
    with connect(gateway, api_key) as http:
        url = f"/auctions/lots/{lot_id}/preemption-holders"
        _write(http, url, _key("preempt", api_key, lot_id, to), wait=wait, what="the registration", body={"holder": to})
    console.print(f"lot {lot_id}: {to} registered as a pre-emption holder", soft_wrap=True)


def _payee(text: str) -> dict[str, Any]:
    address, sep, amount = text.partition("=")
    if not sep:
        fail(f"--payee {text!r}: use ADDRESS=AMOUNT, e.g. 0x…=35250.00")
    return {"address": parse_address(address.strip(), "--payee"), "amount_fen": parse_fen(amount, f"--payee {address}")}


@app.command("confirm")
def confirm(
    lot_id: LotArg,
    payee: Annotated[
        list[str],
        typer.Option("--payee", help=f"ADDRESS=AMOUNT ({AMOUNT_HELP}); repeatable; they add up to the price."),
    ],
    ruling: Annotated[str, typer.Option("--ruling", help="The ruling (成交裁定): a file or its 0x digest.")],
    transfer: Annotated[str, typer.Option("--transfer", help="The asset-transfer record: a file or its 0x digest.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The lot's court confirms a paid sale and allocates the price to payees (who then withdraw)."""
    payees = [_payee(p) for p in payee]
    body = {
        "payees": payees,
        "ruling_digest": parse_digest(ruling, "--ruling"),
        "transfer_digest": parse_digest(transfer, "--transfer"),
    }
    with connect(gateway, api_key) as http:
        key = _key("confirm", api_key, lot_id, body)
        _write(http, f"/auctions/lots/{lot_id}/confirmation", key, wait=wait, what="the confirmation", body=body)
    total = sum(p["amount_fen"] for p in payees)
    shares = ", ".join(f"{p['address']} {yuan(p['amount_fen'])}" for p in payees)
    console.print(f"lot {lot_id}: sale confirmed, {yuan(total)} allocated to {shares}", soft_wrap=True)


# --- steps on one lot with no arguments ---


def _lot_view(http: httpx.Client, lot_id: int) -> dict[str, Any] | None:
    """The lot as the gateway's index has it (None if it has not indexed it), without the clock."""
    r = http.get(f"/auctions/lots/{lot_id}")
    if r.status_code != 200:
        return None
    lot: dict[str, Any] = r.json()
    return {k: v for k, v in lot.items() if k not in ("chain_time", "phase")}


def _indexed(http: httpx.Client, lot_id: int, before: dict[str, Any] | None) -> dict[str, Any] | None:
    """The lot once the index shows the change a mined step made (every step changes the lot)."""
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        now = _lot_view(http, lot_id)
        if now is not None and (before is None or now != before):
            return now
        if time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def _lot_step(kind: str, path: str, what: str, done: str) -> Any:
    def step(lot_id: LotArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True) -> None:
        with connect(gateway, api_key) as http:
            before = _lot_view(http, lot_id)
            op = _write(http, f"/auctions/lots/{lot_id}/{path}", _key(kind, api_key, lot_id), wait=wait, what=what)
            lot = _indexed(http, lot_id, before) if op["status"] == "succeeded" else None
        if lot is None:
            console.print(f"lot {lot_id}: {what} accepted")
            return
        console.print(f"lot {lot_id}: {done.format(**_described(lot, op))}", soft_wrap=True)

    return step


def _described(lot: dict[str, Any], op: dict[str, Any]) -> dict[str, str]:
    request = op.get("request") or {}
    highest = lot.get("highest_bid_fen")
    return {
        "status": str(lot["status"]),
        "code": str(lot.get("my_bidder_code") or "—"),
        "deposit": yuan(int(request.get("deposit_fen") or lot["deposit_fen"])),
        "balance": yuan(int(request.get("balance_fen") or 0)),
        "price": yuan(int(highest)) if highest is not None else "—",
        "winner": str(lot.get("highest_bidder_code") or "nobody"),
        "deadline": _utc(lot.get("payment_deadline")),
        "bidders": str(lot["bidder_count"]),
    }


for _name, _kind, _path, _what, _done, _help in (
    ("resume", "resume", "resumption", "the resumption", "resumed ({status})", "The lot's court resumes it."),
    (
        "deposit",
        "deposit",
        "deposit",
        "the deposit",
        "deposit {deposit} locked, your bidder code is {code} ({bidders} bidders)",
        "Lock the lot's deposit (approving exactly that much rCNY first) and get a bidder code.",
    ),
    (
        "match",
        "match",
        "match",
        "the match",
        "you matched {price} and hold the highest bid as {code}",
        "A pre-emption holder takes the highest bid at the same price.",
    ),
    (
        "buy",
        "buy",
        "purchase",
        "the purchase",
        "bought at {price}, paid in full ({status})",
        "Buy a fixed-price lot, paying the price in full; the first valid purchase wins.",
    ),
    (
        "pay",
        "pay",
        "payment",
        "the payment",
        "balance {balance} paid; price {price} in escrow until the court confirms ({status})",
        "The winner pays the balance (price − deposit) by the payment deadline.",
    ),
    (
        "close",
        "close",
        "closing",
        "closing the lot",
        "closed: {status}, won by {winner} at {price}, payment due by {deadline}",
        "Close a lot whose bidding ended (anyone): failed without a bid, else the winner owes the balance.",
    ),
    (
        "default",
        "default",
        "default",
        "the default",
        "{status}: the winner's deposit was forfeited and it is barred from the relisting",
        "After the payment deadline: forfeit the winner's deposit (悔拍) (anyone).",
    ),
    (
        "withdraw-deposit",
        "withdraw-deposit",
        "deposit-withdrawal",
        "the deposit withdrawal",
        "your deposit was returned ({status})",
        "Take back your deposit of a lot that closed (and you did not win) or was cancelled.",
    ),
):
    app.command(_name, help=_help)(_lot_step(_kind, _path, _what, _done))


def _indexed_bid(http: httpx.Client, lot_id: int, op: dict[str, Any], fen: int) -> dict[str, Any] | None:
    deadline = time.monotonic() + INDEX_WAIT_S
    while time.monotonic() < deadline:
        bids = _call(http, "GET", f"/auctions/lots/{lot_id}/bids", params={"limit": 1000})["data"]
        for b in reversed(bids):
            if b["block_number"] == op["block_number"] and b["amount_fen"] == fen:
                return dict(b)
        time.sleep(0.2)
    return None


@app.command("bid")
def bid(
    lot_id: LotArg,
    amount: Annotated[str, typer.Argument(help=f"The bid: {AMOUNT_HELP}.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Bid: at least the start (first bid) or the highest plus the increment; a bid in the last 5 minutes
    moves the end to 5 minutes after it."""
    fen = parse_fen(amount, "AMOUNT")
    with connect(gateway, api_key) as http:
        url = f"/auctions/lots/{lot_id}/bids"
        op = _write(http, url, _key("bid", api_key, lot_id, fen), wait=wait, what="the bid", body={"amount_fen": fen})
        if op["status"] != "succeeded":
            console.print(f"bid of {yuan(fen)} on lot {lot_id} accepted")
            return
        mine = _indexed_bid(http, lot_id, op, fen)
    if mine is None:  # mined, not indexed yet
        console.print(f"bid {yuan(fen)} on lot {lot_id} placed in block {op['block_number']}")
        return
    moved = " (in the last 5 minutes: the end moved)" if mine["extended"] else ""
    console.print(
        f"bid {yuan(fen)} on lot {lot_id} is the highest, as {mine['bidder_code']}; "
        f"ends {_utc(mine['ends_at'])}{moved}",
        soft_wrap=True,
    )


@app.command("withdraw")
def withdraw(gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True) -> None:
    """Withdraw everything you are owed (proceeds of confirmed sales, forfeited deposits)."""
    with connect(gateway, api_key) as http:
        owed = _call(http, "GET", "/auctions/owed")
        if int(owed["owed_fen"]) == 0:
            fail(f"{owed['address']} is owed nothing by the auction contract (as far as this gateway has indexed)")
        key = _key("withdraw", api_key, owed["owed_fen"], owed["address"])
        _write(http, "/auctions/withdrawals", key, wait=wait, what="the withdrawal")
    console.print(f"withdrew {yuan(int(owed['owed_fen']))} to {owed['address']}", soft_wrap=True)


# --- reads ---


@app.command("show")
def show(lot_id: LotArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "") -> None:
    """A lot with its bids (bidder codes; the lot's court also sees who is behind each code)."""
    from rich.table import Table

    with connect(gateway, api_key) as http:
        lot = _call(http, "GET", f"/auctions/lots/{lot_id}")
        bids = _call(http, "GET", f"/auctions/lots/{lot_id}/bids", params={"limit": 1000})["data"]
    console.print(_lot_summary(lot), soft_wrap=True)
    now = int(lot["chain_time"])
    timing = f"phase {lot['phase']}"
    if lot.get("starts_at"):
        timing += f", bidding {_utc(lot['starts_at'])} – {_utc(lot['ends_at'])}"
        if lot["phase"] == "bidding":
            timing += f" (ends in {_span(int(lot['ends_at']) - now)}, block time)"
    if lot.get("payment_deadline"):
        timing += f", payment due by {_utc(lot['payment_deadline'])}"
    console.print(timing, soft_wrap=True)
    highest = lot.get("highest_bid_fen")
    console.print(
        f"highest {yuan(highest) + ' by ' + lot['highest_bidder_code'] if highest is not None else '—'}, "
        f"next bid at least {yuan(lot['minimum_bid_fen'])}; {lot['bidder_count']} bidder(s), "
        f"{lot['extensions']} extension(s)"
        + (f"; you are {lot['my_bidder_code']}" if lot.get("my_bidder_code") else "")
        + (f"; relisted as lot {lot['relisted_as']}" if lot.get("relisted_as") else ""),
        soft_wrap=True,
    )
    if lot.get("bidders"):
        console.print("bidders: " + ", ".join(f"{c} {a}" for c, a in sorted(lot["bidders"].items())), soft_wrap=True)
    table = Table(title=f"{len(bids)} bid(s) on lot {lot_id}")
    for col in ("block", "bidder", "amount", "ends after it", "note"):
        table.add_column(col, justify="right" if col in ("block", "amount") else "left")
    for b in bids:
        note = ", ".join(n for n, on in (("extended", b["extended"]), ("pre-emption", b["preemption"])) if on)
        table.add_row(str(b["block_number"]), b["bidder_code"], yuan(b["amount_fen"]), _utc(b["ends_at"]), note)
    console.print(table)


@app.command("lots")
def lots(
    status: Annotated[str | None, typer.Option("--status", help="listed, approved, awaiting_payment, …")] = None,
    asset: Annotated[str | None, typer.Option("--asset", help="Asset reference.")] = None,
    listed_in: Annotated[str | None, typer.Option("--listed-in", help="The transaction that listed the lot.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
) -> None:
    """Lots from the gateway's index, newest first."""
    from rich.table import Table

    params: dict[str, Any] = {"limit": limit}
    for k, v in (("status", status), ("asset", asset), ("listed_in", listed_in)):
        if v is not None:
            params[k] = v
    with connect(gateway, api_key) as http:
        body = _call(http, "GET", "/auctions/lots", params=params)
    table = Table(title=f"{body['count']} lot(s)")
    for col in ("lot", "round", "kind", "phase", "start", "deposit", "highest", "bidders", "ends"):
        table.add_column(col, justify="right" if col in ("lot", "round", "start", "deposit", "highest") else "left")
    for lot in body["data"]:
        highest = lot.get("highest_bid_fen")
        table.add_row(
            str(lot["lot_id"]),
            str(lot["round"]),
            lot["kind"],
            lot["phase"],
            yuan(lot["start_price_fen"]),
            yuan(lot["deposit_fen"]),
            f"{yuan(highest)} {lot['highest_bidder_code']}" if highest is not None else "—",
            str(lot["bidder_count"]),
            _utc(lot.get("ends_at")),
        )
    console.print(table)


# --- the live room ---


class _Room:
    """Turns a lot's room messages into one line each, remembering the end to tell an extension."""

    def __init__(self) -> None:
        self.ends_at = 0

    def line(self, event: str, data: dict[str, Any]) -> str | None:
        if event == "lot":
            self.ends_at = int(data.get("ends_at") or 0)
            highest = data.get("highest_bid_fen")
            lead = f"{yuan(highest)} by {data['highest_bidder_code']}" if highest is not None else "no bid yet"
            left = ""
            if data.get("phase") == "bidding":
                left = f", {_span(self.ends_at - int(data['chain_time']))} left"
            return (
                f"lot {data['lot_id']} ({data['phase']}): {lead}, next at least {yuan(data['minimum_bid_fen'])}; "
                f"ends {_utc(data.get('ends_at'))}{left} (block time); {data['bidder_count']} bidder(s)"
            )
        if event == "reorg":
            return "the chain reorganised: events after the fork were replaced (the room continues)"
        a = data.get("args") or {}
        name = event.rpartition(".")[2]
        code = a.get("bidder_code") or (f"B{int(a['code']):04d}" if "code" in a else "")
        if name == "BidPlaced":
            ends = int(a["endsAt"])
            moved = ends - self.ends_at if self.ends_at else 0
            self.ends_at = ends
            how = " matched (pre-emption)" if a.get("preemption") else " bid"
            extended = f" — extended by {_span(moved)}" if moved > 0 else ""
            return f"{code}{how} {yuan(int(a['amount']))}; ends {_utc(ends)}{extended}"
        if name == "DepositLocked":
            return f"{code} locked the deposit {yuan(int(a['amount']))} ({int(a['code'])} bidder(s))"
        if name == "LotApproved":
            self.ends_at = int(a["endsAt"])
            return f"approved: bidding {_utc(int(a['startsAt']))} – {_utc(self.ends_at)}"
        if name == "LotResumed":
            self.ends_at = int(a["endsAt"])
            return f"resumed: bidding until {_utc(self.ends_at)}"
        if name == "LotClosed":
            if int(a.get("winnerCode") or 0) == 0:
                return "closed without a valid bid: failed (流拍)"
            return (
                f"closed: B{int(a['winnerCode']):04d} won at {yuan(int(a['price']))}, "
                f"balance due by {_utc(int(a['paymentDeadline']))}"
            )
        simple = {
            "LotSuspended": "suspended by the court (暂缓)",
            "LotCancelled": "cancelled by the court",
            "BalancePaid": f"balance paid: {yuan(int(a.get('price') or 0))} in escrow",
            "WinnerDefaulted": f"the winner defaulted (悔拍): deposit {yuan(int(a.get('amount') or 0))} forfeited",
            "SaleConfirmed": f"sale confirmed by the court at {yuan(int(a.get('price') or 0))}",
            "LotRelisted": f"relisted as lot {a.get('newLotId')}",
        }
        return simple.get(name, name)


@app.command("watch")
def watch(
    lot_id: LotArg,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Stop after this many events.")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.1, help="Stop after this many seconds.")] = None,
    after: Annotated[
        str | None, typer.Option("--after", help="Resume after this event id (the last one seen).")
    ] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
) -> None:
    """Follow a lot's live room: one line per deposit, bid (and the end it moved), close, payment, …
    Ctrl-C (or --limit / --timeout) stops."""
    import json

    import httpx

    if not api_key:
        fail("no API key: pass --api-key or set RECOURSE_API_KEY")
    headers = {"Authorization": f"Bearer {api_key}", **({"Last-Event-ID": after} if after else {})}
    params = {"timeout": timeout} if timeout else {}
    room, seen, last = _Room(), 0, after
    try:
        with httpx.stream(
            "GET",
            f"{gateway.rstrip('/')}/auctions/lots/{lot_id}/room",
            headers=headers,
            params=params,
            timeout=httpx.Timeout(30.0, read=(timeout + 30.0) if timeout else None),
        ) as r:
            if r.status_code >= 400:
                r.read()
                try:
                    fail(problem_line(r.json(), r.status_code))
                except ValueError:
                    fail(f"HTTP {r.status_code} from the gateway")
            for msg in sse_messages(r.iter_lines()):
                line = room.line(msg.get("event", ""), json.loads(msg["data"]))
                if line is not None:
                    stamp = f"[{msg['id']}] " if msg.get("id") else ""
                    console.print(f"{stamp}{line}", soft_wrap=True)
                if msg.get("event") != "lot":
                    seen += 1
                    last = msg.get("id") or last
                if limit is not None and seen >= limit:
                    break
    except httpx.HTTPError as exc:
        fail(f"the live room of lot {lot_id} at {gateway} failed: {exc} (resume with --after {last})")
    except KeyboardInterrupt:
        err_console.print(f"stopped watching lot {lot_id}" + (f"; resume with --after {last}" if last else ""))
