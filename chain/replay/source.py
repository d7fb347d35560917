"""The replay's event source: every Recourse event from the deployment to a target block, in key order, checked.

``EventSource`` pages ``eth_getLogs`` over every contract of the deployments file and every contract a factory
event created (learned from the reducers' ``creates`` as the pages go: the new contract's logs are fetched from
its creation block to the end of the page, so nothing is fetched twice and nothing restarts). Each ``Page``
carries its events (``DecodedEvent``, in key order), the block times of its blocks that matter and the
``IntegrityFailure``s found on the way. A failure never raises: the stream goes on where it can and the report
names every failure.

What is checked, and why:

* ``key-order``: every event key strictly increases, within each node answer and across the whole stream (a
  node that answers out of order, or twice, is not trusted silently; the events are folded sorted and unique).
* ``parent-hash``: the first block of a page names the last block of the previous page as its parent, and any
  two adjacent blocks fetched in a page chain up (the pages are one chain, not pieces of several).
* ``block-hash``: every log's ``blockHash`` is the canonical hash of its block (the headers fetched in the same
  page, in one batch).
* ``out-of-range``: a log whose block is outside the range that was asked for.
* ``unknown-address``: a log of an address that is neither in the deployments file nor created by a factory.
* ``undecodable``: a log of a known contract that matches none of its events.
* ``missing-block``: a block the node does not have (the target is beyond its head).
* ``not-a-recourse-deployment``: the chain id differs from the file's, or a contract's code at the target block
  does not hash to the file's ``code_hash`` (an empty node, another chain's file, a different deployment).

Block ranges adapt to the density of events, so that one page holds about ``page_events`` logs (10,000) and never
the whole chain: a range starts at one block, grows at most twofold a page (to ``page_blocks``), shrinks to the
density just seen, and is read in growing sub-ranges that stop early where sparse blocks give way to dense ones.
The next range's logs and headers are fetched in a background thread while the current page is folded (the node
works while we decode). On a million events this keeps the replay's peak memory near the size of its state.

A checkpoint (:func:`save_checkpoint`, :func:`load_checkpoint`) stores the source's ``Position`` and the
contracts it follows with the caller's state (``payload``), written atomically (temporary file + rename).
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from chain._exceptions import UndecodableLogError
from chain.client import ChainClient, RpcError
from chain.deploy import Deployments
from chain.events import DecodedEvent, EventDecoder, EventRow
from chain.reducers import REDUCERS, Reducer, as_event
from chain.replay.model import IntegrityFailure

__all__ = [
    "CHECKPOINT_VERSION",
    "Checkpoint",
    "EventSource",
    "Page",
    "Position",
    "load_checkpoint",
    "save_checkpoint",
]

logger = logging.getLogger(__name__)

#: headers asked for in one JSON-RPC batch
HEADER_BATCH = 1_000
#: the kind of the failure that says the chain is not the deployment the file describes
NOT_RECOURSE = "not-a-recourse-deployment"


@dataclass(frozen=True)
class Position:
    """Where the stream stands: the last block folded, its hash and the last event key (``""`` before any)."""

    block: int
    hash: str
    key: str


@dataclass
class Page:
    """The events of blocks ``start..end`` (in key order), the times of the blocks fetched, the failures found
    and the contracts first followed in this page (``(address, contract, creation block)``)."""

    start: int
    end: int
    end_hash: str
    events: list[DecodedEvent]
    times: dict[int, int]
    integrity: list[IntegrityFailure]
    created: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class _Raw:
    """One range's node answers: its logs, asked for in ascending sub-ranges (``(first, last, logs)`` each), and
    the headers of the blocks that matter, by number."""

    start: int
    end: int
    chunks: list[tuple[int, int, list[dict[str, Any]]]]
    headers: dict[int, dict[str, Any] | None]

    @property
    def count(self) -> int:
        return sum(len(logs) for _, _, logs in self.chunks)


def _factories(reducers: Mapping[str, Reducer[Any]]) -> dict[tuple[str, str], Reducer[Any]]:
    return {(r.contract, name): r for r in reducers.values() for name in r.factory_events}


class EventSource:
    """Pages of checked ``DecodedEvent``s of every Recourse contract (and every contract its factories created)
    from ``position.block + 1`` (the earliest deployment block by default) to ``to_block``."""

    def __init__(
        self,
        client: ChainClient,
        deployments: Deployments,
        *,
        to_block: int,
        page_blocks: int = 5_000,
        page_events: int = 10_000,
        position: Position | None = None,
        created: Sequence[tuple[str, str, int]] = (),
        reducers: Mapping[str, Reducer[Any]] = REDUCERS,
    ) -> None:
        if page_blocks < 1 or page_events < 1:
            raise ValueError("page_blocks and page_events must be positive")
        self.client = client
        self.deployments = deployments
        self.to_block = to_block
        self.page_blocks = page_blocks
        self.page_events = page_events
        self.from_block = deployments.start_block
        self.position = position or Position(self.from_block - 1, "", "")
        abis = {**deployments.templates, **{n: c.abi for n, c in deployments.contracts.items()}}
        self.decoder = EventDecoder(abis, {c.address: n for n, c in deployments.contracts.items()})
        self._factories = _factories(reducers)
        #: contracts factories created, in the order followed: ``(address, contract, creation block)``
        self.created: list[tuple[str, str, int]] = []
        self._follow(created)
        #: blocks in the next range: from one, doubled while empty, then aimed at ``page_events`` logs
        self._window = 1

    # --- the deployment itself ---

    def check_deployment(self) -> list[IntegrityFailure]:
        """Whether the chain is the deployment the file describes: same chain id, and every contract's code at
        the target block hashes to the file's ``code_hash``. Failures are ``not-a-recourse-deployment``."""
        out: list[IntegrityFailure] = []
        d = self.deployments
        if self.client.chain_id != d.chain_id:
            out.append(
                IntegrityFailure(
                    NOT_RECOURSE,
                    self.to_block,
                    "",
                    f"the node is chain id {self.client.chain_id}, the deployments file is for chain id {d.chain_id}",
                )
            )
        names = list(d.contracts)
        calls = [("eth_getCode", [d.contracts[n].address, hex(self.to_block)]) for n in names]
        for name, code in zip(names, self.client.rpc.batch(calls), strict=True):
            rec = d.contracts[name]
            if isinstance(code, RpcError):
                note = f"{name} at {rec.address}: the node cannot give its code at block {self.to_block}: {code}"
            elif not isinstance(code, str) or code in ("0x", ""):
                note = f"{name} at {rec.address}: no code at block {self.to_block}"
            elif "0x" + keccak(hexstr=code).hex() != rec.code_hash.lower():
                note = f"{name} at {rec.address}: its code at block {self.to_block} is not the code the file records"
            else:
                continue
            out.append(IntegrityFailure(NOT_RECOURSE, self.to_block, "", note))
        return out

    def block_hash(self, block: int) -> str | None:
        """The canonical hash of ``block`` (``None`` if the node has no such block)."""
        header = self.client.rpc.call("eth_getBlockByNumber", [hex(block), False])
        return str(header["hash"]) if header else None

    # --- paging ---

    def pages(self) -> Iterator[Page]:
        """Every page up to ``to_block``; ``position`` and ``created`` move as each page is yielded."""
        start = self.position.block + 1
        if start > self.to_block:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-fetch") as pool:
            ahead: Future[_Raw] | None = self._submit(pool, start)
            while ahead is not None:
                raw = ahead.result()
                self._adapt(raw.end - raw.start + 1, raw.count)
                nxt = raw.end + 1
                # the next range is fetched while this page is decoded and folded
                ahead = self._submit(pool, nxt) if nxt <= self.to_block else None
                known = len(self.created)
                page = self._page(raw)
                raw.chunks = []  # the node's JSON is decoded: let it go before the page is folded
                if ahead is not None and len(self.created) != known:  # fetched without the contracts just followed
                    ahead.result()
                    ahead = self._submit(pool, nxt)
                self.position = Position(
                    page.end, page.end_hash, page.events[-1].key if page.events else self.position.key
                )
                yield page

    def _submit(self, pool: ThreadPoolExecutor, start: int) -> Future[_Raw]:
        end = min(start + self._window - 1, self.to_block)
        need_parent = not self.position.hash and start > 0
        return pool.submit(self._fetch, start, end, self.decoder.addresses, need_parent)

    def _adapt(self, blocks: int, logs: int) -> None:
        """Aim the next range at about ``page_events`` logs from the density just seen, growing at most twofold a
        page (a few sparse blocks say little about the next ones) and never beyond ``page_blocks``."""
        aim = self.page_events * blocks // logs if logs else blocks * 2
        self._window = max(1, min(self.page_blocks, blocks * 2, aim))

    def _fetch(self, start: int, end: int, addresses: list[str], need_parent: bool) -> _Raw:
        """The logs of ``start..end`` in growing sub-ranges (an eighth of the range, then doubling), stopping early
        once about ``page_events`` logs are in: where sparse blocks are followed by dense ones, the page ends
        where the logs pile up instead of holding the whole range in memory. The page's range is what was read."""
        chunks: list[tuple[int, int, list[dict[str, Any]]]] = []
        count, step, lo = 0, max(1, (end - start + 1) // 8), start
        while lo <= end:
            hi = min(lo + step - 1, end)
            logs = self._logs(lo, hi, addresses)
            chunks.append((lo, hi, logs))
            count += len(logs)
            if count >= self.page_events:
                end = hi
                break
            lo, step = hi + 1, step * 2
        blocks = {start, end}
        if need_parent:
            blocks.add(start - 1)
        for _, _, logs in chunks:
            for lg in logs:
                b = lg.get("blockNumber")
                if isinstance(b, str) and start <= int(b, 16) <= end:
                    blocks.add(int(b, 16))
        return _Raw(start, end, chunks, self._headers(sorted(blocks)))

    def _logs(self, start: int, end: int, addresses: list[str]) -> list[dict[str, Any]]:
        """``eth_getLogs`` of ``start..end``; a range the node refuses (too many results, too wide: Besu and geth
        limit both) is asked for in halves. A single block refused, or an answer that is not a list of logs,
        raises: a page is never taken as empty because the node did not answer it."""
        flt = {"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}
        try:
            logs = self.client.rpc.call("eth_getLogs", [flt])
        except RpcError as exc:
            if start >= end:
                raise
            mid = (start + end) // 2
            logger.warning("replay.logs.split from=%d to=%d error=%s", start, end, exc)
            return self._logs(start, mid, addresses) + self._logs(mid + 1, end, addresses)
        if not isinstance(logs, list) or not all(isinstance(lg, dict) for lg in logs):
            raise RpcError("eth_getLogs", -1, f"blocks {start}..{end}: the node's answer is not a list of logs")
        return logs

    def _headers(self, blocks: Sequence[int]) -> dict[int, dict[str, Any] | None]:
        out: dict[int, dict[str, Any] | None] = {}
        for i in range(0, len(blocks), HEADER_BATCH):
            chunk = blocks[i : i + HEADER_BATCH]
            replies = self.client.rpc.batch([("eth_getBlockByNumber", [hex(b), False]) for b in chunk])
            for b, h in zip(chunk, replies, strict=True):
                out[b] = h if isinstance(h, dict) else None
        return out

    # --- one page ---

    def _page(self, raw: _Raw) -> Page:
        failures: list[IntegrityFailure] = []
        rows = [r for lo, hi, logs in raw.chunks for r in self._decode(logs, lo, hi, failures)]
        created = self._created(rows)
        first_created: list[tuple[str, str, int]] = []
        while created:
            first_created += created
            self._follow(created)
            since = {a.lower(): b for a, _, b in created}
            logs = self._logs(min(since.values()), raw.end, [a for a, _, _ in created])
            extra = [r for r in self._decode(logs, raw.start, raw.end, failures) if r[1] >= since[r[7].lower()]]
            rows += extra
            missing = sorted({r[1] for r in extra} - raw.headers.keys())
            raw.headers.update(self._headers(missing))
            created = self._created(extra)
        if first_created:
            rows.sort(key=lambda r: r[0])
        times = self._check_blocks(raw, rows, failures)
        events = self._unique(rows, failures)
        end_header = raw.headers.get(raw.end)
        end_hash = str(end_header["hash"]) if end_header else ""
        return Page(raw.start, raw.end, end_hash, events, times, failures, first_created)

    def _decode(
        self, logs: list[dict[str, Any]], start: int, end: int, failures: list[IntegrityFailure]
    ) -> list[EventRow]:
        """Rows of ``logs`` (the node's answer, in its order) whose key strictly increases; the others, and logs
        outside ``start..end``, of unknown addresses or matching no event, are failures."""
        try:
            rows = self.decoder.decode_rows(logs)
        except UndecodableLogError:
            rows = self._decode_each(logs, failures)
        kept: list[EventRow] = []
        last = ""
        for r in rows:
            if not start <= r[1] <= end:
                failures.append(
                    IntegrityFailure(
                        "out-of-range",
                        r[1],
                        r[0],
                        f"asked for blocks {start}..{end}, got a log of block {r[1]}",
                    )
                )
                continue
            if r[0] <= last:
                failures.append(
                    IntegrityFailure(
                        "key-order",
                        r[1],
                        r[0],
                        f"the node answered {r[0]} after {last}: keys do not strictly increase (out of order events)",
                    )
                )
            last = max(last, r[0])
            kept.append(r)
        if any(f.kind == "key-order" for f in failures):
            kept.sort(key=lambda r: r[0])
        return kept

    def _decode_each(self, logs: list[dict[str, Any]], failures: list[IntegrityFailure]) -> list[EventRow]:
        out: list[EventRow] = []
        for log in logs:
            try:
                ev = self.decoder.decode(log)
            except UndecodableLogError as exc:
                kind = "unknown-address" if "not a known Recourse contract" in str(exc) else "undecodable"
                block = log.get("blockNumber")
                number = int(block, 16) if isinstance(block, str) else int(block or 0)
                failures.append(IntegrityFailure(kind, number, str(exc).split(" ", 2)[1], str(exc)))
                continue
            except (KeyError, TypeError, ValueError) as exc:
                failures.append(IntegrityFailure("undecodable", 0, "", f"a log the node answered is malformed: {exc}"))
                continue
            if not ev.removed:
                out.append(
                    (
                        ev.key,
                        ev.block_number,
                        ev.block_hash,
                        ev.tx_hash,
                        ev.tx_index,
                        ev.log_index,
                        ev.contract,
                        ev.address,
                        ev.name,
                        ev.args,
                    )
                )
        return out

    def _check_blocks(self, raw: _Raw, rows: list[EventRow], failures: list[IntegrityFailure]) -> dict[int, int]:
        """Block times of the headers fetched; parent hashes chain up and every log's block hash is canonical."""
        headers = raw.headers
        times: dict[int, int] = {}
        for b in sorted(headers):
            h = headers[b]
            if h is None:
                failures.append(IntegrityFailure("missing-block", b, "", f"the node has no block {b}"))
                continue
            times[b] = int(h["timestamp"], 16)
            below = headers.get(b - 1)
            if below is not None and h["parentHash"] != below["hash"]:
                failures.append(
                    IntegrityFailure(
                        "parent-hash",
                        b,
                        "",
                        f"block {b} names parent {h['parentHash']}; block {b - 1} is {below['hash']}",
                    )
                )
        first = headers.get(raw.start)
        if first is not None and self.position.hash and first["parentHash"] != self.position.hash:
            failures.append(
                IntegrityFailure(
                    "parent-hash",
                    raw.start,
                    "",
                    f"block {raw.start} names parent {first['parentHash']}, but the previous page ended at block "
                    f"{self.position.block} with hash {self.position.hash}",
                )
            )
        for r in rows:
            h = headers.get(r[1])
            if h is not None and r[2].lower() != str(h["hash"]).lower():
                failures.append(
                    IntegrityFailure(
                        "block-hash", r[1], r[0], f"the log names block hash {r[2]}, block {r[1]} is {h['hash']}"
                    )
                )
        return times

    def _unique(self, rows: list[EventRow], failures: list[IntegrityFailure]) -> list[DecodedEvent]:
        """``DecodedEvent``s of ``rows`` (sorted) after the stream's last key, each key once."""
        last = self.position.key
        out: list[DecodedEvent] = []
        append = out.append
        for key, block, bhash, txh, txi, logi, contract, address, name, args in rows:
            if key <= last:
                failures.append(
                    IntegrityFailure(
                        "key-order", block, key, f"{key} comes after {last}: keys do not strictly increase (repeated)"
                    )
                )
                continue
            last = key
            append(DecodedEvent(key, contract, address, name, args, block, bhash, txh, txi, logi))
        return out

    # --- contracts created by factories ---

    def _created(self, rows: Sequence[EventRow]) -> list[tuple[str, str, int]]:
        if not self._factories:
            return []
        found: dict[str, tuple[str, str, int]] = {}
        for r in rows:
            reducer = self._factories.get((r[6], r[8]))
            if reducer is None:
                continue
            for address, contract in reducer.creates(as_event(r)):
                if not self.decoder.knows(address) and address.lower() not in found:
                    found[address.lower()] = (address, contract, r[1])
        return list(found.values())

    def _follow(self, created: Sequence[tuple[str, str, int]]) -> None:
        for address, contract, block in created:
            if self.decoder.knows(address):
                continue
            self.decoder.add_address(address, contract)
            self.created.append((address, contract, block))
            logger.info("replay.contract.followed address=%s contract=%s from_block=%d", address, contract, block)


# --- checkpoints ---

CHECKPOINT_VERSION = 1


@dataclass
class Checkpoint:
    """A replay stopped after a page: the source's position and followed contracts, what identifies the run
    (chain id, deployments file digest, target block), and the caller's fold state (``payload``)."""

    chain_id: int
    deployments_digest: str
    to_block: int
    position: Position
    created: list[tuple[str, str, int]]
    payload: Any
    version: int = CHECKPOINT_VERSION


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically: a temporary file in the same directory, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with tmp.open("wb") as fh:
        pickle.dump(checkpoint, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``; ``None`` when there is none or it is not one this version wrote.

    A checkpoint is a pickle: load only files this tool wrote (it is the auditor's own working file)."""
    try:
        with path.open("rb") as fh:
            data = pickle.load(fh)  # noqa: S301 - the auditor's own file, written by save_checkpoint
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
        logger.warning("replay.checkpoint.unreadable path=%s error=%s", path, exc)
        return None
    if not isinstance(data, Checkpoint) or data.version != CHECKPOINT_VERSION:
        logger.warning("replay.checkpoint.ignored path=%s reason=version", path)
        return None
    return data
