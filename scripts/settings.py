"""Settings of the ``recourse`` CLI process (env ``RECOURSE_*``, nested with ``__``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, Field

from chain.config import ProcessSettings

__all__ = ["GovernanceSettings", "NetworkSettings", "RecourseSettings", "get_settings"]


class GovernanceSettings(BaseModel):
    """Founding governors (identity names or addresses), approvals needed and proposal lifetime."""

    governors: list[str] = Field(default_factory=lambda: ["governor-1", "governor-2", "governor-3"])
    threshold: int = Field(default=2, ge=1)
    proposal_lifetime: int = Field(default=7 * 24 * 3600, gt=0)
    #: OracleHub: signatures of distinct active ORACLE members a report needs
    oracle_threshold: int = Field(default=2, ge=1)


class NetworkSettings(BaseModel):
    """``recourse network up``: the gateways of the embedded network, one per institution, and their ports."""

    gateways: list[str] = Field(default_factory=lambda: ["bank", "collector", "court", "investor"], min_length=1)
    #: the first gateway listens here, the next one port higher, and so on
    base_port: int = Field(default=8101, ge=1024, le=65000)


class RecourseSettings(ProcessSettings):
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)

    @property
    def keystore_password(self) -> str | None:
        pw = self.chain.keystore_password
        return pw.get_secret_value() if pw is not None else None


@lru_cache(maxsize=1)
def get_settings() -> RecourseSettings:
    return RecourseSettings()
