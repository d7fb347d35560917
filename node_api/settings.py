"""Settings of the gateway process (``recourse serve``): env ``RECOURSE_*``, nested with ``__``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.config import DEV_CHAIN_ID, PROJECT_ROOT, ChainSettings

__all__ = ["ApiSettings", "DbSettings", "GatewaySettings", "IndexerSettings"]

_PLACEHOLDERS = {"", "changeme", "change-me", "password", "recourse", "secret"}

#: identities the embedded development gateway hosts (one key each)
DEV_INSTITUTIONS = ("bank", "collector", "mediator", "court", "investor", "auditor", "oracle", "regulator")


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
    max_body_bytes: int = 1_048_576


class IndexerSettings(BaseModel):
    enabled: bool = True
    poll_interval: float = Field(default=0.2, gt=0)
    page_blocks: int = Field(default=2_000, ge=1)
    #: readiness fails when the index is more than this many blocks behind
    max_lag: int = 50


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RECOURSE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
    )

    env: Literal["development", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / ".data"
    chain: ChainSettings = Field(default_factory=ChainSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    indexer: IndexerSettings = Field(default_factory=IndexerSettings)
    #: identities (keystore names, or dev identities on the dev chain) this gateway acts for
    institutions: list[str] = Field(default_factory=lambda: list(DEV_INSTITUTIONS))
    #: pepper mixed into API-key hashes
    api_key_pepper: SecretStr = SecretStr("development-pepper")

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> GatewaySettings:
        if self.env != "development":
            if self.chain.chain_id == DEV_CHAIN_ID:
                raise ValueError("RECOURSE_ENV=production cannot use the development chain id 31337")
            if self.api_key_pepper.get_secret_value() in _PLACEHOLDERS | {"development-pepper"}:
                raise ValueError("set RECOURSE_API_KEY_PEPPER to a real secret outside development")
            pw = self.chain.keystore_password
            if pw is None or pw.get_secret_value().strip().lower() in _PLACEHOLDERS:
                raise ValueError("RECOURSE_CHAIN__KEYSTORE_PASSWORD must be set to a real secret outside development")
        return self

    @property
    def db_url(self) -> str:
        return self.db.url or f"sqlite:///{self.data_dir / 'gateway.sqlite'}"

    @property
    def deployments_file(self) -> Path:
        if self.chain.deployments_file is not None:
            return self.chain.deployments_file
        return PROJECT_ROOT / "deployments" / f"{self.chain.network}.json"
