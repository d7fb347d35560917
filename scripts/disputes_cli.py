"""``recourse disputes …``: mediation, restructuring agreements and court rulings through a gateway (over HTTP,
with an API key).

The case's bank (or the collector holding it) opens a dispute on a claimed case; a MEDIATOR claims it or the bank
assigns one (``mediators`` rates them); the mediator records an agreement (a restructuring plan's instalments,
usually from ``offers``) or a failure; a COURT confirms the agreement or rules on the claim, which opens an
appeal window; a party appeals within it (another court's ruling on appeal is final), or anyone finalises after
it. Instalments are paid in rCNY and owed to the payee; an instalment unpaid beyond the grace period lets anyone
mark the agreement defaulted, and a defaulted confirmed agreement or a final ruling for the claimant makes the
case enforceable (``enforcement``): only then may its collateral be auctioned.

Money is yuan (``1000.00``) or fen (``100000fen``); times are ISO 8601 (``2027-01-31``,
``2027-01-31T12:00:00+08:00``) or a duration from now (``30d``); digests are ``0x`` + 64 hex or a file (its
SHA-256). Every failure is one line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scripts.gateway_http import (
    DEFAULT_GATEWAY,
    HEX32,
    GatewayCalls,
    GatewayOpt,
    KeyOpt,
    WaitOpt,
    connect,
    console,
    fail,
    one_line_errors,
    parse_address,
    parse_digest,
    parse_fen,
    parse_seconds,
    plain_problem_line,
    yuan,
)

if TYPE_CHECKING:  # loaded by the commands that run, not for --help
    import httpx

__all__ = ["app", "failure_reason", "problem_line"]


app = typer.Typer(
    cls=one_line_errors("disputes"),
    help="Disputes: mediation, restructuring agreements in instalments, court rulings, enforceability (a gateway).",
    no_args_is_help=True,
)
IdArg = Annotated[str, typer.Argument(metavar="DISPUTE", help="The dispute's number (`recourse disputes list`).")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="The case id (0x + 64 hex; `recourse cases list`).")]
AMOUNT_HELP = "yuan (1000.00) or fen (100000fen)"
RULINGS = ("confirmed", "refused", "for_claimant", "dismissed")

#: what to do about a refusal, by the words its detail starts with (the gateway's DSP problems)
_HINTS = {
    "DSP-404": "see `recourse disputes list` for the disputes this gateway knows",
}


def problem_line(body: dict[str, Any], status: int | str = "") -> str:
    """A problem as one line: its code and detail, then what to do about it when there is a known remedy."""
    line = plain_problem_line(body, status)
    code, detail = str(body.get("code", status)), str(body.get("detail", "")).lower()
    reverted, deadline = body.get("reverted"), body.get("appeal_deadline")
    if deadline and reverted == "DisputeAppealWindowOpen":  # the detail gives the deadline in Unix seconds
        line += f"; the window closes {_when(deadline)}: finalise after that (`recourse disputes finalize`)"
    elif deadline and reverted == "DisputeAppealWindowClosed":
        line += f"; it closed {_when(deadline)}: too late to appeal"
    elif "anchor" in detail:
        line += "; anchor the document first (recourse evidence submit) and pass its root or evidence id"
    elif code in _HINTS:
        line += f"; {_HINTS[code]}"
    return line


_gateway = GatewayCalls(key_prefix="cli-disputes", problem_line=problem_line, route="/disputes")
_call, _key, _write, _document_root = _gateway.call, _gateway.key, _gateway.write, _gateway.document_root
failure_reason = _gateway.failure_reason


# --- input and output ---


def _id(text: str) -> int:
    t = text.strip().lstrip("#")
    if not (t.isascii() and t.isdigit()) or int(t) == 0:
        fail(f"DISPUTE: {text!r} is not a dispute number (1, 2, …); see `recourse disputes list`")
    return int(t)


def _case(text: str) -> str:
    if not HEX32.match(text.strip()):
        fail(f"CASE: {text!r} is not a case id (0x + 64 hex digits); see `recourse cases list`")
    return text.strip().lower()


def _moment(text: str, what: str) -> int:
    """Unix seconds of an ISO 8601 date/time (no offset: UTC) or of a duration from now (``30d``)."""
    from scripts.fractions_cli import parse_moment

    try:
        return int(parse_moment(text, what).timestamp())
    except ValueError as exc:
        fail(str(exc))


def _when(value: Any) -> str:
    if value in (None, 0, ""):
        return "—"
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _short(address: Any) -> str:
    text = str(address or "")
    return f"{text[:8]}…{text[-4:]}" if len(text) == 42 else (text or "—")


def _dispute(http: httpx.Client, dispute_id: int) -> dict[str, Any]:
    return dict(_call(http, "GET", f"/disputes/{dispute_id}"))


def _fresh(http: httpx.Client, dispute_id: int, before: dict[str, Any]) -> dict[str, Any]:
    """The dispute once the index shows what the mined step changed (or after waiting 30 s)."""
    import time

    deadline = time.monotonic() + 30
    while True:
        now = _dispute(http, dispute_id)
        if {k: v for k, v in now.items() if k != "chain_time"} != {
            k: v for k, v in before.items() if k != "chain_time"
        } or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def _line(d: dict[str, Any]) -> str:
    status = d["status"] + (f" ({d['ruling']})" if d.get("ruling") not in (None, "none") else "")
    line = f"dispute {d['dispute_id']}: {status}; claim {yuan(int(d['claim_amount_fen']))}"
    if int(d.get("total_fen") or 0):
        line += f", agreed {yuan(int(d['total_fen']))}, paid {yuan(int(d['paid_fen']))}"
    if d.get("appeal_deadline") and d["status"] == "ruled":
        line += f"; appeal window until {_when(d['appeal_deadline'])}"
    if d.get("enforceable"):
        line += "; the case is enforceable"
    return line


def _step(
    http: httpx.Client,
    api_key: str,
    dispute_id: int,
    action: str,
    *,
    wait: bool,
    what: str,
    body: dict[str, Any] | None = None,
    key_parts: tuple[object, ...] = (),
) -> None:
    """POST one step of a dispute as an operation, then print the dispute as the index shows it after."""
    before = _dispute(http, dispute_id)
    key = _key(action, api_key, dispute_id, before["status"], *key_parts, json.dumps(body or {}, sort_keys=True))
    op = _write(http, f"/disputes/{dispute_id}/{action}", key, wait=wait, what=what, body=body)
    if op["status"] != "succeeded":
        console.print(f"{what} accepted (operation {op['id']}, not mined yet)", soft_wrap=True)
        return
    console.print(_line(_fresh(http, dispute_id, before)), soft_wrap=True)


def _reasoned(dispute: str, reason: str, action: str, what: str, *, gateway: str, api_key: str, wait: bool) -> None:
    """A step whose only input is a document's digest (``--reason``: a failure report, an appeal, a withdrawal)."""
    dispute_id, digest = _id(dispute), parse_digest(reason, "--reason")
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, action, wait=wait, what=what, body={"reason_digest": digest})


# --- reads ---


@app.command("list")
def list_disputes(
    case: Annotated[str | None, typer.Option("--case", help="Only this case's disputes (0x…).")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only this status, e.g. performing.")] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
) -> None:
    """Disputes from the gateway's index, newest first."""
    params: dict[str, Any] = {"limit": 200}
    if case:
        params["case_id"] = _case(case)
    if status:
        params["status"] = status.strip().lower()
    with connect(gateway, api_key) as http:
        body = _call(http, "GET", "/disputes", params=params)
    rows = body.get("data", [])
    if not rows:
        console.print("no disputes")
        return
    for d in rows:
        console.print(
            f"{d['dispute_id']:>4}  {d['status']:<11} case {d['case_id'][:12]}…  "
            f"claim {yuan(int(d['claim_amount_fen']))}  paid {yuan(int(d['paid_fen']))} of "
            f"{yuan(int(d['total_fen']))}  mediator {_short(d.get('mediator'))}",
            soft_wrap=True,
        )


@app.command("show")
def show(dispute: IdArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "") -> None:
    """One dispute: parties, ruling, the schedule with what is paid, due and overdue."""
    dispute_id = _id(dispute)
    with connect(gateway, api_key) as http:
        d = _dispute(http, dispute_id)
    console.print(_line(d), soft_wrap=True)
    console.print(
        f"case {d['case_id']}; bank {d['bank']}; opened by {d['opener']} at {_when(d['opened_at'])}", soft_wrap=True
    )
    console.print(
        f"mediator {d.get('mediator') or '—'}{' (assigned by the bank)' if d.get('mediator_assigned_by_bank') else ''}"
        f"; court {d.get('court') or '—'}; appeal court {d.get('appeal_court') or '—'}",
        soft_wrap=True,
    )
    if d.get("schedule"):
        console.print(
            f"agreement: total {yuan(int(d['total_fen']))} + relief {yuan(int(d['relief_fen']))}; grace "
            f"{int(d['grace_seconds']) // 86_400} days; payee {d['payee']}; plan {d.get('plan_digest')}",
            soft_wrap=True,
        )
        for i in d["schedule"]:
            console.print(
                f"  #{i['index'] + 1:<3} {yuan(int(i['amount_fen'])):>14} due {_when(i['due_at'])}  "
                f"paid {yuan(int(i['paid_fen']))}  {i['status']}",
                soft_wrap=True,
            )
        console.print(
            f"due now {yuan(int(d['due_now_fen']))}; {d['days_overdue']} days overdue"
            f"{'; IN DEFAULT: `recourse disputes default` marks it' if d.get('in_default') else ''}",
            soft_wrap=True,
        )
    for e in d.get("evidence") or []:
        console.print(f"evidence {e['root']} from {e['party']}", soft_wrap=True)
    for asset in d.get("collateral") or []:
        console.print(f"collateral {asset}", soft_wrap=True)


@app.command("mediators")
def mediators(gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "") -> None:
    """Mediators rated from the index, best first: settlement rate, days to agreement, agreements honoured."""
    with connect(gateway, api_key) as http:
        rows = _call(http, "GET", "/disputes/mediators").get("data", [])
    if not rows:
        console.print("no mediator has taken a dispute yet")
    for m in rows:
        rate = "—" if m["settlement_rate"] is None else f"{m['settlement_rate']:.0%}"
        days = "—" if m["median_days_to_agreement"] is None else f"{m['median_days_to_agreement']:.1f}"
        honoured = "—" if m["honoured_rate"] is None else f"{m['honoured_rate']:.0%}"
        console.print(
            f"{m['mediator']}  taken {m['disputes_taken']}, settled {rate} ({m['agreements']} agreements, "
            f"{m['failures']} failures), median {days} days to agreement, honoured {honoured}, "
            f"mediating {m['open_caseload']} now",
            soft_wrap=True,
        )


@app.command("enforcement")
def enforcement(case: CaseArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "") -> None:
    """Whether a case is enforceable now (what the auction checks before listing its collateral)."""
    case_id = _case(case)
    with connect(gateway, api_key) as http:
        e = _call(http, "GET", f"/disputes/cases/{case_id}/enforcement")
    verdict = "enforceable" if e["enforceable"] else "not enforceable"
    console.print(
        f"case {case_id}: {verdict} (dispute {e['dispute_id']}: {e['dispute_status']}, ruling {e['ruling']}); "
        f"collateral: {', '.join(e.get('collateral') or []) or 'none registered'}",
        soft_wrap=True,
    )


@app.command("owed")
def owed(gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "") -> None:
    """What the caller may withdraw as a payee of instalments."""
    with connect(gateway, api_key) as http:
        body = _call(http, "GET", "/disputes/owed")
    console.print(f"{body.get('address')}: {yuan(int(body.get('owed_fen') or 0))} owed", soft_wrap=True)


@app.command("offers")
def offers(
    dispute: IdArg,
    capacity: Annotated[
        str, typer.Option("--capacity", help=f"What the debtor says it can pay a month: {AMOUNT_HELP}.")
    ],
    pd: Annotated[
        float | None, typer.Option("--pd", help="12-month default probability 0-1 (else --features for the model).")
    ] = None,
    features: Annotated[
        Path | None, typer.Option("--features", help="JSON file of the loan's features for the default model.")
    ] = None,
    interest: Annotated[str | None, typer.Option("--interest", help="The claim's overdue interest part.")] = None,
    penalties: Annotated[str | None, typer.Option("--penalties", help="The claim's penalty part.")] = None,
    collateral_value: Annotated[
        str | None, typer.Option("--collateral-value", help="Appraisal of the collateral (litigation baseline).")
    ] = None,
    start: Annotated[str, typer.Option("--start", help="The schedule's start: ISO 8601 or a duration (7d).")] = "0d",
    save: Annotated[
        Path | None, typer.Option("--save", help="Write the chosen plan's card here, for `agree --plan`.")
    ] = None,
    rank: Annotated[int, typer.Option("--rank", help="Which plan --save writes (1 = the best).")] = 1,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
) -> None:
    """Restructuring plans for a dispute's claim the debtor can afford, ranked by expected recovery against
    litigation plus auction; --save writes one plan's card (its digest is what the agreement anchors)."""
    dispute_id = _id(dispute)
    if pd is not None and features is not None:
        fail("give either --pd or --features, not both")
    if pd is None and features is None:
        fail("give the default probability: --pd 0.3, or --features FILE.json for the installed default model")
    if pd is not None and not 0.0 <= pd <= 1.0:
        fail(f"--pd: {pd} is not a probability; give a number from 0 to 1")
    body: dict[str, Any] = {"monthly_capacity_fen": parse_fen(capacity, "--capacity")}
    if features is not None:
        try:
            body["features"] = json.loads(features.read_text())
        except (OSError, ValueError) as exc:
            fail(f"--features: cannot read {features} as a JSON object of features ({exc})")
        if not isinstance(body["features"], dict):
            fail(f"--features: {features} must hold a JSON object (feature name → value)")
    else:
        body["default_probability"] = pd
    with connect(gateway, api_key) as http:
        d = _dispute(http, dispute_id)
        claim = int(d["claim_amount_fen"])
        parts = {
            "overdue_interest_fen": parse_fen(interest, "--interest") if interest else 0,
            "penalties_fen": parse_fen(penalties, "--penalties") if penalties else 0,
        }
        if sum(parts.values()) >= claim:
            fail(f"--interest and --penalties must leave some principal in the claim of {yuan(claim)}")
        body |= parts | {"loan_id": f"dispute-{dispute_id}", "principal_fen": claim - sum(parts.values())}
        if collateral_value:
            body["collateral_value_fen"] = parse_fen(collateral_value, "--collateral-value")
        body["start"] = dt.datetime.fromtimestamp(
            max(_moment(start, "--start"), int(d["chain_time"])), dt.UTC
        ).isoformat()
        offer = _call(http, "POST", "/restructuring/offers", json=body)
    litigation = offer["litigation"]
    console.print(
        f"claim {yuan(claim)}, PD {offer['default_probability']:.2%}"
        f"{' (model ' + offer['model_version'] + ')' if offer.get('model_version') else ''}; litigation plus auction: "
        f"{yuan(int(litigation['expected_recovery']))} expected after {litigation['months']} months; "
        f"recommendation: {offer['recommendation']} ({offer['reason']})",
        soft_wrap=True,
    )
    for p in offer["plans"]:
        ratio = p["expected_recovery_vs_litigation_bps"]
        console.print(
            f"#{p['rank']}: {p['instalment_count']} × {yuan(p['monthly_payment_fen'])} (last "
            f"{yuan(p['last_payment_fen'])}), relief {yuan(p['interest_relief_fen'])} + haircut "
            f"{yuan(p['principal_haircut_fen'])}; expected recovery {yuan(p['expected_recovery_fen'])}"
            f"{f' = {ratio / 100:.0f} % of litigation' if ratio is not None else ''}; completes with p = "
            f"{p['probability_of_completion_ppm'] / 1e6:.2f}; digest {p['digest']}",
            soft_wrap=True,
        )
    if save is None:
        return
    chosen = next((p for p in offer["plans"] if p["rank"] == rank), None)
    if chosen is None:
        fail(f"--rank {rank}: the offer has {len(offer['plans'])} plans; nothing was saved")
    plan = {k: v for k, v in chosen.items() if k not in ("card", "schedule", "digest")}
    save.write_text(
        json.dumps(
            {"digest": chosen["digest"], "schedule": chosen["schedule"], "plan": plan, "card": chosen["card"]}, indent=2
        )
    )
    console.print(
        f"saved plan #{rank} to {save}: `recourse disputes agree {dispute_id} --plan {save} …`", soft_wrap=True
    )


# --- writes ---


@app.command("open")
def open_dispute(
    case: CaseArg,
    claim: Annotated[str, typer.Option("--claim", help=f"The amount claimed: {AMOUNT_HELP}.")],
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", help="Anchored evidence: root (0x…) or evidence id (repeat).")
    ] = None,
    collateral: Annotated[
        list[str] | None, typer.Option("--collateral", help="Asset reference pledged, e.g. SH-0042 (repeat).")
    ] = None,
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The case's bank, or the collector holding it, opens a dispute; prints its number."""
    case_id, amount = _case(case), parse_fen(claim, "--claim")
    with connect(gateway, api_key) as http:
        roots = [_document_root(http, r) for r in evidence or []]
        body = {"case_id": case_id, "claim_amount_fen": amount, "evidence_roots": roots, "collateral": collateral or []}
        earlier = _case_disputes(http, case_id)
        key = _key("open", api_key, json.dumps(body, sort_keys=True), sorted(earlier))
        op = _write(http, "/disputes", key, wait=wait, what="opening the dispute", body=body)
        if op["status"] != "succeeded":
            console.print(f"opening accepted (operation {op['id']}, not mined yet)", soft_wrap=True)
            return
        found = _opened(http, case_id, earlier)
    if found is None:
        console.print(
            f"opened a dispute on case {case_id}; `recourse disputes list --case {case_id}` shows its number",
            soft_wrap=True,
        )
    else:
        console.print(f"opened dispute {found} on case {case_id}", soft_wrap=True)


def _case_disputes(http: httpx.Client, case_id: str) -> set[int]:
    rows = _call(http, "GET", "/disputes", params={"case_id": case_id, "limit": 500}).get("data", [])
    return {int(r["dispute_id"]) for r in rows}


def _opened(http: httpx.Client, case_id: str, earlier: set[int]) -> int | None:
    """The number of the dispute just opened on ``case_id`` (one the case did not have before) once the index
    has it (the write is mined before the indexer follows it), or ``None`` after 30 s."""
    import time

    deadline = time.monotonic() + 30
    while True:
        new = _case_disputes(http, case_id) - earlier
        if new:
            return max(new)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


@app.command("claim")
def claim(dispute: IdArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True) -> None:
    """A mediator takes an open dispute (the first valid claim wins)."""
    dispute_id = _id(dispute)
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, "claim", wait=wait, what="the claim")


@app.command("assign")
def assign(
    dispute: IdArg,
    mediator: Annotated[str, typer.Option("--mediator", help="The mediator's address (see `mediators`).")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The dispute's bank assigns a mediator."""
    dispute_id, address = _id(dispute), parse_address(mediator, "--mediator")
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, "assignment", wait=wait, what="the assignment", body={"mediator": address})


@app.command("evidence")
def add_evidence(
    dispute: IdArg,
    document: Annotated[str, typer.Option("--document", help="Anchored evidence: root (0x…) or evidence id.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A party, the mediator or a court adds an anchored evidence root."""
    dispute_id = _id(dispute)
    with connect(gateway, api_key) as http:
        root = _document_root(http, document)
        _step(http, api_key, dispute_id, "evidence", wait=wait, what="the evidence", body={"root": root})


def _instalment(text: str) -> dict[str, Any]:
    amount, sep, when = text.partition("@")
    if not sep:
        fail(f"--instalment {text!r}: write AMOUNT@DUE, e.g. 2500.00@2027-02-28 or 2500.00@30d")
    return {"amount_fen": parse_fen(amount, "--instalment amount"), "due_at": _moment(when, "--instalment due")}


def _plan(path: str) -> tuple[str, list[dict[str, Any]], int]:
    """A plan card file (``recourse disputes offers --save``): its digest, schedule and relief."""
    p = Path(path)
    try:
        card = json.loads(p.read_text())
        schedule = [{"amount_fen": int(a), "due_at": int(t)} for a, t in card["schedule"]]
        return str(card["digest"]), schedule, int(card["plan"]["relief_fen"])
    except FileNotFoundError:
        fail(f"--plan: no file {path}; save one with `recourse disputes offers … --save FILE`")
    except OSError as exc:
        fail(f"--plan: cannot read {path} ({exc.strerror or exc})")
    except (ValueError, KeyError, TypeError):
        fail(f"--plan: {path} is not a plan card saved by `recourse disputes offers --save`")


@app.command("agree")
def agree(
    dispute: IdArg,
    terms: Annotated[str, typer.Option("--terms", help="The signed mediation agreement: 0x digest or a file.")],
    commitment: Annotated[str, typer.Option("--commitment", help="The credit commitment: 0x digest or a file.")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="A plan card file from `offers --save` (schedule, relief, digest).")
    ] = None,
    instalment: Annotated[
        list[str] | None, typer.Option("--instalment", help="AMOUNT@DUE, e.g. 2500.00@2027-02-28 (repeat).")
    ] = None,
    relief: Annotated[str | None, typer.Option("--relief", help=f"Relief granted: {AMOUNT_HELP}.")] = None,
    plan_digest: Annotated[str | None, typer.Option("--plan-digest", help="The plan's digest (0x or file).")] = None,
    grace: Annotated[str, typer.Option("--grace", help="How late an instalment may be: 15d, 72h.")] = "15d",
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The mediator records the agreement: a plan card (--plan) or instalments, relief and plan digest."""
    dispute_id = _id(dispute)
    if plan is not None and (instalment or relief is not None or plan_digest is not None):
        fail("give either --plan or --instalment/--relief/--plan-digest, not both")
    if plan is not None:
        digest, schedule, relief_fen = _plan(plan)
    elif instalment:
        schedule = [_instalment(i) for i in instalment]
        relief_fen = parse_fen(relief, "--relief") if relief not in (None, "0", "0fen", "0.00") else 0
        digest = parse_digest(plan_digest, "--plan-digest") if plan_digest else "0x" + "00" * 32
    else:
        fail("give the schedule: --plan CARD.json (from `recourse disputes offers --save`) or --instalment AMOUNT@DUE")
    body = {
        "terms_digest": parse_digest(terms, "--terms"),
        "commitment_digest": parse_digest(commitment, "--commitment"),
        "plan_digest": digest,
        "relief_fen": relief_fen,
        "grace_seconds": parse_seconds(grace, "--grace"),
        "schedule": schedule,
    }
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, "agreement", wait=wait, what="the agreement", body=body)


@app.command("fail")
def record_failure(
    dispute: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="The mediator's failure report: 0x digest or a file.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The mediator records that mediation failed (a court may then rule on the claim)."""
    _reasoned(dispute, reason, "failure", "the failure", gateway=gateway, api_key=api_key, wait=wait)


@app.command("rule")
def rule(
    dispute: IdArg,
    ruling: Annotated[str, typer.Option("--ruling", help="confirmed | refused | for_claimant | dismissed.")],
    document: Annotated[str, typer.Option("--document", help="The ruling document: 0x digest or a file.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A court confirms an agreement or rules on the claim; on an appealed dispute another court's ruling is final."""
    dispute_id, name = _id(dispute), ruling.strip().lower().replace("-", "_")
    if name not in RULINGS:
        fail(f"--ruling: {ruling!r} is not a ruling; use one of {', '.join(RULINGS)}")
    body = {"ruling": name, "document_digest": parse_digest(document, "--document")}
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, "ruling", wait=wait, what="the ruling", body=body)


@app.command("appeal")
def appeal(
    dispute: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="The appeal: 0x digest or a file.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """A party (or a court recording an appeal filed with it) appeals within the window."""
    _reasoned(dispute, reason, "appeal", "the appeal", gateway=gateway, api_key=api_key, wait=wait)


@app.command("finalize")
def finalize(dispute: IdArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True) -> None:
    """Make a ruling final once its appeal window has passed (anyone)."""
    dispute_id = _id(dispute)
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, "finalization", wait=wait, what="finalising")


@app.command("pay")
def pay(
    dispute: IdArg,
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help=f"The payment: {AMOUNT_HELP}.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Pay toward an agreement in rCNY (approved first); the amount is owed to the dispute's payee."""
    dispute_id, fen = _id(dispute), parse_fen(amount, "AMOUNT")
    with connect(gateway, api_key) as http:
        before = _dispute(http, dispute_id)
        body = {"amount_fen": fen}
        _step(
            http,
            api_key,
            dispute_id,
            "payments",
            wait=wait,
            what="the payment",
            body=body,
            key_parts=(before["paid_fen"],),
        )


@app.command("default")
def mark_default(
    dispute: IdArg, gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True
) -> None:
    """Mark a performing agreement defaulted (an instalment unpaid beyond the grace period): the case becomes
    enforceable."""
    dispute_id = _id(dispute)
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, "default", wait=wait, what="marking the default")


@app.command("abandon")
def abandon(
    dispute: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why: 0x digest or a file.")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The opener withdraws a dispute that is open or being mediated."""
    _reasoned(dispute, reason, "abandonment", "abandoning", gateway=gateway, api_key=api_key, wait=wait)


@app.command("payee")
def set_payee(
    dispute: IdArg,
    payee: Annotated[str, typer.Argument(metavar="PAYEE", help="Who is owed the instalments (0x…).")],
    gateway: GatewayOpt = DEFAULT_GATEWAY,
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """The bank names who is owed the instalments (e.g. an AssetFractions token that holds the claim)."""
    dispute_id, address = _id(dispute), parse_address(payee, "PAYEE")
    with connect(gateway, api_key) as http:
        _step(http, api_key, dispute_id, "payee", wait=wait, what="the payee", body={"payee": address})


@app.command("withdraw")
def withdraw(gateway: GatewayOpt = DEFAULT_GATEWAY, api_key: KeyOpt = "", wait: WaitOpt = True) -> None:
    """Withdraw everything the caller is owed as a payee of instalments.

    Each run is a new request (a fresh Idempotency-Key): two withdrawals of the same amount (equal monthly
    instalments) are two acts, and a key built from the amount would replay the first instead of withdrawing
    again. It cannot act twice: the contract refuses a withdrawal when nothing is owed."""
    import uuid

    with connect(gateway, api_key) as http:
        before = _call(http, "GET", "/disputes/owed")
        fen = int(before.get("owed_fen") or 0)
        if fen == 0:
            fail("nothing is owed to you; payments appear here once instalments are paid (`recourse disputes owed`)")
        key = _key("withdraw", api_key, fen, before.get("address"), uuid.uuid4().hex)
        op = _write(http, "/disputes/owed/withdrawals", key, wait=wait, what="the withdrawal")
    if op["status"] == "succeeded":
        console.print(f"withdrew {yuan(fen)}", soft_wrap=True)
