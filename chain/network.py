"""``Recourse``: the deployed contracts of one network, bound to a client, plus an all-contracts decoder."""

from __future__ import annotations

from pathlib import Path

from chain.client import ChainClient
from chain.compiler import CompileResult, compile_project
from chain.config import PROJECT_ROOT
from chain.contracts.case_delegation import CaseDelegation
from chain.contracts.consortium import Consortium
from chain.contracts.evidence_registry import EvidenceRegistry
from chain.contracts.oracle_hub import OracleHub
from chain.contracts.settlement_token import SettlementToken
from chain.deploy import Deployments, load_deployments
from chain.events import EventDecoder

__all__ = ["Recourse"]


class Recourse:
    """Typed access to every deployed Recourse contract."""

    def __init__(self, client: ChainClient, deployments: Deployments, compiled: CompileResult) -> None:
        self.client = client
        self.deployments = deployments
        self.compiled = compiled
        self.consortium = Consortium(client, deployments.address("Consortium"), compiled.get("Consortium").abi)
        self.token = SettlementToken(
            client, deployments.address("SettlementToken"), compiled.get("SettlementToken").abi
        )
        self.evidence = EvidenceRegistry(
            client, deployments.address("EvidenceRegistry"), compiled.get("EvidenceRegistry").abi
        )
        self.oracle_hub = OracleHub(client, deployments.address("OracleHub"), compiled.get("OracleHub").abi)
        self.cases = CaseDelegation(client, deployments.address("CaseDelegation"), compiled.get("CaseDelegation").abi)
        for artifact in compiled.artifacts.values():
            client.register_abi(artifact.abi)

    @classmethod
    def load(cls, client: ChainClient, deployments_file: Path, root: Path = PROJECT_ROOT) -> Recourse:
        return cls(client, load_deployments(deployments_file), compile_project(root))

    def event_decoder(self) -> EventDecoder:
        names = list(self.deployments.contracts)
        abis = {n: self.compiled.get(n).abi for n in names}
        return EventDecoder(abis, {c.address: n for n, c in self.deployments.contracts.items()})
