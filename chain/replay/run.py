"""The whole replay: page every event (``source``), fold it through ``chain.reducers``, check the result against
the chain's views (``onchain``) and a gateway's index (``index``), collect privileged actions (``privileged``).

``run_replay`` is read-only: it asks the node for ``eth_chainId``, ``eth_blockNumber``, ``eth_getLogs``,
``eth_getBlockByNumber``, ``eth_getCode`` and ``eth_call``, and never signs (no key is loaded; the client makes no
``Sender``). It returns the ``ReplayReport`` and the rebuilt states (``{contract: state}``, ``{address: state}``
for ``PER_ADDRESS`` contracts), which the renderers export as tables.

Series for the charts: events per day (block time, UTC days) and, for each escrow (``CaseDelegation``,
``JudicialAuction``, ``DisputeDesk``, ``FractionsFactory`` and every ``AssetFractions`` token), the rCNY it holds
after each block that moved it, from the ``SettlementToken`` ``Transfer`` events to and from its address (exact:
an escrow holds exactly what was transferred to it minus what it sent).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain._exceptions import ChainError
from chain._gc import gc_paused
from chain.client import ChainClient, Rpc
from chain.config import ChainSettings
from chain.deploy import TEMPLATES, Deployments, load_deployments
from chain.events import DecodedEvent
from chain.network import Recourse
from chain.reducers import PER_ADDRESS, REDUCERS, Event
from chain.reducers._base import ZERO_ADDRESS
from chain.replay.model import Difference, IntegrityFailure, ReplayReport, Series
from chain.replay.source import (
    NOT_RECOURSE,
    Checkpoint,
    EventSource,
    Position,
    load_checkpoint,
    save_checkpoint,
)

__all__ = ["ESCROWS", "ReplayInputError", "connect_read_only", "run_replay"]

logger = logging.getLogger(__name__)

#: contracts that hold rCNY for others (their balance over time is charted); every AssetFractions token too
ESCROWS = ("CaseDelegation", "JudicialAuction", "DisputeDesk", "FractionsFactory")
DAY = 86_400
#: a client that never signs has no nonce journal, so its data directory is never created or written
_NO_DATA_DIR = Path("/nonexistent/recourse-replay-is-read-only")


class ReplayInputError(ChainError):
    """The replay cannot start: the target block is beyond the node's head, or a page size is not positive."""


def connect_read_only(rpc_url: str) -> ChainClient:
    """A ``ChainClient`` for reads only, for whatever chain the node is (its id is asked, not assumed).

    It loads no key and makes no ``Sender``, so nothing can be signed. An unreachable node raises
    ``ChainError``."""
    rpc = Rpc(rpc_url)
    try:
        chain_id = int(rpc.call("eth_chainId"), 16)
        return ChainClient(ChainSettings(rpc_url=rpc_url, chain_id=chain_id), data_dir=_NO_DATA_DIR, rpc=rpc)
    except BaseException:
        rpc.close()
        raise


@dataclass
class _Fold:
    """Everything the replay accumulates, pickled whole into a checkpoint after each page."""

    states: dict[str, Any]
    contracts: dict[str, str]
    escrows: dict[str, str]  # address -> label
    collector: Any  # privileged.PrivilegedCollector
    index: Any = None  # index.IndexCheck (None without a gateway)
    events: int = 0
    integrity: list[IntegrityFailure] = field(default_factory=list)
    times: dict[int, int] = field(default_factory=dict)
    per_day: dict[int, int] = field(default_factory=dict)
    escrow_balance: dict[str, int] = field(default_factory=dict)
    escrow_points: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _new_fold(deployments: Deployments, *, gateway: str | None, api_key: str | None, to_block: int) -> _Fold:
    from chain.replay.privileged import PrivilegedCollector

    index: Any = None
    if gateway is not None:
        from chain.replay.index import IndexCheck

        index = IndexCheck(gateway, api_key or "", to_block=to_block)
    states: dict[str, Any] = {n: {} if n in PER_ADDRESS else r.new_state() for n, r in REDUCERS.items()}
    contracts = {n: c.address for n, c in deployments.contracts.items()}
    escrows = {deployments.contracts[n].address: n for n in ESCROWS if n in deployments.contracts}
    return _Fold(states=states, contracts=contracts, escrows=escrows, collector=PrivilegedCollector(), index=index)


def _fold_page(fold: _Fold, events: list[DecodedEvent], times: Mapping[int, int]) -> None:
    """Feed one page's events to the collectors, the series and the reducers (grouped per contract, in key order:
    each contract's state depends only on its own events)."""
    collector_see = fold.collector.see
    index_see = fold.index.see if fold.index is not None else None
    groups: dict[tuple[str, str], list[Event]] = {}
    per_day, escrows = fold.per_day, fold.escrows
    last_block, day = -1, 0
    for e in events:
        collector_see(e)
        if index_see is not None:
            index_see(e)
        if e.block_number != last_block:
            last_block = e.block_number
            day = times.get(last_block, 0) // DAY * DAY
        per_day[day] = per_day.get(day, 0) + 1
        contract = e.contract
        if contract == "SettlementToken" and e.name == "Transfer":
            a = e.args
            if a["from"] in escrows or a["to"] in escrows:
                _move_escrow(fold, a["from"], a["to"], int(a["value"]), times.get(e.block_number, 0))
        group = groups.get((contract, e.address if contract in PER_ADDRESS else ""))
        if group is None:
            group = groups[(contract, e.address if contract in PER_ADDRESS else "")] = []
        group.append(Event(e.key, e.block_number, contract, e.name, e.args, e.address))
    fold.events += len(events)
    for (contract, address), evs in groups.items():
        reducer = REDUCERS.get(contract)
        if reducer is None:
            continue
        wanted = [e for e in evs if e.name in reducer.events]
        if not wanted:
            continue
        if contract in PER_ADDRESS:
            per_address = fold.states[contract]
            state = per_address[address] if address in per_address else reducer.new_state()
            per_address[address] = reducer.run(state, wanted)
        else:
            fold.states[contract] = reducer.run(fold.states[contract], wanted)


def _move_escrow(fold: _Fold, src: str, dst: str, value: int, at: int) -> None:
    for address, sign in ((src, -1), (dst, 1)):
        label = fold.escrows.get(address)
        if label is None or address == ZERO_ADDRESS:
            continue
        balance = fold.escrow_balance[label] = fold.escrow_balance.get(label, 0) + sign * value
        points = fold.escrow_points.setdefault(label, [])
        if points and points[-1][0] == at:
            points[-1] = (at, balance)  # one point per block time: the balance after it
        else:
            points.append((at, balance))


def _anomalies(states: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for name, state in states.items():
        if name in PER_ADDRESS:
            for address, s in state.items():
                out += [f"{name}@{address}: {a}" for a in getattr(s, "anomalies", [])]
        else:
            out += [f"{name}: {a}" for a in getattr(state, "anomalies", [])]
    return out


def _series(fold: _Fold) -> list[Series]:
    out = [Series("events per day", "events", tuple(sorted(fold.per_day.items())))]
    for label in sorted(fold.escrow_points):
        out.append(Series(f"rCNY held by {label}", "fen", tuple(fold.escrow_points[label])))
    return out


def _checkpoint_payload(fold: _Fold) -> _Fold:
    """The fold as it can be pickled: without the index check when that holds something unpicklable (an HTTP
    client); a resume with a gateway then starts over."""
    try:
        pickle.dumps(fold.index)
    except (pickle.PicklingError, TypeError, AttributeError):
        return _Fold(**{**fold.__dict__, "index": _UNPICKLABLE})
    return fold


#: marks a checkpoint written without the index check
_UNPICKLABLE = "index-check-not-stored"


def _resume(
    path: Path | None,
    *,
    client: ChainClient,
    source: EventSource,
    digest: str,
    to_block: int,
    gateway: str | None,
) -> tuple[_Fold | None, list[str]]:
    """The fold and position of the checkpoint at ``path`` when it belongs to this run and its last block is
    still on the chain; otherwise nothing (start over), with a note saying why."""
    if path is None:
        return None, []
    cp = load_checkpoint(path)
    if cp is None:
        return None, []
    if (cp.chain_id, cp.deployments_digest, cp.to_block) != (client.chain_id, digest, to_block):
        return None, [f"checkpoint {path} is of another run (chain, deployments file or target block): started over"]
    if not isinstance(cp.payload, _Fold):
        return None, [f"checkpoint {path} holds no replay state: started over"]
    fold = cp.payload
    if (fold.index == _UNPICKLABLE or fold.index is None) and gateway is not None:
        return None, [f"checkpoint {path} was written without the index comparison: started over"]
    if fold.index == _UNPICKLABLE:
        fold.index = None
    if cp.position.hash and source.block_hash(cp.position.block) != cp.position.hash:
        return None, [
            f"checkpoint {path}: block {cp.position.block} is no longer {cp.position.hash} on the chain: started over"
        ]
    source.position = cp.position
    source._follow(cp.created)
    logger.info("replay.checkpoint.resumed path=%s block=%d events=%d", path, cp.position.block, fold.events)
    return fold, [f"resumed from checkpoint {path} at block {cp.position.block}"]


def run_replay(
    *,
    rpc_url: str,
    deployments: Path,
    to_block: int | None = None,
    gateway: str | None = None,
    api_key: str | None = None,
    checkpoint: Path | None = None,
    page_blocks: int = 5_000,
    progress: Callable[[int, int], None] | None = None,
    notes: list[str] | None = None,
    checkpoint_seconds: float = 0.0,
) -> tuple[ReplayReport, dict[str, Any]]:
    """Replay every event of the deployment in ``deployments`` up to ``to_block`` (the head by default) and check
    it; returns the report and the rebuilt states.

    ``progress(blocks_done, blocks_total)`` is called after each page (after its checkpoint is written). The
    checkpoint is written after every page, or with ``checkpoint_seconds`` at most that often (and after the last
    page): each write pickles the whole rebuilt state, which on a large chain costs more than a page.
    ``notes`` (when given) receives what the run says besides the report (a checkpoint resumed or discarded).
    Raises ``DeploymentError`` (a missing or invalid deployments file), ``ChainError`` (an unreachable node) and
    ``ReplayInputError`` (a target block beyond the head); everything the chain itself gets wrong is reported.
    """
    started, t0 = time.time(), time.perf_counter()
    if page_blocks < 1:
        raise ReplayInputError(f"page_blocks must be positive, not {page_blocks}")
    deps = load_deployments(deployments)
    digest = _digest(deployments)
    client = connect_read_only(rpc_url)
    fold: _Fold | None = None
    try:
        head = client.block_number()
        target = head if to_block is None else to_block
        if not 0 <= target <= head:
            raise ReplayInputError(f"block {target} is not on the chain (its head is block {head})")
        if to_block is not None and to_block < deps.start_block:
            raise ReplayInputError(f"block {to_block} is before the deployment (block {deps.start_block})")
        recourse = Recourse(client, deps)  # refuses a file without ABIs before any work
        for name in TEMPLATES:  # and one without the ABIs of the contracts factories create
            deps.template_abi(name)
        source = EventSource(client, deps, to_block=target, page_blocks=page_blocks)
        deployment_failures = source.check_deployment()
        fold, said = _resume(checkpoint, client=client, source=source, digest=digest, to_block=target, gateway=gateway)
        for note in said:
            logger.info("replay.note %s", note)
        if notes is not None:
            notes.extend(said)
        if fold is None:
            fold = _new_fold(deps, gateway=gateway, api_key=api_key, to_block=target)
            source.position = Position(source.from_block - 1, "", "")
        total = max(0, target - source.from_block + 1)
        pages = source.pages()
        saved_at = time.monotonic()
        while True:
            with gc_paused():  # a page allocates ~10 acyclic objects per event: no collector passes meanwhile
                page = next(pages, None)
                if page is None:
                    break
                fold.integrity += page.integrity
                fold.times.update(page.times)
                for address, contract, _ in page.created:
                    fold.contracts[f"{contract}@{address}"] = address
                    if contract == "AssetFractions":
                        fold.escrows[address] = f"{contract}@{address}"
                _fold_page(fold, page.events, page.times)
            last_page = page.end >= target
            if checkpoint is not None and (last_page or time.monotonic() - saved_at >= checkpoint_seconds):
                saved_at = time.monotonic()
                save_checkpoint(
                    checkpoint,
                    Checkpoint(
                        chain_id=client.chain_id,
                        deployments_digest=digest,
                        to_block=target,
                        position=source.position,
                        created=list(source.created),
                        payload=_checkpoint_payload(fold),
                    ),
                )
            if progress is not None:
                progress(page.end - source.from_block + 1, total)
        if source.position.block == target and source.position.hash:
            fold.integrity += _still_canonical(client, target, source.position.hash)
        report = _report(
            client=client,
            recourse=recourse,
            deps=deps,
            rpc_url=rpc_url,
            deployments=deployments,
            fold=fold,
            target=target,
            deployment_failures=deployment_failures,
            gateway=gateway,
        )
    finally:
        if fold is not None and fold.index is not None:
            fold.index.close()
        client.close()
    report.started_at, report.seconds = started, time.perf_counter() - t0
    return report, fold.states


def _still_canonical(client: ChainClient, block: int, seen: str) -> list[IntegrityFailure]:
    """A failure when ``block`` is no longer the block the replay ended on (the chain reorganised under it)."""
    header = client.rpc.call("eth_getBlockByNumber", [hex(block), False])
    now = str(header["hash"]) if header else None
    if now == seen:
        return []
    note = f"block {block} was {seen} when its page was read and is {now} now: the chain reorganised during the replay"
    return [IntegrityFailure("block-hash", block, "", note)]


def _report(
    *,
    client: ChainClient,
    recourse: Recourse,
    deps: Deployments,
    rpc_url: str,
    deployments: Path,
    fold: _Fold,
    target: int,
    deployment_failures: list[IntegrityFailure],
    gateway: str | None,
) -> ReplayReport:
    from chain.replay.onchain import check_onchain, summaries

    integrity = [*deployment_failures, *fold.integrity]
    differences: list[Difference] = []
    if not any(f.kind == NOT_RECOURSE for f in deployment_failures):
        differences += check_onchain(recourse, fold.states, target)
    if fold.index is not None:
        differences += fold.index.finish(fold.states)
    privileged = fold.collector.actions(client, fold.times) if not deployment_failures else []
    target_hash = client.rpc.call("eth_getBlockByNumber", [hex(target), False])
    return ReplayReport(
        chain_id=client.chain_id,
        rpc_url=rpc_url,
        deployments=str(deployments),
        from_block=deps.start_block,
        to_block=target,
        to_block_hash=str(target_hash["hash"]) if target_hash else "",
        events=fold.events,
        contracts=dict(fold.contracts),
        differences=differences,
        integrity=integrity,
        privileged=privileged,
        summaries=summaries(fold.states),
        series=_series(fold),
        anomalies=_anomalies(fold.states),
        gateway=gateway,
    )
