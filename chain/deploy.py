"""Deploy every Recourse contract, wire them, and record the result in ``deployments/<network>.json``.

Re-running is a no-op when the file matches the chain: same chain id, and for every contract the
creation bytecode hash equals the compiled one and the code at its address still hashes to the
recorded runtime code hash. Otherwise (or with ``fresh=True``) everything is deployed again.

The file is all a process needs to bind to the contracts: each contract's ABI, the ABIs of the contracts
that factories deploy later (``templates``: an ``AssetFractions`` token per asset), the custom errors of the
libraries they use, the compiler version and settings and the hash of the compiler input. Reading it
(:func:`load_deployments`) imports no compiler, so a gateway runs where there is no solc at all. A file
written before ABIs were recorded is refused by :meth:`Deployments.abi`; re-running ``recourse deploy``
on it adds them in place, without a transaction, when the code on chain matches; the same goes for a file
written before templates were recorded.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from chain._abi import abi_types
from chain._exceptions import DeploymentError
from chain.client import ChainClient, Sender, TxRequest

if TYPE_CHECKING:  # only ``deploy`` needs compiled artifacts, and its caller brings them
    from chain.compiler import Artifact, CompileResult

__all__ = [
    "DEPLOY_ORDER",
    "TEMPLATES",
    "DeployedContract",
    "Deployments",
    "GovernanceConfig",
    "deploy",
    "load_deployments",
]

logger = logging.getLogger(__name__)

#: Deployment order; each later contract may take earlier addresses as constructor arguments.
DEPLOY_ORDER = (
    "Consortium",
    "SettlementToken",
    "EvidenceRegistry",
    "OracleHub",
    "CaseDelegation",
    "DisputeDesk",
    "JudicialAuction",
    "FractionsFactory",
    "GatewayDirectory",
)
# Deploying makes no contract a system contract (allowed to hold SettlementToken): the governors decide that
# with a ``SetSystemContract`` proposal, for CaseDelegation, DisputeDesk, JudicialAuction and FractionsFactory
# alike (the factory then enrols each token it deploys).

#: Contracts deployed by a deployed contract, not by ``deploy`` (their ABIs are recorded as ``templates``).
TEMPLATES = ("AssetFractions",)


@dataclass(frozen=True)
class GovernanceConfig:
    governors: tuple[str, ...]
    threshold: int
    proposal_lifetime: int = 7 * 24 * 3600
    #: signatures of distinct active ORACLE members an OracleHub report needs (k)
    oracle_threshold: int = 2
    #: CaseDelegation's initial per-collector cap on open cases (the regulator can change it)
    max_open_cases: int = 50
    #: DisputeDesk: seconds a ruling may be appealed (15 days, as for a first-instance judgment; governed afterwards)
    appeal_window: int = 15 * 24 * 3600
    #: JudicialAuction: the oldest oracle appraisal a listing may use, in seconds (governed afterwards)
    appraisal_max_age: int = 30 * 24 * 3600


@dataclass(frozen=True)
class DeployedContract:
    name: str
    address: str
    tx_hash: str
    block: int
    code_hash: str
    bytecode_hash: str
    constructor_args: list[Any]
    #: the compiled ABI; empty in a file written before deployments recorded ABIs
    abi: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Deployments:
    network: str
    chain_id: int
    deployer: str
    deployed_at: int
    compiler: dict[str, Any]
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    #: custom errors declared by compiled code that is not itself deployed (libraries, OpenZeppelin
    #: helpers), so a revert raised from library code still decodes by name
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: ABIs of the contracts that deployed contracts create (see ``TEMPLATES``); empty in a file written
    #: before they were recorded
    templates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError as exc:
            raise DeploymentError(f"{name} is not in the deployments file; run `recourse deploy`") from exc

    def abi(self, name: str) -> list[dict[str, Any]]:
        """The ABI recorded for ``name`` at deployment, a deployed contract's or a template's (no compiler
        involved)."""
        if name in TEMPLATES and name not in self.contracts:
            return self.template_abi(name)
        try:
            abi = self.contracts[name].abi
        except KeyError as exc:
            raise DeploymentError(f"{name} is not in the deployments file; run `recourse deploy`") from exc
        if not abi:
            raise self._no_abi(name)
        return abi

    def _no_abi(self, name: str) -> DeploymentError:
        return DeploymentError(
            f"the deployments file for network {self.network!r} has no ABI for {name} (written by an older "
            "`recourse deploy`): run `recourse deploy` again; it records the ABIs without redeploying "
            "when the code on chain is unchanged"
        )

    def template_abi(self, name: str) -> list[dict[str, Any]]:
        """The ABI of ``name``, a contract that a deployed factory creates (see ``TEMPLATES``)."""
        abi = self.templates.get(name)
        if not abi:
            raise self._no_abi(name)
        return abi

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


def _compiler_record(compiled: CompileResult) -> dict[str, Any]:
    """Compiler version, settings (without the output selection) and ``input_hash``: the SHA-256 of the
    full standard-JSON input (sources and settings) and the version, i.e. the artifact cache key."""
    return {
        "version": compiled.compiler_version,
        **{k: v for k, v in compiled.settings.items() if k != "outputSelection"},
        "input_hash": compiled.cache_key,
    }


def _library_errors(compiled: CompileResult) -> list[dict[str, Any]]:
    """Error ABI entries of every compiled artifact that no deployed contract's ABI already declares."""
    seen = {json.dumps(i, sort_keys=True) for n in DEPLOY_ORDER for i in compiled.get(n).abi if i["type"] == "error"}
    errors: list[dict[str, Any]] = []
    for name in sorted(compiled.artifacts):
        for item in compiled.artifacts[name].abi:
            key = json.dumps(item, sort_keys=True)
            if item.get("type") == "error" and key not in seen:
                seen.add(key)
                errors.append(item)
    return errors


def _templates(compiled: CompileResult) -> dict[str, list[dict[str, Any]]]:
    return {n: compiled.get(n).abi for n in TEMPLATES}


def _record_abis(existing: Deployments, compiled: CompileResult) -> Deployments:
    """``existing`` with the ABIs, template ABIs, library errors and compiler record of ``compiled`` (same
    code)."""
    contracts = {n: replace(c, abi=compiled.get(n).abi) for n, c in existing.contracts.items()}
    return replace(
        existing,
        contracts=contracts,
        errors=_library_errors(compiled),
        compiler=_compiler_record(compiled),
        templates=_templates(compiled),
    )


def _write(path: Path, deployments: Deployments) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(deployments.to_json(), encoding="utf-8")
    tmp.replace(path)


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
    if name in ("SettlementToken", "EvidenceRegistry", "GatewayDirectory"):
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
    if name == "JudicialAuction":
        return [
            done["Consortium"].address,
            done["SettlementToken"].address,
            done["EvidenceRegistry"].address,
            done["OracleHub"].address,
            done["DisputeDesk"].address,
            gov.appraisal_max_age,
        ]
    if name == "DisputeDesk":
        return [
            done["Consortium"].address,
            done["SettlementToken"].address,
            done["EvidenceRegistry"].address,
            done["CaseDelegation"].address,
            gov.appeal_window,
        ]
    if name == "FractionsFactory":
        return [done["Consortium"].address, done["SettlementToken"].address, done["EvidenceRegistry"].address]
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
    """Deploy (or confirm) every contract; returns the deployments and whether anything was deployed.

    When the contracts on chain are current but the file lacks their ABIs (or records other ones), the
    file is rewritten with them and nothing is deployed."""
    if not fresh and path.exists():
        existing = load_deployments(path)
        if _is_current(client, existing, compiled):
            recorded = _record_abis(existing, compiled)
            if recorded != existing:
                _write(path, recorded)
                logger.info("deploy.abis_recorded network=%s file=%s", network, path)
            else:
                logger.info("deploy.noop network=%s file=%s", network, path)
            return recorded, False
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
            abi=artifact.abi,
        )
        logger.info("deploy.contract name=%s address=%s tx_hash=%s", name, receipt.contract_address, receipt.tx_hash)
        if progress:
            progress(name)
    result = Deployments(
        network=network,
        chain_id=client.chain_id,
        deployer=sender.address,
        deployed_at=int(time.time()),
        compiler=_compiler_record(compiled),
        contracts=done,
        errors=_library_errors(compiled),
        templates=_templates(compiled),
    )
    _write(path, result)
    return result, True
