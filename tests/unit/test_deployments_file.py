"""chain.deploy.Deployments / load_deployments: the deployments JSON round-trips and bad files are refused."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chain import DeploymentError
from chain.deploy import DeployedContract, Deployments, load_deployments


def _deployments() -> Deployments:
    contract = DeployedContract(
        name="Consortium",
        address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        tx_hash="0x" + "01" * 32,
        block=7,
        code_hash="0x" + "02" * 32,
        bytecode_hash="0x" + "03" * 32,
        constructor_args=[["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"], 1, 3600],
    )
    token = DeployedContract(
        name="SettlementToken",
        address="0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        tx_hash="0x" + "04" * 32,
        block=9,
        code_hash="0x" + "05" * 32,
        bytecode_hash="0x" + "06" * 32,
        constructor_args=["0x5FbDB2315678afecb367f032d93F642f64180aa3"],
    )
    return Deployments(
        network="test",
        chain_id=31337,
        deployer="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        deployed_at=1_700_000_000,
        compiler={"version": "0.8.28", "evmVersion": "cancun"},
        contracts={"Consortium": contract, "SettlementToken": token},
    )


def test_deployments_json_round_trip(tmp_path: Path) -> None:
    original = _deployments()
    path = tmp_path / "deployments.json"
    path.write_text(original.to_json(), encoding="utf-8")

    loaded = load_deployments(path)

    assert loaded == original
    assert loaded.address("SettlementToken") == "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    assert loaded.start_block == 7


def test_unknown_contract_name_raises() -> None:
    with pytest.raises(DeploymentError, match="Auction is not in the deployments file"):
        _deployments().address("Auction")


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="not found"):
        load_deployments(tmp_path / "nope.json")


def test_invalid_json_raises(tmp_path: Path) -> None:
    path = tmp_path / "deployments.json"
    path.write_text("{", encoding="utf-8")

    with pytest.raises(DeploymentError, match="not valid JSON"):
        load_deployments(path)


@pytest.mark.parametrize("drop", ["contracts", "chain_id"])
def test_unexpected_format_raises(tmp_path: Path, drop: str) -> None:
    raw = json.loads(_deployments().to_json())
    del raw[drop]
    path = tmp_path / "deployments.json"
    path.write_text(json.dumps(raw), encoding="utf-8")

    with pytest.raises(DeploymentError, match="unexpected format"):
        load_deployments(path)


def test_abis_round_trip_and_a_file_without_them_says_to_deploy_again(tmp_path: Path) -> None:
    abi = [{"type": "function", "name": "threshold", "inputs": [], "outputs": [{"type": "uint256"}]}]
    error = {"type": "error", "name": "ECDSAInvalidSignature", "inputs": []}
    d = _deployments()
    with_abis = Deployments(
        **{**d.__dict__, "contracts": {"Consortium": replace(d.contracts["Consortium"], abi=abi)}, "errors": [error]}
    )
    path = tmp_path / "deployments.json"
    path.write_text(with_abis.to_json(), encoding="utf-8")

    loaded = load_deployments(path)

    assert loaded.abi("Consortium") == abi
    assert loaded.errors == [error]
    with pytest.raises(DeploymentError, match=r"no ABI for SettlementToken .*run `recourse deploy` again"):
        d.abi("SettlementToken")  # a file written before ABIs were recorded loads, but cannot bind
