"""Deploy every Recourse contract, wire them, and record the result in ``deployments/<network>.json``.

Re-running is a no-op when the file matches the chain: same chain id, and for every contract the
creation bytecode hash equals the compiled one and the code at its address still hashes to the
recorded runtime code hash. Otherwise (or with ``fresh=True``) everything is deployed again.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from chain._abi import abi_types
from chain._exceptions import DeploymentError
from chain.client import ChainClient, Sender, TxRequest
from chain.compiler import Artifact, CompileResult

__all__ = ["DeployedContract", "Deployments", "GovernanceConfig", "deploy", "load_deployments"]

logger = logging.getLogger(__name__)

#: Deployment order; each later contract may take earlier addresses as constructor arguments.
DEPLOY_ORDER = ("Consortium", "SettlementToken", "EvidenceRegistry", "OracleHub", "CaseDelegation")


@dataclass(frozen=True)
class GovernanceConfig:
    governors: tuple[str, ...]
    threshold: int
    proposal_lifetime: int = 7 * 24 * 3600
    #: signatures of distinct active ORACLE members an OracleHub report needs (k)
    oracle_threshold: int = 2
    #: CaseDelegation's initial per-collector cap on open cases (the regulator can change it)
    max_open_cases: int = 50


@dataclass(frozen=True)
class DeployedContract:
    name: str
    address: str
    tx_hash: str
    block: int
    code_hash: str
    bytecode_hash: str
    constructor_args: list[Any]


@dataclass
class Deployments:
    network: str
    chain_id: int
    deployer: str
    deployed_at: int
    compiler: dict[str, Any]
    contracts: dict[str, DeployedContract] = field(default_factory=dict)

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError as exc:
            raise DeploymentError(f"{name} is not in the deployments file; run `recourse deploy`") from exc

    @property
    def start_block(self) -> int:
        return min((c.block for c in self.contracts.values()), default=0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def load_deployments(path: Path) -> Deployments:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DeploymentError(f"{path} not found: run `recourse deploy` first") from exc
    except ValueError as exc:
        raise DeploymentError(f"{path} is not valid JSON; delete it and run `recourse deploy --fresh`") from exc
    try:
        contracts = {k: DeployedContract(**v) for k, v in raw.pop("contracts").items()}
        return Deployments(**raw, contracts=contracts)
    except (KeyError, TypeError) as exc:
        raise DeploymentError(f"{path} has an unexpected format ({exc}); run `recourse deploy --fresh`") from exc


def _hash(data: bytes) -> str:
    return "0x" + keccak(data).hex()


def _creation_hash(artifact: Artifact) -> str:
    return _hash(bytes.fromhex(artifact.bytecode[2:]))


def _is_current(client: ChainClient, existing: Deployments, compiled: CompileResult) -> bool:
    if existing.chain_id != client.chain_id:
        return False
    for name in DEPLOY_ORDER:
        rec = existing.contracts.get(name)
        if rec is None or rec.bytecode_hash != _creation_hash(compiled.get(name)):
            return False
        if _hash(client.code(rec.address)) != rec.code_hash:
            return False
    return True


def _constructor_args(name: str, done: dict[str, DeployedContract], gov: GovernanceConfig) -> list[Any]:
    if name == "Consortium":
        return [list(gov.governors), gov.threshold, gov.proposal_lifetime]
    if name in ("SettlementToken", "EvidenceRegistry"):
        return [done["Consortium"].address]
    if name == "OracleHub":
        return [done["Consortium"].address, gov.oracle_threshold]
    if name == "CaseDelegation":
        return [
            done["Consortium"].address,
            done["SettlementToken"].address,
            done["EvidenceRegistry"].address,
            gov.max_open_cases,
        ]
    raise DeploymentError(f"no constructor wiring defined for {name}")


def deploy(
    client: ChainClient,
    sender: Sender,
    compiled: CompileResult,
    *,
    network: str,
    path: Path,
    governance: GovernanceConfig,
    fresh: bool = False,
    progress: Callable[[str], None] | None = None,
) -> tuple[Deployments, bool]:
    """Deploy (or confirm) every contract; returns the deployments and whether anything was deployed."""
    if not fresh and path.exists():
        existing = load_deployments(path)
        if _is_current(client, existing, compiled):
            logger.info("deploy.noop network=%s file=%s", network, path)
            return existing, False
    done: dict[str, DeployedContract] = {}
    for name in DEPLOY_ORDER:
        artifact = compiled.get(name)
        args = _constructor_args(name, done, governance)
        ctor: dict[str, Any] = next((i for i in artifact.abi if i.get("type") == "constructor"), {"inputs": []})
        encoded = abi_encode(abi_types(ctor["inputs"]), args) if ctor["inputs"] else b""
        req = TxRequest(None, bytes.fromhex(artifact.bytecode[2:]) + encoded, label=f"deploy {name}")
        receipt = sender.transact(req)
        if receipt.contract_address is None:
            raise DeploymentError(f"deploying {name} produced no contract address (tx {receipt.tx_hash})")
        code = client.code(receipt.contract_address)
        done[name] = DeployedContract(
            name=name,
            address=receipt.contract_address,
            tx_hash=receipt.tx_hash,
            block=receipt.block_number,
            code_hash=_hash(code),
            bytecode_hash=_creation_hash(artifact),
            constructor_args=[a if not isinstance(a, bytes) else "0x" + a.hex() for a in args],
        )
        logger.info("deploy.contract name=%s address=%s tx_hash=%s", name, receipt.contract_address, receipt.tx_hash)
        if progress:
            progress(name)
    result = Deployments(
        network=network,
        chain_id=client.chain_id,
        deployer=sender.address,
        deployed_at=int(time.time()),
        compiler={
            "version": compiled.compiler_version,
            **{k: v for k, v in compiled.settings.items() if k != "outputSelection"},
        },
        contracts=done,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(result.to_json(), encoding="utf-8")
    tmp.replace(path)
    return result, True
