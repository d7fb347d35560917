"""Settings of the ``recourse`` CLI process (env ``RECOURSE_*``, nested with ``__``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings

from chain.config import PROJECT_ROOT, SETTINGS_CONFIG, ChainSettings, check_production_chain

__all__ = ["GovernanceSettings", "RecourseSettings", "get_settings"]


class GovernanceSettings(BaseModel):
    """Founding governors (identity names or addresses), approvals needed and proposal lifetime."""

    governors: list[str] = Field(default_factory=lambda: ["governor-1", "governor-2", "governor-3"])
    threshold: int = Field(default=2, ge=1)
    proposal_lifetime: int = Field(default=7 * 24 * 3600, gt=0)
    #: OracleHub: signatures of distinct active ORACLE members a report needs
    oracle_threshold: int = Field(default=2, ge=1)


class RecourseSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

    env: Literal["development", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / ".data"
    chain: ChainSettings = Field(default_factory=ChainSettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> RecourseSettings:
        check_production_chain(self.env, self.chain)
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
