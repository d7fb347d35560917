"""A JSON-RPC proxy in front of anvil that answers as a Besu node would where the two differ: every method
is recorded, ``web3_clientVersion`` says ``besu/…``, and the development chain's own methods (``anvil_*``,
``evm_*``, ``hardhat_*``) are refused with JSON-RPC's "Method not found" (-32601), as Besu refuses them.

A component pointed at it behaves as it would on the production network; the test then reads
:attr:`RpcProxy.methods` to show which methods it used."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["DEV_ONLY_PREFIXES", "RpcProxy", "besu_like_proxy"]

DEV_ONLY_PREFIXES = ("anvil_", "evm_", "hardhat_")
BESU_VERSION = "besu/v25.8.0/linux-x86_64/openjdk-java-21"


class RpcProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.methods: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                out = json.dumps(proxy.answer(json.loads(body))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="rpc-proxy", daemon=True)

    def answer(self, request: Any) -> Any:
        batch = request if isinstance(request, list) else [request]
        with self._lock:
            self.methods.update(str(r.get("method")) for r in batch)
        answers: dict[int, Any] = {}
        forward: list[tuple[int, Any]] = []
        for i, r in enumerate(batch):
            method = str(r.get("method"))
            if method.startswith(DEV_ONLY_PREFIXES):
                answers[i] = {
                    "jsonrpc": "2.0",
                    "id": r.get("id"),
                    "error": {"code": -32601, "message": "Method not found"},
                }
            elif method == "web3_clientVersion":
                answers[i] = {"jsonrpc": "2.0", "id": r.get("id"), "result": BESU_VERSION}
            else:
                forward.append((i, r))
        if forward:
            reply = self._http.post(self.upstream, json=[r for _, r in forward]).json()
            by_id = {a.get("id"): a for a in reply}
            for i, r in forward:
                answers[i] = by_id[r.get("id")]
        out = [answers[i] for i in range(len(batch))]
        return out if isinstance(request, list) else out[0]

    def dev_only_calls(self) -> dict[str, int]:
        with self._lock:
            return {m: n for m, n in self.methods.items() if m.startswith(DEV_ONLY_PREFIXES)}


@contextmanager
def besu_like_proxy(upstream: str) -> Iterator[RpcProxy]:
    proxy = RpcProxy(upstream)
    proxy._thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()
        proxy._http.close()
