"""Evidence anchoring for the gateway: content store, batcher, receipts and court verification.

``start_evidence_services(state)`` is the gateway hook: it builds the content store chosen by settings,
the anchor cache and the batcher thread, and puts them in ``state.services.evidence``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from node_api.services.evidence.batcher import ANCHOR_KIND, EvidenceBatcher, batch_key
from node_api.services.evidence.service import AnchorCache
from node_api.services.evidence.store import ContentStore, IpfsContentStore, LocalContentStore
from node_api.settings import EvidenceSettings, GatewaySettings
from node_api.state import GatewayState

__all__ = [
    "ANCHOR_KIND",
    "EvidenceBatcher",
    "EvidenceRuntime",
    "batch_key",
    "build_evidence",
    "make_store",
    "start_evidence_services",
]


@dataclass
class EvidenceRuntime:
    settings: EvidenceSettings
    store: ContentStore
    cache: AnchorCache
    batcher: EvidenceBatcher | None = None
    #: wakes the batcher of the background process (``api.background = "process"``)
    remote_wake: Callable[[], None] | None = None
    #: verified API keys of verifiers: sha256(token) -> (expiry, institution, key id, scopes)
    verifier_keys: dict[str, tuple[float, str, str, frozenset[str]]] = field(default_factory=dict)

    def wake(self) -> None:
        if self.batcher is not None:
            self.batcher.wake()
        elif self.remote_wake is not None:
            self.remote_wake()


def make_store(settings: GatewaySettings) -> ContentStore:
    ev = settings.evidence
    root = ev.store_dir or settings.data_dir / "evidence"
    if ev.store == "ipfs":
        return IpfsContentStore(ev.ipfs_url, spool_dir=root / "spool", timeout=ev.ipfs_timeout)
    return LocalContentStore(root)


def build_evidence(state: GatewayState) -> EvidenceRuntime:
    """The content store chosen by the settings and the anchor cache (no batcher yet)."""
    return EvidenceRuntime(
        settings=state.settings.evidence, store=make_store(state.settings), cache=AnchorCache(state.recourse)
    )


def start_evidence_services(state: GatewayState) -> Callable[[], None]:
    """Lifespan hook: the evidence runtime, and its batcher thread here unless a background process runs it."""
    runtime = build_evidence(state)
    state.services.evidence = runtime
    background = state.services.background
    if background is not None:  # the batcher runs in the background process
        runtime.remote_wake = background.wake_evidence
    elif state.settings.evidence.enabled:
        runtime.batcher = EvidenceBatcher(
            engine=state.engine,
            recourse=state.recourse,
            institutions=state.institutions,
            settings=state.settings.evidence,
            wake_writer=lambda name: state.writer_for(name).wake() if name in state.writers else None,
        )
        runtime.batcher.start()

    def stop() -> None:
        if runtime.batcher is not None:
            runtime.batcher.stop()
        runtime.store.close()

    return stop
