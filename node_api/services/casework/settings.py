"""Settings of case work (``RECOURSE_CASEWORK__*``): PII vault key, log anchoring, conduct rules.

* ``vault_key``: AES-256 key of the PII vault, 32 bytes as 64 hex characters or base64
  (``RECOURSE_CASEWORK__VAULT_KEY``). Unset is allowed only on the development chain (id 31337), where
  a fixed development key is derived (``sha256("recourse-dev-vault-key/31337")``); on any other chain the
  gateway refuses to start without it (:func:`check_vault_key`, called by ``GatewaySettings``).
* ``anchor_interval``: seconds between anchoring runs of the access and contact logs (0 disables the
  background service; ``anchor_logs`` can still be called); ``anchor_institution``: the hosted
  institution that signs the ``EvidenceRegistry.anchor`` (needs BANK, COLLECTOR or COURT; default
  ``bank``, the institution that operates the vault on the development gateway).
* ``conduct``: quiet hours, daily cap, prohibited-language rules (see :mod:`node_api.services.casework.conduct`), and
  which client-supplied contact times are accepted: ``max_clock_skew`` ahead, ``live_tolerance`` behind
  (both: a live attempt at the gateway's time), ``max_backdate`` for a late log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

__all__ = [
    "DEV_VAULT_KEY_SEED",
    "CaseworkSettings",
    "ConductSettings",
    "LanguageRuleSpec",
    "check_vault_key",
    "decode_vault_key",
    "resolve_vault_key",
]

DEV_CHAIN_ID = 31337
DEV_VAULT_KEY_SEED = b"recourse-dev-vault-key/31337"


class LanguageRuleSpec(BaseModel):
    """A prohibited-language rule: any pattern (case-insensitive regex) matching the text breaks it."""

    id: str = Field(pattern=r"^[A-Z]{2,5}-[A-Z0-9-]{1,20}$")
    category: Literal["threat", "insult", "harassment", "false_legal_claim", "third_party_disclosure", "other"]
    outcome: Literal["block", "flag"] = "block"
    description: str = ""
    patterns: list[str] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for p in value:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} does not compile: {exc}") from exc
        return value


class ConductSettings(BaseModel):
    #: contacts are allowed from ``allowed_from`` (inclusive) until ``allowed_until`` (exclusive), debtor local time
    allowed_from: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    allowed_until: str = Field(default="22:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    #: contact attempts per debtor per local calendar day (refused attempts do not count)
    daily_cap: int = Field(default=3, ge=1, le=100)
    #: rules added to the built-in ones (same id replaces a built-in rule)
    extra_rules: list[LanguageRuleSpec] = Field(default_factory=list)
    #: ids of built-in rules switched off
    disabled_rules: list[str] = Field(default_factory=list)
    #: a client-supplied ``attempted_at`` may be at most this many seconds ahead of the gateway's clock
    #: (a client clock running fast); the attempt is then live, checked and recorded at the gateway's time
    max_clock_skew: int = Field(default=300, ge=0)
    #: a claimed ``attempted_at`` at most this many seconds behind the gateway's clock is the same moment
    #: (clock drift, request transit): the attempt is live, checked and recorded at the gateway's time.
    #: Further back it is a late log (``backdated``): checked at the claimed time and flagged to the bank
    live_tolerance: int = Field(default=30, ge=0)
    #: a late log may claim a time at most this many seconds in the past
    max_backdate: int = Field(default=7 * 86_400, ge=0)


class CaseworkSettings(BaseModel):
    vault_key: SecretStr | None = None
    anchor_interval: float = Field(default=900.0, ge=0)
    anchor_institution: str = "bank"
    #: log entries per anchored tree at most (a longer backlog is anchored in several runs)
    anchor_max_leaves: int = Field(default=50_000, ge=1)
    #: cases in one published batch at most; an import holds every row in memory until it commits
    #: (about 4.6 KiB per case at 100,000: peak RSS 760 MiB), so larger files are refused with ``CIM-413``
    max_batch_rows: int = Field(default=100_000, ge=1, le=1_000_000)
    #: bytes of one uploaded case file at most (``CIM-413`` before anything is parsed)
    max_batch_bytes: int = Field(default=64 * 2**20, ge=1)
    conduct: ConductSettings = Field(default_factory=ConductSettings)


def decode_vault_key(text: str) -> bytes:
    """32 key bytes from 64 hex characters or base64; ``ValueError`` otherwise."""
    s = text.strip()
    raw: bytes | None = None
    if re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", s):
        raw = bytes.fromhex(s.removeprefix("0x"))
    else:
        try:
            raw = base64.b64decode(s, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != 32:
        raise ValueError("the vault key must be 32 bytes given as 64 hex characters or base64")
    return raw


def resolve_vault_key(casework: CaseworkSettings, chain_id: int) -> bytes:
    """The configured key, or the development key on chain 31337; ``ValueError`` on any other chain."""
    if casework.vault_key is not None:
        return decode_vault_key(casework.vault_key.get_secret_value())
    if chain_id != DEV_CHAIN_ID:
        raise ValueError(
            f"set RECOURSE_CASEWORK__VAULT_KEY (32 bytes, hex or base64): chain {chain_id} is not the "
            "development chain, so no development vault key is derived"
        )
    return hashlib.sha256(DEV_VAULT_KEY_SEED).digest()


def check_vault_key(casework: CaseworkSettings, chain_id: int) -> None:
    """Raise ``ValueError`` (settings refuse to load) if no usable vault key exists for this chain."""
    resolve_vault_key(casework, chain_id)
