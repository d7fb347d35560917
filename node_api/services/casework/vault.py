"""The PII vault: debtors' personal data, encrypted at rest, every read logged.

* **Cipher**: AES-256-GCM (``cryptography``), a fresh random 96-bit nonce per record, and the case id
  as associated data (``b"recourse-vault/v1|" + case_id``): a ciphertext copied onto another case's row
  fails authentication instead of decrypting to the wrong debtor.
* **Key**: ``settings.casework.vault_key`` (32 bytes, hex or base64); on the development chain only, a
  fixed development key when unset (:mod:`node_api.services.casework.settings`). Key version 1.
* **Plaintext**: compact JSON of name, ID number, phone, address, time zone and the commitment salt
  (so the bank can later open the on-chain commitment). In clear next to it: the time zone (conduct
  rules) and ``debtor_key`` = HMAC-SHA256(key-derived subkey, normalised ID number), which links one
  debtor's cases for the daily contact cap without revealing who it is.
* **Writes**: :meth:`PiiVault.put_many` inserts the rows in the caller's session transaction (one
  executemany per :data:`INSERT_CHUNK` rows, encrypting each chunk just before it is sent, so a 100,000-row
  batch never holds every ciphertext at once) without committing; the caller commits the vault rows
  together with its batch rows and publish operation (nothing half-imported).
* **Reads**: :meth:`PiiVault.read` first commits a ``VaultAccess`` row (who, when, which case, why),
  then decrypts. The access log is anchored on chain periodically (:mod:`node_api.services.casework.contacts`).

Errors: ``VaultRecordMissingError`` (VLT-404), ``VaultIntegrityError`` (VLT-500: authentication failed,
i.e. tampering or a wrong key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert
from sqlmodel import Session, col, select

from node_api.db.casework_models import VaultAccess, VaultRecord
from node_api.db.models import utcnow
from node_api.problems import CoreError
from node_api.services.case_import import DebtorRecord, normalise_id_number
from node_api.services.casework.settings import CaseworkSettings, resolve_vault_key

__all__ = [
    "INSERT_CHUNK",
    "KEY_VERSION",
    "PiiVault",
    "VaultIntegrityError",
    "VaultMeta",
    "VaultRecordMissingError",
    "case_hex",
]

KEY_VERSION = 1
#: rows per executemany of :meth:`PiiVault.put_many`
INSERT_CHUNK = 2000
_RECORD_AAD = b"recourse-vault/v1|"
_NOTE_AAD = b"recourse-contact-note/v1|"


class VaultRecordMissingError(CoreError):
    code, http_status, title = "VLT-404", 404, "No personal data for this case"


class VaultIntegrityError(CoreError):
    code, http_status, title = "VLT-500", 500, "Vault record failed authentication"


def case_hex(case_id: bytes) -> str:
    if len(case_id) != 32:
        raise ValueError(f"a case id is 32 bytes, got {len(case_id)}")
    return "0x" + case_id.hex()


@dataclass(frozen=True)
class VaultMeta:
    """What the vault keeps in clear about a case's debtor."""

    case_id: str
    timezone: str
    debtor_key: str


class PiiVault:
    """AES-256-GCM vault of debtor records, one per case id (bytes32)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the vault key must be 32 bytes (AES-256)")
        self._aead = AESGCM(key)
        self._pseudonym_key = hmac.new(key, b"recourse-vault/debtor-key", hashlib.sha256).digest()

    @classmethod
    def from_settings(cls, casework: CaseworkSettings, chain_id: int) -> PiiVault:
        return cls(resolve_vault_key(casework, chain_id))

    # --- primitives ---

    def seal(self, case_id: bytes, plaintext: bytes, *, domain: bytes = _RECORD_AAD) -> tuple[bytes, bytes]:
        """``(nonce, ciphertext)`` of ``plaintext`` bound to ``case_id``."""
        nonce = os.urandom(12)
        return nonce, self._aead.encrypt(nonce, plaintext, domain + case_id)

    def open(self, case_id: bytes, nonce: bytes, ciphertext: bytes, *, domain: bytes = _RECORD_AAD) -> bytes:
        try:
            return self._aead.decrypt(nonce, ciphertext, domain + case_id)
        except InvalidTag as exc:
            raise VaultIntegrityError(
                f"the vault record of case {case_hex(case_id)} failed authentication (tampered, moved or wrong key)"
            ) from exc

    def seal_note(self, case_id: bytes, text: str) -> tuple[bytes, bytes]:
        return self.seal(case_id, text.encode(), domain=_NOTE_AAD)

    def open_note(self, case_id: bytes, nonce: bytes, ciphertext: bytes) -> str:
        return self.open(case_id, nonce, ciphertext, domain=_NOTE_AAD).decode()

    def debtor_key(self, id_number: str) -> str:
        """Keyed pseudonym of a debtor (same ID number → same key; not reversible without the vault key)."""
        return hmac.new(self._pseudonym_key, normalise_id_number(id_number).encode(), hashlib.sha256).hexdigest()

    # --- records ---

    def _row(self, case_id: bytes, salt: bytes, debtor: DebtorRecord, now: dt.datetime) -> dict[str, Any]:
        payload = json.dumps(
            {
                "name": debtor.name,
                "id_number": debtor.id_number,
                "phone": debtor.phone,
                "address": debtor.address,
                "timezone": debtor.timezone,
                "salt": salt.hex(),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        nonce, ct = self.seal(case_id, payload)
        return {
            "case_id": case_hex(case_id),
            "key_version": KEY_VERSION,
            "nonce": nonce,
            "ciphertext": ct,
            "timezone": debtor.timezone,
            "debtor_key": self.debtor_key(debtor.id_number),
            "created_at": now,
        }

    def record_of(self, case_id: bytes, salt: bytes, debtor: DebtorRecord) -> VaultRecord:
        """One encrypted vault row (not added to any session)."""
        return VaultRecord(**self._row(case_id, salt, debtor, utcnow()))

    def put_many(
        self, session: Session, records: Iterable[tuple[bytes, bytes, DebtorRecord]], *, chunk: int = INSERT_CHUNK
    ) -> int:
        """Insert one encrypted row per ``(case_id, salt, debtor)`` in ``session``'s transaction WITHOUT
        committing; returns the number of rows.

        ``records`` is read lazily and encrypted ``chunk`` rows at a time (one executemany each), so only one
        chunk of ciphertexts and parameters is alive at once. All chunks are in the caller's transaction: its
        rollback removes every one of them."""
        now = utcnow()
        it = iter(records)
        count = 0
        while params := [self._row(c, salt, d, now) for c, salt, d in islice(it, chunk)]:
            session.execute(insert(VaultRecord), params)
            count += len(params)
        return count

    def _decrypt(self, row: VaultRecord) -> dict[str, str]:
        case_id = bytes.fromhex(row.case_id[2:])
        data: dict[str, str] = json.loads(self.open(case_id, row.nonce, row.ciphertext))
        return data

    def read(
        self, session: Session, case_id: bytes, reader: str, purpose: str, *, reader_address: str = ""
    ) -> DebtorRecord:
        """The debtor of ``case_id``; the access (who, when, which case, why) is committed first."""
        key = case_hex(case_id)
        row = session.get(VaultRecord, key)
        if row is None:
            raise VaultRecordMissingError(f"the vault holds no personal data for case {key}")
        session.add(VaultAccess(case_id=key, reader=reader, reader_address=reader_address, purpose=purpose[:200]))
        session.commit()
        data = self._decrypt(row)
        return DebtorRecord(
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
            address=data["address"],
            timezone=data["timezone"],
        )

    def salt_of(self, session: Session, case_id: bytes, reader: str, purpose: str) -> bytes:
        """The commitment salt of a case (the bank opens its commitment with it); logged like a read."""
        key = case_hex(case_id)
        row = session.get(VaultRecord, key)
        if row is None:
            raise VaultRecordMissingError(f"the vault holds no personal data for case {key}")
        session.add(VaultAccess(case_id=key, reader=reader, purpose=("salt: " + purpose)[:200]))
        session.commit()
        return bytes.fromhex(self._decrypt(row)["salt"])

    @staticmethod
    def meta(session: Session, case_id: bytes) -> VaultMeta:
        """Time zone and debtor pseudonym of a case (no decryption, not logged: no personal data)."""
        key = case_hex(case_id)
        row = session.get(VaultRecord, key)
        if row is None:
            raise VaultRecordMissingError(f"the vault holds no personal data for case {key}")
        return VaultMeta(case_id=key, timezone=row.timezone, debtor_key=row.debtor_key)

    @staticmethod
    def accesses(session: Session, case_id: bytes, *, limit: int = 100) -> list[VaultAccess]:
        stmt = (
            select(VaultAccess)
            .where(VaultAccess.case_id == case_hex(case_id))
            .order_by(col(VaultAccess.id).desc())
            .limit(limit)
        )
        return list(session.exec(stmt).all())
