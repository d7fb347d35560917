"""PII vault: AES-256-GCM with the case id as associated data, logged reads, no commit in put_many."""

from __future__ import annotations

import os

import pytest
from sqlmodel import Session, select

from chain.config import ChainSettings
from node_api.db.casework_models import VaultAccess, VaultRecord
from node_api.services.case_import import DebtorRecord, new_salt
from node_api.services.casework.settings import CaseworkSettings, decode_vault_key, resolve_vault_key
from node_api.services.casework.vault import PiiVault, VaultIntegrityError, VaultRecordMissingError, case_hex
from node_api.settings import GatewaySettings
from tests.cases.factory import resident_id

DEBTOR = DebtorRecord(name="王小明", id_number=resident_id(9), phone="+8613800000009", address="杭州市西湖区1号")
OTHER = DebtorRecord(
    name="Alice Lee", id_number=resident_id(10), phone="+14155550100", address="1 Main St", timezone="America/New_York"
)
C1, C2 = bytes([1]) * 32, bytes([2]) * 32


def test_put_many_adds_without_committing_and_read_logs_the_access(engine, vault):
    with Session(engine) as s:
        vault.put_many(s, [(C1, new_salt(), DEBTOR), (C2, new_salt(), OTHER)])
        s.rollback()  # the caller decides: nothing was committed
    with Session(engine) as s:
        assert s.exec(select(VaultRecord)).all() == []
        vault.put_many(s, [(C1, new_salt(), DEBTOR), (C2, new_salt(), OTHER)])
        s.commit()
    with Session(engine) as s:
        assert vault.read(s, C1, "collector", "contact debtor", reader_address="0xabc") == DEBTOR
        assert vault.read(s, C2, "collector-2", "contact debtor") == OTHER
    with Session(engine) as s:
        log = s.exec(select(VaultAccess).order_by(VaultAccess.id)).all()
        assert [(a.case_id, a.reader, a.purpose) for a in log] == [
            (case_hex(C1), "collector", "contact debtor"),
            (case_hex(C2), "collector-2", "contact debtor"),
        ]
        assert log[0].reader_address == "0xabc"
        assert log[0].accessed_at is not None


def test_no_plaintext_personal_data_in_the_database(engine, vault, tmp_path):
    with Session(engine) as s:
        vault.put_many(s, [(C1, new_salt(), DEBTOR)])
        s.commit()
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("gw.sqlite"))
    for secret in (DEBTOR.name, DEBTOR.id_number, DEBTOR.phone, DEBTOR.address):
        assert secret.encode() not in raw


def test_swapping_ciphertexts_between_cases_fails_authentication(engine, vault):
    with Session(engine) as s:
        vault.put_many(s, [(C1, new_salt(), DEBTOR), (C2, new_salt(), OTHER)])
        s.commit()
    with Session(engine) as s:
        r1, r2 = s.get(VaultRecord, case_hex(C1)), s.get(VaultRecord, case_hex(C2))
        r1.nonce, r1.ciphertext, r2.nonce, r2.ciphertext = r2.nonce, r2.ciphertext, r1.nonce, r1.ciphertext
        s.add_all([r1, r2])
        s.commit()
    with Session(engine) as s, pytest.raises(VaultIntegrityError) as exc:
        vault.read(s, C1, "collector", "contact")
    assert exc.value.code == "VLT-500"


def test_wrong_key_and_tampering_fail(engine, vault):
    with Session(engine) as s:
        vault.put_many(s, [(C1, new_salt(), DEBTOR)])
        s.commit()
    with Session(engine) as s, pytest.raises(VaultIntegrityError):
        PiiVault(os.urandom(32)).read(s, C1, "x", "y")
    with Session(engine) as s:
        row = s.get(VaultRecord, case_hex(C1))
        row.ciphertext = bytes([row.ciphertext[0] ^ 1]) + row.ciphertext[1:]
        s.add(row)
        s.commit()
    with Session(engine) as s, pytest.raises(VaultIntegrityError):
        vault.read(s, C1, "x", "y")


def test_nonces_are_fresh_and_pseudonym_links_one_debtor(engine, vault):
    with Session(engine) as s:
        vault.put_many(s, [(C1, new_salt(), DEBTOR), (C2, new_salt(), DEBTOR)])
        s.commit()
        r1, r2 = s.get(VaultRecord, case_hex(C1)), s.get(VaultRecord, case_hex(C2))
        assert r1.nonce != r2.nonce
        assert len(r1.nonce) == 12
        assert r1.debtor_key == r2.debtor_key == vault.debtor_key(DEBTOR.id_number.lower())
        assert r1.debtor_key != vault.debtor_key(OTHER.id_number)
        assert PiiVault(os.urandom(32)).debtor_key(DEBTOR.id_number) != r1.debtor_key
        meta = vault.meta(s, C2)
        assert (meta.timezone, meta.debtor_key) == ("Asia/Shanghai", r1.debtor_key)


def test_salt_is_kept_for_the_commitment_and_missing_case(engine, vault):
    salt = new_salt()
    with Session(engine) as s:
        vault.put_many(s, [(C1, salt, DEBTOR)])
        s.commit()
        assert vault.salt_of(s, C1, "bank", "open commitment") == salt
        with pytest.raises(VaultRecordMissingError) as exc:
            vault.read(s, C2, "collector", "contact")
        assert exc.value.http_status == 404


def test_key_settings_hex_base64_dev_default_and_refusal():
    key = os.urandom(32)
    assert decode_vault_key(key.hex()) == key
    import base64

    assert decode_vault_key(base64.b64encode(key).decode()) == key
    with pytest.raises(ValueError, match="32 bytes"):
        decode_vault_key("abcd")
    dev = resolve_vault_key(CaseworkSettings(), 31337)
    assert dev == resolve_vault_key(CaseworkSettings(), 31337)
    assert len(dev) == 32
    with pytest.raises(ValueError, match="VAULT_KEY"):
        resolve_vault_key(CaseworkSettings(), 1)
    with pytest.raises(ValueError, match="VAULT_KEY"):
        GatewaySettings(chain=ChainSettings(chain_id=1337))
    ok = GatewaySettings(chain=ChainSettings(chain_id=1337), casework={"vault_key": key.hex()})
    assert resolve_vault_key(ok.casework, 1337) == key


def test_casework_settings_from_the_environment(monkeypatch):
    key = os.urandom(32)
    monkeypatch.setenv("RECOURSE_CASEWORK__VAULT_KEY", key.hex())
    monkeypatch.setenv("RECOURSE_CASEWORK__ANCHOR_INTERVAL", "60")
    monkeypatch.setenv("RECOURSE_CASEWORK__CONDUCT__DAILY_CAP", "5")
    monkeypatch.setenv(
        "RECOURSE_CASEWORK__CONDUCT__EXTRA_RULES",
        '[{"id": "LANG-FEE", "category": "other", "outcome": "flag", "patterns": ["手续费"]}]',
    )
    s = GatewaySettings(chain=ChainSettings(chain_id=1337))
    assert resolve_vault_key(s.casework, 1337) == key
    assert s.casework.anchor_interval == 60
    assert s.casework.conduct.daily_cap == 5
    assert s.casework.conduct.extra_rules[0].id == "LANG-FEE"
