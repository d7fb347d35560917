"""chain.errors.ErrorDecoder: raw revert data → typed ContractReverted / ContractPanic."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain import ContractPanic, ContractReverted
from chain.compiler import CompileResult
from chain.errors import ErrorDecoder

GOVERNOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@pytest.fixture(scope="module")
def decoder(compiled: CompileResult) -> ErrorDecoder:
    return ErrorDecoder(a.abi for a in compiled.artifacts.values())


def test_decodes_custom_error_with_arguments(decoder: ErrorDecoder) -> None:
    selector = _selector("ConsortiumInsufficientApprovals(uint256,uint256,uint256)")
    data = selector + encode(["uint256", "uint256", "uint256"], [7, 1, 2])

    err = decoder.decode("0x" + data.hex())

    assert type(err) is ContractReverted
    assert err.name == "ConsortiumInsufficientApprovals"
    assert err.arguments == {"proposalId": 7, "approvals": 1, "threshold": 2}
    assert err.selector == "0x" + selector.hex()
    assert err.data == "0x" + data.hex()
    assert str(err) == "ConsortiumInsufficientApprovals(proposalId=7, approvals=1, threshold=2)"


def test_decodes_address_bytes32_and_bool_arguments(decoder: ErrorDecoder) -> None:
    role = keccak(text="BANK_ROLE")
    data = _selector("ConsortiumRoleUnchanged(address,bytes32,bool)") + encode(
        ["address", "bytes32", "bool"], [GOVERNOR.lower(), role, True]
    )

    err = decoder.decode(data)  # raw bytes are accepted too

    assert err.name == "ConsortiumRoleUnchanged"
    assert err.arguments == {"account": GOVERNOR, "role": role, "held": True}  # checksummed address


def test_decodes_inherited_openzeppelin_error(decoder: ErrorDecoder) -> None:
    err = decoder.decode(_selector("EnforcedPause()"))

    assert err.name == "EnforcedPause"
    assert err.arguments == {}


def test_decodes_error_string(decoder: ErrorDecoder) -> None:
    data = _selector("Error(string)") + encode(["string"], ["nope: ünïcode"])

    err = decoder.decode(data)

    assert type(err) is ContractReverted
    assert err.name == "Error"
    assert err.arguments == {"message": "nope: ünïcode"}


@pytest.mark.parametrize(
    ("code", "reason"),
    [(0x01, "assertion failed"), (0x11, "arithmetic overflow or underflow"), (0x32, "array index out of bounds")],
)
def test_decodes_panic_as_contract_panic(decoder: ErrorDecoder, code: int, reason: str) -> None:
    data = _selector("Panic(uint256)") + encode(["uint256"], [code])

    err = decoder.decode(data)

    assert isinstance(err, ContractPanic)
    assert err.name == "Panic"
    assert err.arguments == {"code": code, "reason": reason}


def test_panic_with_unlisted_code_still_decodes() -> None:
    err = ErrorDecoder().decode(_selector("Panic(uint256)") + encode(["uint256"], [0x99]))

    assert isinstance(err, ContractPanic)
    assert err.arguments == {"code": 0x99, "reason": "unknown"}


def test_unknown_selector_is_unknown_error_with_raw_data(decoder: ErrorDecoder) -> None:
    data = bytes.fromhex("deadbeef") + encode(["uint256"], [1])

    err = decoder.decode(data)

    assert type(err) is ContractReverted
    assert err.name == "UnknownError"
    assert err.selector == "0xdeadbeef"
    assert err.arguments == {"data": "0x" + data.hex()}


@pytest.mark.parametrize("data", ["0x", "", b"", "0x1234"], ids=["0x", "empty-str", "empty-bytes", "short"])
def test_empty_or_short_data_is_empty_revert(decoder: ErrorDecoder, data: str | bytes) -> None:
    err = decoder.decode(data)

    assert err.name == "EmptyRevert"
    assert err.arguments == {}
    assert err.selector == "0x"


def test_malformed_payload_keeps_error_name_and_raw_data(decoder: ErrorDecoder) -> None:
    data = _selector("ConsortiumInsufficientApprovals(uint256,uint256,uint256)") + b"\x01\x02"

    err = decoder.decode(data)

    assert err.name == "ConsortiumInsufficientApprovals"
    assert err.arguments == {"data": "0x" + data.hex()}


def test_error_without_registered_abi_is_unknown() -> None:
    data = _selector("ConsortiumNotMember(address)") + encode(["address"], [GOVERNOR])

    assert ErrorDecoder().decode(data).name == "UnknownError"
    decoder = ErrorDecoder(
        [[{"type": "error", "name": "ConsortiumNotMember", "inputs": [{"name": "account", "type": "address"}]}]]
    )
    assert decoder.decode(data).arguments == {"account": GOVERNOR}
