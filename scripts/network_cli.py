"""``recourse network …``: the network's gateways and the production network's set-up files.

``recourse network up|down|status`` runs the embedded network as separate gateway processes, one per
institution, each with its own database and port, on the configured chain
(:mod:`scripts.gateway_network`).

``recourse network genesis --members members.yaml --out DIR`` writes what every founding member's Besu node
needs to start the QBFT chain: ``genesis.json`` (the validators, one per founding member, in ``extraData``),
``static-nodes.json`` (every validator's enode) and ``permissions_config.toml`` (only the founding members'
nodes may peer, only their accounts may send transactions). The members file names, per founding member,
the public key of its validator node (``besu public-key export``), the host and port its peers dial, and its
institution's accounts::

    chain_id: 2026
    block_period_s: 2
    members:
      - name: bank-a
        node_public_key: "0x…128 hex digits…"
        host: besu.bank-a.example
        p2p_port: 30303
        accounts: ["0x…"]

With ``--governors`` (default: the deployment's ``RECOURSE_GOVERNANCE__GOVERNORS`` when they are addresses)
every founding governor must be the account of exactly one member: the validators are the governors'
institutions, nobody else. Bad input: one line on stderr, exit code 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from scripts.gateway_http import fail, one_line_errors

__all__ = ["network_app"]

network_app = typer.Typer(
    cls=one_line_errors("network"),
    help="Gateways as separate processes (up, down, status); the production network's genesis.",
    no_args_is_help=True,
)

_PARAMS = ("chain_id", "block_period_s", "request_timeout_s", "epoch_length", "gas_limit", "contract_size_limit")


def _load(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        fail(f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("members"), list):
        fail(f"{path} must be a mapping with a `members` list (see `recourse network genesis --help`)")
    return data


def _members(data: dict[str, Any], path: Path) -> list[Any]:
    from chain.genesis import FoundingMember

    out = []
    for i, m in enumerate(data["members"], start=1):
        if not isinstance(m, dict):
            fail(f"{path}: member {i} must be a mapping with name, node_public_key and host")
        missing = [k for k in ("name", "node_public_key", "host") if not m.get(k)]
        if missing:
            fail(f"{path}: member {i} ({m.get('name', '?')}) lacks {', '.join(missing)}")
        unknown = set(m) - {"name", "node_public_key", "host", "p2p_port", "accounts"}
        if unknown:
            fail(f"{path}: member {m['name']} has unknown field(s) {', '.join(sorted(unknown))}")
        accounts = m.get("accounts") or []
        if not isinstance(accounts, list):
            fail(f"{path}: member {m['name']}: accounts must be a list of addresses")
        try:
            port = int(m.get("p2p_port", 30303))
        except (TypeError, ValueError):
            fail(f"{path}: member {m['name']}: p2p_port must be a number")
        out.append(FoundingMember(str(m["name"]), str(m["node_public_key"]), str(m["host"]), port, tuple(accounts)))
    return out


def _governors(explicit: str | None) -> list[str]:
    if explicit is not None:
        return [g.strip() for g in explicit.split(",") if g.strip()]
    from scripts.settings import get_settings

    configured = get_settings().governance.governors
    # the development defaults are identity names, not a production consortium's addresses
    return [g for g in configured if g.startswith("0x")]


@network_app.command("genesis")
def genesis_cmd(
    members: Annotated[Path, typer.Option("--members", help="YAML or JSON file of the founding members")],
    out: Annotated[Path, typer.Option("--out", help="directory to write genesis.json and the permissioning")],
    governors: Annotated[
        str | None,
        typer.Option("--governors", help="comma-separated governor addresses each member's accounts must cover"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite files already in --out")] = False,
) -> None:
    """Write genesis.json, static-nodes.json and permissions_config.toml for the founding members."""
    from chain.genesis import GenesisError, QbftParams, genesis, permissions_toml, static_nodes

    data = _load(members)
    unknown = set(data) - {"members", *_PARAMS}
    if unknown:
        fail(f"{members}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(_PARAMS)}, members")
    founding = _members(data, members)
    try:
        given: dict[str, Any] = {k: int(data[k]) for k in _PARAMS if k in data}
        params = QbftParams(**given)
    except (TypeError, ValueError) as exc:
        fail(f"{members}: {exc}")
    try:
        doc = genesis(founding, params)
        nodes = static_nodes(founding)
        toml = permissions_toml(founding)
    except GenesisError as exc:
        fail(f"{members}: {exc}")
    wanted = {g.lower() for g in _governors(governors)}
    if wanted:
        holders = {a.lower(): m.name for m in founding for a in m.accounts}
        absent = sorted(g for g in wanted if g not in holders)
        if absent:
            fail(f"governor(s) {', '.join(absent)} are no founding member's account: add them to `accounts`")
    files = {
        "genesis.json": json.dumps(doc, indent=2) + "\n",
        "static-nodes.json": json.dumps(nodes, indent=2) + "\n",
        "permissions_config.toml": toml,
    }
    existing = [n for n in files if (out / n).exists()]
    if existing and not force:
        fail(f"{out} already has {', '.join(existing)}: pass --force to overwrite")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    typer.echo(
        f"wrote {', '.join(files)} to {out}: chain id {params.chain_id}, {len(founding)} validators "
        f"({', '.join(m.name for m in founding)}), a block every {params.block_period_s} s"
    )


def _network() -> Any:
    from scripts.gateway_network import GatewayNetwork
    from scripts.settings import get_settings

    return GatewayNetwork(get_settings())


@network_app.command("up")
def up_cmd(timeout: Annotated[float, typer.Option(help="seconds to wait for every gateway")] = 90.0) -> None:
    """Start one gateway process per institution (RECOURSE_NETWORK__GATEWAYS) on the configured chain."""
    from scripts.gateway_network import NetworkError

    try:
        members = _network().up(timeout=timeout)
    except NetworkError as exc:
        fail(str(exc))
    for m in members:
        typer.echo(f"{m.name}: {m.url} pid {m.pid} data {m.data_dir}")
    typer.echo("API keys: RECOURSE_DATA_DIR=<data> RECOURSE_INSTITUTIONS='[\"<name>\"]' recourse apikeys create <name>")


@network_app.command("down")
def down_cmd() -> None:
    """Stop the gateways `recourse network up` started (never any other process)."""
    stopped = _network().down()
    typer.echo(f"stopped {', '.join(stopped)}" if stopped else "no gateway of the network was running")


@network_app.command("status")
def status_cmd() -> None:
    """Each gateway's URL, PID and whether it answers; exit code 3 when any is not running."""
    members = _network().status()
    for m in members:
        state = "running" if m.running else ("starting or unhealthy" if m.pid is not None else "stopped")
        typer.echo(f"{m.name}: {state} {m.url} pid {m.pid or '-'} data {m.data_dir}")
    if not all(m.running for m in members):
        raise typer.Exit(3)


@network_app.command("register-gateway")
def register_gateway_cmd(
    institution: Annotated[str, typer.Argument(help="the member institution (identity name or 0x address)")],
    url: Annotated[str, typer.Option("--url", help="its gateway's base URL, as other gateways reach it")],
    as_: Annotated[str, typer.Option("--as", help="the governor who proposes")],
    data_dir: Annotated[
        Path | None,
        typer.Option(help="the gateway's data directory (default: the local network's, <data dir>/network/<name>)"),
    ] = None,
) -> None:
    """Propose registering a gateway in the on-chain directory: its URL and its transport public key (the
    private key is created in the gateway's data directory if it has none). Governors then approve and execute
    it with `recourse members approve|execute`."""
    from node_api.exchange.keys import TransportKeyStore
    from scripts.context import Context
    from scripts.settings import get_settings

    settings = get_settings()
    if not url.startswith(("http://", "https://")) or len(url) > 256:
        fail(f"--url {url!r} must be an http(s) URL of at most 256 bytes")
    ctx = Context(settings)
    try:
        member = ctx.address(institution)
        directory = data_dir or settings.data_dir / "network" / institution
        key = TransportKeyStore(directory).current()
        gateways = ctx.recourse.gateways
        pid = ctx.recourse.consortium.propose_call(
            ctx.sender(as_), gateways.address, gateways.set_gateway_call(member, url, key.public)
        )
    finally:
        ctx.close()
    typer.echo(
        f"proposal {pid}: register {institution} ({member}) at {url} with transport key 0x{key.public.hex()} "
        f"(private key in {directory / 'exchange'}); approve and execute with `recourse members approve|execute`"
    )
