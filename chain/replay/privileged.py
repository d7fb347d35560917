"""Which events are privileged actions, and the ``PrivilegedAction`` records the report lists.

A privileged action is one only a governor (through an executed consortium proposal), a court, a regulator, a
settlement bank or an issuer may take. ``PRIVILEGED`` maps each such ``(contract, event)`` to its category and
to the arguments naming who took it (``actor``), whom or what it was about (``subject``) and the digest of the
order, reason, document or ruling. ``PrivilegedCollector.see`` is called for every event of a replay, in key
order, and keeps only these (one frozenset lookup for all others); ``actions`` then fetches the senders of
their transactions in batched ``eth_getTransactionByHash`` calls and builds the records.

Categories: ``admission``, ``role_grant``, ``role_revoke``, ``suspension``, ``reinstatement``,
``profile_update``, ``governor_change``, ``threshold_change``, ``proposal_executed``, ``system_contract``,
``pause``, ``unpause``, ``mint``, ``burn``, ``court_order`` (``details["order"]`` says which: ``freeze``,
``unfreeze``, ``freeze_shares``, ``forced_transfer``, ``appraisal``, ``lot_approval``, ``lot_suspension``,
``lot_resumption``, ``lot_cancellation``, ``sale_confirmation``, ``default_declaration``, ``preemption``),
``relist`` (``details["kind"]``: ``auction`` or ``fixed_price``), ``ruling``, ``appeal``, ``setting`` (max open
cases, appraisal max age, appeal window, mediation requirement, oracle threshold), ``key_recovery``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from chain._exceptions import ChainError
from chain.client import ChainClient, RpcError
from chain.contracts.judicial_auction import LotKind
from chain.events import DecodedEvent
from chain.replay.model import PrivilegedAction

__all__ = ["CATEGORIES", "PRIVILEGED", "Privilege", "PrivilegedCollector"]

#: transactions per ``eth_getTransactionByHash`` batch (and blocks per ``eth_getBlockByNumber`` batch)
CHUNK = 500


@dataclass(frozen=True)
class Privilege:
    """How one privileged event reads: its category, the argument naming the actor (``None``: the
    transaction's sender), the subject's argument (``None``: the emitting contract), the digest's argument,
    and for court orders which order it is."""

    category: str
    actor: str | None = None
    subject: str | None = None
    digest: str | None = None
    order: str | None = None


def _order(order: str, *, actor: str | None = "court", subject: str, digest: str | None = None) -> Privilege:
    return Privilege("court_order", actor, subject, digest, order)


_SETTING = Privilege("setting", subject=None)
_TOKEN_PAUSE = {("SettlementToken", "Paused"): "pause", ("SettlementToken", "Unpaused"): "unpause"}

PRIVILEGED: Mapping[tuple[str, str], Privilege] = {
    # --- the consortium's governed decisions ---
    ("Consortium", "MemberAdmitted"): Privilege("admission", subject="account"),
    ("Consortium", "MemberRoleGranted"): Privilege("role_grant", subject="account"),
    ("Consortium", "MemberRoleRevoked"): Privilege("role_revoke", subject="account"),
    ("Consortium", "MemberSuspended"): Privilege("suspension", subject="account", digest="reasonDigest"),
    ("Consortium", "MemberReinstated"): Privilege("reinstatement", subject="account", digest="reasonDigest"),
    ("Consortium", "MemberProfileUpdated"): Privilege("profile_update", subject="account"),
    ("Consortium", "GovernorAdded"): Privilege("governor_change", subject="account"),
    ("Consortium", "GovernorRemoved"): Privilege("governor_change", subject="account"),
    ("Consortium", "ThresholdChanged"): Privilege("threshold_change"),
    ("Consortium", "ProposalExecuted"): Privilege("proposal_executed", actor="executor", subject="target"),
    ("Consortium", "ProposalCallExecuted"): Privilege("proposal_executed", subject="target"),
    ("Consortium", "SystemContractSet"): Privilege("system_contract", subject="account"),
    ("Consortium", "SystemContractEnrolled"): Privilege("system_contract", actor="enrolledBy", subject="account"),
    # --- the settlement bank and the regulator ---
    ("SettlementToken", "SettlementIssued"): Privilege("mint", subject="to", digest="referenceDigest"),
    ("SettlementToken", "SettlementRedeemed"): Privilege(
        "burn", actor="from", subject="from", digest="referenceDigest"
    ),
    ("SettlementToken", "Paused"): Privilege("pause", actor="account"),
    ("SettlementToken", "Unpaused"): Privilege("unpause", actor="account"),
    ("CaseDelegation", "Paused"): Privilege("pause", actor="account"),
    ("CaseDelegation", "Unpaused"): Privilege("unpause", actor="account"),
    ("AssetFractions", "TradingPaused"): Privilege("pause", actor="by", digest="reasonDigest"),
    ("AssetFractions", "TradingResumed"): Privilege("unpause", actor="by"),
    # --- courts ---
    ("AssetFractions", "AccountFrozen"): _order("freeze", subject="account", digest="orderDigest"),
    ("AssetFractions", "AccountUnfrozen"): _order("unfreeze", subject="account", digest="orderDigest"),
    ("AssetFractions", "SharesFrozen"): _order("freeze_shares", subject="account", digest="orderDigest"),
    ("AssetFractions", "ForcedTransfer"): _order("forced_transfer", subject="from", digest="orderDigest"),
    ("AssetFractions", "AccountRecovered"): Privilege("key_recovery", subject="lost", digest="orderDigest"),
    ("JudicialAuction", "AppraisalEntered"): _order("appraisal", subject="assetRef", digest="documentDigest"),
    ("JudicialAuction", "LotApproved"): _order("lot_approval", subject="lotId"),
    ("JudicialAuction", "LotSuspended"): _order("lot_suspension", actor=None, subject="lotId", digest="reasonDigest"),
    ("JudicialAuction", "LotResumed"): _order("lot_resumption", actor=None, subject="lotId"),
    ("JudicialAuction", "LotCancelled"): _order("lot_cancellation", actor=None, subject="lotId", digest="reasonDigest"),
    ("JudicialAuction", "SaleConfirmed"): _order(
        "sale_confirmation", actor=None, subject="lotId", digest="rulingDigest"
    ),
    ("JudicialAuction", "WinnerDefaulted"): _order("default_declaration", actor=None, subject="lotId"),
    ("JudicialAuction", "PreemptionRegistered"): _order("preemption", actor=None, subject="lotId"),
    ("JudicialAuction", "LotRelisted"): Privilege("relist", subject="lotId"),
    ("DisputeDesk", "RulingGiven"): Privilege("ruling", actor="court", subject="disputeId", digest="documentDigest"),
    ("DisputeDesk", "RulingAppealed"): Privilege("appeal", actor="by", subject="disputeId", digest="reasonDigest"),
    # --- governed settings (a consortium CALL proposal each) ---
    ("CaseDelegation", "MaxOpenCasesSet"): _SETTING,
    ("JudicialAuction", "AppraisalMaxAgeChanged"): _SETTING,
    ("DisputeDesk", "AppealWindowChanged"): _SETTING,
    ("DisputeDesk", "MediationRequirementChanged"): _SETTING,
    ("OracleHub", "ReportThresholdChanged"): _SETTING,
    ("GatewayDirectory", "GatewaySet"): Privilege("gateway_directory", subject="member"),
    ("GatewayDirectory", "GatewayRemoved"): Privilege("gateway_directory", subject="member"),
}

CATEGORIES = frozenset(p.category for p in PRIVILEGED.values())

#: the one lookup ``see`` makes for every event
_KEYS = frozenset(PRIVILEGED)
#: ``LotListed`` is not privileged, but a relisting's kind (auction or fixed-price offer) is in it
_LISTED = ("JudicialAuction", "LotListed")


def _json(value: Any) -> Any:
    """An argument in its JSON form: bytes as 0x-hex, integers beyond 2**53 as decimal strings."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


class PrivilegedCollector:
    """Keeps the privileged events of a replay (``see``, in key order) and turns them into records
    (``actions``)."""

    def __init__(self) -> None:
        self.events: list[DecodedEvent] = []
        self._lot_kinds: dict[int, int] = {}

    def see(self, event: DecodedEvent) -> None:
        key = (event.contract, event.name)
        if key in _KEYS:
            self.events.append(event)
        elif key == _LISTED:
            self._lot_kinds[int(event.args["lotId"])] = int(event.args["kind"])

    def actions(self, client: ChainClient, times: Mapping[int, int]) -> list[PrivilegedAction]:
        """The records of the events seen: senders from one batched ``eth_getTransactionByHash`` per
        ``CHUNK`` transactions, times from ``times[block]`` (blocks it lacks are fetched, batched too)."""
        senders = _senders(client, sorted({e.tx_hash for e in self.events}))
        missing = sorted({e.block_number for e in self.events} - set(times))
        known = {**times, **_block_times(client, missing)}
        return [self._action(e, senders[e.tx_hash], known[e.block_number]) for e in self.events]

    def _action(self, e: DecodedEvent, sender: str, time: int) -> PrivilegedAction:
        p = PRIVILEGED[(e.contract, e.name)]
        args = e.args
        actor = str(args[p.actor]) if p.actor is not None and p.actor in args else sender
        subject = _json(args[p.subject]) if p.subject is not None else e.address
        digest = _json(args[p.digest]) if p.digest is not None else None
        used = {p.subject, p.digest}
        details: dict[str, Any] = {k: _json(v) for k, v in args.items() if k not in used}
        if p.order is not None:
            details["order"] = p.order
        if e.name == "LotRelisted":
            kind = self._lot_kinds.get(int(args["newLotId"]))
            if kind is not None:
                details["kind"] = LotKind(kind).label
        if p.actor is not None and sender and sender != actor:
            details["sender"] = sender
        contract = f"{e.contract}@{e.address}" if e.contract == "AssetFractions" else e.contract
        return PrivilegedAction(
            key=e.key,
            block=e.block_number,
            time=time,
            tx_hash=e.tx_hash,
            contract=contract,
            event=e.name,
            category=p.category,
            actor=actor,
            subject=str(subject),
            digest=None if digest is None else str(digest),
            details=details,
        )


def _batched(client: ChainClient, method: str, params: Sequence[list[Any]]) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(params), CHUNK):
        replies = client.rpc.batch([(method, p) for p in params[i : i + CHUNK]])
        for p, reply in zip(params[i : i + CHUNK], replies, strict=True):
            if isinstance(reply, RpcError) or reply is None:
                raise ChainError(f"{method}{p}: {reply or 'not found'}")
            out.append(reply)
    return out


def _senders(client: ChainClient, hashes: Sequence[str]) -> dict[str, str]:
    replies = _batched(client, "eth_getTransactionByHash", [[h] for h in hashes])
    return {h: to_checksum_address(tx["from"]) for h, tx in zip(hashes, replies, strict=True)}


def _block_times(client: ChainClient, blocks: Sequence[int]) -> dict[int, int]:
    replies = _batched(client, "eth_getBlockByNumber", [[hex(b), False] for b in blocks])
    return {b: int(block["timestamp"], 16) for b, block in zip(blocks, replies, strict=True)}
