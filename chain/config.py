"""Chain-layer configuration: compiler settings from ``brownie-config.yaml`` and ``ChainSettings``.

``brownie-config.yaml`` is the single source of the compiler version, optimizer, EVM version,
remappings and network definitions (Brownie's schema). ``ChainSettings`` is the nested settings
model that each process's ``BaseSettings`` composes (env ``RECOURSE_CHAIN__*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain._exceptions import ConfigError

__all__ = [
    "ProcessSettings",
    "SETTINGS_CONFIG",
    "check_production_chain",
    "DEV_CHAIN_ID",
    "PROJECT_ROOT",
    "ChainSettings",
    "CompilerConfig",
    "NetworkConfig",
    "ProjectConfig",
    "load_project_config",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_CHAIN_ID = 31337


@dataclass(frozen=True)
class CompilerConfig:
    """Compiler settings (``compiler`` section of brownie-config.yaml)."""

    version: str
    evm_version: str
    optimizer_enabled: bool
    optimizer_runs: int
    remappings: tuple[str, ...]


@dataclass(frozen=True)
class NetworkConfig:
    """One entry of the ``networks`` section."""

    name: str
    host: str
    chain_id: int
    hardfork: str | None
    confirmations: int
    poa: bool
    gas_price: int | None


@dataclass(frozen=True)
class ProjectConfig:
    """The parsed brownie-config.yaml."""

    compiler: CompilerConfig
    networks: dict[str, NetworkConfig]
    default_network: str
    contracts_dir: str


def load_project_config(root: Path = PROJECT_ROOT) -> ProjectConfig:
    """Parse ``brownie-config.yaml`` under ``root``; raise ``ConfigError`` naming the bad key."""
    path = root / "brownie-config.yaml"
    try:
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} not found: run from the project root or restore the file") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    try:
        comp = raw["compiler"]
        solc = comp["solc"]
        compiler = CompilerConfig(
            version=str(solc["version"]),
            evm_version=str(comp["evm_version"]),
            optimizer_enabled=bool(solc["optimizer"]["enabled"]),
            optimizer_runs=int(solc["optimizer"]["runs"]),
            remappings=tuple(str(r) for r in solc.get("remappings", [])),
        )
        nets_raw: dict[str, Any] = dict(raw["networks"])
        default = str(nets_raw.pop("default"))
        networks = {
            key: NetworkConfig(
                name=str(v.get("name", key)),
                host=str(v["host"]),
                chain_id=int(v["chainid"]),
                hardfork=(v.get("cmd_settings") or {}).get("hardfork"),
                confirmations=int(v.get("confirmations", 0)),
                poa=bool(v.get("poa", False)),
                gas_price=None if v.get("gas_price") is None else int(v["gas_price"]),
            )
            for key, v in nets_raw.items()
        }
        contracts_dir = str(raw.get("project_structure", {}).get("contracts", "contracts"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path}: missing or invalid setting {exc}") from exc
    if default not in networks:
        raise ConfigError(f"{path}: networks.default names {default!r}, which is not defined")
    return ProjectConfig(compiler, networks, default, contracts_dir)


class ChainSettings(BaseModel):
    """Which chain to talk to and how (env ``RECOURSE_CHAIN__<FIELD>``)."""

    network: str = "local"
    rpc_url: str = "http://127.0.0.1:8545"
    chain_id: int = DEV_CHAIN_ID
    confirmations: int = 0
    poa: bool = False
    #: ``eip1559`` (anvil, most chains) or ``legacy`` (e.g. Besu QBFT with gas_price 0)
    fee_mode: Literal["eip1559", "legacy"] = "eip1559"
    #: legacy gas price in wei; ``0`` for a zero-gas-price Besu network
    gas_price: int | None = None
    priority_fee: int = 1_000_000_000
    #: anvil launcher: port, hardfork, number of dev accounts
    port: int = 8545
    hardfork: str = "cancun"
    dev_accounts: int = 24
    deployments_file: Path | None = None
    keystore_dir: Path | None = None
    keystore_password: SecretStr | None = None
    #: seconds to wait for a receipt before raising
    receipt_timeout: float = Field(default=120.0, gt=0)
    #: JSON-RPC batch size for bursts
    batch_size: int = Field(default=100, ge=1, le=1000)


#: the ``model_config`` every process's ``BaseSettings`` uses (env ``RECOURSE_*``, nested with ``__``)
SETTINGS_CONFIG = SettingsConfigDict(
    env_prefix="RECOURSE_",
    env_nested_delimiter="__",
    env_file=".env",
    env_ignore_empty=True,
    extra="ignore",
)

_PLACEHOLDERS = {"", "changeme", "change-me", "password", "recourse", "secret"}


def check_production_chain(env: str, chain: ChainSettings) -> None:
    """Outside development: no dev chain id, a real keystore password and a keystore directory."""
    if env == "development":
        return
    if chain.chain_id == DEV_CHAIN_ID:
        raise ValueError("RECOURSE_ENV=production cannot use the development chain id 31337")
    pw = chain.keystore_password
    if pw is None or pw.get_secret_value().strip().lower() in _PLACEHOLDERS:
        raise ValueError("RECOURSE_CHAIN__KEYSTORE_PASSWORD must be set to a real secret outside development")
    if chain.keystore_dir is None:
        raise ValueError("RECOURSE_CHAIN__KEYSTORE_DIR must be set outside development")


def is_placeholder(secret: str) -> bool:
    return secret.strip().lower() in _PLACEHOLDERS


class ProcessSettings(BaseSettings):
    """What every Recourse process (CLI, gateway, oracle node) is configured with: ``RECOURSE_*``."""

    model_config = SETTINGS_CONFIG

    env: Literal["development", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / ".data"
    chain: ChainSettings = Field(default_factory=ChainSettings)

    @model_validator(mode="after")
    def _refuse_dev_chain_in_production(self) -> ProcessSettings:
        check_production_chain(self.env, self.chain)
        return self

    @property
    def deployments_file(self) -> Path:
        if self.chain.deployments_file is not None:
            return self.chain.deployments_file
        return PROJECT_ROOT / "deployments" / f"{self.chain.network}.json"
