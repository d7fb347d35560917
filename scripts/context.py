"""Wiring for CLI commands: settings → node, client, signers and the deployed contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount

from chain.client import ChainClient, Sender
from chain.compiler import CompileResult, compile_project
from chain.deploy import GovernanceConfig
from chain.keys import resolve_account, resolve_address
from chain.network import Recourse
from chain.node import AnvilNode
from scripts.settings import RecourseSettings

__all__ = ["Context"]


@dataclass
class Context:
    settings: RecourseSettings
    _client: ChainClient | None = field(default=None, init=False)
    _recourse: Recourse | None = field(default=None, init=False)

    @property
    def node(self) -> AnvilNode:
        c = self.settings.chain
        return AnvilNode(
            data_dir=self.settings.data_dir,
            port=c.port,
            chain_id=c.chain_id,
            hardfork=c.hardfork,
            accounts=c.dev_accounts,
        )

    @property
    def client(self) -> ChainClient:
        if self._client is None:
            self._client = ChainClient.connect(self.settings.chain, data_dir=self.settings.data_dir)
        return self._client

    def compile(self) -> CompileResult:
        return compile_project()

    @property
    def recourse(self) -> Recourse:
        if self._recourse is None:
            self._recourse = Recourse.load(self.client, self.deployments_file)
        return self._recourse

    @property
    def deployments_file(self) -> Path:
        return self.settings.deployments_file

    def account(self, name: str) -> LocalAccount:
        c = self.settings.chain
        return resolve_account(
            name, chain_id=c.chain_id, keystore_dir=c.keystore_dir, password=self.settings.keystore_password
        )

    def sender(self, name: str) -> Sender:
        return self.client.sender(self.account(name))

    def address(self, name_or_address: str) -> str:
        c = self.settings.chain
        return resolve_address(name_or_address, chain_id=c.chain_id, keystore_dir=c.keystore_dir)

    def identity_names(self) -> dict[str, str]:
        """Address → identity name of every identity this CLI knows: keystore names, and on the development
        chain anvil's named development accounts (a keystore name wins over a development one)."""
        from chain.config import DEV_CHAIN_ID
        from chain.keys import DEV_IDENTITIES, Keystore, dev_identity_account

        c = self.settings.chain
        names: dict[str, str] = {}
        if c.chain_id == DEV_CHAIN_ID:
            names.update({str(dev_identity_account(n, chain_id=c.chain_id).address): n for n in DEV_IDENTITIES})
        if c.keystore_dir is not None:
            ks = Keystore(c.keystore_dir)
            names.update({ks.address(n): n for n in ks.names()})
        return names

    def governance(self) -> GovernanceConfig:
        g = self.settings.governance
        return GovernanceConfig(
            governors=tuple(self.address(x) for x in g.governors),
            threshold=g.threshold,
            proposal_lifetime=g.proposal_lifetime,
            oracle_threshold=g.oracle_threshold,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
