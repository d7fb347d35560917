"""Settings of the ``recourse`` CLI process (env ``RECOURSE_*``, nested with ``__``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.config import DEV_CHAIN_ID, PROJECT_ROOT, ChainSettings

__all__ = ["GovernanceSettings", "RecourseSettings", "get_settings"]

_PLACEHOLDERS = {"", "changeme", "change-me", "password", "recourse"}


class GovernanceSettings(BaseModel):
    """Founding governors (identity names or addresses), approvals needed and proposal lifetime."""

    governors: list[str] = Field(default_factory=lambda: ["governor-1", "governor-2", "governor-3"])
    threshold: int = Field(default=2, ge=1)
    proposal_lifetime: int = Field(default=7 * 24 * 3600, gt=0)


class RecourseSettings(BaseSettings):
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
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> RecourseSettings:
        if self.env != "development":
            if self.chain.chain_id == DEV_CHAIN_ID:
                raise ValueError("RECOURSE_ENV=production cannot use the development chain id 31337")
            pw = self.chain.keystore_password
            if pw is None or pw.get_secret_value().strip().lower() in _PLACEHOLDERS:
                raise ValueError("RECOURSE_CHAIN__KEYSTORE_PASSWORD must be set to a real secret outside development")
            if self.chain.keystore_dir is None:
                raise ValueError("RECOURSE_CHAIN__KEYSTORE_DIR must be set outside development")
        return self

    @property
    def deployments_file(self) -> Path:
        if self.chain.deployments_file is not None:
            return self.chain.deployments_file
        return PROJECT_ROOT / "deployments" / f"{self.chain.network}.json"

    @property
    def keystore_password(self) -> str | None:
        pw = self.chain.keystore_password
        return pw.get_secret_value() if pw is not None else None


@lru_cache(maxsize=1)
def get_settings() -> RecourseSettings:
    return RecourseSettings()
