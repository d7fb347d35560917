"""The gateway part of the demo: run ``recourse serve``'s app in-process and use it over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from rich.console import Console
from sqlmodel import Session

from chain.contracts.settlement_token import format_fen
from node_api.app import create_app
from node_api.db.engine import make_engine, migrate
from node_api.services.apikeys import create_api_key
from node_api.settings import GatewaySettings
from scripts.demo_common import step as _step

__all__ = ["GatewayHandle", "demo_gateway_steps", "running_gateway"]


@dataclass(frozen=True)
class GatewayHandle:
    url: str
    settings: GatewaySettings


@contextmanager
def running_gateway(settings: GatewaySettings, *, timeout: float = 60.0) -> Iterator[GatewayHandle]:
    """Serve the gateway with uvicorn in a background thread; stop it on exit."""
    app = create_app(settings)
    config = uvicorn.Config(
        app, host=settings.api.host, port=settings.api.port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the gateway did not start on {settings.api.host}:{settings.api.port}")
        time.sleep(0.05)
    try:
        yield GatewayHandle(url=f"http://{settings.api.host}:{settings.api.port}", settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def fresh_api_key(settings: GatewaySettings, institution: str, scopes: list[str]) -> str:
    engine = make_engine(settings.db_url)
    try:
        migrate(engine)
        with Session(engine) as s:
            _, token = create_api_key(
                session=s,
                institution=institution,
                scopes=scopes,
                label="demo",
                pepper=settings.api_key_pepper.get_secret_value(),
            )
    finally:
        engine.dispose()
    return token


def demo_gateway_steps(gw: GatewayHandle, console: Console, *, to: str) -> str:
    """Use the gateway as the bank's back office would; returns the bank's API key."""
    token = fresh_api_key(gw.settings, "bank", ["*"])
    reader = fresh_api_key(gw.settings, "investor", ["members:read", "tokens:read"])
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        _step(console, f"gateway serving at {gw.url} (OpenAPI docs at {gw.url}/docs); bank API key created")
        me = http.get("/me", headers=auth).json()
        _step(console, f"GET /me as bank → roles {', '.join(me['roles'])}, balance {format_fen(me['balance_fen'])}")
        body = {"to": to, "amount_fen": 8_888_88}
        headers = {**auth, "Idempotency-Key": f"demo-invoice-{int(time.time())}"}
        accepted = http.post("/tokens/transfers", json=body, headers=headers)
        op = accepted.json()
        _step(console, f"POST /tokens/transfers → {accepted.status_code} operation {op['id']} ({op['status']})")
        done = http.post("/tokens/transfers?confirm=true", json=body, headers=headers)
        op = done.json()
        _step(
            console,
            f"same Idempotency-Key again with ?confirm=true → {done.status_code} the same operation, "
            f"{op['status']} in block {op['block_number']} (sent exactly once)",
        )
        conflict = http.post("/tokens/transfers", json={**body, "amount_fen": 1}, headers=headers)
        _step(console, f"same key, different body → {conflict.status_code} {conflict.json()['code']}")
        denied = http.post(
            "/tokens/transfers",
            json=body,
            headers={"Authorization": f"Bearer {reader}", "Idempotency-Key": "demo-denied"},
        )
        _step(console, f"investor's read-only key tries to pay → {denied.status_code} {denied.json()['code']}")
        members = http.get("/members", headers=auth).json()
        _step(console, f"GET /members (from the gateway's index of chain events) → {members['count']} members")
        _hostile_requests(http, console, auth, reader)
    return token


def _hostile_requests(http: httpx.Client, console: Console, auth: dict[str, str], reader: str) -> None:
    """Requests an attacker or a careless client sends: each is refused with a problem, none harms the gateway."""
    json_body = {**auth, "Content-Type": "application/json"}
    deep = http.post(
        "/tokens/transfers",
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={**json_body, "Idempotency-Key": "demo-deep"},
    )
    alive = http.get("/healthz").status_code == 200
    _step(
        console,
        f"a 200 KB body of nested brackets → {_problem(deep)} (refused before parsing; gateway still up: {alive})",
    )
    duplicate = http.post(
        "/tokens/transfers",
        content=b'{"to": "0x0000000000000000000000000000000000000001", "amount_fen": 1, "amount_fen": 999999999999}',
        headers={**json_body, "Idempotency-Key": "demo-duplicate"},
    )
    _step(console, f"a body repeating amount_fen → {_problem(duplicate)}")
    two_keys = http.get("/me", headers={**auth, "X-API-Key": reader})
    _step(console, f"Authorization and X-API-Key with two different keys → {_problem(two_keys)}")
    wrong_method = http.delete("/tokens/transfers", headers=auth)
    _step(console, f"DELETE /tokens/transfers → {wrong_method.status_code}, Allow: {wrong_method.headers.get('allow')}")


def _problem(r: httpx.Response) -> str:
    body = r.json()
    return f"{r.status_code} {body['code']}: {body['detail'][:90]}"
