"""Recourse chain layer: compiler, embedded node, keys, client, contract wrappers, deployment.

Knows web3 and nothing above it. Raw web3 objects never leave this package: wrappers return the
plain dataclasses defined here.
"""

from chain._recursion import SAFE_RECURSION_LIMIT, pin_recursion_limit

pin_recursion_limit()  # before anything below imports eth_keys (and py_ecc with it)

from chain._exceptions import (  # noqa: E402
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
    "SAFE_RECURSION_LIMIT",
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
    "pin_recursion_limit",
]
