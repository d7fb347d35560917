"""The one table from decoded contract errors to problems: it names only errors the contracts declare, maps
each to its stable code, and lets an error it does not know (or a Panic) through unchanged."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from chain import ContractPanic, ContractReverted
from chain.client import TxRequest
from chain.contracts.consortium import Role
from node_api.problems import CoreError, InvalidInputError
from node_api.services.chain_errors import REVERT_PROBLEMS, dry_run, raise_problem

INTERFACES = Path(__file__).resolve().parents[2] / "contracts" / "interfaces"
CASE = bytes.fromhex("ab" * 32)
ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _declared_errors() -> set[str]:
    names: set[str] = set()
    for source in INTERFACES.glob("*.sol"):
        names.update(re.findall(r"^\s*error\s+(\w+)\s*\(", source.read_text(), flags=re.M))
    return names


def test_every_entry_names_an_error_a_contract_declares() -> None:
    assert set(REVERT_PROBLEMS) <= _declared_errors()


@pytest.mark.parametrize(
    ("name", "args", "code", "members"),
    [
        (
            "ConsortiumGatedUnauthorized",
            {"account": ACCOUNT, "role": Role.BANK.id},
            "AUTH-003",
            {"required_role": "BANK"},
        ),
        ("CaseDelegationNotCollector", {"account": ACCOUNT}, "CAS-403", {"rule": "collector"}),
        ("CaseDelegationCollectorSuspended", {"account": ACCOUNT}, "CAS-403", {"rule": "suspended"}),
        ("CaseDelegationLicenceExpired", {"account": ACCOUNT, "licenceExpiry": 7}, "CAS-403", {"rule": "licence"}),
        (
            "CaseDelegationRegionIneligible",
            {"account": ACCOUNT, "collectorRegion": 440000, "caseRegion": 310115},
            "CAS-403",
            {"rule": "region", "collector_region": 440000, "case_region": 310115},
        ),
        (
            "CaseDelegationAtCapacity",
            {"account": ACCOUNT, "openCases": 2, "maxOpenCases": 2},
            "CAS-403",
            {"rule": "capacity", "open_cases": 2, "max_open_cases": 2},
        ),
        ("CaseDelegationAlreadyClaimed", {"caseId": CASE, "collector": ACCOUNT}, "CAS-409", {"collector": ACCOUNT}),
        ("CaseDelegationCaseClosed", {"caseId": CASE, "status": 6}, "CAS-410", {"case_status": "returned"}),
        ("CaseDelegationCaseExpired", {"caseId": CASE, "deadline": 9}, "CAS-410", {"case_status": "expired"}),
        ("CaseDelegationWrongStatus", {"caseId": CASE, "status": 0}, "CAS-412", {"case_status": "open"}),
        ("CaseDelegationNotCaseCollector", {"caseId": CASE, "account": ACCOUNT}, "CAS-401", {}),
        (
            "OracleHubStaleReport",
            {"feedId": CASE, "subjectId": CASE, "observedAt": 5, "age": 10, "maxAge": 2},
            "ORC-003",
            {"max_age_s": 2, "age_s": 10},
        ),
        ("OracleHubNoReport", {"feedId": CASE, "subjectId": CASE}, "ORC-004", {}),
    ],
)
def test_a_decoded_error_becomes_its_problem(
    name: str, args: dict[str, Any], code: str, members: dict[str, Any]
) -> None:
    reverted = ContractReverted(name, args, "0x00000000")
    with pytest.raises(CoreError) as raised:
        raise_problem(reverted)
    assert raised.value.code == code
    assert members.items() <= raised.value.extra.items()
    assert raised.value.__cause__ is reverted


def test_what_the_table_does_not_know_passes_through() -> None:
    unknown = ContractReverted("SomethingNew", {}, "0x12345678")
    with pytest.raises(ContractReverted) as raised:
        raise_problem(unknown)
    assert raised.value is unknown
    panic = ContractPanic("Panic", {"code": 0x11, "reason": "arithmetic overflow or underflow"}, "0x4e487b71")
    with pytest.raises(ContractPanic) as panicked:
        raise_problem(panic)
    assert panicked.value is panic


def test_the_caller_adds_what_it_knows_better() -> None:
    with pytest.raises(CoreError) as raised:
        raise_problem(
            ContractReverted("CaseDelegationAlreadyClaimed", {"caseId": CASE, "collector": ACCOUNT}, "0x0"),
            case_status="offered",
        )
    assert raised.value.extra["case_status"] == "offered"


class _RefusingNode:
    """The one call ``dry_run`` makes of a chain client, answered with a refusal (the unit under test is the
    mapping; the gateway tests ask a real node)."""

    def __init__(self, refusal: ContractReverted) -> None:
        self.refusal = refusal

    def estimate_gas(self, *_args: object, **_kwargs: object) -> int:
        raise self.refusal


@pytest.mark.parametrize(
    "refusal",
    [
        ContractReverted("SafeCastOverflowedUintDowncast", {"bits": 86, "value": 2**90}, "0x6dfcc650"),
        ContractPanic("Panic", {"code": 0x11, "reason": "arithmetic overflow or underflow"}, "0x4e487b71"),
    ],
)
def test_a_dry_run_refused_for_a_reason_the_table_does_not_name_is_a_422(refusal: ContractReverted) -> None:
    node = _RefusingNode(refusal)
    with pytest.raises(InvalidInputError) as raised:
        dry_run(node, ACCOUNT, TxRequest(ACCOUNT, b"\x00"))  # type: ignore[arg-type]
    assert raised.value.extra["error_name"] == refusal.name
    assert raised.value.__cause__ is refusal
