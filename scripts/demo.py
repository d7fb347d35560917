"""The end-to-end demo scenario (``recourse demo`` / ``make demo``).

1. start the embedded chain (or reuse it), compile, deploy fresh contract instances;
2. k-of-n governors admit eleven member institutions (one refused early execution shown);
3. the settlement bank issues rCNY and members pay each other;
4. a non-member's transfer, a suspended member's transfer and a transfer while paused are refused,
   each with a clear message;
5. print a summary; start the gateway and use it: payments as operations (idempotency, 409, 403),
   evidence anchoring and court verification (``demo_evidence``), case delegation with a claim race,
   conduct rules and fee payment (``demo_cases``), three oracle operator processes pushing a k-of-n
   signed valuation (``demo_oracles``), a loan's early warnings and default probability and a guarantee
   network's circles and contagion (``demo_analytics``), a judicial auction of the valued flat with a
   bidding war, a default, a relisting and the court's confirmation (``demo_auctions``), an office-tower NPL
   tokenised into shares: offering, DvP trade, a KYC refusal, an auction's proceeds collected and claimed pro
   rata, a court's freeze and forced transfer (``demo_fractions``);
6. keep the network serving until Ctrl-C (unless ``serve=False``).
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from chain import ContractReverted
from chain.contracts.consortium import ProposalId, Role
from chain.contracts.settlement_token import format_fen
from chain.deploy import deploy
from scripts.context import Context
from scripts.demo_common import step as _step
from scripts.messages import explain
from scripts.settings import RecourseSettings

__all__ = ["DemoMember", "run_demo"]


@dataclass(frozen=True)
class DemoMember:
    identity: str
    legal_name: str
    roles: tuple[Role, ...]
    region: int
    licence_years: int
    kyc_tier: int


MEMBERS = (
    DemoMember("bank", "Huaxia Commercial Bank (demo)", (Role.BANK, Role.SETTLEMENT_BANK), 310000, 0, 3),
    DemoMember("collector", "Eastern Collections Co. (demo)", (Role.COLLECTOR,), 310000, 1, 2),
    DemoMember("mediator", "Pudong Mediation Centre (demo)", (Role.MEDIATOR,), 310000, 2, 2),
    DemoMember("court", "Shanghai Financial Court (demo)", (Role.COURT,), 310000, 0, 3),
    DemoMember("court-2", "Shanghai High People's Court (demo, appeals)", (Role.COURT,), 310000, 0, 3),
    DemoMember("investor", "Yangtze Distressed Fund (demo)", (Role.INVESTOR,), 320000, 0, 2),
    DemoMember("investor-2", "Pearl River Special Situations (demo)", (Role.INVESTOR,), 440000, 0, 2),
    DemoMember("investor-3", "Bohai Asset Partners (demo)", (Role.INVESTOR,), 120000, 0, 2),
    DemoMember("investor-4", "Xiamen Retail Bidder (demo, KYC tier 1)", (Role.INVESTOR,), 350000, 0, 1),
    DemoMember("auditor", "Lujiazui Audit LLP (demo)", (Role.AUDITOR,), 310000, 0, 3),
    DemoMember("collector-2", "Bund Recovery Partners (demo)", (Role.COLLECTOR,), 310000, 1, 2),
    DemoMember("oracle", "Valuation Oracle Operator 1 (demo)", (Role.ORACLE,), 110000, 1, 2),
    DemoMember("oracle-2", "Valuation Oracle Operator 2 (demo)", (Role.ORACLE,), 310000, 1, 2),
    DemoMember("oracle-3", "Valuation Oracle Operator 3 (demo)", (Role.ORACLE,), 440000, 1, 2),
    DemoMember("regulator", "Banking Regulator, Shanghai Office (demo)", (Role.REGULATOR,), 310000, 0, 3),
)


def _expect_refusal(action: Callable[[], object]) -> ContractReverted:
    try:
        action()
    except ContractReverted as exc:
        return exc
    raise AssertionError("the chain accepted an action that must be refused")


def run_demo(settings: RecourseSettings, *, console: Console, serve: bool) -> None:
    from node_api.settings import GatewaySettings
    from scripts.demo_analytics import analytics_demo_steps
    from scripts.demo_auctions import AUCTION_BIDDERS, auctions_demo_steps
    from scripts.demo_audit import audit_demo_steps
    from scripts.demo_cases import cases_demo_steps
    from scripts.demo_disputes import disputes_demo_steps
    from scripts.demo_evidence import evidence_demo_steps
    from scripts.demo_fractions import fractions_demo_steps
    from scripts.demo_gateway import demo_gateway_steps, running_gateway
    from scripts.demo_oracles import oracle_demo_steps

    ctx = Context(settings)
    node = ctx.node
    started_here = not node.status().running
    try:
        _scenario(ctx, console)
        gateway_settings = GatewaySettings()
        extra = [n for n in AUCTION_BIDDERS if n not in gateway_settings.institutions]
        if extra:  # the auction step's other bidders sign through the demo gateway as well
            hosted = [*gateway_settings.institutions, *extra]
            gateway_settings = gateway_settings.model_copy(update={"institutions": hosted})
        # the scenario deployed fresh contracts: start the demo gateway with a fresh index and outbox
        for suffix in ("", "-wal", "-shm"):
            (gateway_settings.data_dir / f"gateway.sqlite{suffix}").unlink(missing_ok=True)
        ctx.close()  # hand the institutions' keys over to the gateway (one writer per key)
        with running_gateway(gateway_settings) as gw:
            token = demo_gateway_steps(gw, console, to=ctx.address("investor"))
            evidence_demo_steps(gw, console)
            cases_demo_steps(gw, console)
            oracle_demo_steps(gw, console)
            analytics_demo_steps(gw, console)
            auctions_demo_steps(gw, console)
            fractions_demo_steps(gw, console)
            disputes_demo_steps(gw, console)
            audit_demo_steps(gw, console, names=ctx.identity_names())
            if serve:
                _serve(ctx, console, gateway_url=gw.url, token=token)
    finally:
        ctx.close()
        if started_here and not serve:
            node.down()
        elif started_here:
            node.down()
            console.print("chain stopped; its state is saved in " + str(node.state_file))


def _scenario(ctx: Context, console: Console) -> None:
    t0 = time.perf_counter()
    chain_settings = ctx.settings.chain
    with console.status("starting the embedded chain…"):
        st = ctx.node.up()
    _step(console, f"chain: anvil at {st.url}, chain id {st.chain_id}, block {st.block_number}")

    with console.status("compiling contracts (solc-js via py-solc-x)…"):
        c0 = time.perf_counter()
        compiled = ctx.compile()
        took = time.perf_counter() - c0
    _step(
        console,
        f"compiled {sum(a.deployable for a in compiled.artifacts.values())} deployable contracts with solc "
        f"{compiled.compiler_version} ({'cache hit' if compiled.cached else 'cold'}, {took:.2f}s)",
    )

    gov = ctx.governance()
    with console.status("deploying fresh contract instances…"):
        deployments, _ = deploy(
            ctx.client,
            ctx.sender("deployer"),
            compiled,
            network=chain_settings.network,
            path=ctx.deployments_file,
            governance=gov,
            fresh=True,
        )
    for c in deployments.contracts.values():
        _step(console, f"deployed {c.name} at {c.address} (block {c.block})")
    _step(console, f"governors: {', '.join(gov.governors)}; {gov.threshold} of {len(gov.governors)} must approve")

    r = ctx.recourse
    consortium, token = r.consortium, r.token
    g1, g2, g3 = (ctx.sender(f"governor-{i}") for i in (1, 2, 3))
    now = ctx.client.block_timestamp()

    # --- admission by k-of-n governors ---
    proposals: list[tuple[DemoMember, ProposalId]] = []
    for m in MEMBERS:
        expiry = 0 if m.licence_years == 0 else now + m.licence_years * 365 * 24 * 3600
        pid = consortium.propose_admission(
            g1,
            ctx.address(m.identity),
            name=m.legal_name,
            roles=m.roles,
            region=m.region,
            licence_expiry=expiry,
            kyc_tier=m.kyc_tier,
        )
        proposals.append((m, pid))
    first = proposals[0][1]
    refused = _expect_refusal(lambda: consortium.execute(g1, first))
    _step(console, f"governor-1 executes proposal {first} with one approval → {explain(refused)}")
    for m, pid in proposals:
        consortium.approve(g2, pid)
        consortium.execute(g3, pid)
        _step(console, f"admitted {m.identity:<10} {'+'.join(x.value for x in m.roles):<22} (proposal {pid}, 2 of 3)")
    twice = _expect_refusal(lambda: consortium.approve(g2, proposals[-1][1]))
    _step(console, f"governor-2 approves an executed proposal again → {explain(twice)}")

    # --- settlement cash ---
    bank = ctx.sender("bank")
    addr = {m.identity: ctx.address(m.identity) for m in MEMBERS}
    token.mint(bank, addr["bank"], 10_000_000_00, reference="demo: central bank transfer #0001")
    _step(console, f"settlement bank issues {format_fen(10_000_000_00)} rCNY against an off-chain deposit")
    payments = (
        ("bank", "investor", 2_500_000_00),
        *(("bank", name, 1_000_000_00) for name in ("investor-2", "investor-3", "investor-4")),
        ("bank", "collector", 50_000_00),
        ("investor", "court", 12_345_67),
    )
    for src, dst, fen in payments:
        token.transfer(ctx.sender(src), addr[dst], fen)
        _step(console, f"{src} pays {dst} {format_fen(fen)}")

    # --- refusals ---
    outsider = ctx.sender("outsider")
    refusal = _expect_refusal(lambda: token.transfer(outsider, addr["bank"], 100))
    _step(console, f"outsider (not a member) tries to pay the bank ¥1.00 → {explain(refusal)}")
    refusal = _expect_refusal(lambda: token.transfer(bank, outsider.address, 100))
    _step(console, f"bank tries to pay the outsider ¥1.00 → {explain(refusal)}")

    pid = consortium.propose_suspension(g1, addr["collector"], reason="demo: licence under review", suspend=True)
    consortium.approve(g2, pid)
    consortium.execute(g2, pid)
    refusal = _expect_refusal(lambda: token.transfer(ctx.sender("collector"), addr["bank"], 100))
    _step(console, f"governors suspend the collector; it tries to pay ¥1.00 → {explain(refusal)}")
    pid = consortium.propose_suspension(g1, addr["collector"], reason="demo: review passed", suspend=False)
    consortium.approve(g3, pid)
    consortium.execute(g3, pid)
    token.transfer(ctx.sender("collector"), addr["bank"], 100)
    _step(console, "governors reinstate the collector; its ¥1.00 payment goes through")

    regulator = ctx.sender("regulator")
    token.pause(regulator)
    refusal = _expect_refusal(lambda: token.transfer(bank, addr["investor"], 100))
    _step(console, f"regulator pauses rCNY; bank tries to pay ¥1.00 → {explain(refusal)}")
    token.unpause(regulator)
    _step(console, "regulator unpauses rCNY")

    # --- summary ---
    table = Table(title="Recourse consortium after the demo")
    for col in ("identity", "address", "roles", "licence until", "KYC", "status", "rCNY"):
        table.add_column(col, justify="right" if col == "rCNY" else "left")
    names = {v: k for k, v in addr.items()}
    for member in consortium.members():
        status = "suspended" if member.suspended else ("active" if member.active else "licence expired")
        until = (
            "—"
            if member.licence_expiry == 0
            else dt.datetime.fromtimestamp(member.licence_expiry, tz=dt.UTC).strftime("%Y-%m-%d")
        )
        table.add_row(
            names.get(member.address, "?"),
            member.address,
            ", ".join(sorted(x.value for x in member.roles)),
            until,
            str(member.kyc_tier),
            status,
            format_fen(token.balance_of(member.address)),
        )
    console.print(table)
    console.print(
        f"total supply {format_fen(token.total_supply())}; block {ctx.client.block_number()}; "
        f"deployments in {ctx.deployments_file}; scenario took {time.perf_counter() - t0:.1f}s"
    )


def _serve(ctx: Context, console: Console, *, gateway_url: str, token: str) -> None:
    st = ctx.node.status()
    console.print(
        f"\n[bold green]Recourse network serving[/]: chain at {st.url} (chain id {st.chain_id}), "
        f"gateway at {gateway_url} (docs {gateway_url}/docs).\n"
        f"Bank API key: {token}\n"
        f"Try: curl -H 'Authorization: Bearer {token}' {gateway_url}/me\n"
        "or `recourse members list` / `recourse tokens balance` in another terminal. Ctrl-C to stop."
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            if not ctx.node.status().running:
                console.print("the chain stopped (see its log); exiting")
                return
            stop.wait(2.0)
    except KeyboardInterrupt:
        console.print("\nstopping…")
    finally:
        signal.signal(signal.SIGTERM, previous)
