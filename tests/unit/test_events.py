"""chain.events: raw JSON-RPC logs → DecodedEvent; undecodable Recourse logs raise, never vanish."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain import UndecodableLogError
from chain.compiler import CompileResult
from chain.events import EventDecoder, event_key

CONSORTIUM = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
STRANGER = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
TARGET = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
PROPOSER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TX_HASH = "0x" + "ab" * 32
BLOCK_HASH = "0x" + "cd" * 32


def _topic(value: Any, abi_type: str) -> str:
    return "0x" + encode([abi_type], [value]).hex()


def _log(
    address: str, topics: list[str], data: bytes, *, block: int = 12, tx: int = 3, index: int = 7
) -> dict[str, Any]:
    return {
        "address": address.lower(),
        "topics": topics,
        "data": "0x" + data.hex(),
        "blockNumber": hex(block),
        "blockHash": BLOCK_HASH,
        "transactionHash": TX_HASH,
        "transactionIndex": hex(tx),
        "logIndex": hex(index),
        "removed": False,
    }


def _proposal_created(address: str = CONSORTIUM, **where: int) -> dict[str, Any]:
    # ProposalId is uint256 and ProposalKind an enum (uint8) in the ABI
    topic0 = "0x" + keccak(text="ProposalCreated(uint256,uint8,address,address,uint64,bytes)").hex()
    topics = [topic0, _topic(42, "uint256"), _topic(TARGET, "address"), _topic(PROPOSER, "address")]
    data = encode(["uint8", "uint64", "bytes"], [0, 1_700_000_000, b"\x01\x02\x03"])
    return _log(address, topics, data, **where)


@pytest.fixture(scope="module")
def decoder(compiled: CompileResult) -> EventDecoder:
    abis = {name: compiled.get(name).abi for name in ("Consortium", "SettlementToken")}
    return EventDecoder(abis, {CONSORTIUM: "Consortium", TOKEN: "SettlementToken"})


def test_event_key_format() -> None:
    assert event_key(12, 3, 7) == "000000000012/000003/000007"
    assert event_key(0, 0, 0) == "000000000000/000000/000000"


def test_event_keys_sort_like_their_positions() -> None:
    positions = [(2, 0, 10), (10, 1, 0), (10, 0, 5), (1, 999, 999), (10, 0, 11)]

    keys = [event_key(*p) for p in positions]

    assert sorted(keys) == [event_key(*p) for p in sorted(positions)]


def test_decodes_indexed_and_unindexed_arguments(decoder: EventDecoder) -> None:
    event = decoder.decode(_proposal_created())

    assert event.name == "ProposalCreated"
    assert event.contract == "Consortium"
    assert event.address == CONSORTIUM
    assert event.key == "000000000012/000003/000007"
    assert (event.block_number, event.tx_index, event.log_index) == (12, 3, 7)
    assert event.tx_hash == TX_HASH
    assert event.block_hash == BLOCK_HASH
    assert event.removed is False
    assert event.args == {
        "proposalId": 42,
        "kind": 0,
        "target": TARGET,
        "proposer": PROPOSER,
        "deadline": 1_700_000_000,
        "data": b"\x01\x02\x03",
    }
    assert list(event.args) == ["proposalId", "kind", "target", "proposer", "deadline", "data"]


def test_decodes_erc20_transfer_of_the_token(decoder: EventDecoder) -> None:
    topic0 = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
    log = _log(TOKEN, [topic0, _topic(PROPOSER, "address"), _topic(TARGET, "address")], encode(["uint256"], [250]))

    event = decoder.decode(log)

    assert (event.contract, event.name) == ("SettlementToken", "Transfer")
    assert event.args == {"from": PROPOSER, "to": TARGET, "value": 250}


def test_unknown_topic_from_known_address_raises(decoder: EventDecoder) -> None:
    log = _log(CONSORTIUM, ["0x" + keccak(text="Surprise(uint256)").hex()], encode(["uint256"], [1]))

    with pytest.raises(UndecodableLogError, match="matches no Consortium event"):
        decoder.decode(log)
    # only_known skips foreign addresses, never undecodable logs of our own contracts
    with pytest.raises(UndecodableLogError):
        decoder.decode_all([_proposal_created(index=1), log], only_known=True)


def test_log_with_wrong_topic_count_raises(decoder: EventDecoder) -> None:
    log = _proposal_created()
    log["topics"] = log["topics"][:3]

    with pytest.raises(UndecodableLogError, match="cannot decode Consortium.ProposalCreated"):
        decoder.decode(log)


def test_anonymous_log_from_known_address_raises(decoder: EventDecoder) -> None:
    with pytest.raises(UndecodableLogError, match="anonymous"):
        decoder.decode(_log(CONSORTIUM, [], b""))


def test_log_from_unknown_address_raises_unless_only_known(decoder: EventDecoder) -> None:
    foreign = _proposal_created(STRANGER, index=0)
    ours = _proposal_created(index=1)

    with pytest.raises(UndecodableLogError, match="not a known Recourse contract"):
        decoder.decode(foreign)
    with pytest.raises(UndecodableLogError):
        decoder.decode_all([foreign, ours])

    decoded = decoder.decode_all([foreign, ours], only_known=True)

    assert [e.key for e in decoded] == ["000000000012/000003/000001"]


def test_add_address_makes_a_new_instance_decodable(compiled: CompileResult) -> None:
    fresh = EventDecoder({"Consortium": compiled.get("Consortium").abi}, {})
    assert not fresh.knows(STRANGER)

    fresh.add_address(STRANGER, "Consortium")

    assert fresh.knows(STRANGER.lower())
    assert fresh.addresses == [STRANGER]
    assert fresh.decode(_proposal_created(STRANGER)).address == STRANGER
    with pytest.raises(UndecodableLogError, match="no ABI registered"):
        fresh.add_address(TOKEN, "SettlementToken")


def test_transaction_hashes_are_stored_in_lower_case(decoder: EventDecoder) -> None:
    """The writer records its hashes in lower case; the index must match them with a plain (indexed) ``=``."""
    log = _proposal_created() | {"transactionHash": TX_HASH.upper().replace("0X", "0x")}

    assert decoder.decode(log).tx_hash == TX_HASH
    assert [row[3] for row in decoder.decode_rows([log])] == [TX_HASH]
