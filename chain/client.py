"""The chain client: JSON-RPC transport, per-key senders with a crash-safe nonce journal, receipts.

* ``Rpc`` — raw JSON-RPC over keep-alive HTTP (``chain.transport``; single and batch requests); errors become
  ``RpcError`` carrying the node's code, message and revert data.
* ``ChainClient`` — one per process: checks the chain id, knows every Recourse ABI (for revert
  decoding), computes fees (EIP-1559 or legacy/zero gas price), estimates gas, awaits receipts by
  polling many hashes per batch request, and hands out one ``Sender`` per key.
* ``Sender`` — the only writer for its key in this process (an exclusive file lock stops a second
  process from using it). It signs locally (coincurve), sets nonce, gas, fees and chain id explicitly,
  and journals every signed transaction (nonce, hash, raw bytes) in SQLite *before* sending it. On
  start it reconciles the journal with the chain: mined nonces are pruned, signed-but-lost ones are
  rebroadcast, so a restart neither reuses a nonce nor loses a transaction. Bursts are sent as
  JSON-RPC batches.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from chain._exceptions import (
    ChainError,
    ChainIdMismatchError,
    ContractReverted,
    KeyStoreError,
    TransactionError,
)
from chain.config import ChainSettings
from chain.errors import ErrorDecoder
from chain.transport import HttpTransport

__all__ = ["ChainClient", "KeyLock", "Receipt", "RawLog", "Rpc", "RpcError", "Sender", "TxRequest"]

logger = logging.getLogger(__name__)


class RpcError(ChainError):
    """A JSON-RPC error response (``code``, ``message``, optional revert ``data``)."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        super().__init__(f"{method}: {message} (code {code})")

    @property
    def revert_data(self) -> str | None:
        data = self.data
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return data
        return None


class Rpc:
    """Raw JSON-RPC calls over a lean keep-alive transport (``chain.transport``; no web3 middleware)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.transport = HttpTransport(url, timeout=timeout)
        self._ids = itertools.count(1)

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": next(self._ids)}
        try:
            resp = self.transport.post(request)
        except OSError as exc:
            raise ChainError(
                f"cannot reach the chain at {self.url}: {exc}; is it running? (`recourse chain up`)"
            ) from exc
        if not isinstance(resp, dict):
            raise RpcError(method, -1, f"not a JSON-RPC reply: {str(resp)[:120]}")
        return _unwrap(method, resp)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Send ``calls`` in one HTTP request; each item is a result or an ``RpcError`` (not raised)."""
        if not calls:
            return []
        first = next(self._ids)
        for _ in range(len(calls) - 1):
            next(self._ids)
        payload = [
            {"jsonrpc": "2.0", "method": m, "params": list(p), "id": first + i} for i, (m, p) in enumerate(calls)
        ]
        try:
            replies = self.transport.post(payload)
        except OSError as exc:
            raise ChainError(f"cannot reach the chain at {self.url}: {exc}") from exc
        if isinstance(replies, dict):
            err: dict[str, Any] = dict(replies.get("error") or {})
            raise RpcError("batch", int(err.get("code", -1)), str(err.get("message", replies)))
        if not isinstance(replies, list) or len(replies) != len(calls):
            got = len(replies) if isinstance(replies, list) else 0
            raise RpcError("batch", -1, f"node answered {got} of {len(calls)} batched calls")
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        out: list[Any] = []
        for i, (method, _) in enumerate(calls):
            resp = by_id.get(first + i)
            if resp is None:
                out.append(RpcError(method, -1, "no reply to this call in the batch"))
                continue
            try:
                out.append(_unwrap(method, resp))
            except RpcError as exc:
                out.append(exc)
        return out

    def close(self) -> None:
        self.transport.close()


def _unwrap(method: str, resp: Any) -> Any:
    if "error" in resp and resp["error"] is not None:
        err = resp["error"]
        if isinstance(err, dict):
            raise RpcError(method, int(err.get("code", -1)), str(err.get("message", "")), err.get("data"))
        raise RpcError(method, -1, str(err))
    return resp.get("result")


@dataclass(frozen=True)
class RawLog:
    address: str
    topics: tuple[str, ...]
    data: str
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int

    def as_rpc(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "topics": list(self.topics),
            "data": self.data,
            "blockNumber": self.block_number,
            "blockHash": self.block_hash,
            "transactionHash": self.tx_hash,
            "transactionIndex": self.tx_index,
            "logIndex": self.log_index,
        }


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    status: bool
    block_number: int
    block_hash: str
    tx_index: int
    gas_used: int
    effective_gas_price: int
    sender: str
    to: str | None
    contract_address: str | None
    logs: tuple[RawLog, ...]

    @classmethod
    def from_rpc(cls, r: dict[str, Any]) -> Receipt:
        logs = tuple(
            RawLog(
                address=to_checksum_address(lg["address"]),
                topics=tuple(lg["topics"]),
                data=lg["data"],
                block_number=int(lg["blockNumber"], 16),
                block_hash=lg["blockHash"],
                tx_hash=lg["transactionHash"],
                tx_index=int(lg["transactionIndex"], 16),
                log_index=int(lg["logIndex"], 16),
            )
            for lg in r.get("logs", [])
        )
        return cls(
            tx_hash=r["transactionHash"],
            status=int(r["status"], 16) == 1,
            block_number=int(r["blockNumber"], 16),
            block_hash=r["blockHash"],
            tx_index=int(r["transactionIndex"], 16),
            gas_used=int(r["gasUsed"], 16),
            effective_gas_price=int(r.get("effectiveGasPrice") or "0x0", 16),
            sender=to_checksum_address(r["from"]),
            to=to_checksum_address(r["to"]) if r.get("to") else None,
            contract_address=to_checksum_address(r["contractAddress"]) if r.get("contractAddress") else None,
            logs=logs,
        )


def _with_margin(estimate: int) -> int:
    """The gas limit to sign for a node's estimate: a quarter more plus 5,000, so that state changing
    between the estimate and the transaction (a storage slot set from zero meanwhile) still fits."""
    return estimate * 5 // 4 + 5_000


@dataclass(frozen=True)
class TxRequest:
    """An unsigned call: destination (``None`` deploys), calldata, value, optional gas limit."""

    to: str | None
    data: bytes
    value: int = 0
    gas: int | None = None
    label: str = field(default="", compare=False)


class ChainClient:
    """Process-wide chain access. Build with ``ChainClient.connect(settings, data_dir=...)``."""

    def __init__(self, settings: ChainSettings, *, data_dir: Path, rpc: Rpc | None = None) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.rpc = rpc or Rpc(settings.rpc_url)
        self.errors = ErrorDecoder()
        self._senders: dict[str, Sender] = {}
        self._fee_cache: tuple[float, dict[str, int]] | None = None
        self._client_version: str | None = None
        self._lock = threading.Lock()
        try:
            self.chain_id = self._check_chain_id()
        except ChainError:
            if rpc is None:
                self.rpc.close()
            raise

    @classmethod
    def connect(cls, settings: ChainSettings, *, data_dir: Path) -> ChainClient:
        return cls(settings, data_dir=data_dir)

    def client_version(self) -> str:
        """The node's ``web3_clientVersion`` (``anvil/v1.7.1``, ``besu/v25.…``), asked once."""
        if self._client_version is None:
            self._client_version = str(self.rpc.call("web3_clientVersion"))
        return self._client_version

    def is_anvil(self) -> bool:
        """Whether the node is the embedded development chain: only then may ``anvil_*`` methods be called."""
        return self.client_version().lower().startswith("anvil")

    def _check_chain_id(self) -> int:
        chain_id = int(self.rpc.call("eth_chainId"), 16)
        if chain_id != self.settings.chain_id:
            raise ChainIdMismatchError(
                f"{self.settings.rpc_url} is chain id {chain_id} but settings say {self.settings.chain_id} "
                "(RECOURSE_CHAIN__CHAIN_ID)"
            )
        return chain_id

    def register_abi(self, abi: list[dict[str, Any]]) -> None:
        """Make a contract's custom errors decodable."""
        self.errors.register(abi)

    # --- reads ---

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def block_timestamp(self, block: int | str = "latest") -> int:
        tag = hex(block) if isinstance(block, int) else block
        return int(self.rpc.call("eth_getBlockByNumber", [tag, False])["timestamp"], 16)

    def balance(self, address: str) -> int:
        return int(self.rpc.call("eth_getBalance", [address, "latest"]), 16)

    def code(self, address: str, block: int | str = "latest") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        return bytes.fromhex(self.rpc.call("eth_getCode", [address, tag])[2:])

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: int | str = "latest") -> bytes:
        """``eth_call``; a revert raises the decoded ``ContractReverted``."""
        tx: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender:
            tx["from"] = sender
        tag = hex(block) if isinstance(block, int) else block
        try:
            result = self.rpc.call("eth_call", [tx, tag])
        except RpcError as exc:
            raise self._revert(exc) from exc
        return bytes.fromhex(result[2:])

    def estimate_gas(self, sender: str, req: TxRequest, *, block: int | str = "latest") -> int:
        """A gas limit for ``req`` from ``sender`` (the node's estimate with a safety margin); a revert
        raises the decoded ``ContractReverted``, as ``eth_call`` does: estimating runs the transaction."""
        tx: dict[str, Any] = {"from": sender, "data": "0x" + req.data.hex(), "value": hex(req.value)}
        if req.to:
            tx["to"] = req.to
        params: list[Any] = [tx] if block == "latest" else [tx, hex(block) if isinstance(block, int) else block]
        try:
            estimate = int(self.rpc.call("eth_estimateGas", params), 16)
        except RpcError as exc:
            raise self._revert(exc) from exc
        return _with_margin(estimate)

    def first_block_at_or_after(self, timestamp: int) -> int | None:
        """The lowest block whose timestamp is ``>= timestamp`` (binary search), ``None`` if none is yet."""
        lo, hi = 0, self.block_number()
        if self.block_timestamp(hi) < timestamp:
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            if self.block_timestamp(mid) >= timestamp:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def get_logs(
        self,
        *,
        address: str | list[str] | None,
        from_block: int,
        to_block: int,
        page: int = 2_000,
        topics: Sequence[str | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Raw logs in pages of ``page`` blocks (never genesis→latest in one call); ``topics`` filters them
        by position (``None`` matches any)."""
        out: list[dict[str, Any]] = []
        start = from_block
        while start <= to_block:
            end = min(start + page - 1, to_block)
            flt: dict[str, Any] = {"fromBlock": hex(start), "toBlock": hex(end)}
            if address is not None:
                flt["address"] = address
            if topics is not None:
                flt["topics"] = list(topics)
            out.extend(self.rpc.call("eth_getLogs", [flt]))
            start = end + 1
        return out

    def _revert(self, exc: RpcError) -> ChainError:
        data = exc.revert_data
        if data is not None:
            return self.errors.decode(data)
        if "revert" in exc.message.lower():
            return ContractReverted("EmptyRevert", {"message": exc.message}, "0x")
        return exc

    # --- fees ---

    def fee_fields(self) -> dict[str, int]:
        """Fee fields for a new transaction (cached for one second)."""
        now = time.monotonic()
        cached = self._fee_cache
        if cached is not None and now - cached[0] < 1.0:
            return cached[1]
        s = self.settings
        if s.fee_mode == "legacy":
            price = s.gas_price if s.gas_price is not None else int(self.rpc.call("eth_gasPrice"), 16)
            fields = {"gasPrice": price}
        else:
            block = self.rpc.call("eth_getBlockByNumber", ["latest", False])
            base = int(block.get("baseFeePerGas") or "0x0", 16)
            fields = {"maxFeePerGas": 2 * base + s.priority_fee, "maxPriorityFeePerGas": s.priority_fee}
        self._fee_cache = (now, fields)
        return fields

    # --- receipts ---

    def wait_for_receipts(
        self,
        hashes: Sequence[str],
        *,
        timeout: float | None = None,
        rebroadcast: Callable[[list[str]], None] | None = None,
    ) -> list[Receipt]:
        """Poll receipts for many hashes per batch request; rebroadcast ones the node lost."""
        timeout = self.settings.receipt_timeout if timeout is None else timeout
        found: dict[str, Receipt] = {}
        missing = list(dict.fromkeys(hashes))
        deadline = time.monotonic() + timeout
        delay = 0.0
        last_check = time.monotonic()
        size = self.settings.batch_size
        while missing:
            if delay:
                time.sleep(delay)
            for i in range(0, len(missing), size):
                chunk = missing[i : i + size]
                results = self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
                for h, r in zip(chunk, results, strict=True):
                    if isinstance(r, RpcError):
                        raise r
                    if r is not None and r.get("blockNumber"):
                        found[h] = Receipt.from_rpc(r)
            missing = [h for h in missing if h not in found]
            if not missing:
                break
            if time.monotonic() > deadline:
                raise TransactionError(
                    f"{len(missing)} transaction(s) not mined within {timeout:.0f}s (first {missing[0]})"
                )
            if rebroadcast is not None and time.monotonic() - last_check > 2.0:
                last_check = time.monotonic()
                known = self.rpc.batch([("eth_getTransactionByHash", [h]) for h in missing])
                lost = [h for h, tx in zip(missing, known, strict=True) if tx is None]
                if lost:
                    logger.warning("chain.tx.lost count=%d first=%s action=rebroadcast", len(lost), lost[0])
                    rebroadcast(lost)
            delay = min(0.1, delay * 2 if delay else 0.002)
        return [found[h] for h in hashes]

    def explain_failure(self, receipt: Receipt, req: TxRequest) -> ChainError:
        """Replay a failed transaction at its parent block to recover the revert reason."""
        tx: dict[str, Any] = {"from": receipt.sender, "data": "0x" + req.data.hex(), "value": hex(req.value)}
        if req.to:
            tx["to"] = req.to
        tx["gas"] = hex(receipt.gas_used * 2 + 100_000)
        try:
            self.rpc.call("eth_call", [tx, hex(receipt.block_number - 1)])
        except RpcError as exc:
            return self._revert(exc)
        return TransactionError(f"transaction {receipt.tx_hash} failed (status 0) and the revert reason is unavailable")

    # --- signing and broadcasting primitives (used by Sender and by the gateway's outbox) ---

    def sign(
        self, account: LocalAccount, req: TxRequest, *, nonce: int, gas: int, fees: dict[str, int]
    ) -> tuple[str, str]:
        """Sign ``req`` with explicit nonce, gas, fees and chain id; returns ``(tx_hash, raw_tx)`` as hex."""
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "gas": gas,
            "value": req.value,
            "data": req.data,
            **fees,
        }
        if req.to is not None:
            tx["to"] = req.to
        signed = account.sign_transaction(tx)
        return "0x" + bytes(signed.hash).hex(), "0x" + bytes(signed.raw_transaction).hex()

    def broadcast(self, raws: Sequence[str]) -> list[RpcError | None]:
        """Send raw transactions in JSON-RPC batches; 'already known' counts as sent."""
        outcome: list[RpcError | None] = []
        size = self.settings.batch_size
        for i in range(0, len(raws), size):
            chunk = raws[i : i + size]
            results = self.rpc.batch([("eth_sendRawTransaction", [r]) for r in chunk])
            for r in results:
                if isinstance(r, RpcError):
                    msg = r.message.lower()
                    benign = "already known" in msg or "already imported" in msg or "known transaction" in msg
                    outcome.append(None if benign else r)
                else:
                    outcome.append(None)
        return outcome

    def estimate_many(self, sender: str, requests: Sequence[TxRequest]) -> list[int | ChainError]:
        """Gas for many requests in one batch; a revert comes back as the decoded error (not raised)."""
        calls: list[tuple[str, Sequence[Any]]] = []
        for req in requests:
            tx: dict[str, Any] = {"from": sender, "data": "0x" + req.data.hex(), "value": hex(req.value)}
            if req.to:
                tx["to"] = req.to
            calls.append(("eth_estimateGas", [tx]))
        out: list[int | ChainError] = []
        for i in range(0, len(calls), self.settings.batch_size):
            for r in self.rpc.batch(calls[i : i + self.settings.batch_size]):
                out.append(self._revert(r) if isinstance(r, RpcError) else _with_margin(int(r, 16)))
        return out

    def nonces(self, address: str) -> tuple[int, int]:
        """``(mined, pending)`` transaction counts of ``address``."""
        mined, pending = self.rpc.batch(
            [("eth_getTransactionCount", [address, "latest"]), ("eth_getTransactionCount", [address, "pending"])]
        )
        for r in (mined, pending):
            if isinstance(r, RpcError):
                raise r
        return int(mined, 16), int(pending, 16)

    def receipts(self, hashes: Sequence[str]) -> list[Receipt | None]:
        """One non-blocking poll: the receipt of each hash, or ``None`` while it is not mined."""
        out: list[Receipt | None] = []
        for i in range(0, len(hashes), self.settings.batch_size):
            chunk = hashes[i : i + self.settings.batch_size]
            for r in self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk]):
                if isinstance(r, RpcError):
                    raise r
                out.append(Receipt.from_rpc(r) if r is not None and r.get("blockNumber") else None)
        return out

    def known_transactions(self, hashes: Sequence[str]) -> list[bool]:
        """Whether the node knows each transaction (pending or mined)."""
        out: list[bool] = []
        for i in range(0, len(hashes), self.settings.batch_size):
            chunk = hashes[i : i + self.settings.batch_size]
            for r in self.rpc.batch([("eth_getTransactionByHash", [h]) for h in chunk]):
                if isinstance(r, RpcError):
                    raise r
                out.append(r is not None)
        return out

    # --- senders ---

    def sender(self, account: LocalAccount) -> Sender:
        """The one ``Sender`` for this key in this process."""
        with self._lock:
            existing = self._senders.get(account.address)
            if existing is None:
                existing = Sender(self, account)
                self._senders[account.address] = existing
            return existing

    def close(self) -> None:
        with self._lock:
            for s in self._senders.values():
                s.close()
            self._senders.clear()
        self.rpc.close()  # idle keep-alive connections; a later call opens a new one


class _Journal:
    """SQLite journal of signed, not-yet-confirmed transactions for one key."""

    def __init__(self, path: Path, chain_id: int, address: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (the guarantee we need); FULL adds an fsync per commit
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS txjournal (chain_id INTEGER NOT NULL, address TEXT NOT NULL,"
            " nonce INTEGER NOT NULL, tx_hash TEXT NOT NULL, raw TEXT NOT NULL, created REAL NOT NULL,"
            " PRIMARY KEY (chain_id, address, nonce))"
        )
        self._chain_id = chain_id
        self._address = address

    def pending(self) -> list[tuple[int, str, str]]:
        cur = self._db.execute(
            "SELECT nonce, tx_hash, raw FROM txjournal WHERE chain_id=? AND address=? ORDER BY nonce",
            (self._chain_id, self._address),
        )
        return [(int(n), str(h), str(r)) for n, h, r in cur.fetchall()]

    def record(self, rows: Iterable[tuple[int, str, str]], *, prune_below: int = 0) -> None:
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if prune_below:
                self._db.execute(
                    "DELETE FROM txjournal WHERE chain_id=? AND address=? AND nonce<?",
                    (self._chain_id, self._address, prune_below),
                )
            self._db.executemany(
                "INSERT OR REPLACE INTO txjournal VALUES (?, ?, ?, ?, ?, ?)",
                [(self._chain_id, self._address, n, h, r, now) for n, h, r in rows],
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def prune_below(self, nonce: int) -> None:
        self._db.execute(
            "DELETE FROM txjournal WHERE chain_id=? AND address=? AND nonce<?",
            (self._chain_id, self._address, nonce),
        )

    def delete_from(self, nonce: int) -> None:
        self._db.execute(
            "DELETE FROM txjournal WHERE chain_id=? AND address=? AND nonce>=?", (self._chain_id, self._address, nonce)
        )

    def raw_for(self, hashes: Iterable[str]) -> list[str]:
        wanted = set(hashes)
        return [r for _, h, r in self.pending() if h in wanted]

    def close(self) -> None:
        self._db.close()


class KeyLock:
    """An exclusive lock on one signing key for this process (released by the kernel if it dies)."""

    def __init__(self, data_dir: Path, chain_id: int, address: str) -> None:
        chain_dir = data_dir / "chain"
        chain_dir.mkdir(parents=True, exist_ok=True)
        self._file = (chain_dir / f"key-{chain_id}-{address.lower()}.lock").open("a+")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._file.close()
            raise KeyStoreError(
                f"key {address} is in use by another process; each signing key has exactly one writer"
            ) from exc
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()

    def release(self) -> None:
        if self._file.closed:
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        finally:
            self._file.close()


class Sender:
    """Signs and sends transactions for one key; owns that key's nonces."""

    def __init__(self, client: ChainClient, account: LocalAccount) -> None:
        self.client = client
        self.account = account
        self.address: str = account.address
        chain_dir = client.data_dir / "chain"
        chain_dir.mkdir(parents=True, exist_ok=True)
        self._key_lock = KeyLock(client.data_dir, client.chain_id, self.address)
        self._journal = _Journal(chain_dir / "nonces.sqlite", client.chain_id, self.address)
        self._mutex = threading.Lock()
        self._hash_nonce: dict[str, int] = {}
        self._mined_floor = 0
        self._next_nonce = self._reconcile()

    # --- nonce management ---

    def _reconcile(self) -> int:
        """Align the journal with the chain: prune mined nonces, rebroadcast lost transactions."""
        rpc = self.client.rpc
        mined = int(rpc.call("eth_getTransactionCount", [self.address, "latest"]), 16)
        pending = int(rpc.call("eth_getTransactionCount", [self.address, "pending"]), 16)
        self._journal.prune_below(mined)
        rows = self._journal.pending()
        next_nonce = pending
        if rows:
            known = rpc.batch([("eth_getTransactionByHash", [h]) for _, h, _ in rows])
            lost = [raw for (_, _, raw), tx in zip(rows, known, strict=True) if tx is None]
            if lost:
                logger.warning("chain.nonce.rebroadcast address=%s count=%d", self.address, len(lost))
                lost_nonces = [n for (n, _, _), tx in zip(rows, known, strict=True) if tx is None]
                outcome = self._broadcast(lost)
                refused = [(n, e) for n, e in zip(lost_nonces, outcome, strict=True) if e is not None]
                if refused:
                    fees = self.client.fee_fields()
                    for nonce, err in refused:
                        logger.warning("chain.nonce.refused nonce=%d error=%s action=fill", nonce, err.message)
                        filler = TxRequest(to=self.address, data=b"", value=0, gas=21_000, label="nonce-gap filler")
                        h, raw = self.client.sign(self.account, filler, nonce=nonce, gas=21_000, fees=fees)
                        self._journal.record([(nonce, h, raw)])
                        (err2,) = self._broadcast([raw])
                        if err2 is not None:
                            raise TransactionError(f"cannot fill nonce {nonce} of {self.address}: {err2.message}")
            next_nonce = max(next_nonce, rows[-1][0] + 1)
        logger.debug("chain.nonce.reconciled address=%s mined=%d next=%d", self.address, mined, next_nonce)
        return next_nonce

    @property
    def next_nonce(self) -> int:
        return self._next_nonce

    def _sign(self, req: TxRequest, nonce: int, gas: int, fees: dict[str, int]) -> tuple[str, str]:
        return self.client.sign(self.account, req, nonce=nonce, gas=gas, fees=fees)

    def _broadcast(self, raws: Sequence[str]) -> list[RpcError | None]:
        return self.client.broadcast(raws)

    def _rebroadcast_hashes(self, hashes: list[str]) -> None:
        raws = self._journal.raw_for(hashes)
        if raws:
            self._broadcast(raws)

    # --- sending ---

    def send(self, requests: Sequence[TxRequest]) -> list[str]:
        """Sign, journal and send ``requests`` (JSON-RPC batches); return their hashes in order.

        Gas is estimated per request unless given (estimation decodes reverts before anything is
        signed). A request the node rejects outright raises ``TransactionError`` after its nonce has
        been filled with a zero-value self-transfer, so later nonces never stall.
        """
        if not requests:
            return []
        gases = self._gases(requests)
        fees = self.client.fee_fields()
        with self._mutex:
            first = self._next_nonce
            signed = [
                self._sign(req, first + i, g, fees) for i, (req, g) in enumerate(zip(requests, gases, strict=True))
            ]
            self._journal.record(
                ((first + i, h, raw) for i, (h, raw) in enumerate(signed)), prune_below=self._mined_floor
            )
            for i, (h, _) in enumerate(signed):
                self._hash_nonce[h] = first + i
            self._next_nonce = first + len(requests)
            outcome = self._broadcast([raw for _, raw in signed])
            rejected = [(first + i, err) for i, err in enumerate(outcome) if err is not None]
            for nonce, err in rejected:
                logger.warning("chain.tx.rejected address=%s nonce=%d error=%s", self.address, nonce, err.message)
                if not self._fill_gap(nonce, fees):
                    # the filler was refused too (e.g. no funds for gas): give the nonces back so the
                    # next send reuses them instead of stalling behind a gap
                    self._journal.delete_from(nonce)
                    self._next_nonce = nonce
                    break
        if rejected:
            nonce, err = rejected[0]
            raise TransactionError(
                f"{len(rejected)} of {len(requests)} transaction(s) rejected by the node "
                f"(first: nonce {nonce}: {err.message})"
            )
        return [h for h, _ in signed]

    def _gases(self, requests: Sequence[TxRequest]) -> list[int]:
        """Explicit gas where given; the rest estimated in one batch (a revert raises, decoded)."""
        todo = [req for req in requests if req.gas is None]
        estimates = iter(self.client.estimate_many(self.address, todo) if todo else [])
        gases: list[int] = []
        for req in requests:
            if req.gas is not None:
                gases.append(req.gas)
                continue
            est = next(estimates)
            if isinstance(est, ChainError):
                raise est
            gases.append(est)
        return gases

    def _fill_gap(self, nonce: int, fees: dict[str, int]) -> bool:
        filler = TxRequest(to=self.address, data=b"", value=0, gas=21_000, label="nonce-gap filler")
        h, raw = self._sign(filler, nonce, 21_000, fees)
        self._journal.record([(nonce, h, raw)])
        (err,) = self._broadcast([raw])
        if err is not None:
            logger.warning("chain.tx.filler-rejected address=%s nonce=%d error=%s", self.address, nonce, err.message)
        return err is None

    def wait(self, hashes: Sequence[str], *, timeout: float | None = None) -> list[Receipt]:
        receipts = self.client.wait_for_receipts(hashes, timeout=timeout, rebroadcast=self._rebroadcast_hashes)
        # a mined nonce means every lower nonce is mined too: prune the journal lazily, in the next write
        mined = [self._hash_nonce.pop(r.tx_hash, -1) for r in receipts]
        self._mined_floor = max(self._mined_floor, max(mined, default=-1) + 1)
        return receipts

    def transact(self, req: TxRequest, *, timeout: float | None = None) -> Receipt:
        """Send one transaction and wait; a revert raises the decoded ``ContractReverted``."""
        (tx_hash,) = self.send([req])
        (receipt,) = self.wait([tx_hash], timeout=timeout)
        if not receipt.status:
            raise self.client.explain_failure(receipt, req)
        return receipt

    def transact_many(self, requests: Sequence[TxRequest], *, timeout: float | None = None) -> list[Receipt]:
        """Send a burst in JSON-RPC batches and wait for all receipts (failed ones have ``status`` False)."""
        hashes = self.send(requests)
        return self.wait(hashes, timeout=timeout)

    def close(self) -> None:
        self._journal.close()
        self._key_lock.release()
