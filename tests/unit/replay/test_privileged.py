"""``chain.replay.privileged`` without a chain: hand-made ``DecodedEvent``s of every privileged kind are kept and
categorised, ordinary ones are not; ``actions`` asks a fake node for the senders (one batch per chunk) and for
the block times it was not given."""

from __future__ import annotations

from typing import Any, cast

import pytest
from eth_utils.address import to_checksum_address

from chain.client import ChainClient
from chain.events import DecodedEvent, event_key
from chain.replay import privileged
from chain.replay.privileged import CATEGORIES, PRIVILEGED, PrivilegedCollector

COURT = to_checksum_address("0x" + "c0" * 20)
GOVERNOR = to_checksum_address("0x" + "60" * 20)
SENDER = to_checksum_address("0x" + "5e" * 20)
MEMBER = to_checksum_address("0x" + "a1" * 20)
TOKEN = to_checksum_address("0x" + "f0" * 20)
DIGEST = b"\xd1" * 32


def _event(contract: str, name: str, args: dict[str, Any], *, n: int = 1, block: int = 7) -> DecodedEvent:
    return DecodedEvent(
        key=event_key(block, n, 0),
        contract=contract,
        address=TOKEN,
        name=name,
        args=args,
        block_number=block,
        block_hash="0x" + "bb" * 32,
        tx_hash=f"0x{n:064x}",
        tx_index=n,
        log_index=0,
    )


#: (contract, event, args, category, court order)
CASES: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    ("Consortium", "MemberAdmitted", {"account": MEMBER, "nameDigest": DIGEST, "roles": 3}, "admission", None),
    ("Consortium", "MemberRoleGranted", {"account": MEMBER, "role": DIGEST, "proposalId": 4}, "role_grant", None),
    ("Consortium", "MemberRoleRevoked", {"account": MEMBER, "role": DIGEST, "proposalId": 5}, "role_revoke", None),
    ("Consortium", "MemberSuspended", {"account": MEMBER, "reasonDigest": DIGEST, "proposalId": 6}, "suspension", None),
    (
        "Consortium",
        "MemberReinstated",
        {"account": MEMBER, "reasonDigest": DIGEST, "proposalId": 7},
        "reinstatement",
        None,
    ),
    (
        "Consortium",
        "MemberProfileUpdated",
        {"account": MEMBER, "region": 1, "licenceExpiry": 2, "kycTier": 3},
        "profile_update",
        None,
    ),
    ("Consortium", "GovernorAdded", {"account": MEMBER}, "governor_change", None),
    ("Consortium", "GovernorRemoved", {"account": MEMBER}, "governor_change", None),
    ("Consortium", "ThresholdChanged", {"previous": 2, "current": 3}, "threshold_change", None),
    (
        "Consortium",
        "ProposalExecuted",
        {"proposalId": 9, "kind": 10, "target": TOKEN, "executor": GOVERNOR},
        "proposal_executed",
        None,
    ),
    (
        "Consortium",
        "ProposalCallExecuted",
        {"proposalId": 9, "target": TOKEN, "selector": b"\x01\x02\x03\x04", "result": b""},
        "proposal_executed",
        None,
    ),
    ("Consortium", "SystemContractSet", {"account": TOKEN, "enabled": True}, "system_contract", None),
    ("Consortium", "SystemContractEnrolled", {"account": TOKEN, "enrolledBy": MEMBER}, "system_contract", None),
    ("SettlementToken", "SettlementIssued", {"to": MEMBER, "amount": 10, "referenceDigest": DIGEST}, "mint", None),
    ("SettlementToken", "SettlementRedeemed", {"from": MEMBER, "amount": 10, "referenceDigest": DIGEST}, "burn", None),
    ("SettlementToken", "Paused", {"account": MEMBER}, "pause", None),
    ("SettlementToken", "Unpaused", {"account": MEMBER}, "unpause", None),
    ("CaseDelegation", "Paused", {"account": MEMBER}, "pause", None),
    ("CaseDelegation", "Unpaused", {"account": MEMBER}, "unpause", None),
    ("AssetFractions", "TradingPaused", {"by": MEMBER, "reasonDigest": DIGEST}, "pause", None),
    ("AssetFractions", "TradingResumed", {"by": MEMBER}, "unpause", None),
    (
        "AssetFractions",
        "AccountFrozen",
        {"account": MEMBER, "court": COURT, "orderDigest": DIGEST},
        "court_order",
        "freeze",
    ),
    (
        "AssetFractions",
        "AccountUnfrozen",
        {"account": MEMBER, "court": COURT, "orderDigest": DIGEST},
        "court_order",
        "unfreeze",
    ),
    (
        "AssetFractions",
        "SharesFrozen",
        {"account": MEMBER, "court": COURT, "frozen": 5, "orderDigest": DIGEST},
        "court_order",
        "freeze_shares",
    ),
    (
        "AssetFractions",
        "ForcedTransfer",
        {"from": MEMBER, "to": GOVERNOR, "amount": 5, "court": COURT, "orderDigest": DIGEST},
        "court_order",
        "forced_transfer",
    ),
    (
        "AssetFractions",
        "AccountRecovered",
        {"lost": MEMBER, "replacement": GOVERNOR, "shares": 5, "recoveries": 1, "orderDigest": DIGEST},
        "key_recovery",
        None,
    ),
    (
        "JudicialAuction",
        "AppraisalEntered",
        {"assetRef": DIGEST, "court": COURT, "value": 9, "documentDigest": DIGEST},
        "court_order",
        "appraisal",
    ),
    (
        "JudicialAuction",
        "LotApproved",
        {"lotId": 1, "court": COURT, "startsAt": 1, "endsAt": 2, "forfeitTo": COURT},
        "court_order",
        "lot_approval",
    ),
    ("JudicialAuction", "LotSuspended", {"lotId": 1, "reasonDigest": DIGEST}, "court_order", "lot_suspension"),
    ("JudicialAuction", "LotResumed", {"lotId": 1, "startsAt": 1, "endsAt": 2}, "court_order", "lot_resumption"),
    ("JudicialAuction", "LotCancelled", {"lotId": 1, "reasonDigest": DIGEST}, "court_order", "lot_cancellation"),
    (
        "JudicialAuction",
        "SaleConfirmed",
        {"lotId": 1, "winner": MEMBER, "price": 9, "rulingDigest": DIGEST, "transferDigest": DIGEST},
        "court_order",
        "sale_confirmation",
    ),
    (
        "JudicialAuction",
        "WinnerDefaulted",
        {"lotId": 1, "winner": MEMBER, "forfeitTo": COURT, "amount": 9},
        "court_order",
        "default_declaration",
    ),
    ("JudicialAuction", "PreemptionRegistered", {"lotId": 1, "holder": MEMBER}, "court_order", "preemption"),
    ("JudicialAuction", "LotRelisted", {"lotId": 1, "newLotId": 2}, "relist", None),
    (
        "DisputeDesk",
        "RulingGiven",
        {"disputeId": 3, "court": COURT, "ruling": 3, "documentDigest": DIGEST, "appealDeadline": 9, "onAppeal": False},
        "ruling",
        None,
    ),
    ("DisputeDesk", "RulingAppealed", {"disputeId": 3, "by": MEMBER, "reasonDigest": DIGEST}, "appeal", None),
    ("CaseDelegation", "MaxOpenCasesSet", {"previous": 50, "current": 40}, "setting", None),
    ("JudicialAuction", "AppraisalMaxAgeChanged", {"previous": 1, "current": 2}, "setting", None),
    ("DisputeDesk", "AppealWindowChanged", {"previous": 1, "current": 2}, "setting", None),
    ("DisputeDesk", "MediationRequirementChanged", {"required": False}, "setting", None),
    ("OracleHub", "ReportThresholdChanged", {"previous": 2, "current": 3}, "setting", None),
    (
        "GatewayDirectory",
        "GatewaySet",
        {"member": MEMBER, "endpoint": "https://gw.example", "transportKey": DIGEST},
        "gateway_directory",
        None,
    ),
    ("GatewayDirectory", "GatewayRemoved", {"member": MEMBER}, "gateway_directory", None),
]


class FakeRpc:
    """Answers ``eth_getTransactionByHash`` (every transaction sent by ``SENDER``) and ``eth_getBlockByNumber``
    (block ``b`` at time ``1000 + b``), recording each batch."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, Any]]] = []

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        self.batches.append([(m, p) for m, p in calls])
        out: list[Any] = []
        for method, params in calls:
            if method == "eth_getTransactionByHash":
                out.append({"hash": params[0], "from": SENDER})
            else:
                out.append({"number": params[0], "timestamp": hex(1000 + int(params[0], 16))})
        return out


class FakeClient:
    def __init__(self) -> None:
        self.rpc = FakeRpc()


def _collect(events: list[DecodedEvent]) -> PrivilegedCollector:
    c = PrivilegedCollector()
    for e in events:
        c.see(e)
    return c


def test_every_privileged_event_is_listed_once() -> None:
    assert {(c, e) for c, e, *_ in CASES} == set(PRIVILEGED)
    assert {cat for *_, cat, _ in CASES} == CATEGORIES


@pytest.mark.parametrize(
    ("contract", "name", "args", "category", "order"), CASES, ids=[f"{c}.{e}" for c, e, *_ in CASES]
)
def test_each_category_is_recognised(
    contract: str, name: str, args: dict[str, Any], category: str, order: str | None
) -> None:
    c = _collect([_event(contract, name, args)])
    (action,) = c.actions(cast(ChainClient, FakeClient()), {7: 1234})
    assert (action.category, action.details.get("order"), action.event, action.time) == (category, order, name, 1234)
    assert (action.key, action.block, action.tx_hash) == (event_key(7, 1, 0), 7, f"0x{1:064x}")
    assert action.contract == (f"AssetFractions@{TOKEN}" if contract == "AssetFractions" else contract)
    p = PRIVILEGED[(contract, name)]
    # the actor is the argument naming it, or the transaction's sender
    assert action.actor == (args[p.actor] if p.actor else SENDER)
    if p.digest is not None:
        assert action.digest == "0x" + DIGEST.hex()
    else:
        assert action.digest is None
    subject = args[p.subject] if p.subject else TOKEN  # no subject argument: the contract itself
    assert action.subject == ("0x" + subject.hex() if isinstance(subject, bytes) else str(subject))
    assert action.as_json()["details"] == action.details


def test_ordinary_events_are_not_kept() -> None:
    ordinary = [
        _event("SettlementToken", "Transfer", {"from": MEMBER, "to": GOVERNOR, "value": 5}),
        _event("AssetFractions", "Transfer", {"from": MEMBER, "to": GOVERNOR, "value": 5}),
        _event("JudicialAuction", "BidPlaced", {"lotId": 1, "code": 1, "amount": 9, "endsAt": 2, "preemption": False}),
        _event("Consortium", "ProposalApproved", {"proposalId": 1, "governor": GOVERNOR, "approvals": 2}),
        _event(
            "DisputeDesk",
            "InstalmentPaid",
            {"disputeId": 1, "payer": MEMBER, "payee": GOVERNOR, "amount": 5, "paid": 5},
        ),
    ]
    c = _collect(ordinary)
    assert c.events == []
    fake = FakeClient()
    assert c.actions(cast(ChainClient, fake), {}) == []
    assert fake.rpc.batches == []


def test_senders_and_missing_times_are_fetched_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privileged, "CHUNK", 2)
    events = [_event("Consortium", "GovernorAdded", {"account": MEMBER}, n=i, block=10 + i // 2) for i in range(1, 6)]
    fake = FakeClient()
    actions = _collect(events).actions(cast(ChainClient, fake), {10: 55})
    assert [a.actor for a in actions] == [SENDER] * 5
    assert [a.time for a in actions] == [55, 1011, 1011, 1012, 1012]
    methods = [[m for m, _ in b] for b in fake.rpc.batches]
    # 5 transactions in chunks of 2, then the 2 block times not given
    assert methods == [["eth_getTransactionByHash"] * 2] * 2 + [
        ["eth_getTransactionByHash"],
        ["eth_getBlockByNumber"] * 2,
    ]


def test_a_relisting_says_whether_it_is_a_fixed_price_offer() -> None:
    listed = _event("JudicialAuction", "LotListed", {"lotId": 2, "kind": 1}, n=1)
    relisted = _event("JudicialAuction", "LotRelisted", {"lotId": 1, "newLotId": 2}, n=1)
    (action,) = _collect([listed, relisted]).actions(cast(ChainClient, FakeClient()), {7: 1})
    assert (action.category, action.subject, action.details) == ("relist", "1", {"newLotId": 2, "kind": "fixed_price"})
