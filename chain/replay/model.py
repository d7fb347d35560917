"""What a replay produces: the differences it found, the privileged actions it saw, and per-contract summaries.

Every module of the replay speaks these records, so the source (paging and integrity), the on-chain checks, the
index comparison and the report renderers can be written and tested apart. Amounts are integer fen; times are
block times (Unix seconds); keys are ``EventKey`` strings (``block/tx/log``, zero-padded).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Difference",
    "IntegrityFailure",
    "PrivilegedAction",
    "ReplayReport",
    "Series",
]

#: where a value was read: rebuilt from events, answered by the contract's views, or served by a gateway's index
Source = Literal["events", "chain", "index"]


@dataclass(frozen=True)
class Difference:
    """One value that is not the same in two places.

    ``contract`` names the contract (``"SettlementToken"``; an ``AssetFractions`` token as
    ``"AssetFractions@0x…"``), ``entity`` what kind of thing differs (``"balance"``, ``"member"``, ``"lot"``,
    ``"event"``, ``"conservation"``), ``key`` which one (an address, a lot id, an event key), ``field`` the
    attribute (``""`` for the thing as a whole, e.g. a missing row). ``events``/``chain``/``index`` hold the value
    each source gave (``None``: that source was not asked or has no such thing); ``note`` says it in words."""

    contract: str
    entity: str
    key: str
    field: str
    events: Any = None
    chain: Any = None
    index: Any = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IntegrityFailure:
    """The event stream itself is not trustworthy: a key that does not strictly increase, a block whose hash does
    not chain to its parent or differs from the log's ``blockHash``, a page the node answered for the wrong range,
    a log of an address the deployments do not name, a deployment whose code is not what the file records."""

    kind: str
    block: int
    key: str
    note: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PrivilegedAction:
    """An action only a governor, a court, a regulator, an issuer or the consortium itself may take: an admission,
    a role grant or revocation, a suspension, a threshold change, a pause, a court order (freeze, forced transfer,
    ruling, appraisal, sale confirmation), a relisting, a system-contract enrolment, a governed setting.

    ``actor`` is who took it (the transaction's sender where the event does not name one), ``subject`` whom or
    what it was about, ``digest`` the order's or reason's digest where the event carries one, ``details`` the
    event's other arguments in their JSON form."""

    key: str
    block: int
    time: int
    tx_hash: str
    contract: str
    event: str
    category: str
    actor: str
    subject: str
    digest: str | None
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Series:
    """A time series for the report's charts: ``points`` are ``(block time, value)`` in time order."""

    name: str
    unit: str
    points: tuple[tuple[int, int], ...]


@dataclass
class ReplayReport:
    """The whole outcome of a replay. ``ok`` only when nothing differs and the stream is intact."""

    chain_id: int
    rpc_url: str
    deployments: str
    from_block: int
    to_block: int
    to_block_hash: str
    events: int
    contracts: dict[str, str]  # name (or name@address) -> address
    differences: list[Difference] = field(default_factory=list)
    integrity: list[IntegrityFailure] = field(default_factory=list)
    privileged: list[PrivilegedAction] = field(default_factory=list)
    #: per contract: a small table of what it holds (e.g. {"members": 15, "active": 14, "threshold": 2})
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: activity (events per period) and value in escrow over time, for the charts
    series: list[Series] = field(default_factory=list)
    #: anomalies the reducers logged (something the events alone cannot explain)
    anomalies: list[str] = field(default_factory=list)
    gateway: str | None = None
    started_at: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.differences or self.integrity or self.anomalies)

    def as_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("differences", "integrity", "privileged", "series")}
        out["ok"] = self.ok
        out["differences"] = [d.as_json() for d in self.differences]
        out["integrity"] = [i.as_json() for i in self.integrity]
        out["privileged"] = [p.as_json() for p in self.privileged]
        out["series"] = [{"name": s.name, "unit": s.unit, "points": [list(p) for p in s.points]} for s in self.series]
        return out
