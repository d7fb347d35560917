"""What every demo step shares: how a step announces itself, letting a contract hold rCNY escrow, and the
parties' calls to the demo gateway (:class:`DemoApi`)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:  # the demo's modules load lazily: no chain import here
    import httpx

    from chain.contracts._base import BoundContract
    from chain.network import Recourse
    from scripts.demo_gateway import GatewayHandle

__all__ = ["DemoApi", "register_system_contract", "step"]


def step(console: Console, text: str) -> None:
    console.print(f"[bold cyan]▶[/] {text}")


def register_system_contract(pick: Callable[[Recourse], BoundContract]) -> str:
    """Governors (2 of 3) let the contract ``pick`` names hold rCNY escrow; returns its address (no-op if done)."""
    from scripts.context import Context
    from scripts.settings import RecourseSettings

    ctx = Context(RecourseSettings())
    try:
        r = ctx.recourse
        address = pick(r).address
        if not r.consortium.is_system_contract(address):
            pid = r.consortium.propose_system_contract(ctx.sender("governor-1"), address, enabled=True)
            r.consortium.approve(ctx.sender("governor-2"), pid)
            r.consortium.execute(ctx.sender("governor-3"), pid)
        return address
    finally:
        ctx.close()


class DemoApi:
    """The parties' calls to the gateway: every write an operation (``?confirm=true``), every read the index.
    ``key_prefix`` starts the idempotency keys (with the time the step started, so a rerun acts again)."""

    def __init__(self, gw: GatewayHandle, http: httpx.Client, parties: Iterable[str], key_prefix: str) -> None:
        from scripts.demo_gateway import fresh_api_key

        self.http = http
        self.auth = {n: {"Authorization": "Bearer " + fresh_api_key(gw.settings, n, ["*"])} for n in parties}
        #: each party's address, once a step has looked it up
        self.address: dict[str, str] = {}
        self.key_prefix = key_prefix
        self._keys = (f"{key_prefix}-{int(time.time())}-{i}" for i in itertools.count())

    def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {**self.auth[who], "Idempotency-Key": next(self._keys)}
        return self.http.post(path, params={"confirm": "true"}, headers=headers, json=body or {})

    def ok(self, who: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = self.post(who, path, body)
        if r.status_code != 200:
            raise RuntimeError(f"{who} POST {path} → {r.status_code} {r.text[:500]}")
        op: dict[str, Any] = r.json()
        if op.get("status") != "succeeded":
            raise RuntimeError(f"{who} POST {path} → {r.status_code} {op}")
        return op

    def get(self, who: str, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params, headers=self.auth[who])
        r.raise_for_status()
        return r.json()

    def upload(self, documents: Mapping[str, bytes], case_ref: str) -> list[str]:
        """The bank's ``POST /evidence`` of PDF ``documents``; their evidence ids (anchored in a later batch)."""
        files = [("file", (name, data, "application/pdf")) for name, data in documents.items()]
        headers = {**self.auth["bank"], "Idempotency-Key": f"{self.key_prefix}-docs-{int(time.time())}"}
        r = self.http.post("/evidence", files=files, params={"case_ref": case_ref}, headers=headers)
        r.raise_for_status()
        return [str(e["id"]) for e in r.json()["evidence"]]

    def anchored_root(self, ids: list[str], what: str, *, poll: float) -> str:
        """The root the evidence ``ids`` were anchored under, once they are (``what`` names them in the error)."""
        deadline = time.monotonic() + 60
        while True:
            states = [self.get("bank", f"/evidence/{i}") for i in ids]
            if all(s["status"] == "anchored" for s in states):
                return str(states[0]["receipt"]["root"])
            if any(s["status"] == "failed" for s in states) or time.monotonic() > deadline:
                raise RuntimeError(f"{what} were not anchored: {[s['status'] for s in states]}")
            time.sleep(poll)
