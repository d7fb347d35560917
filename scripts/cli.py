"""``recourse``: the command line of a Recourse member (chain, deploy, members, tokens, demo).

Every failure is one line on stderr saying what went wrong and what to do, and exit code 1.

Start-up is kept short (``recourse --help`` in well under half a second): this module and the sub-apps
import only typer and rich at the top; the chain client (web3, eth-account), the gateway (FastAPI,
SQLModel) and the models (pandas, scikit-learn, LightGBM) are imported inside the commands that use
them. ``tests/e2e/test_cli_startup.py`` checks that ``--help`` loads none of them.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from scripts.auctions_cli import app as auctions_cli_app
from scripts.audit_cli import app as audit_cli_app
from scripts.cases_cli import app as cases_cli_app
from scripts.disputes_cli import app as disputes_cli_app
from scripts.evidence_cli import app as evidence_cli_app
from scripts.fractions_cli import app as fractions_cli_app
from scripts.gateway_cli import apikeys_app, keys_app, serve
from scripts.models_cli import models_app
from scripts.network_cli import network_app
from scripts.oracles_cli import oracles_app
from scripts.package_cli import register as register_package_commands

if TYPE_CHECKING:
    from scripts.context import Context

__all__ = ["app", "main"]

console = Console(highlight=False)
if not console.is_terminal:  # pipes and CI logs: do not wrap at 80 columns
    console = Console(highlight=False, width=140)
err_console = Console(stderr=True, highlight=False, width=200)

app = typer.Typer(
    name="recourse",
    help="Recourse: a permissioned EVM network for disposing of non-performing loans.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
chain_app = typer.Typer(help="The embedded development chain (anvil).", no_args_is_help=True)
members_app = typer.Typer(help="Consortium members and k-of-n governance proposals.", no_args_is_help=True)
tokens_app = typer.Typer(help="The settlement token (rCNY, amounts in yuan or fen).", no_args_is_help=True)
app.add_typer(chain_app, name="chain")
app.add_typer(members_app, name="members")
app.add_typer(tokens_app, name="tokens")
app.add_typer(apikeys_app, name="apikeys")
app.add_typer(keys_app, name="keys")
register_package_commands(models_app)  # `recourse models train-recovery` and `price-package`
app.add_typer(models_app, name="models")
app.add_typer(oracles_app, name="oracles")
app.command("serve")(serve)
app.add_typer(cases_cli_app, name="cases")
app.add_typer(auctions_cli_app, name="auctions")
app.add_typer(fractions_cli_app, name="fractions")
app.add_typer(disputes_cli_app, name="disputes")
app.add_typer(evidence_cli_app)  # `recourse evidence …` and `recourse verify-receipt`
app.add_typer(audit_cli_app, name="audit")
app.add_typer(network_app, name="network")

T = TypeVar("T")
AsOption = Annotated[str, typer.Option("--as", help="Identity that signs (dev identity or keystore name).")]


def _ctx() -> Context:
    from scripts.context import Context
    from scripts.settings import RecourseSettings

    return Context(RecourseSettings())


def _with_ctx(fn: Callable[[Context], T]) -> T:
    ctx = _ctx()
    try:
        return fn(ctx)
    finally:
        ctx.close()


# --- chain ---


@chain_app.command("up")
def chain_up() -> None:
    """Start anvil on 127.0.0.1 (reuses the one already started); state persists under the data dir."""
    ctx = _ctx()
    st = ctx.node.up()
    console.print(f"chain up: {st.url} chain id {st.chain_id}, block {st.block_number}, pid {st.pid}")
    console.print(f"state file: {st.state_file}")


@chain_app.command("down")
def chain_down() -> None:
    """Stop the anvil this project started (its state is saved)."""
    stopped = _ctx().node.down()
    console.print("chain stopped" if stopped else "chain was not running (nothing to stop)")


@chain_app.command("status")
def chain_status() -> None:
    """Show whether the embedded chain is running."""
    st = _ctx().node.status()
    if st.running:
        console.print(f"running: {st.url} chain id {st.chain_id}, block {st.block_number}, pid {st.pid}")
    else:
        console.print(f"stopped (state file {st.state_file})")
        raise typer.Exit(3)


# --- compile / deploy ---


@app.command("compile")
def compile_cmd(no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore cached artifacts.")] = False) -> None:
    """Compile every contract (one standard-JSON input, cached by source hash)."""
    from chain.compiler import compile_project

    start = time.perf_counter()
    with console.status("compiling contracts…"):
        result = compile_project(use_cache=not no_cache)
    took = time.perf_counter() - start
    deployable = sorted(a.name for a in result.artifacts.values() if a.deployable)
    console.print(
        f"compiled {len(result.artifacts)} contracts with solc {result.compiler_version} "
        f"({'cached' if result.cached else 'fresh'}, {took:.2f}s): {', '.join(deployable)}"
    )
    for w in result.warnings:
        err_console.print(f"warning: {w}")


@app.command("deploy")
def deploy_cmd(
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Deploy new instances even if the current ones match.")
    ] = False,
    as_: AsOption = "deployer",
) -> None:
    """Deploy every Recourse contract and write deployments/<network>.json (no-op when up to date)."""
    from chain.deploy import deploy as deploy_contracts

    def run(ctx: Context) -> None:
        before = ctx.deployments_file.read_bytes() if ctx.deployments_file.is_file() else None
        with console.status("compiling…"):
            compiled = ctx.compile()
        with console.status("deploying…") as status:
            result, changed = deploy_contracts(
                ctx.client,
                ctx.sender(as_),
                compiled,
                network=ctx.settings.chain.network,
                path=ctx.deployments_file,
                governance=ctx.governance(),
                fresh=fresh,
                progress=lambda name: status.update(f"deployed {name}…"),
            )
        if changed:
            verb = "deployed"
        elif before is not None and ctx.deployments_file.read_bytes() != before:
            verb = "up to date; the file now records the contracts' ABIs (no transaction)"
        else:
            verb = "up to date (no-op)"
        console.print(f"{verb}: {ctx.deployments_file}")
        for c in result.contracts.values():
            console.print(f"  {c.name:<16} {c.address}  block {c.block}")

    _with_ctx(run)


# --- members ---


def _fmt_time(ts: int) -> str:
    return "—" if ts == 0 else dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d")


@members_app.command("list")
def members_list() -> None:
    """List member institutions (with their identity names), roles and status (from the chain)."""
    from rich.table import Table

    def run(ctx: Context) -> None:
        r = ctx.recourse
        names = ctx.identity_names()
        table = Table(title=f"Consortium members ({ctx.settings.chain.network})")
        for col in ("identity", "address", "roles", "region", "licence until", "KYC", "status"):
            table.add_column(col)
        for m in r.consortium.members():
            status = "suspended" if m.suspended else ("active" if m.active else "licence expired")
            roles = ", ".join(sorted(x.value for x in m.roles))
            table.add_row(
                names.get(m.address, "—"),
                m.address,
                roles,
                str(m.region),
                _fmt_time(m.licence_expiry),
                str(m.kyc_tier),
                status,
            )
        console.print(table)
        console.print(f"governors: {', '.join(r.consortium.governors())} (threshold {r.consortium.threshold()})")

    _with_ctx(run)


def _parse_expiry(text: str | None) -> int:
    if text is None or text.lower() in ("", "none", "0"):
        return 0
    if text.isdigit():
        return int(text)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"invalid licence expiry {text!r}: use YYYY-MM-DD, a unix time, or 'none'") from exc
    return int(dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC).timestamp())


#: ``members propose`` kinds: ``ProposalKind`` member names in CLI spelling, those this command builds the
#: arguments of (listed here, not derived from the enum, so that ``--help`` needs no chain import; a test
#: checks each is a ``ProposalKind``)
KIND_NAMES = (
    "admit",
    "grant-role",
    "revoke-role",
    "suspend",
    "reinstate",
    "update-profile",
    "add-governor",
    "remove-governor",
    "set-threshold",
    "set-system-contract",
)


@members_app.command("propose")
def members_propose(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KIND_NAMES)}.")],
    target: Annotated[str, typer.Argument(help="Member, governor or contract: identity name or 0x address.")],
    as_: AsOption,
    name: Annotated[
        str | None, typer.Option(help="Institution's legal name (admit; only its digest goes on chain).")
    ] = None,
    role: Annotated[list[str] | None, typer.Option(help="Role (repeatable for admit).")] = None,
    region: Annotated[int, typer.Option(help="Region code (admit, update-profile).")] = 0,
    licence_expiry: Annotated[str | None, typer.Option(help="YYYY-MM-DD, unix time, or none.")] = None,
    kyc_tier: Annotated[int, typer.Option(help="KYC tier 0-255.")] = 0,
    reason: Annotated[str, typer.Option(help="Reason (suspend, reinstate); only its digest goes on chain.")] = "",
    threshold: Annotated[int, typer.Option(help="New threshold (set-threshold).")] = 0,
    enable: Annotated[bool, typer.Option("--enable/--disable", help="set-system-contract flag.")] = True,
) -> None:
    """Propose a membership or governance change (the proposer's approval is counted)."""
    from chain.contracts.consortium import ProposalKind, Role

    if kind.lower() not in KIND_NAMES:
        raise ValueError(f"unknown proposal kind {kind!r}; choose one of {', '.join(KIND_NAMES)}")
    pkind = ProposalKind[kind.lower().replace("-", "_").upper()]

    def run(ctx: Context) -> None:
        c = ctx.recourse.consortium
        sender = ctx.sender(as_)
        addr = ctx.address(target)
        roles = [Role.parse(r) for r in (role or [])]
        if pkind is ProposalKind.ADMIT:
            if not name or not roles:
                raise ValueError("admit needs --name and at least one --role")
            pid = c.propose_admission(
                sender,
                addr,
                name=name,
                roles=roles,
                region=region,
                licence_expiry=_parse_expiry(licence_expiry),
                kyc_tier=kyc_tier,
            )
        elif pkind in (ProposalKind.GRANT_ROLE, ProposalKind.REVOKE_ROLE):
            if len(roles) != 1:
                raise ValueError(f"{kind} needs exactly one --role")
            pid = c.propose_role(sender, addr, roles[0], grant=pkind is ProposalKind.GRANT_ROLE)
        elif pkind in (ProposalKind.SUSPEND, ProposalKind.REINSTATE):
            if not reason:
                raise ValueError(f"{kind} needs --reason")
            pid = c.propose_suspension(sender, addr, reason=reason, suspend=pkind is ProposalKind.SUSPEND)
        elif pkind is ProposalKind.UPDATE_PROFILE:
            pid = c.propose_profile(
                sender, addr, region=region, licence_expiry=_parse_expiry(licence_expiry), kyc_tier=kyc_tier
            )
        elif pkind in (ProposalKind.ADD_GOVERNOR, ProposalKind.REMOVE_GOVERNOR):
            pid = c.propose_governor(sender, addr, add=pkind is ProposalKind.ADD_GOVERNOR)
        elif pkind is ProposalKind.SET_THRESHOLD:
            if threshold < 1:
                raise ValueError("set-threshold needs --threshold N (N >= 1)")
            pid = c.propose_threshold(sender, threshold)
        elif pkind is ProposalKind.SET_SYSTEM_CONTRACT:
            pid = c.propose_system_contract(sender, addr, enabled=enable)
        else:  # a kind the contract knows but this command does not build (yet)
            raise ValueError(f"{kind} proposals cannot be made with `recourse members propose`")
        p = c.proposal(pid)
        console.print(
            f"proposal {pid} ({kind} {addr}) created: {p.approvals} of {c.threshold()} approvals, "
            f"open until {dt.datetime.fromtimestamp(p.deadline, tz=dt.UTC):%Y-%m-%d %H:%M} UTC"
        )

    _with_ctx(run)


@members_app.command("approve")
def members_approve(proposal_id: int, as_: AsOption) -> None:
    """Approve a proposal (once per governor)."""

    def run(ctx: Context) -> None:
        c = ctx.recourse.consortium
        c.approve(ctx.sender(as_), proposal_id)
        console.print(f"proposal {proposal_id}: {c.proposal(proposal_id).approvals} of {c.threshold()} approvals")

    _with_ctx(run)


@members_app.command("execute")
def members_execute(proposal_id: int, as_: AsOption) -> None:
    """Execute a proposal that has at least k approvals."""

    def run(ctx: Context) -> None:
        c = ctx.recourse.consortium
        receipt = c.execute(ctx.sender(as_), proposal_id)
        names = [e.name for e in c.events(receipt) if e.name != "ProposalExecuted"]
        console.print(f"proposal {proposal_id} executed in block {receipt.block_number}: {', '.join(names)}")

    _with_ctx(run)


@members_app.command("proposals")
def members_proposals() -> None:
    """List governance proposals."""
    from rich.table import Table

    def run(ctx: Context) -> None:
        c = ctx.recourse.consortium
        now = ctx.client.block_timestamp()
        table = Table(title="Proposals")
        for col in ("id", "kind", "target", "approvals", "state"):
            table.add_column(col)
        k = c.threshold()
        for i in range(1, c.proposal_count() + 1):
            p = c.proposal(i)
            state = "executed" if p.executed else ("expired" if now > p.deadline else "open")
            kind_name = p.kind.name.lower().replace("_", "-")
            table.add_row(str(i), kind_name, p.target, f"{p.approvals}/{k}", state)
        console.print(table)

    _with_ctx(run)


# --- tokens ---


@tokens_app.command("mint")
def tokens_mint(
    to: str,
    amount: Annotated[str, typer.Argument(help="Yuan (1234.56) or fen (123456fen).")],
    as_: AsOption,
    reference: Annotated[str, typer.Option(help="Off-chain payment reference (only its digest goes on chain).")],
) -> None:
    """Issue settlement cash to a member (settlement bank only)."""
    from chain.contracts.settlement_token import format_fen, parse_amount

    def run(ctx: Context) -> None:
        fen = parse_amount(amount)
        addr = ctx.address(to)
        receipt = ctx.recourse.token.mint(ctx.sender(as_), addr, fen, reference=reference)
        console.print(f"minted {format_fen(fen)} to {addr} (block {receipt.block_number})")

    _with_ctx(run)


@tokens_app.command("transfer")
def tokens_transfer(
    to: str, amount: Annotated[str, typer.Argument(help="Yuan (1234.56) or fen (123456fen).")], as_: AsOption
) -> None:
    """Transfer settlement cash to another active member."""
    from chain.contracts.settlement_token import format_fen, parse_amount

    def run(ctx: Context) -> None:
        fen = parse_amount(amount)
        addr = ctx.address(to)
        receipt = ctx.recourse.token.transfer(ctx.sender(as_), addr, fen)
        console.print(f"transferred {format_fen(fen)} to {addr} (block {receipt.block_number})")

    _with_ctx(run)


@tokens_app.command("balance")
def tokens_balance(who: Annotated[list[str] | None, typer.Argument(help="Identities or addresses.")] = None) -> None:
    """Show settlement-token balances with identity names (all members when none is given)."""
    from chain.contracts.settlement_token import format_fen

    def run(ctx: Context) -> None:
        r = ctx.recourse
        addrs = [ctx.address(w) for w in who] if who else [m.address for m in r.consortium.members()]
        names = ctx.identity_names()
        width = max((len(n) for n in names.values()), default=1)
        for a in addrs:
            bal = r.token.balance_of(a)
            console.print(f"{names.get(a, '—'):<{width}}  {a}  {format_fen(bal):>20}  ({bal} fen)")
        console.print(f"total supply {format_fen(r.token.total_supply())}")

    _with_ctx(run)


# --- demo ---


@app.command("demo")
def demo_cmd(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Keep the network serving until Ctrl-C.")] = True,
) -> None:
    """Run the end-to-end scenario on the embedded chain, then keep serving (unless --no-serve)."""
    from scripts.demo import run_demo
    from scripts.settings import RecourseSettings

    run_demo(RecourseSettings(), console=console, serve=serve)


def main() -> None:
    """Console-script entry point: run the app, turn every failure into one line."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        app()
    except Exception as exc:
        # imported only now: pydantic and the chain package cost start-up time every command would pay
        from pydantic import ValidationError

        from chain import ChainError
        from scripts.errors import error_line

        if not isinstance(exc, ChainError | ValueError | ValidationError | OSError | RecursionError):
            raise
        err_console.print(f"error: {error_line(exc)}", markup=False, soft_wrap=True)  # one line, however long
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
