"""Process-wide gateway state built by ``create_app``: engine, chain client, contracts, writers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from chain.client import ChainClient
from chain.contracts.consortium import Role
from chain.network import Recourse
from node_api.institutions import Institution
from node_api.outbox import OperationBoard, TransactionWriter
from node_api.settings import GatewaySettings

__all__ = ["GatewayState", "RoleCache"]


class RoleCache:
    """On-chain role answers, cached for at most ``ttl`` seconds (reads only; writes always ask the chain)."""

    def __init__(self, recourse: Recourse, ttl: float = 0.5) -> None:
        self._recourse = recourse
        self._ttl = ttl
        self._cache: dict[tuple[str, Role | None], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def check(self, address: str, role: Role | None, *, fresh: bool) -> bool:
        key = (address, role)
        now = time.monotonic()
        if not fresh:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        c = self._recourse.consortium
        value = c.is_active_member(address) if role is None else c.has_active_role(address, role)
        with self._lock:
            self._cache[key] = (now, value)
        return value


@dataclass
class GatewayState:
    settings: GatewaySettings
    engine: Engine
    client: ChainClient
    recourse: Recourse
    institutions: dict[str, Institution]
    board: OperationBoard
    roles: RoleCache
    writers: dict[str, TransactionWriter] = field(default_factory=dict)
    #: background components started by the lifespan (indexer, webhook dispatcher, ...)
    services: dict[str, Any] = field(default_factory=dict)

    def writer_for(self, institution: str) -> TransactionWriter:
        return self.writers[institution]
