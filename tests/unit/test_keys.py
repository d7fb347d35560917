"""chain.keys: public dev keys only on the dev chain; the encrypted v3 keystore; identity resolution."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from chain import DevKeyRefusedError, KeyStoreError
from chain.config import DEV_CHAIN_ID
from chain.keys import (
    DEV_IDENTITIES,
    Keystore,
    dev_account,
    dev_identity_account,
    resolve_account,
    resolve_address,
)

PASSWORD = "correct horse battery"
# anvil's well-known account #0 and #4 (public: `test test ... junk` mnemonic)
ANVIL_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ANVIL_4 = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
IMPORTED_KEY = "0x" + "4c" * 32
OTHER_CHAIN = 1337


@pytest.fixture(scope="module")
def keystore(tmp_path_factory: pytest.TempPathFactory) -> tuple[Keystore, LocalAccount, LocalAccount]:
    """A keystore with a fresh key ``alice`` and an imported key ``bank`` (shadowing the dev identity)."""
    store = Keystore(tmp_path_factory.mktemp("ks") / "keys")
    alice = store.create("alice", PASSWORD)
    bank = store.import_key("bank", IMPORTED_KEY, PASSWORD)
    return store, alice, bank


def test_dev_accounts_are_anvils_well_known_keys() -> None:
    assert dev_account(0, chain_id=DEV_CHAIN_ID).address == ANVIL_0
    assert dev_identity_account("bank", chain_id=DEV_CHAIN_ID).address == ANVIL_4
    addresses = {dev_account(i, chain_id=DEV_CHAIN_ID).address for i in DEV_IDENTITIES.values()}
    assert len(addresses) == len(DEV_IDENTITIES)  # one key per identity


@pytest.mark.parametrize("chain_id", [1, OTHER_CHAIN, 31338])
def test_dev_accounts_refused_off_the_dev_chain(chain_id: int) -> None:
    with pytest.raises(DevKeyRefusedError, match=f"chain id {chain_id}"):
        dev_account(0, chain_id=chain_id)
    with pytest.raises(DevKeyRefusedError):
        dev_identity_account("governor-1", chain_id=chain_id)


def test_unknown_dev_identity_raises() -> None:
    with pytest.raises(KeyStoreError, match="unknown development identity 'ceo'"):
        dev_identity_account("ceo", chain_id=DEV_CHAIN_ID)


def test_keystore_round_trip(keystore: tuple[Keystore, LocalAccount, LocalAccount]) -> None:
    store, alice, bank = keystore

    loaded = store.load("alice", PASSWORD)

    assert loaded.address == alice.address
    assert loaded.key == alice.key
    assert store.names() == ["alice", "bank"]
    assert store.address("alice").lower() == alice.address.lower()  # read without decrypting
    assert bank.key.hex().removeprefix("0x") == IMPORTED_KEY[2:]


def test_keystore_files_are_v3_json_readable_only_by_owner(
    keystore: tuple[Keystore, LocalAccount, LocalAccount],
) -> None:
    store, alice, _ = keystore
    path = store.directory / "alice.json"

    data = json.loads(path.read_text(encoding="utf-8"))

    assert data["version"] == 3
    assert "0x" + data["address"].lower().removeprefix("0x") == alice.address.lower()
    assert alice.key.hex().removeprefix("0x") not in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_wrong_password_raises(keystore: tuple[Keystore, LocalAccount, LocalAccount]) -> None:
    store, _, _ = keystore

    with pytest.raises(KeyStoreError, match="wrong password"):
        store.load("alice", "not the password")


def test_short_password_refused(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")

    with pytest.raises(KeyStoreError, match="at least 8 characters"):
        store.create("alice", "short")
    assert store.names() == []


def test_refuses_to_overwrite_a_key(keystore: tuple[Keystore, LocalAccount, LocalAccount]) -> None:
    store, alice, _ = keystore
    before = (store.directory / "alice.json").read_bytes()

    with pytest.raises(KeyStoreError, match="already exists"):
        store.import_key("alice", IMPORTED_KEY, PASSWORD)

    assert (store.directory / "alice.json").read_bytes() == before
    assert store.address("alice").lower() == alice.address.lower()


@pytest.mark.parametrize("name", ["Alice", "../escape", "", "a b", "-dash"])
def test_invalid_identity_name_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(KeyStoreError, match="invalid identity name"):
        Keystore(tmp_path).create(name, PASSWORD)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", ["0x1234", "not hex", ""])
def test_import_invalid_private_key_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(KeyStoreError, match="not a valid 32-byte hex string"):
        Keystore(tmp_path / "keys").import_key("bad", key, PASSWORD)


def test_missing_and_corrupt_key_files_raise(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "listed.json").write_text("[1, 2]", encoding="utf-8")

    with pytest.raises(KeyStoreError, match="no key named 'ghost'"):
        store.load("ghost", PASSWORD)
    with pytest.raises(KeyStoreError, match="not a keystore JSON file"):
        store.address("broken")
    with pytest.raises(KeyStoreError, match="not a keystore JSON file"):
        store.address("listed")


def test_resolve_account_prefers_the_keystore(keystore: tuple[Keystore, LocalAccount, LocalAccount]) -> None:
    store, _, bank = keystore

    resolved = resolve_account("bank", chain_id=OTHER_CHAIN, keystore_dir=store.directory, password=PASSWORD)

    assert resolved.address == bank.address
    assert resolved.address != ANVIL_4


def test_resolve_account_needs_a_password_for_keystore_keys(
    keystore: tuple[Keystore, LocalAccount, LocalAccount],
) -> None:
    store, _, _ = keystore

    with pytest.raises(KeyStoreError, match="KEYSTORE_PASSWORD"):
        resolve_account("alice", chain_id=OTHER_CHAIN, keystore_dir=store.directory, password=None)


def test_resolve_account_falls_back_to_dev_identities_on_dev_chain_only(
    keystore: tuple[Keystore, LocalAccount, LocalAccount],
) -> None:
    store, _, _ = keystore

    assert resolve_account("deployer", chain_id=DEV_CHAIN_ID).address == ANVIL_0
    assert resolve_account("deployer", chain_id=DEV_CHAIN_ID, keystore_dir=store.directory).address == ANVIL_0
    with pytest.raises(DevKeyRefusedError):
        resolve_account("deployer", chain_id=OTHER_CHAIN, keystore_dir=store.directory, password=PASSWORD)
    with pytest.raises(KeyStoreError, match="no identity named 'nobody'"):
        resolve_account("nobody", chain_id=DEV_CHAIN_ID, keystore_dir=store.directory)


def test_resolve_address(keystore: tuple[Keystore, LocalAccount, LocalAccount]) -> None:
    store, alice, bank = keystore
    ks = store.directory

    assert resolve_address(f"  {ANVIL_0.lower()} ", chain_id=OTHER_CHAIN) == ANVIL_0  # literal, checksummed
    assert resolve_address("alice", chain_id=OTHER_CHAIN, keystore_dir=ks) == alice.address  # no password needed
    assert resolve_address("bank", chain_id=OTHER_CHAIN, keystore_dir=ks) == bank.address
    assert resolve_address("bank", chain_id=DEV_CHAIN_ID) == ANVIL_4
    with pytest.raises(DevKeyRefusedError):
        resolve_address("bank", chain_id=OTHER_CHAIN)
    with pytest.raises(KeyStoreError, match="not a valid address"):
        resolve_address("0x1234", chain_id=DEV_CHAIN_ID)
    with pytest.raises(KeyStoreError, match="neither an address nor a known identity"):
        resolve_address("nobody", chain_id=DEV_CHAIN_ID, keystore_dir=ks)
