"""``Recourse``: the deployed contracts of one network, bound to a client, plus an all-contracts decoder.

Everything comes from the deployments file (addresses and the ABIs ``recourse deploy`` recorded), so
binding to a network never imports or runs the Solidity compiler. Contracts a factory deploys (one
``AssetFractions`` token per asset) are bound by address: ``asset_fractions(address)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from chain.client import ChainClient
from chain.contracts.asset_fractions import AssetFractions, FractionsFactory
from chain.contracts.case_delegation import CaseDelegation
from chain.contracts.consortium import Consortium
from chain.contracts.dispute_desk import DisputeDesk
from chain.contracts.evidence_registry import EvidenceRegistry
from chain.contracts.gateway_directory import GatewayDirectory
from chain.contracts.judicial_auction import JudicialAuction
from chain.contracts.oracle_hub import OracleHub
from chain.contracts.settlement_token import SettlementToken
from chain.deploy import Deployments, load_deployments
from chain.events import EventDecoder

__all__ = ["Recourse"]


class Recourse:
    """Typed access to every deployed Recourse contract."""

    def __init__(self, client: ChainClient, deployments: Deployments) -> None:
        self.client = client
        self.deployments = deployments
        d = deployments
        self.consortium = Consortium(client, d.address("Consortium"), d.abi("Consortium"))
        self.token = SettlementToken(client, d.address("SettlementToken"), d.abi("SettlementToken"))
        self.evidence = EvidenceRegistry(client, d.address("EvidenceRegistry"), d.abi("EvidenceRegistry"))
        self.oracle_hub = OracleHub(client, d.address("OracleHub"), d.abi("OracleHub"))
        self.cases = CaseDelegation(client, d.address("CaseDelegation"), d.abi("CaseDelegation"))
        self.disputes = DisputeDesk(client, d.address("DisputeDesk"), d.abi("DisputeDesk"))
        self.auctions = JudicialAuction(client, d.address("JudicialAuction"), d.abi("JudicialAuction"))
        self.fractions = FractionsFactory(client, d.address("FractionsFactory"), d.abi("FractionsFactory"))
        self.gateways = GatewayDirectory(client, d.address("GatewayDirectory"), d.abi("GatewayDirectory"))
        self._assets: dict[str, AssetFractions] = {}
        for abi in self.abis.values():
            client.register_abi(abi)
        client.register_abi(deployments.errors)

    @classmethod
    def load(cls, client: ChainClient, deployments_file: Path) -> Recourse:
        return cls(client, load_deployments(deployments_file))

    def asset_fractions(self, address: str) -> AssetFractions:
        """The client of the ``AssetFractions`` token at ``address`` (one per asset, issued by ``fractions``;
        ``fractions.is_asset(address)`` says whether it is one). Clients are kept, one per address."""
        key = to_checksum_address(address)
        asset = self._assets.get(key)
        if asset is None:
            asset = self._assets[key] = AssetFractions(
                self.client, key, self.deployments.template_abi("AssetFractions")
            )
        return asset

    @property
    def abis(self) -> dict[str, list[dict[str, Any]]]:
        """``{contract name: ABI}`` of every deployed contract and of every template recorded (contracts that
        factories deploy; they have no address here)."""
        return {**self.deployments.templates, **{n: self.deployments.abi(n) for n in self.deployments.contracts}}

    def event_decoder(self) -> EventDecoder:
        return EventDecoder(self.abis, {c.address: n for n, c in self.deployments.contracts.items()})
