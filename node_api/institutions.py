"""The institutions this gateway acts for, each with its own signing key."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from chain.keys import resolve_account
from node_api.settings import GatewaySettings

__all__ = ["Institution", "load_institutions"]


@dataclass(frozen=True)
class Institution:
    name: str
    account: LocalAccount

    @property
    def address(self) -> str:
        return str(self.account.address)


def load_institutions(settings: GatewaySettings) -> dict[str, Institution]:
    c = settings.chain
    pw = c.keystore_password.get_secret_value() if c.keystore_password else None
    out: dict[str, Institution] = {}
    for name in settings.institutions:
        account = resolve_account(name, chain_id=c.chain_id, keystore_dir=c.keystore_dir, password=pw)
        out[name] = Institution(name=name, account=account)
    return out
