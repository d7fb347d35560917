"""The production network's genesis and node permissioning, from the consortium's founding members.

A Recourse production network is a Besu QBFT chain with one validator per founding member. Its genesis
block names the validators in ``extraData``, RLP-encoded as Besu documents for QBFT with block header
validator selection::

    RLP([32 bytes vanity, [validator addresses], no vote, round 0, no seals])

(the vote an empty list, the round the integer 0, which RLP writes as the empty byte string ``0x80``, and the
seals an empty list). A validator's address is the Ethereum address of its node key (the last 20 bytes of
the Keccak-256 of the 64-byte public key), so each founding member gives the public key of its validator
node; the enode URLs of the node permissioning allowlist are built from the same keys.

Gas is free (``zeroBaseFee`` with a zero gas price in the clients' settings): the chain is permissioned, and
nobody should need Ether to act on it. Nothing personal goes into a genesis: names are institutions'.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import coincurve
import rlp
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

__all__ = [
    "FoundingMember",
    "GenesisError",
    "QbftParams",
    "decode_qbft_extra_data",
    "genesis",
    "node_address",
    "permissions_toml",
    "qbft_extra_data",
    "static_nodes",
]

VANITY = b"\x00" * 32
#: QBFT tolerates f faulty validators out of 3f + 1: fewer than 4 tolerate none
BFT_MINIMUM = 4
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


class GenesisError(ValueError):
    """A founding member or a parameter that cannot make a valid network (the message says which)."""


@dataclass(frozen=True)
class FoundingMember:
    """One founding institution's validator node: its public key and where its peers reach it."""

    name: str
    #: uncompressed secp256k1 public key of the validator node, 64 bytes as hex (``0x`` and a leading
    #: ``04`` are accepted), as ``besu public-key export`` prints it
    node_public_key: str
    host: str
    p2p_port: int = 30303
    #: the institution's on-chain account(s): allowed to send transactions when account permissioning is on
    accounts: tuple[str, ...] = ()

    def public_key_bytes(self) -> bytes:
        raw = self.node_public_key.lower().removeprefix("0x")
        if len(raw) == 130 and raw.startswith("04"):
            raw = raw[2:]
        try:
            key = bytes.fromhex(raw)
        except ValueError:
            raise GenesisError(f"{self.name}: node public key is not hex") from None
        if len(key) != 64:
            raise GenesisError(f"{self.name}: node public key must be 64 bytes (128 hex digits), not {len(key)}")
        try:
            coincurve.PublicKey(b"\x04" + key)
        except ValueError:
            raise GenesisError(f"{self.name}: node public key is not a point on secp256k1") from None
        return key

    def enode(self) -> str:
        return f"enode://{self.public_key_bytes().hex()}@{self.host}:{self.p2p_port}"


@dataclass(frozen=True)
class QbftParams:
    chain_id: int = 1337
    #: seconds between blocks (Besu's default example uses 5; 2 keeps claims and bids snappy)
    block_period_s: int = 2
    #: seconds before a round change; at least twice the block period, as Besu advises
    request_timeout_s: int = 4
    epoch_length: int = 30_000
    gas_limit: int = 0x1FFFFFFFFFFFFF
    #: EIP-170 limit in bytes; JudicialAuction and the fractions deployer fit under the default
    contract_size_limit: int = 24_576
    alloc: dict[str, int] = field(default_factory=dict)

    def check(self) -> None:
        if self.chain_id <= 0:
            raise GenesisError("chain id must be positive")
        if self.chain_id == 31337:
            raise GenesisError("chain id 31337 is the development chain's; choose the network's own")
        if self.block_period_s < 1:
            raise GenesisError("block period must be at least 1 second")
        if self.request_timeout_s < 2 * self.block_period_s:
            raise GenesisError(
                f"request timeout ({self.request_timeout_s} s) must be at least twice the block period "
                f"({self.block_period_s} s), or rounds change before a block can be proposed"
            )
        if self.epoch_length < 1:
            raise GenesisError("epoch length must be at least 1 block")


def node_address(public_key: bytes) -> str:
    """The Ethereum address of a node key: a validator's identity in ``extraData``."""
    return to_checksum_address(keccak(public_key)[12:])


def qbft_extra_data(validators: Sequence[str]) -> str:
    """``extraData`` of a QBFT genesis with these validator addresses, in the given order."""
    if not validators:
        raise GenesisError("a QBFT network needs at least one validator")
    raw = [bytes.fromhex(v.lower().removeprefix("0x")) for v in validators]
    if any(len(a) != 20 for a in raw):
        raise GenesisError("validator addresses must be 20 bytes")
    if len(set(raw)) != len(raw):
        raise GenesisError("a validator is listed twice")
    encoded: bytes = rlp.encode([VANITY, raw, [], b"", []])
    return "0x" + encoded.hex()


def decode_qbft_extra_data(extra: str) -> list[str]:
    """The validator addresses of a QBFT genesis ``extraData`` (checks vanity, no vote, round 0, no seals)."""
    try:
        items = rlp.decode(bytes.fromhex(extra.lower().removeprefix("0x")))
    except (ValueError, rlp.exceptions.DecodingError) as exc:
        raise GenesisError(f"extraData is not RLP: {exc}") from None
    if not isinstance(items, list) or len(items) != 5:
        raise GenesisError("extraData must be a list of 5 items: vanity, validators, vote, round, seals")
    vanity, validators, vote, round_, seals = items
    if not isinstance(vanity, bytes) or len(vanity) != 32:
        raise GenesisError("extraData's vanity must be 32 bytes")
    if not isinstance(validators, list) or any(not isinstance(v, bytes) or len(v) != 20 for v in validators):
        raise GenesisError("extraData's validators must be a list of 20-byte addresses")
    if vote != [] or round_ != b"" or seals != []:
        raise GenesisError("a genesis has no vote, round 0 and no seals")
    return [to_checksum_address(v) for v in validators]


def _check_members(members: Sequence[FoundingMember]) -> None:
    if len(members) < BFT_MINIMUM:
        raise GenesisError(
            f"{len(members)} founding member(s): QBFT needs at least {BFT_MINIMUM} validators to tolerate one faulty"
        )
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise GenesisError("a founding member is listed twice")
    keys: dict[bytes, str] = {}
    for m in members:
        key = m.public_key_bytes()
        if key in keys:
            raise GenesisError(f"{m.name} and {keys[key]} have the same node key")
        keys[key] = m.name
        if not 0 < m.p2p_port < 65536:
            raise GenesisError(f"{m.name}: p2p port {m.p2p_port} is not a TCP port")
        _check_host(m)
        for a in m.accounts:
            if not re.fullmatch(r"0x[0-9a-fA-F]{40}", a):
                raise GenesisError(f"{m.name}: account {a!r} is not an address")


def _check_host(m: FoundingMember) -> None:
    try:
        ipaddress.ip_address(m.host)
        return
    except ValueError:
        pass
    if not _HOST.match(m.host):
        raise GenesisError(f"{m.name}: host {m.host!r} is neither an IP address nor a DNS name")


def genesis(members: Sequence[FoundingMember], params: QbftParams) -> dict[str, Any]:
    """Besu's genesis file for the network: QBFT, block header validator selection, zero base fee."""
    params.check()
    _check_members(members)
    validators = [node_address(m.public_key_bytes()) for m in members]
    return {
        "config": {
            "chainId": params.chain_id,
            "berlinBlock": 0,
            "londonBlock": 0,
            "shanghaiTime": 0,
            "cancunTime": 0,  # contracts are compiled for the cancun EVM
            "zeroBaseFee": True,
            "contractSizeLimit": params.contract_size_limit,
            "qbft": {
                "blockperiodseconds": params.block_period_s,
                "epochlength": params.epoch_length,
                "requesttimeoutseconds": params.request_timeout_s,
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "gasLimit": hex(params.gas_limit),
        "difficulty": "0x1",
        # Besu's QBFT mixHash, "ctical byzantine fault tolerance"
        "mixHash": "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365",
        "coinbase": "0x0000000000000000000000000000000000000000",
        "alloc": {a.lower().removeprefix("0x"): {"balance": hex(v)} for a, v in sorted(params.alloc.items())},
        "extraData": qbft_extra_data(validators),
    }


def static_nodes(members: Sequence[FoundingMember]) -> list[str]:
    """Every validator's enode URL: Besu's ``static-nodes.json`` (each node dials the others)."""
    _check_members(members)
    return [m.enode() for m in members]


def permissions_toml(members: Sequence[FoundingMember]) -> str:
    """Besu's local permissioning file: only the founding members' nodes may peer, and only their
    accounts and validator addresses may send transactions (``--permissions-nodes-config-file-enabled``,
    ``--permissions-accounts-config-file-enabled``)."""
    _check_members(members)
    nodes = [m.enode() for m in members]
    accounts: list[str] = []
    for m in members:
        for a in (*m.accounts, node_address(m.public_key_bytes())):
            if to_checksum_address(a) not in accounts:
                accounts.append(to_checksum_address(a))
    return (
        "# Written by `recourse network genesis`: the consortium's founding members.\n"
        f"nodes-allowlist={json.dumps(nodes)}\n"
        f"accounts-allowlist={json.dumps(accounts)}\n"
    )
