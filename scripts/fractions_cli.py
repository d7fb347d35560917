"""``recourse fractions …``: tokenised shares of one large asset through a gateway (over HTTP, with an API key).

A BANK issues an asset (an office-tower NPL, a loan pool) as shares only KYC'd INVESTOR members may hold and
sells them in an escrowed offering; investors subscribe, claim their shares, trade them delivery-versus-payment
(an offer, a purchase) and claim their pro-rata part of every recovery paid into the asset; courts freeze
accounts and order transfers; the issuer or a regulator pauses trading. Money is yuan (``1000.00``) or fen
(``100000fen``) and is shown as yuan to the fen; shares are whole numbers; times are ISO 8601 (``2027-01-31``,
``2027-01-31T12:00:00+08:00``) or a duration from now (``30d``, ``12h``); digests are ``0x`` + 64 hex or a file
(its SHA-256). ``ASSET`` is the asset's token address (``recourse fractions list``).

Every failure is one line on stderr and exit code 1, never a traceback: bad input says what is wrong and how to
fix it (a missing or malformed option too), the gateway's refusal is its problem (code and detail) with what to
do about it, and a step the chain refused when it ran is the reason decoded from the operation's error fields.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scripts.gateway_http import (
    ADDRESS,
    DEFAULT_GATEWAY,
    HEX32,
    GatewayCalls,
    GatewayOpt,
    KeyOpt,
    WaitOpt,
    connect,
    console,
    duration_seconds,
    fail,
    one_line_errors,
    parse_address,
    parse_digest,
    parse_fen,
    plain_problem_line,
    yuan,
)

if TYPE_CHECKING:  # loaded by the commands that run, not for --help
    import httpx

__all__ = ["REFUSAL_HINTS", "app", "failure_reason", "parse_moment", "problem_line"]


app = typer.Typer(
    cls=one_line_errors("fractions"),
    help="Tokenised shares: issue, subscribe, trade (DvP), pay in and claim recoveries, court orders (a gateway).",
    no_args_is_help=True,
)
AssetArg = Annotated[
    str, typer.Argument(metavar="ASSET", help="The asset's token address (0x…; see `recourse fractions list`).")
]
SharesArg = Annotated[str, typer.Argument(metavar="SHARES", help="Shares (a whole number).")]
AMOUNT_HELP = "yuan (1000.00) or fen (100000fen)"
#: how long a command waits for the gateway's index to show what its operation did
INDEX_WAIT_S = 30.0

#: what to do about each compliance refusal (``IAssetFractions.Refusal``, lower case as the gateway names them)
REFUSAL_HINTS = {
    "paused": "trading is paused; the issuer or a regulator resumes it (`recourse fractions resume`)",
    "locked_up": "the asset is in its lock-up; `recourse fractions show` gives the date it ends",
    "insufficient_balance": "the sender holds fewer shares (`recourse fractions holders` lists balances)",
    "from_frozen": "the sender's account is frozen by a court order",
    "amount_frozen": "part of the sender's shares are frozen by a court order; move at most the unfrozen rest",
    "to_frozen": "the recipient's account is frozen by a court order",
    "from_not_investor": "only active INVESTOR members may hold and send shares",
    "from_kyc_tier": "the sender's KYC tier is below the asset's (the governors set tiers: update-profile)",
    "from_region": "the sender's region is not one the asset allows",
    "to_not_investor": "only active INVESTOR members may receive shares",
    "to_kyc_tier": "the recipient's KYC tier is below the asset's (the governors set tiers: update-profile)",
    "to_region": "the recipient's region is not one the asset allows",
    "holder_limit": "the asset has as many holders as it allows; sell to an existing holder",
    "holding_limit": "the recipient would hold more than the asset's per-holder maximum",
}
#: ``FractionsInvalidTerms(field)``: the term and what it must be
_TERM_HINTS = {
    "price": "--price must be more than zero",
    "min_subscription": "--min-subscription must be at least 1 and at most the soft cap",
    "soft_cap": "--soft-cap must be at least the minimum subscription and at most the hard cap",
    "hard_cap": "--hard-cap must be at least the soft cap (and the per-holder maximum, if any)",
    "deadline": "--deadline must be in the future (block time)",
    "regions": "give at most 8 --region codes",
    "max_per_holder": "--max-per-holder must be 0 (none) or at least the minimum subscription",
    "asset_ref": "--asset-ref must not be empty",
}
_TERM_FIELDS = dict(enumerate(("", *_TERM_HINTS)))  # FractionsInvalidTerms numbers its fields from 1


def problem_line(body: dict[str, Any], status: int | str = "") -> str:
    """A problem as one line: its code and detail, then what to do about it when the problem says."""
    code = str(body.get("code", status))
    line = plain_problem_line(body, status)
    reason, term = body.get("reason"), body.get("field")
    if isinstance(term, int):
        term = _TERM_FIELDS.get(term)
    if reason in REFUSAL_HINTS:
        line += f"; {REFUSAL_HINTS[str(reason)]}"
    elif term in _TERM_HINTS:
        line += f"; {_TERM_HINTS[str(term)]}"
    elif body.get("available") is not None:
        line += f"; ask for at most {int(body['available'])} shares"
    elif body.get("minimum") is not None:
        line += f"; ask for at least {int(body['minimum'])} shares"
    elif "anchor" in str(body.get("detail", "")).lower():
        line += "; anchor the documents first (recourse evidence submit) and pass their root or evidence id"
    elif code == "FRC-404" and "offer" in str(body.get("detail", "")).lower():
        line += "; see `recourse fractions offers ASSET --open` for the open offers"
    elif code == "FRC-404":
        line += "; see `recourse fractions list` for the assets this gateway knows"
    return line


# --- HTTP ---

_gateway = GatewayCalls(key_prefix="cli-fractions", problem_line=problem_line, route="/fractions")
_call, _key, _write, _document_root = _gateway.call, _gateway.key, _gateway.write, _gateway.document_root
failure_reason = _gateway.failure_reason


def _rows(body: Any) -> list[dict[str, Any]]:
    """A list answer's rows (a bare list, or ``{data: […]}``)."""
    rows = body.get("data", []) if isinstance(body, dict) else body
    return [dict(r) for r in rows]


def _fresh(http: httpx.Client, url: str, before: Any) -> Any:
    """``GET url`` once the index shows a change from ``before`` (a mined step changed it), or after waiting."""
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        now = _call(http, "GET", url)
        if now != before or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def _accepted(op: dict[str, Any], what: str) -> bool:
    """``--no-wait``: an operation the gateway accepted but that is not mined yet is said to be only that (nothing
    has happened yet); ``True`` when so, and the command stops there."""
    if op["status"] == "succeeded":
        return False
    console.print(f"{what} accepted (operation {op['id']}, not mined yet)", soft_wrap=True)
    return True


# --- input ---


def _shares(text: str, what: str, *, zero: bool = False) -> int:
    t = text.strip().replace(",", "").replace("_", "")
    if not (t.isascii() and t.isdigit()):
        fail(f"{what}: {text!r} is not a number of shares; shares are whole numbers (e.g. 100)")
    n = int(t)
    if n == 0 and not zero:
        fail(f"{what}: must be at least 1 share")
    if n >= 2**96:
        fail(f"{what}: {n} shares is more than any asset can have")
    return n


def _count(text: str, what: str, *, hint: str) -> int:
    t = text.strip()
    if not (t.isascii() and t.isdigit()):
        fail(f"{what}: {text!r} is not a whole number; {hint}")
    return int(t)


def _asset(text: str) -> str:
    if not ADDRESS.match(text.strip()):
        fail(f"ASSET: {text!r} is not an asset's token address (0x + 40 hex digits); see `recourse fractions list`")
    return text.strip()


def parse_moment(text: str, what: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO 8601 date or time (no offset: UTC; a date: its midnight UTC) or a duration from ``now`` (``30d``);
    ``ValueError`` with what to write instead."""
    t = text.strip()
    try:
        seconds = duration_seconds(t, bare=False)
        if seconds is not None:
            base = now or dt.datetime.now(dt.UTC)
            return (base + dt.timedelta(seconds=seconds)).replace(microsecond=0)
        moment = dt.datetime.fromisoformat(t)
    except OverflowError:
        raise ValueError(
            f"{what}: {text!r} is too far from now; give a time before the year 10000 (2027-01-31, 30d)"
        ) from None
    except ValueError:
        raise ValueError(
            f"{what}: {text!r} is not a time; use ISO 8601 (2027-01-31 or 2027-01-31T12:00:00+08:00) "
            "or a duration from now (30d, 12h)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _moment(text: str, what: str) -> str:
    try:
        return parse_moment(text, what).isoformat()
    except ValueError as exc:
        fail(str(exc))


def _when(value: Any) -> str:
    """A time from an answer (ISO text or unix seconds) as ``YYYY-MM-DD HH:MM:SS UTC``; ``—`` for none."""
    if value in (None, 0, ""):
        return "—"
    if isinstance(value, int | float):
        moment = dt.datetime.fromtimestamp(value, tz=dt.UTC)
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- reads shared by the commands ---


def _me(http: httpx.Client) -> str:
    return str(_call(http, "GET", "/me")["address"])


def _account(http: httpx.Client, asset: str, address: str) -> dict[str, Any]:
    return dict(_call(http, "GET", f"/fractions/assets/{asset}/accounts/{address}"))


def _view(http: httpx.Client, asset: str) -> dict[str, Any]:
    return dict(_call(http, "GET", f"/fractions/assets/{asset}"))


def _terms(view: dict[str, Any]) -> dict[str, Any]:
    return dict(view.get("terms") or {})


def _price(view: dict[str, Any]) -> int:
    return int(_terms(view).get("price_fen") or 0)


def _label(view: dict[str, Any]) -> str:
    return f"{view.get('symbol') or '?'} ({view.get('name') or '?'})"


def _regions(regions: Any) -> str:
    return ", ".join(str(r) for r in regions) if regions else "any"


# --- issue and the offering ---


@app.command("issue")
def issue(
    asset_ref: Annotated[str, typer.Option("--asset-ref", help="The asset's plain reference, e.g. SH-TOWER-01.")],
    document: Annotated[
        str, typer.Option("--document", help="The prospectus documents: evidence root (0x…) or evidence id.")
    ],
    name: Annotated[str, typer.Option("--name", help="The token's name, e.g. 'Lujiazui Tower NPL shares'.")],
    symbol: Annotated[str, typer.Option("--symbol", help="The token's symbol, e.g. LJZT.")],
    price: Annotated[str, typer.Option("--price", help=f"Offering price per share: {AMOUNT_HELP}.")],
    hard_cap: Annotated[str, typer.Option("--hard-cap", help="Shares on offer (the total supply at most).")],
    deadline: Annotated[str, typer.Option("--deadline", help="End of subscriptions: ISO 8601 or 30d from now.")],
    soft_cap: Annotated[
        str | None, typer.Option("--soft-cap", help="Shares needed to succeed (default: the hard cap).")
    ] = None,
    min_subscription: Annotated[str, typer.Option("--min-subscription", help="Fewest shares per subscription.")] = "1",
    feed: Annotated[
        str | None, typer.Option("--feed", help="OracleHub feed valuing the asset (valuation:commercial).")
    ] = None,
    kyc_tier: Annotated[str, typer.Option("--kyc-tier", help="Lowest KYC tier of a holder (0-255).")] = "0",
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="Allowed region code, e.g. 310000 (repeatable, ≤ 8; none: any)."),
    ] = None,
    lock_up_until: Annotated[
        str | None, typer.Option("--lock-up-until", help="No ordinary transfer before this time (ISO or 90d).")
    ] = None,
    max_holders: Annotated[str, typer.Option("--max-holders", help="Most holders at once (0: no limit).")] = "0",
    max_per_holder: Annotated[str, typer.Option("--max-per-holder", help="Most shares per holder (0: none).")] = "0",
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A BANK issues an asset as shares and opens its offering; prints the new token's address."""
    if not asset_ref.strip():
        fail("--asset-ref: give the asset's reference, e.g. SH-TOWER-01")
    if not name.strip() or not symbol.strip():
        fail("--name and --symbol must not be empty")
    tier = _count(kyc_tier, "--kyc-tier", hint="a KYC tier is 0-255")
    if tier > 255:
        fail(f"--kyc-tier: {tier} is not a KYC tier; tiers are 0-255")
    regions = [_count(r, "--region", hint="a region is a code such as 310000") for r in region or []]
    if len(regions) > 8:
        fail(f"--region: {len(regions)} regions given; an asset allows at most 8 (a province code covers it all)")
    cap = _shares(hard_cap, "--hard-cap")
    soft = _shares(soft_cap, "--soft-cap") if soft_cap is not None else cap
    minimum = _shares(min_subscription, "--min-subscription")
    if soft > cap:
        fail(f"--soft-cap {soft} is more than --hard-cap {cap}; the soft cap must be at most the hard cap")
    if minimum > soft:
        fail(f"--min-subscription {minimum} is more than --soft-cap {soft}; a subscription must fit the soft cap")
    body: dict[str, Any] = {
        "asset_ref": asset_ref.strip(),
        "valuation_feed": feed,
        "name": name.strip(),
        "symbol": symbol.strip(),
        "kyc_tier": tier,
        "regions": regions,
        "lock_up_until": _moment(lock_up_until, "--lock-up-until") if lock_up_until else None,
        "max_holders": _count(max_holders, "--max-holders", hint="0 means no limit"),
        "max_per_holder": _count(max_per_holder, "--max-per-holder", hint="0 means no limit"),
        "price_fen": parse_fen(price, "--price"),
        "min_subscription": minimum,
        "soft_cap": soft,
        "hard_cap": cap,
        "deadline": _moment(deadline, "--deadline"),
    }
    with connect(gateway, api_key) as http:
        body["documents_root"] = _document_root(http, document)
        key = _key("issue", api_key, *sorted((k, str(v)) for k, v in body.items()))
        op = _write(http, "/fractions/assets", key, wait=wait, what="the issue", body=body)
        if _accepted(op, f"issue of {body['asset_ref']}"):
            return
        address = _issued(http, op)
        view = _view(http, address)
    t = _terms(view)
    limits = [
        f"KYC tier {t.get('kyc_tier', tier)}",
        f"regions {_regions(t.get('regions', regions))}",
        f"lock-up until {_when(t.get('lock_up_until'))}",
        f"at most {t.get('max_holders') or 'any number of'} holders",
        f"{t.get('max_per_holder') or 'any number of'} shares each",
    ]
    console.print(
        f"issued {_label(view)}: {cap} shares at {yuan(body['price_fen'])} each (soft cap {soft}, "
        f"minimum {minimum}), subscriptions until {_when(t.get('deadline') or body['deadline'])}; " + ", ".join(limits),
        soft_wrap=True,
    )
    console.print(f"asset: {address}")


def _issued(http: httpx.Client, op: dict[str, Any]) -> str:
    """The token the operation's transaction issued (from its result, else once the gateway indexed it)."""
    result = op.get("result") or {}
    if isinstance(result, dict) and result.get("asset"):
        return str(result["asset"])
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        found = _rows(_call(http, "GET", "/fractions/assets", params={"issued_in": op["tx_hash"]}))
        if found:
            return str(found[0]["address"])
        if time.monotonic() > deadline:
            fail(
                f"transaction {op['tx_hash']} is mined but the gateway has not indexed its asset after "
                f"{INDEX_WAIT_S:.0f}s; find it later with `recourse fractions list --issued-in {op['tx_hash']}`"
            )
        time.sleep(0.25)


@app.command("subscribe")
def subscribe(
    asset: AssetArg,
    shares: SharesArg,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Subscribe shares at the offering price; the payment (approved first) waits in escrow until settlement."""
    token, n = _asset(asset), _shares(shares, "SHARES")
    with connect(gateway, api_key) as http:
        view = _view(http, token)
        mine = _account(http, token, _me(http))
        key = _key("subscribe", api_key, token, n, mine.get("subscription"))
        url = f"/fractions/assets/{token}/subscriptions"
        op = _write(http, url, key, wait=wait, what="the subscription", body={"shares": n})
        if _accepted(op, f"subscription of {n} shares"):
            return
        mine = _fresh(http, f"/fractions/assets/{token}/accounts/{op['sender']}", mine)
        after = _fresh(http, f"/fractions/assets/{token}", view)
    offering = after.get("offering") or {}
    console.print(
        f"subscribed {n} shares of {_label(view)} for {yuan(n * _price(view))} ({yuan(_price(view))} each, in "
        f"escrow until settlement); your subscription: {mine.get('subscription')} shares; offering "
        f"{offering.get('status')}, {offering.get('sold')} of {_terms(view).get('hard_cap')} sold",
        soft_wrap=True,
    )


@app.command("settle")
def settle(asset: AssetArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True) -> None:
    """Settle the offering after its deadline or at the hard cap (anyone): succeeded if the soft cap was met."""
    token = _asset(asset)
    with connect(gateway, api_key) as http:
        before = _view(http, token)
        op = _write(
            http,
            f"/fractions/assets/{token}/settlement",
            _key("settle", api_key, token),
            wait=wait,
            what="the settlement",
        )
        if _accepted(op, f"settlement of {token}"):
            return
        view = _fresh(http, f"/fractions/assets/{token}", before)
    offering = view.get("offering") or {}
    sold = int(offering.get("sold") or 0)
    if offering.get("status") == "succeeded":
        console.print(
            f"offering of {_label(view)} succeeded: {sold} shares sold to {offering.get('subscribers')} subscriber(s); "
            f"proceeds {yuan(sold * _price(view))} are the issuer's (withdraw-proceeds); subscribers claim-shares",
            soft_wrap=True,
        )
    else:
        console.print(
            f"offering of {_label(view)}: {offering.get('status')}, {sold} shares subscribed"
            + ("; every subscriber takes back what it paid (refund)" if offering.get("status") == "failed" else ""),
            soft_wrap=True,
        )


@app.command("claim-shares")
def claim_shares(
    asset: AssetArg,
    subscriber: Annotated[
        str | None, typer.Option("--subscriber", help="Whose shares to mint (default: yours); anyone may.")
    ] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Mint a subscriber's shares after a successful offering."""
    token = _asset(asset)
    who = parse_address(subscriber, "--subscriber") if subscriber else None
    with connect(gateway, api_key) as http:
        who = who or _me(http)
        before = _account(http, token, who)
        body = {"subscriber": who}
        url = f"/fractions/assets/{token}/share-claims"
        op = _write(http, url, _key("claim-shares", api_key, token, who), wait=wait, what="the share claim", body=body)
        if _accepted(op, f"share claim for {who}"):
            return
        after = _fresh(http, f"/fractions/assets/{token}/accounts/{who}", before)
    console.print(
        f"{before.get('subscription')} shares minted to {who}; it holds {after.get('balance')} shares", soft_wrap=True
    )


def _money_step(path: str, kind: str, what: str) -> Any:
    def step(
        asset: AssetArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True
    ) -> None:
        token = _asset(asset)
        with connect(gateway, api_key) as http:
            view = _view(http, token)
            me = _me(http)
            before = _account(http, token, me)
            # what is owed now is part of the request: a second refund or claim is a new one, not a replay
            owed = (before.get("subscription"), view.get("proceeds_owed_fen"), before.get("claimed_fen"))
            key = _key(kind, api_key, token, me, *owed, before.get("claimable_fen"))
            if _accepted(_write(http, f"/fractions/assets/{token}/{path}", key, wait=wait, what=what), kind):
                return
        if kind == "refund":
            paid = int(before.get("subscription") or 0) * _price(view)
            console.print(f"refunded {yuan(paid)} paid for {before.get('subscription')} shares to {me}", soft_wrap=True)
        elif kind == "withdraw-proceeds":
            console.print(f"withdrew the proceeds of {_label(view)}, {yuan(int(view['proceeds_owed_fen']))}, to {me}")
        else:
            claimable = int(before.get("claimable_fen") or 0)
            console.print(
                f"claimed {yuan(claimable)} of recoveries from {_label(view)} to {me} ({before.get('balance')} "
                f"shares; {yuan(int(before.get('claimed_fen') or 0) + claimable)} claimed in all)",
                soft_wrap=True,
            )

    return step


app.command("refund", help="Take back what you paid after a failed offering.")(
    _money_step("refund", "refund", "the refund")
)
app.command("withdraw-proceeds", help="The issuer withdraws the proceeds of a successful offering.")(
    _money_step("proceeds-withdrawal", "withdraw-proceeds", "the withdrawal")
)
app.command("claim", help="Claim your pro-rata part of the recoveries paid in so far.")(
    _money_step("recovery-claims", "claim", "the claim")
)


# --- the secondary market ---


@app.command("transfer")
def transfer(
    asset: AssetArg,
    to: Annotated[str, typer.Argument(help="The recipient's address (an eligible INVESTOR member).")],
    shares: SharesArg,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Give shares to another investor (no payment: use offer/buy for a sale). Refused before sending, with the
    compliance reason, when the asset's rules say no."""
    token, recipient, n = _asset(asset), parse_address(to, "TO"), _shares(shares, "SHARES")
    with connect(gateway, api_key) as http:
        me = _me(http)
        before = _account(http, token, me)
        key = _key("transfer", api_key, token, recipient, n, before.get("balance"))
        body = {"to": recipient, "shares": n}
        op = _write(http, f"/fractions/assets/{token}/transfers", key, wait=wait, what="the transfer", body=body)
        if _accepted(op, f"transfer of {n} shares to {recipient}"):
            return
        mine = _fresh(http, f"/fractions/assets/{token}/accounts/{me}", before)
        theirs = _account(http, token, recipient)
    console.print(
        f"transferred {n} shares to {recipient}; you hold {mine.get('balance')}, it holds {theirs.get('balance')}",
        soft_wrap=True,
    )


def _offers(http: httpx.Client, asset: str, *, open_only: bool = False) -> list[dict[str, Any]]:
    params = {"open": "true"} if open_only else {}
    return _rows(_call(http, "GET", f"/fractions/assets/{asset}/offers", params=params))


@app.command("offer")
def offer(
    asset: AssetArg,
    shares: SharesArg,
    price: Annotated[str, typer.Option("--price", help=f"Price per share: {AMOUNT_HELP}.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Offer shares for sale at a price per share; they stay yours until a buyer takes them (DvP). Prints the
    offer id."""
    token, n, fen = _asset(asset), _shares(shares, "SHARES"), parse_fen(price, "--price")
    with connect(gateway, api_key) as http:
        known = {int(o["offer_id"]) for o in _offers(http, token)}
        key = _key("offer", api_key, token, n, fen, len(known))
        body = {"shares": n, "price_fen": fen}
        op = _write(http, f"/fractions/assets/{token}/offers", key, wait=wait, what="the offer", body=body)
        if _accepted(op, f"offer of {n} shares at {yuan(fen)}"):
            return
        made = _new_offer(http, token, op, known)
    console.print(
        f"offer {made} of {n} shares at {yuan(fen)} each ({yuan(n * fen)} in all) is open; "
        f"buyers: `recourse fractions buy {token} {made} SHARES`",
        soft_wrap=True,
    )
    console.print(f"offer id: {made}")


def _new_offer(http: httpx.Client, asset: str, op: dict[str, Any], known: set[int]) -> int:
    result = op.get("result") or {}
    if isinstance(result, dict) and result.get("offer_id"):
        return int(result["offer_id"])
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        sender = str(op["sender"]).lower()
        mine = [
            o for o in _offers(http, asset) if int(o["offer_id"]) not in known and str(o["seller"]).lower() == sender
        ]
        if mine:
            return max(int(o["offer_id"]) for o in mine)
        if time.monotonic() > deadline:
            fail(
                f"the offer is mined in block {op['block_number']} but not indexed yet; "
                f"see `recourse fractions offers {asset}`"
            )
        time.sleep(0.2)


def _find_offer(http: httpx.Client, asset: str, offer_id: int) -> dict[str, Any]:
    for o in _offers(http, asset):
        if int(o["offer_id"]) == offer_id:
            return o
    fail(f"FRC-404 no offer {offer_id} on {asset}; see `recourse fractions offers {asset} --open`")


@app.command("buy")
def buy(
    asset: AssetArg,
    offer_id: Annotated[str, typer.Argument(help="The offer's id (`recourse fractions offers ASSET`).")],
    shares: SharesArg,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Buy shares of an offer: the shares come to you and the price goes to the seller in one transaction
    (delivery versus payment), or neither moves. Approves exactly the price of rCNY first."""
    token, n = _asset(asset), _shares(shares, "SHARES")
    oid = _count(offer_id, "OFFER_ID", hint="offer ids are whole numbers from 1 (`recourse fractions offers ASSET`)")
    with connect(gateway, api_key) as http:
        before = _find_offer(http, token, oid)
        me = _me(http)
        held = _account(http, token, me)
        key = _key("buy", api_key, token, oid, n, before.get("shares"))
        url = f"/fractions/assets/{token}/offers/{oid}/purchase"
        op = _write(http, url, key, wait=wait, what="the purchase", body={"shares": n})
        if _accepted(op, f"purchase of {n} shares of offer {oid}"):
            return
        mine = _fresh(http, f"/fractions/assets/{token}/accounts/{me}", held)
    paid = n * int(before["price_fen"])
    console.print(
        f"bought {n} shares of offer {oid} from {before['seller']} at {yuan(int(before['price_fen']))} each: "
        f"{yuan(paid)} paid and the shares delivered in one transaction; you hold {mine.get('balance')} shares",
        soft_wrap=True,
    )


@app.command("cancel-offer")
def cancel_offer(
    asset: AssetArg,
    offer_id: Annotated[str, typer.Argument(help="The offer's id.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The seller withdraws an offer (the shares were never moved)."""
    token = _asset(asset)
    oid = _count(offer_id, "OFFER_ID", hint="offer ids are whole numbers from 1 (`recourse fractions offers ASSET`)")
    with connect(gateway, api_key) as http:
        url = f"/fractions/assets/{token}/offers/{oid}/cancellation"
        op = _write(http, url, _key("cancel-offer", api_key, token, oid), wait=wait, what="the cancellation")
        if _accepted(op, f"cancellation of offer {oid}"):
            return
    console.print(f"offer {oid} on {token} cancelled")


# --- recoveries ---


@app.command("pay-in")
def pay_in(
    asset: AssetArg,
    amount: Annotated[str, typer.Argument(help=f"The recovery: {AMOUNT_HELP}.")],
    source: Annotated[
        str, typer.Option("--source", help="What it recovers from: case:…, lot:12, or free text (only its digest).")
    ],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Pay a recovery into the asset for its holders (approving exactly that much rCNY first); holders claim it
    pro rata."""
    token, fen = _asset(asset), parse_fen(amount, "AMOUNT")
    if not source.strip():
        fail("--source: say what the recovery comes from, e.g. case:0x… or lot:12")
    with connect(gateway, api_key) as http:
        before = _view(http, token)
        key = _key("pay-in", api_key, token, fen, source.strip())
        body = {"amount_fen": fen, "source_ref": source.strip()}
        op = _write(http, f"/fractions/assets/{token}/recoveries", key, wait=wait, what="the payment", body=body)
        if _accepted(op, f"payment of {yuan(fen)} into {token}"):
            return
        view = _fresh(http, f"/fractions/assets/{token}", before)
    total = int((view.get("recoveries") or {}).get("total_paid_in_fen") or 0)
    console.print(
        f"paid {yuan(fen)} into {_label(view)} from {source.strip()}; recoveries paid in so far {yuan(total)}",
        soft_wrap=True,
    )


@app.command("collect")
def collect(
    asset: AssetArg,
    source: Annotated[str, typer.Option("--source", help="The system contract that owes the asset (JudicialAuction).")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Collect what a system contract owes the asset (e.g. auction proceeds a court allocated to it) and
    distribute it to the holders (anyone may)."""
    token, src = _asset(asset), parse_address(source, "--source")
    with connect(gateway, api_key) as http:
        before = _view(http, token)
        paid_before = int((before.get("recoveries") or {}).get("total_paid_in_fen") or 0)
        key = _key("collect", api_key, token, src, paid_before)
        url = f"/fractions/assets/{token}/collections"
        op = _write(http, url, key, wait=wait, what="the collection", body={"source": src})
        if _accepted(op, f"collection from {src}"):
            return
        view = _fresh(http, f"/fractions/assets/{token}", before)
    total = int((view.get("recoveries") or {}).get("total_paid_in_fen") or 0)
    console.print(
        f"collected {yuan(total - paid_before)} from {src} into {_label(view)}; "
        f"recoveries paid in so far {yuan(total)}",
        soft_wrap=True,
    )


# --- court orders and the pause ---


@app.command("freeze")
def freeze(
    asset: AssetArg,
    account: Annotated[str, typer.Argument(help="The account to freeze.")],
    order: Annotated[str, typer.Option("--order", help="The court's order: a file or its 0x digest.")],
    shares: Annotated[
        str | None,
        typer.Option(
            "--shares", help="Freeze only this many shares (0 lifts a partial freeze); none: the whole account."
        ),
    ] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A COURT freezes an account (it may neither send nor receive shares) or a number of its shares."""
    token, who, digest = _asset(asset), parse_address(account, "ACCOUNT"), parse_digest(order, "--order")
    n = _shares(shares, "--shares", zero=True) if shares is not None else None
    body: dict[str, Any] = {"account": who, "order_digest": digest, **({"shares": n} if n is not None else {})}
    with connect(gateway, api_key) as http:
        key = _key("freeze", api_key, token, who, n, digest)
        op = _write(http, f"/fractions/assets/{token}/freezes", key, wait=wait, what="the freeze", body=body)
        if _accepted(op, f"freeze of {who}"):
            return
    what = "frozen whole" if n is None else (f"{n} shares frozen" if n else "partial freeze lifted")
    console.print(f"{who} on {token}: {what} (order {digest})", soft_wrap=True)


@app.command("unfreeze")
def unfreeze(
    asset: AssetArg,
    account: Annotated[str, typer.Argument(help="The account to unfreeze.")],
    order: Annotated[str, typer.Option("--order", help="The court's order: a file or its 0x digest.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A COURT lifts a whole-account freeze (a partial one: `freeze ACCOUNT --shares 0`)."""
    token, who, digest = _asset(asset), parse_address(account, "ACCOUNT"), parse_digest(order, "--order")
    with connect(gateway, api_key) as http:
        key = _key("unfreeze", api_key, token, who, digest)
        body = {"account": who, "order_digest": digest}
        op = _write(http, f"/fractions/assets/{token}/unfreezes", key, wait=wait, what="the unfreeze", body=body)
        if _accepted(op, f"unfreeze of {who}"):
            return
    console.print(f"{who} on {token}: unfrozen (order {digest})", soft_wrap=True)


@app.command("forced-transfer")
def forced_transfer(
    asset: AssetArg,
    frm: Annotated[str, typer.Argument(metavar="FROM", help="The account the shares leave.")],
    to: Annotated[str, typer.Argument(help="The account they go to (must be eligible and not frozen).")],
    shares: SharesArg,
    order: Annotated[str, typer.Option("--order", help="The court's order: a file or its 0x digest.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A COURT moves shares by order, whatever the pause, lock-up, freezes and limits."""
    token, n, digest = _asset(asset), _shares(shares, "SHARES"), parse_digest(order, "--order")
    src, dst = parse_address(frm, "FROM"), parse_address(to, "TO")
    body = {"from": src, "to": dst, "shares": n, "order_digest": digest}
    with connect(gateway, api_key) as http:
        before = _account(http, token, dst)
        key = _key("forced-transfer", api_key, token, src, dst, n, digest)
        url = f"/fractions/assets/{token}/forced-transfers"
        op = _write(http, url, key, wait=wait, what="the forced transfer", body=body)
        if _accepted(op, f"forced transfer of {n} shares from {src} to {dst}"):
            return
        after = _fresh(http, f"/fractions/assets/{token}/accounts/{dst}", before)
    console.print(
        f"{n} shares moved by court order from {src} to {dst} (order {digest})"
        + (f"; it holds {after['balance']}" if "balance" in after else ""),
        soft_wrap=True,
    )


def _set_paused(http: httpx.Client, token: str, api_key: str, *, paused: bool, wait: bool, digest: str = "") -> bool:
    """Pause or resume trading; ``False`` when the operation is only accepted (``--no-wait``).

    Each run is a new request (a fresh Idempotency-Key): pausing is not a business fact with an identity of
    its own (pause, resume, pause again are three acts), and it cannot act twice: the contract refuses a pause
    of paused trading (and a resumption of running trading) with FRC-409."""
    action, what = ("pause", "the pause") if paused else ("resume", "the resumption")
    body = {"reason_digest": digest} if paused else None
    key = _key(action, api_key, token, uuid.uuid4().hex)
    op = _write(http, f"/fractions/assets/{token}/{action}", key, wait=wait, what=what, body=body)
    return not _accepted(op, f"{action} of {token}")


@app.command("pause")
def pause(
    asset: AssetArg,
    reason: Annotated[str, typer.Option("--reason", help="The reason: a file or its 0x digest.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The issuer or a REGULATOR pauses trading (court orders still run)."""
    token, digest = _asset(asset), parse_digest(reason, "--reason")
    with connect(gateway, api_key) as http:
        if not _set_paused(http, token, api_key, paused=True, wait=wait, digest=digest):
            return
    console.print(f"trading in {token} paused (reason {digest})", soft_wrap=True)


@app.command("resume")
def resume(asset: AssetArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True) -> None:
    """The issuer or a REGULATOR resumes trading."""
    token = _asset(asset)
    with connect(gateway, api_key) as http:
        if not _set_paused(http, token, api_key, paused=False, wait=wait):
            return
    console.print(f"trading in {token} resumed")


# --- reads ---


@app.command("list")
def list_assets(
    issuer: Annotated[str | None, typer.Option("--issuer", help="Only this issuer's assets (address).")] = None,
    issued_in: Annotated[str | None, typer.Option("--issued-in", help="The transaction that issued it.")] = None,
    limit: Annotated[str, typer.Option("--limit", help="At most this many (1-500).")] = "50",
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
) -> None:
    """Issued assets from the gateway's index."""
    from rich.table import Table

    n = _count(limit, "--limit", hint="give 1-500")
    if not 1 <= n <= 500:
        fail(f"--limit: {n} is out of range; give 1-500")
    params: dict[str, Any] = {"limit": n}
    if issuer is not None:
        params["issuer"] = parse_address(issuer, "--issuer")
    if issued_in is not None:
        if not HEX32.match(issued_in):
            fail(f"--issued-in: {issued_in!r} is not a transaction hash (0x + 64 hex digits)")
        params["issued_in"] = issued_in
    with connect(gateway, api_key) as http:
        rows = _rows(_call(http, "GET", "/fractions/assets", params=params))
    table = Table(title=f"{len(rows)} asset(s)")
    for col in ("asset", "symbol", "name", "issuer", "offering", "sold", "supply", "holders", "trading"):
        table.add_column(
            col, justify="right" if col in ("sold", "supply", "holders") else "left", no_wrap=col != "name"
        )
    for a in rows:
        issuer = str(a["issuer"])
        table.add_row(
            str(a["address"]),
            str(a["symbol"]),
            str(a["name"]),
            f"{issuer[:6]}…{issuer[-4:]}",
            str(a["status"]),
            str(a["sold"]),
            str(a["total_supply"]),
            str(a["holder_count"]),
            "paused" if a.get("paused") else "open",
        )
    console.print(table)


@app.command("show")
def show(asset: AssetArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "") -> None:
    """An asset: terms, offering, supply, holders, recoveries, valuation and NAV per share."""
    token = _asset(asset)
    with connect(gateway, api_key) as http:
        v = _view(http, token)
    t, o, rec = _terms(v), dict(v.get("offering") or {}), dict(v.get("recoveries") or {})
    console.print(f"{_label(v)} at {token}, issued by {v.get('issuer')}; asset {v.get('asset_ref')}", soft_wrap=True)
    console.print(
        f"offering {o.get('status')}: {o.get('sold')} of {t.get('hard_cap')} shares sold (soft cap "
        f"{t.get('soft_cap')}, minimum {t.get('min_subscription')}) at {yuan(_price(v))} to "
        f"{o.get('subscribers')} subscriber(s); deadline {_when(o.get('deadline') or t.get('deadline'))}",
        soft_wrap=True,
    )
    console.print(
        f"rules: KYC tier {t.get('kyc_tier')}, regions {_regions(t.get('regions'))}, lock-up until "
        f"{_when(t.get('lock_up_until'))}, at most {t.get('max_holders') or 'any number of'} holders and "
        f"{t.get('max_per_holder') or 'any number of'} shares each; trading {'PAUSED' if v.get('paused') else 'open'}",
        soft_wrap=True,
    )
    console.print(
        f"supply {v.get('total_supply')} shares, {v.get('holder_count')} holder(s); recoveries paid in "
        f"{yuan(int(rec.get('total_paid_in_fen') or 0))}, claimed {yuan(int(rec.get('total_claimed_fen') or 0))}",
        soft_wrap=True,
    )
    val = v.get("valuation")
    if val:
        stale = " (STALE)" if val.get("stale") else ""
        console.print(
            f"valuation {yuan(int(val['value_fen']))} ({yuan(int(val['low_fen']))} – {yuan(int(val['high_fen']))}) by "
            f"{val.get('feed')} at {_when(val.get('reported_at'))}{stale}",
            soft_wrap=True,
        )
    else:
        feed = str(t.get("valuation_feed") or "")
        named = feed.strip("0x") != ""
        console.print(f"valuation: none ({'no report from feed ' + feed if named else 'no oracle feed values it'})")
    nav, yld = v.get("nav_per_share_fen"), v.get("recovery_yield_bps")
    console.print(
        f"NAV per share {yuan(int(nav)) if nav is not None else '—'}; recovery yield "
        f"{f'{int(yld) / 100:.2f} %' if yld is not None else '—'} of the offering price",
        soft_wrap=True,
    )


@app.command("holders")
def holders(asset: AssetArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "") -> None:
    """Holders and subscribers: shares, freezes, recoveries claimable and claimed."""
    from rich.table import Table

    token = _asset(asset)
    with connect(gateway, api_key) as http:
        rows = _rows(_call(http, "GET", f"/fractions/assets/{token}/holders"))
    table = Table(title=f"{len(rows)} holder(s) of {token}")
    for col in ("address", "shares", "frozen", "subscribed", "claimable", "claimed"):
        table.add_column(col, justify="left" if col in ("address", "frozen") else "right", no_wrap=True)
    for h in rows:
        frozen = (
            "whole account"
            if h.get("frozen_whole")
            else (f"{h['frozen_shares']} shares" if h.get("frozen_shares") else "")
        )
        table.add_row(
            str(h["address"]),
            str(h.get("balance", 0)),
            frozen,
            str(h.get("subscription") or ""),
            yuan(int(h.get("claimable_fen") or 0)),
            yuan(int(h.get("claimed_fen") or 0)),
        )
    console.print(table)


@app.command("offers")
def offers(
    asset: AssetArg,
    open_only: Annotated[bool, typer.Option("--open", help="Only offers that can still be bought.")] = False,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
) -> None:
    """Offers to sell shares of an asset."""
    from rich.table import Table

    token = _asset(asset)
    with connect(gateway, api_key) as http:
        rows = _offers(http, token, open_only=open_only)
    table = Table(title=f"{len(rows)} offer(s) on {token}")
    for col in ("offer", "seller", "shares", "price", "total", "status"):
        table.add_column(col, justify="left" if col in ("seller", "status") else "right", no_wrap=True)
    for o in rows:
        n, fen = int(o["shares"]), int(o["price_fen"])
        table.add_row(str(o["offer_id"]), str(o["seller"]), str(n), yuan(fen), yuan(n * fen), str(o.get("status", "")))
    console.print(table)


@app.command("check")
def check(
    asset: AssetArg,
    frm: Annotated[str, typer.Argument(metavar="FROM", help="The sender.")],
    to: Annotated[str, typer.Argument(help="The recipient.")],
    shares: SharesArg,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
) -> None:
    """Would moving these shares pass the asset's rules now, and if not, why (no gas, nothing sent)."""
    token, n = _asset(asset), _shares(shares, "SHARES")
    params = {"from": parse_address(frm, "FROM"), "to": parse_address(to, "TO"), "shares": n}
    with connect(gateway, api_key) as http:
        answer = _call(http, "GET", f"/fractions/assets/{token}/transfer-check", params=params)
    if answer.get("allowed"):
        console.print(f"allowed: {n} shares from {params['from']} to {params['to']}", soft_wrap=True)
        return
    reason = str(answer.get("reason"))
    console.print(
        f"refused: {reason} (code {answer.get('reason_code')}): {REFUSAL_HINTS.get(reason, 'see the asset rules')}",
        soft_wrap=True,
    )
