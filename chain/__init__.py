"""Recourse chain layer: compiler, embedded node, keys, client, contract wrappers, deployment.

Knows web3 and nothing above it. Raw web3 objects never leave this package: wrappers return the
plain dataclasses defined here.
"""

from chain._exceptions import (
    ChainError,
    ChainIdMismatchError,
    CompileError,
    ConfigError,
    ContractPanic,
    ContractReverted,
    DeploymentError,
    DevKeyRefusedError,
    KeyStoreError,
    NodeError,
    PortInUseError,
    ToolchainError,
    TransactionError,
    UndecodableLogError,
)

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
