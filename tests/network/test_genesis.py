"""The production network's genesis: QBFT ``extraData`` exactly as Besu documents it, the permissioning files,
and ``recourse network genesis``'s refusals (one line, exit 1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import coincurve
import pytest
import rlp
import yaml

from chain.genesis import (
    FoundingMember,
    GenesisError,
    QbftParams,
    decode_qbft_extra_data,
    genesis,
    node_address,
    permissions_toml,
    qbft_extra_data,
    static_nodes,
)

# Besu's documentation, "Configure QBFT consensus", genesis file with block header validator selection:
# four validators, RLP([32 bytes vanity, validators, no vote, round 0, no seals])
BESU_EXAMPLE_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638cac6ae65"
    "e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e0"
    "0ce683cf93039b212648e01c6c6b78c080c0"
)
BESU_EXAMPLE_VALIDATORS = [
    "0x64a702e6263b7297a96638cac6ae65e6541f4169",
    "0x3923390ad55e90c237593b3b0e401f3b08a03185",
    "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
]
NAMES = ("bank-a", "amc-b", "court-c", "investor-d")


def _key(i: int) -> coincurve.PrivateKey:
    return coincurve.PrivateKey.from_int(7_000 + i)


def _members(n: int = 4) -> list[FoundingMember]:
    return [
        FoundingMember(
            name=f"member-{i}",
            node_public_key="0x" + _key(i).public_key.format(compressed=False)[1:].hex(),
            host=f"besu.member-{i}.example",
            accounts=(f"0x{i + 1:040x}",),
        )
        for i in range(n)
    ]


def test_extra_data_is_byte_for_byte_besus_documented_example() -> None:
    assert qbft_extra_data(BESU_EXAMPLE_VALIDATORS) == BESU_EXAMPLE_EXTRA_DATA
    assert [v.lower() for v in decode_qbft_extra_data(BESU_EXAMPLE_EXTRA_DATA)] == BESU_EXAMPLE_VALIDATORS


def test_validator_order_is_kept_and_changes_the_encoding() -> None:
    reordered = [BESU_EXAMPLE_VALIDATORS[1], BESU_EXAMPLE_VALIDATORS[0], *BESU_EXAMPLE_VALIDATORS[2:]]
    assert qbft_extra_data(reordered) != BESU_EXAMPLE_EXTRA_DATA


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("0xzz", "not RLP"),
        # an IBFT 2.0 style round (4 bytes) is not QBFT's round 0
        (
            "0x"
            + rlp.encode(
                [b"\0" * 32, [bytes.fromhex(v[2:]) for v in BESU_EXAMPLE_VALIDATORS], [], b"\0" * 4, []]
            ).hex(),
            "round 0",
        ),
        (BESU_EXAMPLE_EXTRA_DATA[:-2] + "c101", "not RLP"),
    ],
)
def test_malformed_extra_data_is_refused(extra: str, message: str) -> None:
    with pytest.raises(GenesisError, match=message):
        decode_qbft_extra_data(extra)


def test_genesis_names_one_validator_per_founding_member() -> None:
    members = _members()
    doc = genesis(members, QbftParams(chain_id=2026, block_period_s=2, request_timeout_s=4))
    expected = [node_address(bytes(_key(i).public_key.format(compressed=False)[1:])) for i in range(4)]
    assert decode_qbft_extra_data(doc["extraData"]) == expected
    assert doc["config"]["chainId"] == 2026
    assert doc["config"]["qbft"] == {"blockperiodseconds": 2, "epochlength": 30_000, "requesttimeoutseconds": 4}
    assert doc["config"]["zeroBaseFee"] is True
    assert doc["config"]["cancunTime"] == 0
    assert doc["mixHash"] == "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"


def test_permissioning_allows_the_members_nodes_and_accounts_only() -> None:
    members = _members()
    nodes = static_nodes(members)
    assert nodes[0] == f"enode://{members[0].public_key_bytes().hex()}@besu.member-0.example:30303"
    toml = permissions_toml(members)
    assert f"nodes-allowlist={json.dumps(nodes)}" in toml
    for m in members:
        assert node_address(m.public_key_bytes()) in toml
        assert m.accounts[0][2:] in toml.lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ms: ms[:3], "at least 4 validators"),
        (lambda ms: [*ms, ms[0]], "listed twice"),
        (lambda ms: [*ms[:3], FoundingMember("other", ms[0].node_public_key, "h.example")], "same node key"),
        (lambda ms: [*ms[:3], FoundingMember("bad", "0x" + "00" * 64, "h.example")], "not a point"),
        (lambda ms: [*ms[:3], FoundingMember("short", "0x1234", "h.example")], "64 bytes"),
        (lambda ms: [*ms[:3], FoundingMember("host", ms[3].node_public_key, "bad host!")], "neither an IP"),
        (lambda ms: [*ms[:3], FoundingMember("port", ms[3].node_public_key, "h.example", 70_000)], "not a TCP port"),
    ],
)
def test_members_that_cannot_make_a_network_are_refused(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GenesisError, match=message):
        genesis(change(_members()), QbftParams(chain_id=2026))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (QbftParams(chain_id=31337), "development chain"),
        (QbftParams(chain_id=2026, block_period_s=5, request_timeout_s=6), "twice the block period"),
        (QbftParams(chain_id=0), "positive"),
    ],
)
def test_parameters_that_cannot_make_a_network_are_refused(params: QbftParams, message: str) -> None:
    with pytest.raises(GenesisError, match=message):
        genesis(_members(), params)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "network", *args], capture_output=True, text=True, timeout=120
    )


def _members_file(tmp_path: Path, members: list[dict[str, object]]) -> Path:
    path = tmp_path / "members.yaml"
    path.write_text(yaml.safe_dump({"chain_id": 2026, "block_period_s": 2, "members": members}), encoding="utf-8")
    return path


def _member_dicts() -> list[dict[str, object]]:
    return [
        {"name": m.name, "node_public_key": m.node_public_key, "host": m.host, "accounts": list(m.accounts)}
        for m in _members()
    ]


def test_cli_writes_the_three_files(tmp_path: Path) -> None:
    out = tmp_path / "net"
    r = _cli("genesis", "--members", str(_members_file(tmp_path, _member_dicts())), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "4 validators" in r.stdout
    doc = json.loads((out / "genesis.json").read_text())
    assert len(decode_qbft_extra_data(doc["extraData"])) == 4
    assert len(json.loads((out / "static-nodes.json").read_text())) == 4
    assert "nodes-allowlist=" in (out / "permissions_config.toml").read_text()
    # a second run does not overwrite without --force
    again = _cli("genesis", "--members", str(tmp_path / "members.yaml"), "--out", str(out))
    assert again.returncode == 1
    assert "--force" in again.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ms: ms[:3], "at least 4 validators"),
        (lambda ms: [{**ms[0], "host": None}, *ms[1:]], "lacks host"),
        (lambda ms: [{**ms[0], "colour": "red"}, *ms[1:]], "unknown field(s) colour"),
        (lambda ms: [{**ms[0], "p2p_port": "x"}, *ms[1:]], "p2p_port must be a number"),
    ],
)
def test_cli_refuses_bad_members_in_one_line(tmp_path: Path, edit, message) -> None:  # type: ignore[no-untyped-def]
    r = _cli("genesis", "--members", str(_members_file(tmp_path, edit(_member_dicts()))), "--out", str(tmp_path / "o"))
    assert r.returncode == 1
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_cli_refuses_an_unknown_setting(tmp_path: Path) -> None:
    path = tmp_path / "members.yaml"
    path.write_text(yaml.safe_dump({"chain_idd": 2026, "members": _member_dicts()}), encoding="utf-8")
    r = _cli("genesis", "--members", str(path), "--out", str(tmp_path / "o"))
    assert r.returncode == 1
    assert "unknown setting(s) chain_idd" in r.stderr


def test_cli_requires_every_governor_to_be_a_members_account(tmp_path: Path) -> None:
    members = _members_file(tmp_path, _member_dicts())
    stranger = "0x" + "ab" * 20
    r = _cli(
        "genesis", "--members", str(members), "--out", str(tmp_path / "o"), "--governors", f"0x{1:040x},{stranger}"
    )
    assert r.returncode == 1
    assert stranger in r.stderr
    ok = _cli("genesis", "--members", str(members), "--out", str(tmp_path / "o"), "--governors", f"0x{1:040x}")
    assert ok.returncode == 0, ok.stderr
