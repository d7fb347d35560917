"""chain.deploy.deploy: idempotent, redeploys when the file does not match the chain, records everything."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from chain import DeploymentError
from chain.client import ChainClient
from chain.compiler import CompileResult
from chain.contracts.consortium import Consortium
from chain.deploy import DEPLOY_ORDER, Deployments, GovernanceConfig, deploy, load_deployments
from chain.node import AnvilNode
from tests.conftest import account

pytestmark = pytest.mark.chain

Deploy = Callable[..., tuple[Deployments, bool]]


@pytest.fixture
def deployments_copy(anvil: AnvilNode, deployments: Deployments, tmp_path: Path) -> Path:
    """A copy of the session deployments file, so tests may rewrite it."""
    path = tmp_path / "deployments.json"
    shutil.copy(anvil.data_dir / "deployments.json", path)
    return path


@pytest.fixture
def run_deploy(client: ChainClient, compiled: CompileResult, governance: GovernanceConfig) -> Deploy:
    def run(path: Path, *, fresh: bool = False) -> tuple[Deployments, bool]:
        return deploy(
            client,
            client.sender(account("deployer")),
            compiled,
            network="test",
            path=path,
            governance=governance,
            fresh=fresh,
        )

    return run


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(json.dumps(raw), encoding="utf-8")


def _addresses(d: Deployments) -> dict[str, str]:
    return {name: c.address for name, c in d.contracts.items()}


def _nonce(client: ChainClient, name: str) -> int:
    return int(client.rpc.call("eth_getTransactionCount", [account(name).address, "latest"]), 16)


def test_second_deploy_is_a_noop(
    client: ChainClient, deployments: Deployments, deployments_copy: Path, run_deploy: Deploy
) -> None:
    block, nonce = client.block_number(), _nonce(client, "deployer")
    content = deployments_copy.read_text(encoding="utf-8")

    result, changed = run_deploy(deployments_copy)

    assert changed is False
    assert _addresses(result) == _addresses(deployments)
    assert (client.block_number(), _nonce(client, "deployer")) == (block, nonce)  # nothing was sent
    assert deployments_copy.read_text(encoding="utf-8") == content


def test_fresh_deploys_new_addresses(
    client: ChainClient,
    deployments: Deployments,
    deployments_copy: Path,
    run_deploy: Deploy,
    compiled: CompileResult,
    governance: GovernanceConfig,
) -> None:
    result, changed = run_deploy(deployments_copy, fresh=True)

    assert changed is True
    old, new = _addresses(deployments), _addresses(result)
    assert set(new) == set(DEPLOY_ORDER)
    assert not set(old.values()) & set(new.values())
    assert _addresses(load_deployments(deployments_copy)) == new
    consortium = Consortium(client, new["Consortium"], compiled.get("Consortium").abi)
    assert consortium.governors() == list(governance.governors)
    assert consortium.threshold() == governance.threshold
    token_consortium = client.call(new["SettlementToken"], keccak(text="consortium()")[:4])
    assert token_consortium[-20:] == bytes.fromhex(new["Consortium"][2:])
    # and a deploy right after the fresh one is a no-op on the new addresses
    again, changed_again = run_deploy(deployments_copy)
    assert changed_again is False
    assert _addresses(again) == new


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda raw: raw["contracts"]["Consortium"].update(address="0x" + "11" * 20), id="address-without-code"
        ),
        pytest.param(
            lambda raw: raw["contracts"]["SettlementToken"].update(code_hash="0x" + "00" * 32), id="code-hash"
        ),
        pytest.param(
            lambda raw: raw["contracts"]["Consortium"].update(bytecode_hash="0x" + "00" * 32), id="bytecode-hash"
        ),
        pytest.param(lambda raw: raw.update(chain_id=1337), id="other-chain"),
        pytest.param(lambda raw: raw["contracts"].pop("SettlementToken"), id="contract-missing"),
    ],
)
def test_stale_deployments_file_triggers_redeploy(
    client: ChainClient,
    deployments: Deployments,
    deployments_copy: Path,
    run_deploy: Deploy,
    tamper: Callable[[dict[str, Any]], None],
) -> None:
    _edit(deployments_copy, tamper)
    nonce = _nonce(client, "deployer")

    result, changed = run_deploy(deployments_copy)

    assert changed is True
    assert _nonce(client, "deployer") == nonce + len(DEPLOY_ORDER)  # every contract deployed again
    assert not set(_addresses(result).values()) & set(_addresses(deployments).values())
    for contract in result.contracts.values():
        assert client.code(contract.address)
    assert load_deployments(deployments_copy) == result


def test_deployments_file_records_addresses_txs_blocks_hashes_and_compiler(
    client: ChainClient,
    anvil: AnvilNode,
    deployments: Deployments,
    compiled: CompileResult,
    governance: GovernanceConfig,
) -> None:
    raw = json.loads((anvil.data_dir / "deployments.json").read_text(encoding="utf-8"))

    assert raw["chain_id"] == 31337
    assert raw["network"] == "test"
    assert raw["deployer"] == account("deployer").address
    assert raw["compiler"] == {
        "version": "0.8.28",
        "evmVersion": "cancun",
        "optimizer": {"enabled": True, "runs": 200},
        "remappings": compiled.settings["remappings"],
        "input_hash": compiled.cache_key,
    }
    assert set(raw["contracts"]) == set(DEPLOY_ORDER)
    for name, rec in raw["contracts"].items():
        code = client.code(rec["address"])
        assert rec["name"] == name
        assert rec["code_hash"] == "0x" + keccak(code).hex()
        assert rec["bytecode_hash"] == "0x" + keccak(bytes.fromhex(compiled.get(name).bytecode[2:])).hex()
        # immutables are filled in at deploy time, so compare sizes rather than bytes
        assert len(code) == len(bytes.fromhex(compiled.get(name).deployed_bytecode[2:])) > 0
        receipt = client.rpc.call("eth_getTransactionReceipt", [rec["tx_hash"]])
        assert int(receipt["status"], 16) == 1
        assert receipt["contractAddress"].lower() == rec["address"].lower()
        assert int(receipt["blockNumber"], 16) == rec["block"]
        assert rec["abi"] == compiled.get(name).abi  # a reader binds to the contract without compiling
    consortium, token = raw["contracts"]["Consortium"], raw["contracts"]["SettlementToken"]
    assert consortium["constructor_args"] == [
        list(governance.governors),
        governance.threshold,
        governance.proposal_lifetime,
    ]
    assert token["constructor_args"] == [consortium["address"]]
    assert token["block"] > consortium["block"]
    assert deployments.start_block == consortium["block"]


def test_library_errors_are_recorded_once_and_not_repeated_from_contract_abis(
    deployments: Deployments, compiled: CompileResult
) -> None:
    declared = {item["name"] for c in deployments.contracts.values() for item in c.abi if item["type"] == "error"}
    recorded = [item["name"] for item in deployments.errors]

    assert "ECDSAInvalidSignature" in recorded  # OpenZeppelin's ECDSA library, used by OracleHub
    assert len(recorded) == len(set(recorded))
    assert not declared & set(recorded)
    every = {i["name"] for a in compiled.artifacts.values() for i in a.abi if i["type"] == "error"}
    assert declared | set(recorded) == every


def test_deploy_on_a_file_without_abis_records_them_and_sends_nothing(
    client: ChainClient, deployments: Deployments, deployments_copy: Path, run_deploy: Deploy
) -> None:
    def strip(raw: dict[str, Any]) -> None:  # a file written before deployments recorded ABIs
        raw.pop("errors")
        raw["compiler"].pop("input_hash")
        for rec in raw["contracts"].values():
            rec.pop("abi")

    _edit(deployments_copy, strip)
    old = load_deployments(deployments_copy)
    with pytest.raises(DeploymentError, match="run `recourse deploy` again"):
        old.abi("Consortium")
    block, nonce = client.block_number(), _nonce(client, "deployer")

    result, changed = run_deploy(deployments_copy)

    assert changed is False
    assert (client.block_number(), _nonce(client, "deployer")) == (block, nonce)  # nothing was sent
    assert _addresses(result) == _addresses(deployments)
    assert load_deployments(deployments_copy) == result == deployments
