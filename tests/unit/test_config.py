"""chain.config: brownie-config.yaml is the one source; foundry.toml and package.json mirror it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from chain import ConfigError
from chain.config import DEV_CHAIN_ID, PROJECT_ROOT, load_project_config

VALID = """
compiler:
  evm_version: cancun
  solc:
    version: 0.8.28
    optimizer: {enabled: true, runs: 200}
networks:
  default: local
  local: {host: "http://127.0.0.1:8545", chainid: 31337}
"""


def _raw_yaml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "brownie-config.yaml").read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "brownie-config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_load_project_config_parses_brownie_config() -> None:
    raw = _raw_yaml()
    config = load_project_config()

    solc = raw["compiler"]["solc"]
    assert config.compiler.version == str(solc["version"]) == "0.8.28"
    assert config.compiler.evm_version == raw["compiler"]["evm_version"] == "cancun"
    assert config.compiler.optimizer_enabled is True
    assert config.compiler.optimizer_runs == solc["optimizer"]["runs"]
    assert config.compiler.remappings == tuple(solc["remappings"])
    assert config.default_network == raw["networks"]["default"] == "local"
    assert config.contracts_dir == "contracts"

    local = config.networks["local"]
    assert local.chain_id == DEV_CHAIN_ID
    assert local.hardfork == config.compiler.evm_version  # anvil runs the hardfork we compile for
    assert local.poa is False
    assert local.gas_price is None
    besu = config.networks["besu-qbft"]
    assert besu.chain_id == 1337
    assert besu.poa is True
    assert besu.gas_price == 0
    assert besu.confirmations == 0
    assert "default" not in config.networks


def test_foundry_toml_mirrors_brownie_config() -> None:
    compiler = load_project_config().compiler
    foundry = tomllib.loads((PROJECT_ROOT / "foundry.toml").read_text(encoding="utf-8"))["profile"]["default"]

    assert foundry["solc_version"] == compiler.version
    assert foundry["evm_version"] == compiler.evm_version
    assert foundry["optimizer"] == compiler.optimizer_enabled
    assert foundry["optimizer_runs"] == compiler.optimizer_runs
    assert foundry["remappings"] == list(compiler.remappings)
    assert foundry["src"] == load_project_config().contracts_dir


def test_package_json_pins_the_same_solc() -> None:
    compiler = load_project_config().compiler
    package = json.loads((PROJECT_ROOT / "package.json").read_text(encoding="utf-8"))

    assert package["dependencies"]["solc"] == compiler.version


def test_minimal_config_uses_defaults(tmp_path: Path) -> None:
    config = load_project_config(_write(tmp_path, VALID))

    assert config.compiler.remappings == ()
    assert config.contracts_dir == "contracts"
    assert config.networks["local"].hardfork is None
    assert config.networks["local"].confirmations == 0


def test_missing_config_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_project_config(tmp_path)


def test_invalid_yaml_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_project_config(_write(tmp_path, "compiler: [unclosed\n"))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (VALID.replace("  evm_version: cancun\n", ""), "evm_version"),
        (VALID.replace("runs: 200", "runs: many"), "invalid setting"),
        (VALID.replace("chainid: 31337", "chainid: 0x7a69x"), "invalid setting"),
        (VALID.replace('host: "http://127.0.0.1:8545", ', ""), "host"),
        (VALID.replace("default: local", "default: mainnet"), "'mainnet', which is not defined"),
        ("- just\n- a list\n", "invalid setting"),
        ("", "compiler"),
    ],
    ids=["no-evm-version", "runs-not-int", "chainid-not-int", "no-host", "unknown-default", "not-a-mapping", "empty"],
)
def test_invalid_setting_raises_config_error(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_project_config(_write(tmp_path, text))


@pytest.mark.parametrize(
    "text",
    [
        VALID + "project_structure:\n",
        VALID.replace('local: {host: "http://127.0.0.1:8545", chainid: 31337}', "local:"),
        VALID.replace("chainid: 31337}", "chainid: 31337, cmd_settings: fast}"),
    ],
    ids=["empty-project-structure", "null-network", "cmd-settings-not-mapping"],
)
def test_non_mapping_section_raises_config_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError):
        load_project_config(_write(tmp_path, text))
