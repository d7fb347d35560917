"""Settings of the gateway process (``recourse serve``): env ``RECOURSE_*``, nested with ``__``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from chain.config import ProcessSettings, is_placeholder
from node_api.services.casework.settings import CaseworkSettings, check_vault_key

if TYPE_CHECKING:  # the analytics package loads numpy and scikit-learn: only where offers are made
    from analytics.restructuring import RestructuringSettings

__all__ = [
    "AnalyticsSettings",
    "ApiSettings",
    "ConsoleSettings",
    "DbSettings",
    "EvidenceSettings",
    "GatewaySettings",
    "IndexerSettings",
    "RestructuringConfig",
]

#: identities the embedded development gateway hosts (one key each)
DEV_INSTITUTIONS = (
    "bank",
    "collector",
    "collector-2",
    "mediator",
    "court",
    "court-2",
    "investor",
    "auditor",
    "oracle",
    "oracle-2",
    "oracle-3",
    "regulator",
    "investor-2",
    "investor-3",
    "investor-4",
)


class DbSettings(BaseModel):
    #: SQLAlchemy URL; empty means SQLite (WAL) at ``<data_dir>/gateway.sqlite``
    url: str = ""
    echo: bool = False


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    #: seconds ``?confirm=true`` waits before answering 202 with the still-pending operation
    confirm_timeout: float = Field(default=30.0, gt=0, le=300)
    #: requests per batch the transaction writer signs and sends
    writer_batch: int = Field(default=200, ge=1, le=2000)
    #: seconds between writer polls when idle
    writer_idle: float = Field(default=0.02, gt=0)
    #: largest JSON or CSV request body (bytes) a route parses in memory; larger gets 413 ``GEN-413``
    #: before it is read (uploads streamed to the content store have their own limits)
    max_body_bytes: int = Field(default=4 * 1_048_576, ge=1024)
    #: seconds between two polls of the head block by the on-chain role cache (re-read at every new block)
    role_poll: float = Field(default=0.05, gt=0, le=5)
    #: seconds between two reloads of the in-memory API keys (a revocation elsewhere applies within this)
    key_refresh: float = Field(default=0.5, gt=0, le=60)
    #: seconds ``recourse serve`` waits for open requests (e.g. ``?confirm=true``) on shutdown
    graceful_shutdown: int = Field(default=10, ge=1, le=300)
    #: where the transaction writers and the evidence batcher run: ``process`` (a child process of their
    #: own, so they do not share the API's interpreter lock) or ``thread`` (inside the API process)
    background: Literal["process", "thread"] = "process"
    #: who may read ``/metrics``: ``key`` (an API key with the ``metrics:read`` scope; Prometheus sends it
    #: with ``authorization: {credentials_file: …}``) or ``open`` (anyone who can reach the port: only
    #: behind a firewall that lets the scraper alone through)
    metrics_auth: Literal["key", "open"] = "key"


class IndexerSettings(BaseModel):
    enabled: bool = True
    poll_interval: float = Field(default=0.2, gt=0)
    page_blocks: int = Field(default=2_000, ge=1)
    #: readiness fails when the index is more than this many blocks behind
    max_lag: int = 50


class EvidenceSettings(BaseModel):
    """Evidence anchoring: content store, batching of anchors, upload limit."""

    #: ``local`` (content-addressed files under ``store_dir``) or ``ipfs`` (a Kubo-compatible HTTP RPC node)
    store: Literal["local", "ipfs"] = "local"
    #: empty means ``<data_dir>/evidence``
    store_dir: Path | None = None
    ipfs_url: str = "http://127.0.0.1:5001"
    ipfs_timeout: float = Field(default=60.0, gt=0)
    #: a batch closes at this many documents ...
    batch_size: int = Field(default=1_000, ge=1, le=100_000)
    #: ... or when its oldest document has waited this many seconds
    batch_seconds: float = Field(default=2.0, gt=0)
    #: largest accepted document (bytes); larger uploads get a 413 problem
    max_upload_bytes: int = Field(default=1_073_741_824, ge=1)
    enabled: bool = True


class RestructuringConfig(BaseModel):
    """Time and cost parameters of restructuring offers (``RECOURSE_ANALYTICS__RESTRUCTURING__*``): the
    litigation-plus-auction baseline every plan must beat, and the grid of plans considered. Money in fen,
    shares and rates in basis points (see ``analytics.restructuring.RestructuringSettings``)."""

    #: the bank's yearly cost of carrying the claim (8 %)
    discount_rate_bps: int = Field(default=800, ge=0, le=10_000)
    #: months from filing a suit to a judgment
    months_to_judgment: int = Field(default=12, ge=0, le=120)
    #: months from the judgment to the auction's proceeds
    enforcement_months: int = Field(default=12, ge=0, le=120)
    #: court fees, lawyers and appraisal paid at filing: a fixed part in fen and a share of the claim
    litigation_cost_fixed: int = Field(default=500_000, ge=0)
    litigation_cost_bps: int = Field(default=300, ge=0, le=10_000)
    #: what a judicial auction recovers of the collateral's appraisal, and how often one fails
    auction_recovery_bps: int = Field(default=7_000, ge=0, le=10_000)
    auction_failure_bps: int = Field(default=1_000, ge=0, le=10_000)
    #: what enforcement recovers of the unsecured part of a claim
    unsecured_recovery_bps: int = Field(default=500, ge=0, le=10_000)
    instalment_counts: tuple[int, ...] = (6, 12, 24, 36)
    relief_grid_bps: tuple[int, ...] = (0, 5_000, 10_000)
    haircut_grid_bps: tuple[int, ...] = (0, 1_000, 2_000)
    max_plans: int = Field(default=3, ge=1, le=10)
    #: the share of the stated capacity an instalment may take before the default hazard rises
    affordability_share_bps: int = Field(default=6_000, ge=0, le=10_000)
    affordability_stress_bps: int = Field(default=10_000, ge=0)
    #: the smallest instalment worth collecting, in fen
    min_instalment: int = Field(default=10_000, ge=1)

    def model(self) -> RestructuringSettings:
        """The analytics model's settings (which refuse incoherent parameters with a ``SchemaError``: the gateway
        builds them once at start-up, so a bad setting stops it with that message)."""
        from analytics.restructuring import RestructuringSettings

        return RestructuringSettings(**self.model_dump())


class AnalyticsSettings(BaseModel):
    #: restructuring offers: the litigation baseline's time and cost, and the plans considered
    restructuring: RestructuringConfig = Field(default_factory=RestructuringConfig)
    #: directory of trained model artefacts (``recourse models train``); empty means ``<data_dir>/models``
    model_dir: Path | None = None
    #: largest guarantee edge list accepted by ``POST /guarantees/analyses``
    max_guarantees: int = Field(default=200_000, ge=1)
    #: largest guarantee edge list body (bytes, CSV or JSON); larger gets 413 ``GEN-413`` before it is read
    max_edge_list_bytes: int = Field(default=32 * 1_048_576, ge=1024)


class ConsoleSettings(BaseModel):
    """The web console the gateway serves at ``/console`` (``RECOURSE_CONSOLE__*``)."""

    enabled: bool = True
    #: a signed-in session ends after this many minutes without a request ...
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: ... and after this many minutes in any case
    max_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    #: sessions held at once (the oldest is dropped beyond it)
    max_sessions: int = Field(default=10_000, ge=1)


class GatewaySettings(ProcessSettings):
    db: DbSettings = Field(default_factory=DbSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    indexer: IndexerSettings = Field(default_factory=IndexerSettings)
    #: collectors' work on delegated cases: PII vault key, log anchoring, conduct rules (``RECOURSE_CASEWORK__*``)
    casework: CaseworkSettings = Field(default_factory=CaseworkSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    #: identities (keystore names, or dev identities on the dev chain) this gateway acts for
    institutions: list[str] = Field(default_factory=lambda: list(DEV_INSTITUTIONS))
    #: pepper mixed into API-key hashes
    api_key_pepper: SecretStr = SecretStr("development-pepper")

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> GatewaySettings:
        check_vault_key(self.casework, self.chain.chain_id)
        pepper = self.api_key_pepper.get_secret_value()
        if self.env != "development" and (is_placeholder(pepper) or pepper == "development-pepper"):
            raise ValueError("set RECOURSE_API_KEY_PEPPER to a real secret outside development")
        return self

    @property
    def db_url(self) -> str:
        return self.db.url or f"sqlite:///{self.data_dir / 'gateway.sqlite'}"
