"""A lean JSON-RPC-over-HTTP transport: keep-alive ``http.client`` connections, one per thread.

web3's ``HTTPProvider`` on ``requests`` costs about 1 ms of CPU per call (session and adapter
machinery, middleware, request caching, logging); the gateway makes thousands of chain calls a second
(writers, indexer, role cache, batcher), all in one process. This transport does only what a JSON-RPC
client needs: POST a JSON body on a persistent HTTP/1.1 connection and parse the JSON answer.

A keep-alive connection the node closed while idle is detected on reuse and the request is sent once
more on a new connection. That is safe for every JSON-RPC method Recourse sends: reads are idempotent,
and a raw transaction sent twice is answered "already known" (counted as sent by ``ChainClient``).
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import weakref
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["HttpTransport", "TransportError"]

#: errors that mean "the idle keep-alive connection was closed by the other side"
_STALE = (http.client.RemoteDisconnected, http.client.BadStatusLine, BrokenPipeError, ConnectionResetError)


class TransportError(OSError):
    """The node could not be reached, or answered something that is not a JSON-RPC reply."""


class HttpTransport:
    """POST JSON to one URL over per-thread keep-alive connections; thread-safe."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) JSON-RPC URL: {url!r}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if parts.username is not None:
            creds = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(creds).decode()
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        # a transport dropped without ``close()`` still closes its sockets (no ResourceWarning at GC)
        weakref.finalize(self, _close_all, self._all)

    def post(self, payload: Any) -> Any:
        """Send ``payload`` as JSON and return the decoded JSON answer."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        for attempt in range(2):
            conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
            if conn is not None and conn.sock is None:  # closed by ``close()``: open a new one
                self._drop(conn)
                conn = None
            reused = conn is not None
            if conn is None:
                conn = self._connect()
            try:
                conn.request("POST", self._path, body, self._headers)
                resp = conn.getresponse()
                data = resp.read()
            except _STALE as exc:
                self._drop(conn)
                if reused and attempt == 0:
                    continue  # the node closed the idle connection: once more on a new one
                raise TransportError(f"connection to {self.url} lost: {exc!r}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(conn)
                raise TransportError(f"{exc.__class__.__name__}: {exc}") from exc
            if resp.will_close:
                self._drop(conn)
            if resp.status != 200 and not data.lstrip().startswith((b"{", b"[")):
                raise TransportError(f"HTTP {resp.status} {resp.reason} from {self.url}")
            try:
                return json.loads(data)
            except ValueError as exc:
                raise TransportError(f"HTTP {resp.status}: not JSON from {self.url}: {data[:120]!r}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close every connection (of every thread)."""
        with self._lock:
            _close_all(self._all)

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self._timeout)
        conn.connect()
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)


def _close_all(conns: list[http.client.HTTPConnection]) -> None:
    while conns:
        conns.pop().close()
