"""A real-server harness: a private anvil with a fresh deployment and members admitted (a :class:`World`,
for a ``with`` block: :func:`running_world`), a real gateway served by uvicorn in a thread (:func:`serve`;
SSE needs a real server) with fast stream settings, one institution's calls to it (:class:`Client`), an SSE
reader (the CLI's own parser, :func:`scripts.gateway_http.sse_messages`), and a local webhook receiver (the
``receiver`` fixture).

Used by ``tests/indexer`` (the indexer, event streams), ``tests/auctions`` and ``tests/fractions`` (through a
gateway) and ``tests/e2e`` (the auctions and fractions CLIs against a gateway). A package that needs the
``receiver`` fixture re-exports it from its ``conftest.py``:
``from tests.support.live_gateway import receiver  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlmodel import Session

from chain.client import ChainClient, Receipt, Sender, TxRequest
from chain.compiler import CompileResult
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Role
from chain.deploy import GovernanceConfig, deploy
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.app import create_app, default_hooks
from node_api.services.apikeys import create_api_key
from node_api.settings import ApiSettings, DbSettings, GatewaySettings, IndexerSettings
from node_api.state import GatewayState
from node_api.streams import StreamSettings, start_stream_services
from scripts.gateway_http import sse_messages
from tests.conftest import account, admit, free_port

__all__ = [
    "FAST",
    "INSTITUTIONS",
    "MEMBERS",
    "PEPPER",
    "Client",
    "Gateway",
    "Received",
    "Receiver",
    "World",
    "anchored_root",
    "close_world",
    "confirming_settings",
    "event_json",
    "gateway_settings",
    "make_world",
    "read_sse",
    "receiver",
    "running_world",
    "serve",
    "sse_messages",
    "wait_until",
]

PEPPER = "api-test-pepper"
#: admitted in every world; "court" stays a non-member (for the role-denied test)
MEMBERS: dict[str, tuple[Role, ...]] = {
    "bank": (Role.BANK, Role.SETTLEMENT_BANK),
    "collector": (Role.COLLECTOR,),
    "investor": (Role.INVESTOR,),
}
INSTITUTIONS = [*MEMBERS, "court"]
FAST = StreamSettings(
    sse_poll=0.02, sse_refresh=0.5, sse_ping=0.5, webhook_retry_base=0.05, webhook_retry_cap=0.4, webhook_poll=0.05
)


def wait_until(predicate: Callable[[], object], *, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``predicate`` until it is true; an ``AssertionError`` naming ``what`` after ``timeout`` seconds
    (unlike :func:`tests.support.waiting.wait_until`, which returns whether it became true)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


# --- a private chain ---


@dataclass
class World:
    """A private chain with a fresh deployment and the members admitted (2 of 3 governors)."""

    node: AnvilNode
    client: ChainClient
    recourse: Recourse
    deployments_file: Path

    def sender(self, name: str) -> Sender:
        return self.client.sender(account(name))

    def address(self, name: str) -> str:
        return str(account(name).address)

    def governed(self, propose: Callable[[Sender], int]) -> Receipt:
        """Run a proposal through 2-of-3 governance: governor-1 proposes, governor-2 approves and executes."""
        c = self.recourse.consortium
        pid = propose(self.sender("governor-1"))
        c.approve(self.sender("governor-2"), pid)
        return c.execute(self.sender("governor-2"), pid)

    def admit(self, name: str, *roles: Role, kyc_tier: int = 0, region: int = 310000) -> None:
        """Admit ``name`` with ``roles`` (2 of 3 governors), as :func:`tests.conftest.admit` does."""
        admit(self.recourse, self.client, name, roles, kyc_tier=kyc_tier, region=region)

    def allow_system_contract(self, address: str) -> Receipt:
        """Governance lets the contract at ``address`` hold rCNY (a system contract)."""
        return self.governed(lambda g: self.recourse.consortium.propose_system_contract(g, address, enabled=True))

    def fund(self, names: Iterable[str], fen: int, *, by: str = "bank") -> None:
        """``by`` mints ``fen`` to each of ``names`` (reference ``"<name> funding"``)."""
        for name in names:
            self.recourse.token.mint(self.sender(by), self.address(name), fen, reference=f"{name} funding")

    def transfer(self, frm: str, to: str, amount: int) -> Receipt:
        return self.recourse.token.transfer(self.sender(frm), self.address(to), amount)

    def raw_logs(self) -> list[dict[str, Any]]:
        addresses = [c.address for c in self.recourse.deployments.contracts.values()]
        return self.client.get_logs(
            address=addresses, from_block=self.recourse.deployments.start_block, to_block=self.client.block_number()
        )

    def signed(self, frm: str, req: TxRequest, *, nonce: int) -> str:
        """A raw signed transaction (for ``anvil_reorg``), with an explicit nonce."""
        _, raw = self.client.sign(account(frm), req, nonce=nonce, gas=200_000, fees=self.client.fee_fields())
        return raw


def make_world(data_dir: Path, compiled: CompileResult) -> World:
    """Start an anvil under ``data_dir``, deploy, admit :data:`MEMBERS` (KYC tier 2) and fund the bank;
    :func:`close_world` stops it."""
    node = AnvilNode(data_dir=data_dir / "node", port=free_port(), chain_id=DEV_CHAIN_ID)
    node.up()
    settings = ChainSettings(rpc_url=node.url, port=node.port, chain_id=DEV_CHAIN_ID)
    client = ChainClient(settings, data_dir=data_dir / "setup")
    gov = GovernanceConfig(tuple(account(f"governor-{i}").address for i in (1, 2, 3)), 2, 3600)
    path = data_dir / "deployments.json"
    deployments, _ = deploy(
        client, client.sender(account("deployer")), compiled, network="api", path=path, governance=gov
    )
    world = World(node=node, client=client, recourse=Recourse(client, deployments), deployments_file=path)
    for name, roles in MEMBERS.items():
        admit(world.recourse, client, name, roles, label="api test", kyc_tier=2)
    world.recourse.token.mint(world.sender("bank"), world.address("bank"), 1_000_000, reference="api test funding")
    return world


def close_world(world: World) -> None:
    world.client.close()
    world.node.down()


@contextlib.contextmanager
def running_world(data_dir: Path, compiled: CompileResult) -> Iterator[World]:
    """:func:`make_world` for the ``with`` block, then :func:`close_world`."""
    world = make_world(data_dir, compiled)
    try:
        yield world
    finally:
        close_world(world)


def anchored_root(world: World) -> str:
    """A random evidence root anchored by ``collector`` (a member the test gateways do not host)."""
    root = os.urandom(32)
    world.recourse.evidence.anchor(world.sender("collector"), root, 2)
    return "0x" + root.hex()


# --- a real gateway (uvicorn in a thread) ---


@dataclass
class Gateway:
    url: str
    state: GatewayState
    server: uvicorn.Server

    def key(self, institution: str = "bank", scopes: list[str] | None = None) -> dict[str, str]:
        with Session(self.state.engine) as s:
            _, token = create_api_key(
                session=s, institution=institution, scopes=scopes or ["*"], label="api test", pepper=PEPPER
            )
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)

    def tokens(self, institutions: list[str]) -> dict[str, str]:
        """A new API key (every scope) for each institution: the bare token, as ``--api-key`` takes it."""
        return {n: self.key(n)["Authorization"].removeprefix("Bearer ") for n in institutions}

    @property
    def indexer(self) -> Any:
        return self.state.services.indexer

    def wait_indexed(self, client: ChainClient, timeout: float = 20.0) -> None:
        """Until the index has the chain's current head (with its hash)."""

        def done() -> bool:
            head = client.block_number()
            block = client.rpc.call("eth_getBlockByNumber", [hex(head), False])
            pos = self.indexer.position
            return bool(pos.block == head and pos.hash == block["hash"])

        wait_until(done, timeout=timeout, what="the indexer to reach the head")

    def rows(self, table: Any) -> list[dict[str, Any]]:
        with self.state.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(table)).mappings()]


def gateway_settings(
    world: World,
    data_dir: Path,
    db_url: str | None = None,
    *,
    institutions: list[str] = INSTITUTIONS,
    api: ApiSettings | None = None,
    **extra: Any,
) -> GatewaySettings:
    return GatewaySettings(
        data_dir=data_dir,
        chain=ChainSettings(
            rpc_url=world.node.url, port=world.node.port, chain_id=DEV_CHAIN_ID, deployments_file=world.deployments_file
        ),
        db=DbSettings(url=db_url or ""),
        indexer=IndexerSettings(poll_interval=0.05),
        api=api or ApiSettings(background="thread"),  # in-process writers: no child process per test app
        institutions=institutions,
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
        **extra,
    )


def confirming_settings(world: World, data_dir: Path, institutions: list[str]) -> GatewaySettings:
    """A gateway hosting ``institutions`` that waits up to 20 s for a ``?confirm=true`` write to be mined."""
    api = ApiSettings(background="thread", confirm_timeout=20)
    return gateway_settings(world, data_dir, institutions=institutions, api=api)


@contextlib.contextmanager
def serve(settings: GatewaySettings, streams: StreamSettings = FAST) -> Iterator[Gateway]:
    hooks = [h for h in default_hooks() if h is not start_stream_services]
    hooks.append(partial(start_stream_services, config=streams))
    app = create_app(settings, hooks=hooks)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="none",
        http="h11",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), timeout=60, what="the gateway to start")
    assert server.started, "the gateway failed to start (see the log above)"
    try:
        yield Gateway(url=f"http://127.0.0.1:{port}", state=app.state.gateway, server=server)
    finally:
        server.should_exit = True
        thread.join(20)
        assert not thread.is_alive(), "the gateway did not shut down"


class Client:
    """One institution's calls to a gateway: writes with ``?confirm=true`` (a fresh idempotency key unless
    one is given), problems checked by status and code, reads that must succeed."""

    def __init__(self, gw: Gateway, institution: str) -> None:
        self.gw, self.headers = gw, gw.key(institution)

    def post(self, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return httpx.post(f"{self.gw.url}{path}?confirm=true", json=body or {}, headers=headers, timeout=30)

    def ok(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = self.post(path, body)
        assert r.status_code == 200, r.text
        op: dict[str, Any] = r.json()
        assert op["status"] == "succeeded", op
        return op

    def refused(self, path: str, body: dict[str, Any] | None, status: int, code: str) -> dict[str, Any]:
        r = self.post(path, body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem: dict[str, Any] = r.json()
        assert problem["code"] == code, problem
        return problem

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        r = httpx.get(f"{self.gw.url}{path}", params=params, headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


# --- SSE ---


def read_sse(url: str, headers: dict[str, str], count: int, *, timeout: float = 20.0) -> list[dict[str, str]]:
    """Open a stream, read ``count`` messages, then disconnect."""
    out: list[dict[str, str]] = []
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for msg in sse_messages(r.iter_lines()):
            out.append(msg)
            if len(out) >= count:
                break
    return out


# --- webhook receiver ---


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """A local HTTP server recording POSTs; ``respond`` picks the status per request number (0-based)."""

    respond: Callable[[int], int] = field(default=lambda _n: 200)
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                status = rec.respond(len(rec.requests))
                rec.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body, status))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", rec.url + "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()
    thread.join(5)


def event_json(body: bytes) -> dict[str, Any]:
    """A webhook delivery's body as JSON."""
    data: dict[str, Any] = json.loads(body)
    return data
