"""OracleHub against a real anvil: EIP-712 signing from Python, k-of-n acceptance, refusals, stale reads,
threshold governance, and the gas a report costs (receipt ``gasUsed``, cancun).

The session deployment has no OracleHub yet, so each test deploys its own (constructor
``(consortium, k)``) and admits four oracle operators through 2-of-3 consortium proposals; the ``client``
fixture rolls all of it back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_abi.abi import encode as abi_encode
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from chain import ContractReverted, UndecodableLogError
from chain.client import ChainClient, Receipt, TxRequest
from chain.compiler import CompileResult
from chain.config import DEV_CHAIN_ID
from chain.contracts.consortium import Role
from chain.contracts.oracle_hub import OracleHub
from chain.eip712 import (
    INT64_MAX,
    REPORT_TYPE,
    REPORT_TYPEHASH,
    Domain,
    Report,
    ReportSignature,
    SubjectId,
    feed_id,
    recover_report_signer,
    report_digest,
    report_struct_hash,
    sign_report,
    sort_signatures,
    subject_id,
)
from chain.keys import dev_account
from chain.network import Recourse
from tests.chain.conftest import SignerFactory
from tests.conftest import account

pytestmark = pytest.mark.chain

K = 3
GAS_GOAL_K3 = 90_000
FEED = feed_id("valuation:residential")
SUBJECT = subject_id("asset:SH-2024-0042")
MODEL = keccak(text="model:valuation-stack@1")
PRICE = 1_250_000_00  # fen

#: Oracle operators' signing keys (anvil accounts 16-19: no other development identity uses them). They
#: only sign; a funded account relays the reports.
OPERATORS: list[LocalAccount] = sorted(
    (dev_account(16 + i, chain_id=DEV_CHAIN_ID) for i in range(4)), key=lambda a: int(a.address, 16)
)

DeployHub = Callable[[int], OracleHub]


def _admit(recourse: Recourse, signer: SignerFactory, address: str, roles: list[Role], name: str) -> None:
    consortium = recourse.consortium
    pid = consortium.propose_admission(signer("governor-1"), address, name=name, roles=roles, region=310000)
    consortium.approve(signer("governor-2"), pid)
    consortium.execute(signer("governor-1"), pid)


def _suspend(recourse: Recourse, signer: SignerFactory, address: str) -> None:
    consortium = recourse.consortium
    pid = consortium.propose_suspension(signer("governor-1"), address, reason="oracle misconduct 2024-3", suspend=True)
    consortium.approve(signer("governor-2"), pid)
    consortium.execute(signer("governor-1"), pid)


@pytest.fixture
def deploy_hub(client: ChainClient, recourse: Recourse, compiled: CompileResult, signer: SignerFactory) -> DeployHub:
    """``deploy_hub(k)``: a fresh OracleHub on the session consortium with signature threshold ``k``."""
    artifact = compiled.get("OracleHub")

    def deploy(k: int) -> OracleHub:
        args = abi_encode(["address", "uint256"], [recourse.consortium.address, k])
        receipt = signer("deployer").transact(
            TxRequest(None, bytes.fromhex(artifact.bytecode[2:]) + args, label="deploy OracleHub")
        )
        assert receipt.contract_address is not None
        return OracleHub(client, receipt.contract_address, artifact.abi)

    return deploy


@pytest.fixture
def hub(deploy_hub: DeployHub, recourse: Recourse, signer: SignerFactory) -> OracleHub:
    """An OracleHub with k = 3 and the four OPERATORS admitted as ORACLE members."""
    h = deploy_hub(K)
    for i, op in enumerate(OPERATORS):
        _admit(recourse, signer, op.address, [Role.ORACLE], f"Valuation Oracle Operator {i + 1}")
    assert h.active_oracle_count() == len(OPERATORS)
    assert h.threshold() == K
    return h


def _report(client: ChainClient, *, value: int = PRICE, age: int = 60, subject: SubjectId = SUBJECT) -> Report:
    observed = client.block_timestamp() - age
    return Report(
        feed_id=FEED,
        subject_id=subject,
        value=value,
        low=value * 9 // 10,
        high=value * 11 // 10,
        model_version=MODEL,
        feature_digest=keccak(text=f"features:{subject.hex()}:{observed}"),
        observed_at=observed,
    )


def _signed(hub: OracleHub, report: Report, signers: list[LocalAccount]) -> list[ReportSignature]:
    return [hub.sign(op, report) for op in signers]


def _refusal(excinfo: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, dict[str, object]]:
    return excinfo.value.name, excinfo.value.arguments


# --- EIP-712 ---


def test_python_digest_matches_contract_and_eth_account(hub: OracleHub, client: ChainClient) -> None:
    report = _report(client, value=-42_00)  # negative values hash as int256
    domain = hub.domain()

    assert domain == Domain("Recourse OracleHub", "1", client.chain_id, hub.address)
    assert domain.separator == hub.domain_separator()
    assert REPORT_TYPEHASH == bytes(hub.call("REPORT_TYPEHASH")) == keccak(text=REPORT_TYPE)
    assert report_digest(domain, report) == hub.hash_report(report)

    # an independent EIP-712 implementation (eth_account's typed-data encoder) agrees
    typed = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Report": [
                    {"name": "feedId", "type": "bytes32"},
                    {"name": "subjectId", "type": "bytes32"},
                    {"name": "value", "type": "int256"},
                    {"name": "low", "type": "int256"},
                    {"name": "high", "type": "int256"},
                    {"name": "modelVersion", "type": "bytes32"},
                    {"name": "featureDigest", "type": "bytes32"},
                    {"name": "observedAt", "type": "uint64"},
                ],
            },
            "primaryType": "Report",
            "domain": {
                "name": domain.name,
                "version": domain.version,
                "chainId": domain.chain_id,
                "verifyingContract": domain.verifying_contract,
            },
            "message": {
                "feedId": report.feed_id,
                "subjectId": report.subject_id,
                "value": report.value,
                "low": report.low,
                "high": report.high,
                "modelVersion": report.model_version,
                "featureDigest": report.feature_digest,
                "observedAt": report.observed_at,
            },
        }
    )
    assert typed.header == domain.separator
    assert typed.body == report_struct_hash(report)

    # every field is covered by the digest
    changed = Report(
        report.feed_id, report.subject_id, report.value + 1, report.low, report.high,
        report.model_version, report.feature_digest, report.observed_at,
    )  # fmt: skip
    assert hub.hash_report(changed) != hub.hash_report(report)


def test_signature_recovers_to_its_signer_and_is_compact(hub: OracleHub, client: ChainClient) -> None:
    report = _report(client)
    sig = sign_report(OPERATORS[0], hub.domain(), report)

    assert sig.signer == OPERATORS[0].address
    assert recover_report_signer(hub.domain(), report, sig) == OPERATORS[0].address
    assert len(sig.r) == len(sig.vs) == 32
    assert sig.v in (27, 28)
    assert sig.s <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0  # low s
    # the signature does not carry over to another hub or another chain
    other_hub = Domain.oracle_hub(chain_id=client.chain_id, verifying_contract="0x" + "11" * 20)
    other_chain = Domain.oracle_hub(chain_id=client.chain_id + 1, verifying_contract=hub.address)
    assert recover_report_signer(other_hub, report, sig) != OPERATORS[0].address
    assert recover_report_signer(other_chain, report, sig) != OPERATORS[0].address


def test_report_refuses_values_that_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="feed_id must be 32 bytes"):
        Report(FEED[:31], SUBJECT, 1, 1, 1, MODEL, MODEL, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="value must be an int256"):
        Report(FEED, SUBJECT, 1 << 255, 0, 0, MODEL, MODEL, 1)
    with pytest.raises(ValueError, match="observed_at must be a uint64"):
        Report(FEED, SUBJECT, 1, 1, 1, MODEL, MODEL, -1)


# --- acceptance ---


def test_report_with_k_signatures_is_accepted_and_read_back(
    hub: OracleHub, client: ChainClient, signer: SignerFactory
) -> None:
    report = _report(client)
    relayer = signer("oracle")  # a funded account that is not a member: anyone may relay
    signatures = _signed(hub, report, [OPERATORS[2], OPERATORS[0], OPERATORS[3]])  # any order: the wrapper sorts
    start = client.block_number() + 1

    receipt = hub.submit(relayer, report, signatures)

    accepted = hub.accepted(receipt)
    assert accepted.report == report
    assert accepted.signers == (OPERATORS[0].address, OPERATORS[2].address, OPERATORS[3].address)
    assert (accepted.tx_hash, accepted.block_number) == (receipt.tx_hash, receipt.block_number)
    assert [e.name for e in hub.events(receipt)] == ["ReportAccepted"]
    assert hub.latest(FEED, SUBJECT, max_age=3600) == report
    assert hub.get_report(FEED, SUBJECT) == report
    assert hub.accepted_between(from_block=start) == [accepted]


def test_accepted_of_finds_a_report_after_newer_ones_superseded_it(
    hub: OracleHub, client: ChainClient, signer: SignerFactory
) -> None:
    """An operator closing an old round asks whether its report ever reached the chain, not only whether it
    is the latest: the lookup is filtered by feed and subject on the node and bounded by observation time."""
    relayer = signer("oracle")
    first = _report(client, age=120)
    other = _report(client, age=110, subject=subject_id("asset:other"))
    second = _report(client, value=PRICE + 1, age=100)
    for r in (first, other, second):
        hub.submit(relayer, r, _signed(hub, r, OPERATORS[:K]))
    assert hub.get_report(FEED, SUBJECT) == second

    assert [a.report for a in hub.accepted_of(FEED, SUBJECT, since=first.observed_at)] == [first, second]
    assert [a.report for a in hub.accepted_of(FEED, SUBJECT, since=first.observed_at + 1)] == [second]
    assert [a.report for a in hub.accepted_of(FEED, subject_id("asset:other"), since=0)] == [other]
    assert hub.accepted_of(FEED, SUBJECT, since=client.block_timestamp() + 3600) == []
    with pytest.raises(UndecodableLogError, match="no event 'ReportRefused'"):
        hub.events_between(from_block=0, name="ReportRefused")


def test_negative_value_round_trips(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    observed = client.block_timestamp() - 60
    report = Report(FEED, SUBJECT, -7_500_00, -8_000_00, -7_000_00, MODEL, keccak(text="features"), observed)
    receipt = hub.submit(signer("oracle"), report, _signed(hub, report, OPERATORS[:K]))
    assert hub.accepted(receipt).report == report
    assert hub.latest(FEED, SUBJECT, max_age=3600) == report


# --- refusals ---


def test_k_minus_one_signatures_are_refused(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    report = _report(client)
    with pytest.raises(ContractReverted) as excinfo:
        hub.submit(signer("oracle"), report, _signed(hub, report, OPERATORS[: K - 1]))
    assert _refusal(excinfo) == ("OracleHubInsufficientSignatures", {"count": K - 1, "threshold": K})
    assert hub.get_report(FEED, SUBJECT) is None


def test_duplicate_signer_is_refused(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    report = _report(client)
    a, b = _signed(hub, report, OPERATORS[:2])
    with pytest.raises(ContractReverted) as excinfo:
        hub.submit(signer("oracle"), report, [a, b, b])
    assert _refusal(excinfo) == ("OracleHubDuplicateSigner", {"signer": OPERATORS[1].address})


def test_unsorted_signers_are_refused(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    report = _report(client)
    sigs = _signed(hub, report, OPERATORS[:K])
    assert sort_signatures(reversed(sigs)) == sigs
    with pytest.raises(ContractReverted) as excinfo:
        hub.submit(signer("oracle"), report, [sigs[1], sigs[0], sigs[2]], sort=False)
    assert _refusal(excinfo) == (
        "OracleHubUnsortedSigners",
        {"previous": OPERATORS[1].address, "signer": OPERATORS[0].address},
    )


@pytest.mark.parametrize("who", ["bank", "outsider"])
def test_non_oracle_signer_is_refused(
    hub: OracleHub, client: ChainClient, signer: SignerFactory, recourse: Recourse, who: str
) -> None:
    if who == "bank":
        _admit(recourse, signer, account("bank").address, [Role.BANK], "Bank")  # a member, but no ORACLE role
    report = _report(client)
    intruder = account(who)
    with pytest.raises(ContractReverted) as excinfo:
        hub.submit(signer("oracle"), report, _signed(hub, report, [*OPERATORS[:2], intruder]))
    assert _refusal(excinfo) == ("OracleHubSignerNotOracle", {"signer": intruder.address})


def test_suspended_oracle_is_refused(
    hub: OracleHub, client: ChainClient, signer: SignerFactory, recourse: Recourse
) -> None:
    _suspend(recourse, signer, OPERATORS[1].address)
    assert hub.active_oracle_count() == len(OPERATORS) - 1
    report = _report(client)

    with pytest.raises(ContractReverted) as excinfo:
        hub.submit(signer("oracle"), report, _signed(hub, report, OPERATORS[:K]))
    assert _refusal(excinfo) == ("OracleHubSignerNotOracle", {"signer": OPERATORS[1].address})

    others = [OPERATORS[0], OPERATORS[2], OPERATORS[3]]
    receipt = hub.submit(signer("oracle"), report, _signed(hub, report, others))
    assert hub.accepted(receipt).signers == tuple(op.address for op in others)


def test_signature_for_another_report_is_refused(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    report = _report(client)
    sigs = _signed(hub, report, OPERATORS[:K])
    tampered = Report(
        report.feed_id, report.subject_id, report.value, report.low, report.high,
        report.model_version, keccak(text="other features"), report.observed_at,
    )  # fmt: skip
    with pytest.raises(ContractReverted) as excinfo:
        hub.submit(signer("oracle"), tampered, sigs, sort=False)
    name, args = _refusal(excinfo)
    assert name == "OracleHubSignerNotOracle"
    assert args["signer"] == recover_report_signer(hub.domain(), tampered, sigs[0])
    assert args["signer"] not in {op.address for op in OPERATORS}


def test_replayed_and_older_reports_are_refused(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    relayer = signer("oracle")
    report = _report(client)
    sigs = _signed(hub, report, OPERATORS[:K])
    hub.submit(relayer, report, sigs)

    with pytest.raises(ContractReverted) as replay:
        hub.submit(relayer, report, sigs)
    assert _refusal(replay) == (
        "OracleHubOutdatedReport",
        {
            "feedId": FEED,
            "subjectId": SUBJECT,
            "observedAt": report.observed_at,
            "latestObservedAt": report.observed_at,
        },
    )

    older = _report(client, value=PRICE * 2, age=120)
    assert older.observed_at < report.observed_at
    with pytest.raises(ContractReverted) as stale:
        hub.submit(relayer, older, _signed(hub, older, OPERATORS[:K]))
    assert _refusal(stale)[0] == "OracleHubOutdatedReport"
    assert _refusal(stale)[1]["observedAt"] == older.observed_at
    assert hub.get_report(FEED, SUBJECT) == report


def test_value_beyond_int64_is_refused(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    base = _report(client)
    big = Report(FEED, SUBJECT, INT64_MAX, INT64_MAX, INT64_MAX + 1, MODEL, MODEL, base.observed_at)
    with pytest.raises(ContractReverted) as excinfo:
        hub.submit(signer("oracle"), big, _signed(hub, big, OPERATORS[:K]))
    assert _refusal(excinfo) == ("OracleHubValueOutOfRange", {"number": INT64_MAX + 1})


# --- reads ---


def test_stale_and_absent_reads_revert(hub: OracleHub, client: ChainClient, signer: SignerFactory) -> None:
    with pytest.raises(ContractReverted) as absent:
        hub.latest(FEED, SUBJECT, max_age=2**256 - 1)
    assert _refusal(absent) == ("OracleHubNoReport", {"feedId": FEED, "subjectId": SUBJECT})
    assert hub.get_report(FEED, SUBJECT) is None

    report = _report(client, age=0)
    hub.submit(signer("oracle"), report, _signed(hub, report, OPERATORS[:K]))
    client.rpc.call("evm_increaseTime", [3600])
    client.rpc.call("evm_mine")
    age = client.block_timestamp() - report.observed_at
    assert age >= 3600

    assert hub.latest(FEED, SUBJECT, max_age=age) == report  # exactly max_age old is still fresh
    with pytest.raises(ContractReverted) as stale:
        hub.latest(FEED, SUBJECT, max_age=age - 1)
    assert _refusal(stale) == (
        "OracleHubStaleReport",
        {"feedId": FEED, "subjectId": SUBJECT, "observedAt": report.observed_at, "age": age, "maxAge": age - 1},
    )


# --- threshold governance ---


def test_threshold_changes_only_through_a_consortium_call_proposal(
    hub: OracleHub, client: ChainClient, signer: SignerFactory, recourse: Recourse
) -> None:
    consortium = recourse.consortium
    _admit(recourse, signer, account("regulator").address, [Role.REGULATOR], "Regulator")
    for who in ("regulator", "outsider", "governor-1"):
        with pytest.raises(ContractReverted) as refused:
            hub.transact(signer(who), "setThreshold", 1)
        assert _refusal(refused) == (
            "ConsortiumGatedUnauthorized",
            {"account": account(who).address, "role": keccak(text="GOVERNANCE_ROLE")},
        )

    g1, g2 = signer("governor-1"), signer("governor-2")
    too_high = hub.propose_threshold(consortium, g1, len(OPERATORS) + 1)
    consortium.approve(g2, too_high)
    with pytest.raises(ContractReverted) as refused_k:
        consortium.execute(g1, too_high)
    # the hub's own refusal comes back through the consortium, and the proposal stays open
    assert _refusal(refused_k) == ("OracleHubInvalidThreshold", {"threshold": 5, "activeOracles": 4})
    assert not consortium.proposal(too_high).executed

    pid = hub.propose_threshold(consortium, g1, 4)
    with pytest.raises(ContractReverted) as early:
        consortium.execute(g1, pid)
    assert _refusal(early) == ("ConsortiumInsufficientApprovals", {"proposalId": pid, "approvals": 1, "threshold": 2})
    consortium.approve(g2, pid)
    receipt = consortium.execute(signer("governor-3"), pid)

    assert [e.name for e in hub.events(receipt)] == ["ReportThresholdChanged"]
    assert hub.first(hub.events(receipt), "ReportThresholdChanged").args == {"previous": K, "current": 4}
    call = consortium.call_executed(receipt)
    assert (call.proposal_id, call.target, call.selector, call.result) == (
        pid,
        hub.address,
        hub.function("setThreshold").selector,
        b"",
    )
    assert hub.threshold() == 4
    proposal = consortium.proposal(pid)
    assert (proposal.target, proposal.proposer, proposal.executed, proposal.approvals) == (
        hub.address,
        g1.address,
        True,
        2,
    )
    assert proposal.data == hub.set_threshold_data(4)

    report = _report(client)
    with pytest.raises(ContractReverted) as three:
        hub.submit(g1, report, _signed(hub, report, OPERATORS[:3]))
    assert _refusal(three) == ("OracleHubInsufficientSignatures", {"count": 3, "threshold": 4})
    accepted = hub.accepted(hub.submit(g1, report, _signed(hub, report, OPERATORS)))
    assert len(accepted.signers) == 4


# --- gas ---


def _gas_of_update(hub: OracleHub, client: ChainClient, relayer_name: str, signer: SignerFactory, k: int) -> int:
    """Receipt gasUsed of a periodic update (the pair already has a report; same model version)."""
    relayer = signer(relayer_name)
    first = _report(client, age=600)
    hub.submit(relayer, first, _signed(hub, first, OPERATORS[:k]))
    update = _report(client, value=PRICE - 3_000_00, age=0)
    receipt: Receipt = hub.submit(relayer, update, _signed(hub, update, OPERATORS[:k]))
    assert receipt.status
    assert hub.get_report(FEED, SUBJECT) == update
    return receipt.gas_used


def test_gas_per_report_with_three_signatures_meets_goal(
    hub: OracleHub, client: ChainClient, signer: SignerFactory
) -> None:
    assert _gas_of_update(hub, client, "oracle", signer, K) <= GAS_GOAL_K3


def test_gas_grows_by_one_recovery_and_role_check_per_signature(
    hub: OracleHub, deploy_hub: DeployHub, client: ChainClient, signer: SignerFactory
) -> None:
    gas = {K: _gas_of_update(hub, client, "oracle", signer, K)}
    for k in (2, 4):
        gas[k] = _gas_of_update(deploy_hub(k), client, "oracle", signer, k)
    # ecrecover (3,000) + three cold consortium slots (6,300) + 64 bytes of calldata + one event word, at least
    assert 10_300 <= gas[3] - gas[2] <= 14_000
    assert 10_300 <= gas[4] - gas[3] <= 14_000
