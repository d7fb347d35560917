"""Exceptions raised by the `chain` package.

Hierarchy (every class ends in ``Error`` except the revert types, which mirror Solidity)::

    ChainError                      root: anything the chain layer refuses or cannot do
    ├── ConfigError                 brownie-config.yaml / settings are missing or inconsistent
    ├── CompileError                solc reported errors (``diagnostics`` = ["file:line:col: message", ...])
    ├── ToolchainError              node, solc-js, anvil or forge is missing or misbehaves
    ├── NodeError                   the embedded anvil cannot be started / stopped / reached
    │   └── PortInUseError          the port is held by a program we did not start
    ├── ChainIdMismatchError        the RPC endpoint's chain id is not the configured one
    ├── KeyStoreError               keys cannot be loaded or are refused
    │   └── DevKeyRefusedError      a well-known development key was asked for on a non-dev chain
    ├── DeploymentError             deployments file missing / stale / contract absent
    ├── TransactionError            a transaction could not be sent or was dropped
    ├── ContractReverted            a call reverted with a custom error (``name``, ``arguments``)
    │   └── ContractPanic           Panic(uint256): an assertion/overflow (a bug; page someone)
    └── UndecodableLogError         a log from a Recourse contract matches no known event
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ChainError",
    "ChainIdMismatchError",
    "CompileError",
    "ConfigError",
    "ContractPanic",
    "ContractReverted",
    "DeploymentError",
    "DevKeyRefusedError",
    "KeyStoreError",
    "NodeError",
    "PortInUseError",
    "ToolchainError",
    "TransactionError",
    "UndecodableLogError",
]


class ChainError(Exception):
    """Root of every error raised by the chain layer."""


class ConfigError(ChainError):
    """Configuration is missing or inconsistent."""


class CompileError(ChainError):
    """The Solidity compiler reported errors."""

    def __init__(self, diagnostics: list[str]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else "unknown compiler error"
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(first + more)


class ToolchainError(ChainError):
    """A required tool (node, solc-js, anvil, forge) is missing or failed."""


class NodeError(ChainError):
    """The embedded chain node cannot be started, stopped or reached."""


class PortInUseError(NodeError):
    """The configured port is held by a program this project did not start."""


class ChainIdMismatchError(ChainError):
    """The RPC endpoint reports a different chain id than the settings."""


class KeyStoreError(ChainError):
    """A signing key cannot be loaded or is refused."""


class DevKeyRefusedError(KeyStoreError):
    """A well-known development key was requested on a chain that is not the local dev chain."""


class DeploymentError(ChainError):
    """The deployments file is missing or does not match the chain."""


class TransactionError(ChainError):
    """A transaction could not be sent, or was dropped."""


class UndecodableLogError(ChainError):
    """A log emitted by a Recourse contract matches no event in its ABI."""


class ContractReverted(ChainError):
    """A contract call reverted with a decoded custom error.

    ``name`` is the Solidity error name (``"ConsortiumInsufficientApprovals"``), ``arguments`` maps each
    parameter name to its decoded value, ``selector`` is the 4-byte selector as ``0x…`` hex.
    """

    def __init__(self, name: str, args: Mapping[str, Any], selector: str, data: str = "") -> None:
        self.name = name
        self.arguments = dict(args)
        self.selector = selector
        self.data = data
        rendered = ", ".join(f"{k}={_render(v)}" for k, v in self.arguments.items())
        super().__init__(f"{name}({rendered})")


class ContractPanic(ContractReverted):
    """Solidity ``Panic(uint256)``: an assertion, overflow or array bound failed — a contract bug."""


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) and not value.startswith("0x") else str(value)
