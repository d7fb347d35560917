"""The production topology in ``deploy/production`` is consistent with the code: four institutions, each with
its own Besu validator, PostgreSQL, Kubo and gateway; every gateway's environment loads as production settings;
the Besu nodes run the files ``recourse network genesis`` writes, at zero gas price, with the JSON-RPC APIs the
gateway uses; the example members file makes a valid four-validator genesis whose hosts are the Besu services;
the gateway image carries every file the console serves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from chain.config import PROJECT_ROOT
from chain.genesis import FoundingMember, QbftParams, decode_qbft_extra_data, genesis, static_nodes
from node_api.console.router import VENDOR
from node_api.settings import GatewaySettings

HERE = PROJECT_ROOT / "deploy" / "production"
MEMBERS = ("bank-a", "amc-b", "court-c", "investor-d")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _env(service: dict[str, Any], member: str) -> dict[str, str]:
    """The gateway's environment with compose's ``${VAR}`` secrets replaced by test values."""
    secrets = {
        "DB_PASSWORD": "db-secret",
        "KEYSTORE_PASSWORD": "a-real-keystore-secret",
        "API_KEY_PEPPER": "a-real-pepper",
        "VAULT_KEY": "11" * 32,
    }

    def fill(value: str) -> str:
        return re.sub(
            r"\$\{[A-Z_]+?_(DB_PASSWORD|KEYSTORE_PASSWORD|API_KEY_PEPPER|VAULT_KEY)(:\?[^}]*)?\}",
            lambda m: secrets[m[1]],
            value,
        )

    return {k: fill(str(v)) for k, v in service["environment"].items()}


def test_every_institution_runs_its_own_four_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert sorted(services) == sorted(
        f"{kind}-{m}" for m in MEMBERS for kind in ("besu", "postgres", "kubo", "gateway")
    )
    for m in MEMBERS:
        env = _env(services[f"gateway-{m}"], m)
        assert urlsplit(env["RECOURSE_CHAIN__RPC_URL"]).hostname == f"besu-{m}"
        assert urlsplit(env["RECOURSE_DB__URL"]).hostname == f"postgres-{m}"
        assert urlsplit(env["RECOURSE_EVIDENCE__IPFS_URL"]).hostname == f"kubo-{m}"
        assert env["RECOURSE_INSTITUTIONS"] == f'["{m}"]'
        assert set(services[f"gateway-{m}"]["depends_on"]) == {f"besu-{m}", f"postgres-{m}", f"kubo-{m}"}


@pytest.mark.parametrize("member", MEMBERS)
def test_each_gateways_environment_loads_as_production_settings(
    compose: dict[str, Any], member: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for k, v in _env(compose["services"][f"gateway-{member}"], member).items():
        monkeypatch.setenv(k, v)
    settings = GatewaySettings()
    assert settings.env == "production"
    assert (settings.chain.chain_id, settings.chain.fee_mode, settings.chain.gas_price) == (2026, "legacy", 0)
    assert settings.db_url.startswith("postgresql://")
    assert settings.evidence.store == "ipfs"
    assert settings.institutions == [member]


def test_besu_nodes_run_the_genesis_files_at_zero_gas(compose: dict[str, Any]) -> None:
    for m in MEMBERS:
        flags = dict(
            f.removeprefix("--").split("=", 1) if "=" in f else (f.removeprefix("--"), "")
            for f in compose["services"][f"besu-{m}"]["command"]
        )
        assert flags["genesis-file"] == "/config/genesis.json"
        assert flags["static-nodes-file"] == "/config/static-nodes.json"
        assert flags["permissions-nodes-config-file"] == "/config/permissions_config.toml"
        assert "permissions-nodes-config-file-enabled" in flags
        assert "permissions-accounts-config-file-enabled" in flags
        assert flags["min-gas-price"] == "0"
        assert flags["p2p-host"] == f"besu-{m}"
        # what the gateway asks: eth_* for everything, web3_clientVersion to know it is not anvil
        assert {"ETH", "WEB3"} <= set(flags["rpc-http-api"].split(","))


def test_the_example_members_make_the_networks_genesis(compose: dict[str, Any]) -> None:
    data = yaml.safe_load((HERE / "members.example.yaml").read_text(encoding="utf-8"))
    members = [
        FoundingMember(m["name"], m["node_public_key"], m["host"], m["p2p_port"], tuple(m["accounts"]))
        for m in data["members"]
    ]
    assert [m.name for m in members] == list(MEMBERS)
    doc = genesis(members, QbftParams(chain_id=data["chain_id"], block_period_s=data["block_period_s"]))
    assert len(decode_qbft_extra_data(doc["extraData"])) == 4
    gateway_chain = {_env(compose["services"][f"gateway-{m}"], m)["RECOURSE_CHAIN__CHAIN_ID"] for m in MEMBERS}
    assert gateway_chain == {str(doc["config"]["chainId"])}
    assert [urlsplit(e).hostname for e in static_nodes(members)] == [f"besu-{m}" for m in MEMBERS]


def test_the_gateway_image_carries_what_the_console_serves() -> None:
    dockerfile = (HERE / "Dockerfile").read_text(encoding="utf-8")
    for path in VENDOR.values():
        inside = path.relative_to(PROJECT_ROOT / "node_modules")
        assert f"cp node_modules/{inside} " in dockerfile, inside
    assert "COPY --from=console-assets /assets ./node_modules" in dockerfile
