"""The fast event-decoding path (word slicing) agrees with eth_abi and is as strict; JSON of arguments."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import UndecodableLogError
from chain._abi import AbiEvent, word_decoder
from chain.compiler import CompileResult
from chain.events import EventDecoder
from node_api.services.events import jsonable

EVENT = {
    "type": "event",
    "name": "Everything",
    "inputs": [
        {"name": "who", "type": "address", "indexed": True},
        {"name": "small", "type": "uint8", "indexed": False},
        {"name": "tag", "type": "string", "indexed": True},
        {"name": "delta", "type": "int16", "indexed": False},
        {"name": "big", "type": "int256", "indexed": False},
        {"name": "level", "type": "int8", "indexed": True},
        {"name": "flag", "type": "bool", "indexed": False},
        {"name": "code", "type": "bytes4", "indexed": False},
        {"name": "digest", "type": "bytes32", "indexed": False},
        {"name": "to", "type": "address", "indexed": False},
        {"name": "amount", "type": "uint256", "indexed": False},
    ],
}
DATA_TYPES = ["uint8", "int16", "int256", "bool", "bytes4", "bytes32", "address", "uint256"]
addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)


def _topic(abi_type: str, value: Any) -> bytes:
    return encode([abi_type], [value])


@given(
    who=addresses,
    small=st.integers(0, 255),
    delta=st.integers(-(2**15), 2**15 - 1),
    big=st.integers(-(2**255), 2**255 - 1),
    level=st.integers(-128, 127),
    flag=st.booleans(),
    code=st.binary(min_size=4, max_size=4),
    digest=st.binary(min_size=32, max_size=32),
    to=addresses,
    amount=st.integers(0, 2**256 - 1),
)
@settings(max_examples=200, deadline=None)
def test_fast_path_equals_eth_abi(**v: Any) -> None:
    event = AbiEvent.from_abi(EVENT)
    assert event.fast
    topics = [event.topic0, _topic("address", v["who"]), keccak(text="tag"), _topic("int8", v["level"])]
    data = encode(DATA_TYPES, [v[k] for k in ("small", "delta", "big", "flag", "code", "digest", "to", "amount")])

    fast = event.decode(topics, data)

    assert fast == event._decode_abi(topics, data)
    assert list(fast) == [p["name"] for p in EVENT["inputs"]]
    assert fast["tag"] == keccak(text="tag")  # an indexed string is only its hash
    assert fast["who"] == v["who"]
    assert fast["big"] == v["big"]
    assert fast["code"] == v["code"]


@pytest.mark.parametrize(
    ("abi_type", "word"),
    [
        ("uint8", (256).to_bytes(32, "big")),
        ("int8", (200).to_bytes(32, "big")),
        ("bool", (2).to_bytes(32, "big")),
        ("address", b"\x01" + bytes(31)),
        ("bytes4", b"\xaa" * 5 + bytes(27)),
    ],
)
def test_fast_path_is_as_strict_as_eth_abi(abi_type: str, word: bytes) -> None:
    decode = word_decoder(abi_type)
    assert decode is not None
    with pytest.raises(ValueError, match="range|padding|bool"):
        decode(word)


def test_dynamic_data_keeps_eth_abi() -> None:
    created = {
        "type": "event",
        "name": "Note",
        "inputs": [
            {"name": "id", "type": "uint256", "indexed": True},
            {"name": "text", "type": "string", "indexed": False},
        ],
    }
    event = AbiEvent.from_abi(created)
    assert not event.fast
    assert event.decode([event.topic0, _topic("uint256", 7)], encode(["string"], ["hello"])) == {
        "id": 7,
        "text": "hello",
    }


@pytest.fixture(scope="module")
def decoder(compiled: CompileResult) -> EventDecoder:
    token = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    return EventDecoder({"SettlementToken": compiled.get("SettlementToken").abi}, {token: "SettlementToken"})


def test_recourse_events_with_static_arguments_use_the_fast_path(compiled: CompileResult) -> None:
    fast = {
        item["name"]: AbiEvent.from_abi(item).fast
        for name in ("Consortium", "SettlementToken")
        for item in compiled.get(name).abi
        if item.get("type") == "event"
    }
    for name in ("Transfer", "MemberAdmitted", "MemberRoleGranted", "MemberSuspended", "SettlementIssued"):
        assert fast[name], name
    assert not fast["ProposalCreated"]  # its `bytes data` needs eth_abi


def test_short_or_malformed_data_is_undecodable_never_dropped(decoder: EventDecoder) -> None:
    topic0 = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
    holder = "0x" + _topic("address", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65").hex()
    log = {
        "address": "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
        "topics": [topic0, holder, holder],
        "data": "0x" + (5).to_bytes(16, "big").hex(),  # 16 bytes, a uint256 needs 32
        "blockNumber": "0x10",
        "blockHash": "0x" + "11" * 32,
        "transactionHash": "0x" + "22" * 32,
        "transactionIndex": "0x0",
        "logIndex": "0x1",
    }
    with pytest.raises(UndecodableLogError, match="cannot decode SettlementToken.Transfer"):
        decoder.decode(log)
    log["topics"] = [topic0, holder, "0x" + "ff" * 32]  # an address topic with non-zero padding
    log["data"] = "0x" + _topic("uint256", 5).hex()
    with pytest.raises(UndecodableLogError, match="padding"):
        decoder.decode(log)


def test_json_of_event_arguments() -> None:
    args = {
        "who": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
        "digest": b"\x01\xab",
        "safe": 2**53 - 1,
        "unsafe": 2**53,
        "negative": -(2**60),
        "flag": True,
        "list": [1, b"\x02", (3, 2**70)],
    }
    assert jsonable(args) == {
        "who": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
        "digest": "0x01ab",
        "safe": 2**53 - 1,
        "unsafe": str(2**53),
        "negative": str(-(2**60)),
        "flag": True,
        "list": [1, "0x02", [3, str(2**70)]],
    }


def test_decode_rows_equals_decode_all_including_the_fallback_path(decoder: EventDecoder) -> None:
    topic0 = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
    a = "0x" + _topic("address", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65").hex()
    b = "0x" + _topic("address", "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955").hex()
    base = {
        "address": "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
        "blockHash": "0x" + "11" * 32,
        "transactionHash": "0x" + "22" * 32,
        "transactionIndex": "0x3",
    }
    logs: list[dict[str, Any]] = [
        {
            **base,
            "topics": [topic0, a, b],
            "data": "0x" + _topic("uint256", 2**200).hex(),
            "blockNumber": "0x10",
            "logIndex": "0x0",
        },
        # not JSON-RPC hex strings: decoded by the general path, same result shape
        {
            **base,
            "topics": [bytes.fromhex(topic0[2:]), bytes.fromhex(a[2:]), bytes.fromhex(b[2:])],
            "data": _topic("uint256", 9),
            "blockNumber": 17,
            "logIndex": 4,
        },
        {
            **base,
            "topics": [topic0, b, a],
            "data": "0x" + _topic("uint256", 1).hex(),
            "blockNumber": "0x11",
            "logIndex": "0x5",
            "removed": True,
        },
    ]
    rows = decoder.decode_rows(logs)
    events = [e for e in decoder.decode_all(logs) if not e.removed]
    assert rows == [
        (e.key, e.block_number, e.block_hash, e.tx_hash, e.tx_index, e.log_index, e.contract, e.address, e.name, e.args)
        for e in events
    ]
    assert [r[0] for r in rows] == ["000000000016/000003/000000", "000000000017/000003/000004"]
    assert rows[0][9]["value"] == 2**200
    unknown = {**logs[0], "topics": ["0x" + keccak(text="Other()").hex()]}
    with pytest.raises(UndecodableLogError, match="matches no SettlementToken event"):
        decoder.decode_rows([logs[0], unknown])
