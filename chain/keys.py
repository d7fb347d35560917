"""Signing keys: anvil's well-known development accounts (dev chain only) and an encrypted keystore.

Development accounts are derived from anvil's public mnemonic, so they are known to everyone: they are
refused on any chain whose id is not the local development chain id (31337). Every other chain takes
keys from a keystore directory holding standard Ethereum v3 keystore files (scrypt + AES-128-CTR),
one file per named identity, decrypted with the password from settings.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain._exceptions import DevKeyRefusedError, KeyStoreError
from chain.config import DEV_CHAIN_ID

__all__ = [
    "DEV_IDENTITIES",
    "DEV_MNEMONIC",
    "Keystore",
    "dev_account",
    "dev_identity_account",
    "resolve_account",
    "resolve_address",
]

DEV_MNEMONIC = "test test test test test test test test test test test junk"

#: Named development identities and their anvil account index. Each key is used by one role only.
DEV_IDENTITIES: dict[str, int] = {
    "deployer": 0,
    "governor-1": 1,
    "governor-2": 2,
    "governor-3": 3,
    "bank": 4,
    "collector": 5,
    "mediator": 6,
    "court": 7,
    "investor": 8,
    "auditor": 9,
    "oracle": 10,
    "regulator": 11,
    "outsider": 12,
    "gateway": 13,
    "bench": 14,
    "bench-2": 15,
    "collector-2": 16,
    "oracle-2": 17,
    "oracle-3": 18,
    "bank-2": 19,
    "investor-2": 20,
    "investor-3": 21,
    "investor-4": 22,
    "court-2": 23,
}

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


@lru_cache(maxsize=64)
def _derive(index: int) -> LocalAccount:
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


def dev_account(index: int, *, chain_id: int) -> LocalAccount:
    """anvil development account ``index``; refused unless ``chain_id`` is the local dev chain."""
    if chain_id != DEV_CHAIN_ID:
        raise DevKeyRefusedError(
            f"development keys are public and refused on chain id {chain_id}; "
            f"use a keystore (RECOURSE_CHAIN__KEYSTORE_DIR) for this chain"
        )
    return _derive(index)


def dev_identity_account(name: str, *, chain_id: int) -> LocalAccount:
    """The development account of a named identity (``bank``, ``governor-1``, ...)."""
    try:
        index = DEV_IDENTITIES[name]
    except KeyError as exc:
        known = ", ".join(DEV_IDENTITIES)
        raise KeyStoreError(f"unknown development identity {name!r}; known: {known}") from exc
    return dev_account(index, chain_id=chain_id)


class Keystore:
    """A directory of v3 keystore files named ``<identity>.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        if not _NAME_RE.match(name):
            raise KeyStoreError(f"invalid identity name {name!r}: use lowercase letters, digits, '-', '_' or '.'")
        return self.directory / f"{name}.json"

    def names(self) -> Sequence[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.json"))

    def create(self, name: str, password: str) -> LocalAccount:
        """Create a fresh random key for ``name`` (refuses to overwrite)."""
        account: LocalAccount = Account.create()
        self._write(name, account, password)
        return account

    def import_key(self, name: str, private_key: str, password: str) -> LocalAccount:
        try:
            account: LocalAccount = Account.from_key(private_key)
        except (ValueError, TypeError) as exc:
            raise KeyStoreError("the private key is not a valid 32-byte hex string") from exc
        self._write(name, account, password)
        return account

    def address(self, name: str) -> str:
        """The address of ``name`` without decrypting (v3 files carry it)."""
        data = self._read(name)
        addr = data.get("address")
        if not isinstance(addr, str):
            raise KeyStoreError(f"{self._path(name)} has no address field")
        from eth_utils.address import to_checksum_address

        return str(to_checksum_address("0x" + addr.removeprefix("0x")))

    def load(self, name: str, password: str) -> LocalAccount:
        data = self._read(name)
        try:
            key = Account.decrypt(data, password)
        except ValueError as exc:
            raise KeyStoreError(
                f"cannot decrypt key {name!r}: wrong password (RECOURSE_CHAIN__KEYSTORE_PASSWORD)"
            ) from exc
        account: LocalAccount = Account.from_key(key)
        return account

    def _read(self, name: str) -> dict[str, object]:
        path = self._path(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise KeyStoreError(f"no key named {name!r} in {self.directory}") from exc
        except ValueError as exc:
            raise KeyStoreError(f"{path} is not a keystore JSON file") from exc
        if not isinstance(data, dict):
            raise KeyStoreError(f"{path} is not a keystore JSON file")
        return data

    def _write(self, name: str, account: LocalAccount, password: str) -> None:
        if len(password) < 8:
            raise KeyStoreError("keystore password must be at least 8 characters")
        path = self._path(name)
        if path.exists():
            raise KeyStoreError(f"a key named {name!r} already exists in {self.directory}")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        blob = json.dumps(Account.encrypt(account.key, password))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())


def resolve_account(
    name: str, *, chain_id: int, keystore_dir: Path | None = None, password: str | None = None
) -> LocalAccount:
    """The signing key of identity ``name``: from the keystore if it holds one, else a dev account (dev chain only)."""
    if keystore_dir is not None and name in Keystore(keystore_dir).names():
        if not password:
            raise KeyStoreError(f"key {name!r} is encrypted: set RECOURSE_CHAIN__KEYSTORE_PASSWORD")
        return Keystore(keystore_dir).load(name, password)
    if name in DEV_IDENTITIES:
        return dev_identity_account(name, chain_id=chain_id)
    where = f" or in {keystore_dir}" if keystore_dir else ""
    raise KeyStoreError(f"no identity named {name!r} among the development identities{where}")


def resolve_address(name_or_address: str, *, chain_id: int, keystore_dir: Path | None = None) -> str:
    """An address given literally, or the address of a named identity (never decrypts a key)."""
    from eth_utils.address import is_address, to_checksum_address

    text = name_or_address.strip()
    if text.startswith("0x"):
        if not is_address(text):
            raise KeyStoreError(f"{text!r} is not a valid address (0x followed by 40 hex digits)")
        return to_checksum_address(text)
    if keystore_dir is not None and text in Keystore(keystore_dir).names():
        return to_checksum_address(Keystore(keystore_dir).address(text))
    if text in DEV_IDENTITIES:
        return str(dev_identity_account(text, chain_id=chain_id).address)
    raise KeyStoreError(f"{text!r} is neither an address nor a known identity")
