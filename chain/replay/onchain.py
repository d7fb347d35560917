"""The rebuilt state against the contracts' own views at one block, conservation, and per-contract summaries.

``check_onchain(recourse, states, block)`` runs one checker per contract (``CHECKERS``: a new contract plugs in
there) over the states ``chain.reducers.replay`` rebuilt (``{contract: state}``; ``{"AssetFractions": {address:
state}}`` for the per-token contract), then the conservation checks. Every view is read at ``block`` through
``Reads``: the calls a checker needs are queued and sent as JSON-RPC batches of ``CHUNK`` ``eth_call``s, so a
contract with a few thousand entities costs a few HTTP round trips, not thousands.

What no view exposes cannot be compared: entities that exist on chain but never appeared in an event are found
only where the contract counts or lists them (members, batches, lots, disputes, assets, offers); anchored roots,
oracle reports, token holders and bidders are checked only for the keys the events name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.exceptions import DecodingError

from chain._exceptions import ChainError
from chain.client import RpcError
from chain.contracts._base import BoundContract
from chain.contracts.asset_fractions import OfferingStatus
from chain.contracts.case_delegation import CaseStatus
from chain.contracts.dispute_desk import Dispute, DisputeStatus
from chain.contracts.judicial_auction import LotKind, LotStatus
from chain.network import Recourse
from chain.reducers._base import ZERO_ADDRESS
from chain.reducers.asset_fractions import AssetState, FactoryState, OfferStatus
from chain.reducers.case_delegation import CaseDelegationState
from chain.reducers.consortium import ConsortiumState
from chain.reducers.dispute_desk import DisputeDeskState
from chain.reducers.evidence_registry import EvidenceState
from chain.reducers.gateway_directory import GatewayDirectoryState
from chain.reducers.judicial_auction import AuctionState
from chain.reducers.oracle_hub import OracleState
from chain.reducers.settlement_token import TokenState
from chain.replay.model import Difference

__all__ = ["CHECKERS", "CHUNK", "Checker", "Reads", "check_conservation", "check_onchain", "summaries"]

logger = logging.getLogger(__name__)

#: ``eth_call``s per JSON-RPC batch
CHUNK = 500
ASSET = "AssetFractions"

#: ``(recourse, the contract's rebuilt state, block) -> differences``
Checker = Callable[[Recourse, Any, int], list[Difference]]


# --- batched reads -----------------------------------------------------------------------------------------


@dataclass
class Reads:
    """View calls queued with ``add`` (each returns a ticket) and sent at ``block`` in JSON-RPC batches by
    ``run``; ``[ticket]`` is the decoded result. A revert or an RPC error raises ``ChainError``: a view the
    auditor relies on does not fail quietly."""

    recourse: Recourse
    block: int
    _calls: list[tuple[BoundContract, str, tuple[Any, ...]]] = field(default_factory=list)
    _results: list[Any] = field(default_factory=list)

    def add(self, contract: BoundContract, fn: str, *args: Any) -> int:
        self._calls.append((contract, fn, args))
        return len(self._calls) - 1

    def run(self) -> Reads:
        client, tag = self.recourse.client, hex(self.block)
        start = len(self._results)
        pending = self._calls[start:]
        for i in range(0, len(pending), CHUNK):
            chunk = pending[i : i + CHUNK]
            requests = [
                ("eth_call", [{"to": c.address, "data": "0x" + c.function(fn).encode(args).hex()}, tag])
                for c, fn, args in chunk
            ]
            replies = client.rpc.batch(requests)
            for (c, fn, args), reply in zip(chunk, replies, strict=True):
                if isinstance(reply, RpcError):
                    raise ChainError(f"{c.contract_name}.{fn}{args} at block {self.block}: {reply}")
                try:
                    self._results.append(c.function(fn).decode_output(bytes.fromhex(reply[2:])))
                except DecodingError as exc:  # no code at that address at this block, or not this ABI
                    raise ChainError(f"{c.contract_name}.{fn}{args} at block {self.block}: {reply!r}") from exc
        logger.debug("replay.onchain.reads calls=%d block=%d", len(pending), self.block)
        return self

    def __getitem__(self, ticket: int) -> Any:
        return self._results[ticket]


def _plain(value: Any) -> Any:
    """A view's or a reducer's value in one comparable (and JSON) form: bytes and 32-byte hex as lower-case
    0x-hex, integers (and int enums) as ints, tuples and lists element by element. Statuses are compared by
    their labels (``"cancelled"``), addresses in their checksum form."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        return value.lower()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Diffs:
    """Collects the differences of one contract."""

    def __init__(self, contract: str) -> None:
        self.contract = contract
        self.out: list[Difference] = []

    def cmp(self, entity: str, key: Any, name: str, events: Any, chain: Any, note: str = "") -> None:
        e, c = _plain(events), _plain(chain)
        if e != c:
            self.out.append(Difference(self.contract, entity, str(key), name, events=e, chain=c, note=note))

    def fields(self, entity: str, key: Any, pairs: Iterable[tuple[str, Any, Any]]) -> None:
        for name, events, chain in pairs:
            self.cmp(entity, key, name, events, chain)

    def missing(self, entity: str, key: Any, *, in_events: bool) -> None:
        """An entity one side has and the other does not."""
        where = "the events" if in_events else "the contract"
        other = "the contract" if in_events else "the events"
        self.out.append(
            Difference(
                self.contract,
                entity,
                str(key),
                "",
                events=True if in_events else None,
                chain=None if in_events else True,
                note=f"in {where}, not in {other}",
            )
        )


def _b32(value: str) -> bytes:
    return bytes.fromhex(value[2:])


# --- one checker per contract --------------------------------------------------------------------------------


def check_consortium(recourse: Recourse, s: ConsortiumState, block: int) -> list[Difference]:
    """Members (list, name digest, roles mask, region, licence, KYC tier, suspension), governors, threshold,
    proposals (kind, target, proposer, deadline, executed, approvals) and every system contract the events
    name plus every deployed contract (``isSystemContract``)."""
    c, d = recourse.consortium, _Diffs("Consortium")
    r = Reads(recourse, block)
    count, governors, threshold, proposals = (
        r.add(c, "memberCount"),
        r.add(c, "governors"),
        r.add(c, "threshold"),
        r.add(c, "proposalCount"),
    )
    r.run()
    at = [r.add(c, "memberAt", i) for i in range(int(r[count]))]
    r.run()
    on_chain = {str(r[t]) for t in at}
    addresses = sorted(on_chain | set(s.members))
    got = {a: r.add(c, "getMember", a) for a in addresses}
    pids = sorted(set(range(1, int(r[proposals]) + 1)) | set(s.proposals))
    props = {p: (r.add(c, "getProposal", p), r.add(c, "approvalCount", p)) for p in pids if 0 < p <= r[proposals]}
    candidates = sorted(s.system_contracts | {x.address for x in recourse.deployments.contracts.values()})
    system = {a: r.add(c, "isSystemContract", a) for a in candidates}
    r.run()
    for a in addresses:
        m = s.members.get(a)
        if a not in on_chain or m is None:
            d.missing("member", a, in_events=m is not None)
            continue
        name, roles, region, licence, kyc, suspended, _admitted_at = r[got[a]]
        d.fields(
            "member",
            a,
            (
                ("name_digest", m.name_digest, name),
                ("roles", m.roles, roles),
                ("region", m.region, region),
                ("licence_expiry", m.licence_expiry, licence),
                ("kyc_tier", m.kyc_tier, kyc),
                ("suspended", m.suspended, suspended),
            ),
        )
    chain_governors = set(r[governors])
    for g in sorted(chain_governors ^ s.governors):
        d.missing("governor", g, in_events=g in s.governors)
    d.cmp("governance", "threshold", "threshold", s.threshold, r[threshold])
    d.cmp("governance", "proposals", "count", max(s.proposals, default=0), r[proposals])
    for pid, (t, n) in props.items():
        p = s.proposals.get(pid)
        if p is None:
            d.missing("proposal", pid, in_events=False)
            continue
        kind, target, proposer, deadline, executed, _data = r[t]
        d.fields(
            "proposal",
            pid,
            (
                ("kind", p.kind, kind),
                ("target", p.target, target),
                ("proposer", p.proposer, proposer),
                ("deadline", p.deadline, deadline),
                ("executed", p.executed, executed),
                ("approvals", p.approvals, r[n]),
            ),
        )
    for a, t in system.items():
        d.cmp("system_contract", a, "enabled", a in s.system_contracts, r[t])
    return d.out


def check_token(recourse: Recourse, s: TokenState, block: int) -> list[Difference]:
    """The balance of every address the transfers name, the total supply, and whether it is paused."""
    t, d = recourse.token, _Diffs("SettlementToken")
    r = Reads(recourse, block)
    supply = r.add(t, "totalSupply")
    paused = r.add(t, "paused")
    balances = {a: r.add(t, "balanceOf", a) for a in sorted(s.balances)}
    r.run()
    d.cmp("supply", "totalSupply", "total_supply", s.total_supply, r[supply])
    d.cmp("pause", "paused", "paused", s.paused, bool(r[paused]))
    for a, ticket in balances.items():
        d.cmp("balance", a, "amount", s.balances[a].amount, r[ticket])
    return d.out


def check_evidence(recourse: Recourse, s: EvidenceState, block: int) -> list[Difference]:
    """Every anchored root (``anchorOf``): submitter, block, leaf count, block time, meta digest. Roots anchored
    without an event cannot be listed (the registry has no enumeration)."""
    e, d = recourse.evidence, _Diffs("EvidenceRegistry")
    r = Reads(recourse, block)
    anchors = {root: r.add(e, "anchorOf", _b32(root)) for root in sorted(s.roots)}
    r.run()
    for root, ticket in anchors.items():
        a = s.roots[root]
        submitter, number, leaves, time, meta = r[ticket]
        if int(submitter, 16) == 0:
            d.missing("anchor", root, in_events=True)
            continue
        d.fields(
            "anchor",
            root,
            (
                ("submitter", a.submitter, submitter),
                ("block_number", a.block_number, number),
                ("leaf_count", a.leaf_count, leaves),
                ("block_time", a.block_time, time),
                ("meta_digest", a.meta_digest, meta),
            ),
        )
    return d.out


#: the reducer's case status for each on-chain one (open: in the pool, or back there after a lapsed offer)
_CASE_STATUS = {
    CaseStatus.NONE: "open",
    CaseStatus.OFFERED: "offered",
    CaseStatus.CLAIMED: "claimed",
    CaseStatus.RECOVERY_REPORTED: "recovery_reported",
}
#: cases a collector holds open (``Batch.openCases`` counts claimed and accepted cases until they close)
_OPEN = frozenset({"claimed", "recovery_reported"})


def check_cases(recourse: Recourse, s: CaseDelegationState, block: int) -> list[Difference]:
    """Every batch (bank, case count, close time, root, remaining budget, open cases, settled), every case the
    events name (status; collector while offered or held; recovered; batch where the events name it), fees owed
    per collector, ``totalFeesOwed``, ``maxOpenCases``. A case's terms (fee rate, deadline, region, amounts) are
    in the batch's Merkle tree, not in events: not compared."""
    c, d = recourse.cases, _Diffs("CaseDelegation")
    r = Reads(recourse, block)
    count, total, cap = r.add(c, "batchCount"), r.add(c, "totalFeesOwed"), r.add(c, "maxOpenCases")
    r.run()
    ids = sorted(set(range(1, int(r[count]) + 1)) | set(s.batches))
    batches = {b: r.add(c, "batch", b) for b in ids}
    cases = {k: r.add(c, "caseOf", _b32(k)) for k in sorted(s.cases)}
    fees = {a: r.add(c, "feesOwed", a) for a in sorted(s.fees_owed)}
    r.run()
    open_cases: dict[int, int] = {}
    for case in s.cases.values():
        if case.batch_id is not None and case.status in _OPEN:
            open_cases[case.batch_id] = open_cases.get(case.batch_id, 0) + 1
    for b, ticket in batches.items():
        bank, n, closes, root, remaining, opened, settled = r[ticket]
        mine = s.batches.get(b)
        if mine is None or int(bank, 16) == 0:
            d.missing("batch", b, in_events=mine is not None)
            continue
        d.fields(
            "batch",
            b,
            (
                ("bank", mine.bank, bank),
                ("case_count", mine.case_count, n),
                ("closes_at", mine.closes_at, closes),
                ("root", mine.root, root),
                ("remaining_budget", mine.remaining_budget, remaining),
                ("open_cases", open_cases.get(b, 0), opened),
                ("settled", mine.settled, settled),
            ),
        )
    for k, ticket in cases.items():
        case = s.cases[k]
        collector, status, *_, batch_id, _region, _expiry, recovered, _overdue, _pending = r[ticket]
        st = CaseStatus(int(status))
        d.fields(
            "case",
            k,
            (
                ("status", case.status, _CASE_STATUS.get(st, st.label)),
                ("recovered", case.recovered, recovered),
            ),
        )
        if case.batch_id is not None:  # a case recalled straight from the pool names no batch in its events
            d.cmp("case", k, "batch_id", case.batch_id, batch_id)
        if st in (CaseStatus.OFFERED, CaseStatus.CLAIMED, CaseStatus.RECOVERY_REPORTED):
            d.cmp("case", k, "collector", case.collector, collector)
    for a, ticket in fees.items():
        d.cmp("fees_owed", a, "amount", s.fees_owed[a], r[ticket])
    d.cmp("totals", "totalFeesOwed", "amount", sum(s.fees_owed.values()), r[total])
    d.cmp("setting", "maxOpenCases", "value", s.max_open_cases, r[cap])
    return d.out


def check_oracle(recourse: Recourse, s: OracleState, block: int) -> list[Difference]:
    """The latest report per (feed, subject) the events name (``getReport``: value, low, high, model version,
    feature digest, observation time) and the threshold. Signers are in the events only."""
    h, d = recourse.oracle_hub, _Diffs("OracleHub")
    r = Reads(recourse, block)
    threshold = r.add(h, "threshold")
    reports = {k: r.add(h, "getReport", _b32(k[0]), _b32(k[1])) for k in sorted(s.latest)}
    r.run()
    d.cmp("setting", "threshold", "value", s.threshold, r[threshold])
    for (feed, subject), ticket in reports.items():
        mine = s.latest[(feed, subject)]
        got = r[ticket]
        _feed, _subject, value, low, high, model, features, observed = got
        d.fields(
            "report",
            f"{feed}/{subject}",
            (
                ("value", mine.value, value),
                ("low", mine.low, low),
                ("high", mine.high, high),
                ("model_version", mine.model_version, model),
                ("feature_digest", mine.feature_digest, features),
                ("observed_at", mine.observed_at, observed),
            ),
        )
    return d.out


def check_auctions(recourse: Recourse, s: AuctionState, block: int) -> list[Difference]:
    """Every lot (``lot``: status, kind, times, highest bid and bidder, seller, tier, round, failures, bidders,
    origin, court, payment deadline, relisting, terms, paid, appraisal, forfeit payee, asset), every bidder's
    deposit and code (``bidderOf``), what each payee is owed, barred bidders, court appraisals, the totals and
    ``appraisalMaxAge``. Close and suspension times are block times the events do not carry: not compared."""
    a, d = recourse.auctions, _Diffs("JudicialAuction")
    r = Reads(recourse, block)
    count, deposits, paid, owed, max_age = (
        r.add(a, "lotCount"),
        r.add(a, "totalDeposits"),
        r.add(a, "totalPaid"),
        r.add(a, "totalOwed"),
        r.add(a, "appraisalMaxAge"),
    )
    r.run()
    ids = sorted(set(range(1, int(r[count]) + 1)) | set(s.lots))
    lots = {i: r.add(a, "lot", i) for i in ids}
    bidders = {k: r.add(a, "bidderOf", k[0], k[1]) for k in sorted(s.bidders)}
    payees = {p: r.add(a, "owed", p) for p in sorted(s.owed)}
    barred = {k: r.add(a, "isBarred", k[0], k[1]) for k in sorted(s.barred)}
    appraisals = {ref: r.add(a, "courtAppraisal", _b32(ref)) for ref in sorted(s.appraisals)}
    r.run()
    for i, ticket in lots.items():
        t = r[ticket]
        lot = s.lots.get(i)
        if lot is None or int(t[0]) == LotStatus.NONE:
            d.missing("lot", i, in_events=lot is not None)
            continue
        d.fields(
            "lot",
            i,
            (
                ("status", lot.status.label, LotStatus(int(t[0])).label),
                ("kind", lot.kind.label, LotKind(int(t[1])).label),
                ("starts_at", lot.starts_at, t[2]),
                ("ends_at", lot.ends_at, t[3]),
                ("increment", lot.increment, t[4]),
                ("highest_bidder", lot.highest_bidder, t[5]),
                ("highest_bid", lot.highest_bid, t[6]),
                ("seller", lot.seller, t[7]),
                ("kyc_tier", lot.kyc_tier, t[8]),
                ("round", lot.round, t[9]),
                ("failures", lot.failures, t[10]),
                ("bidder_count", lot.bidder_count, t[11]),
                ("origin", lot.origin, t[12]),
                ("court", lot.court, t[13]),
                ("payment_deadline", lot.payment_deadline, t[14]),
                ("relisted_as", lot.relisted_as, t[15]),
                ("start_price", lot.start_price, t[16]),
                ("deposit", lot.deposit, t[17]),
                ("payment_window", lot.payment_window, t[18]),
                ("paid", lot.paid, t[19]),
                ("appraisal", lot.appraisal, t[20]),
                ("forfeit_to", lot.forfeit_to, t[22]),
                # suspended and not resumed (a cancelled lot keeps its suspension time)
                ("suspended", lot.suspended, int(t[23]) != 0),
                ("asset_ref", lot.asset_ref, t[24]),
            ),
        )
    for (lot_id, who), ticket in bidders.items():
        b = s.bidders[(lot_id, who)]
        deposit, code, preemption = r[ticket]
        d.fields(
            "bidder",
            f"{lot_id}/{who}",
            (("deposit", b.deposit, deposit), ("code", b.code, code), ("preemption", b.preemption, preemption)),
        )
    for p, ticket in payees.items():
        d.cmp("owed", p, "amount", s.owed[p], r[ticket])
    for (origin, who), ticket in barred.items():
        d.cmp("barred", f"{origin}/{who}", "barred", True, r[ticket])
    for ref, ticket in appraisals.items():
        value, court, doc = s.appraisals[ref]
        c_value, c_court, _entered, c_doc = r[ticket]
        d.fields("appraisal", ref, (("value", value, c_value), ("court", court, c_court), ("document", doc, c_doc)))
    d.cmp("totals", "totalDeposits", "amount", s.total_deposits, r[deposits])
    d.cmp("totals", "totalPaid", "amount", s.total_paid, r[paid])
    d.cmp("totals", "totalOwed", "amount", s.total_owed, r[owed])
    d.cmp("totals", "totalOwed", "sum_of_owed", sum(s.owed.values()), r[owed])
    d.cmp("setting", "appraisalMaxAge", "value", s.appraisal_max_age, r[max_age])
    return d.out


def check_factory(recourse: Recourse, s: FactoryState, block: int) -> list[Difference]:
    """The factory's list of assets (``assetCount``/``assetAt``) and each reference's token (``assetOf``)."""
    f, d = recourse.fractions, _Diffs("FractionsFactory")
    r = Reads(recourse, block)
    count = r.add(f, "assetCount")
    r.run()
    at = [r.add(f, "assetAt", i) for i in range(int(r[count]))]
    refs = {ref: r.add(f, "assetOf", _b32(ref)) for ref in sorted(s.by_ref)}
    r.run()
    mine = {x.index: x.address for x in s.assets.values()}
    d.cmp("assets", "assetCount", "count", len(s.assets), r[count])
    for i, ticket in enumerate(at):
        d.cmp("asset", i, "address", mine.get(i), r[ticket])
    for ref, ticket in refs.items():
        d.cmp("asset_ref", ref, "address", s.by_ref[ref], r[ticket])
    return d.out


def check_asset(recourse: Recourse, address: str, s: AssetState, block: int) -> list[Difference]:
    """One token: supply, holder count, paused, offering (status, sold, subscribers, deadline), terms, the
    recoveries' totals, subscription escrow, proceeds owed, every offer (``offerOf``; the seller is zero once
    it is filled or cancelled), and per account the events name: balance, subscription, claimable, claimed,
    freeze (``frozenOf``)."""
    t, d = recourse.asset_fractions(address), _Diffs(f"{ASSET}@{address}")
    r = Reads(recourse, block)
    names = (
        "totalSupply",
        "holderCount",
        "paused",
        "offering",
        "terms",
        "offerCount",
        "totalPaidIn",
        "totalClaimed",
        "subscriptionEscrow",
        "proceedsOwed",
        "issuer",
    )
    views = {n: r.add(t, n) for n in names}
    r.run()
    offers = {o: r.add(t, "offerOf", o) for o in sorted(set(range(1, int(r[views["offerCount"]]) + 1)) | set(s.offers))}
    accounts = {
        a: (
            r.add(t, "balanceOf", a),
            r.add(t, "subscriptionOf", a),
            r.add(t, "claimable", a),
            r.add(t, "claimed", a),
            r.add(t, "frozenOf", a),
        )
        for a in sorted(s.accounts)
    }
    r.run()
    v = {n: r[i] for n, i in views.items()}
    status, sold, subscribers, deadline = v["offering"]
    d.fields(
        "token",
        address,
        (
            ("total_supply", s.total_supply, v["totalSupply"]),
            ("holder_count", s.holder_count, v["holderCount"]),
            ("paused", s.paused, v["paused"]),
            ("issuer", s.issuer, v["issuer"]),
            ("offer_count", s.offer_count, v["offerCount"]),
            ("total_paid_in", s.total_paid_in, v["totalPaidIn"]),
            ("total_claimed", s.total_claimed, v["totalClaimed"]),
            ("subscription_escrow", s.subscription_escrow, v["subscriptionEscrow"]),
            ("proceeds_owed", s.proceeds_owed, v["proceedsOwed"]),
        ),
    )
    d.fields(
        "offering",
        address,
        (
            ("status", s.status.label, OfferingStatus(int(status)).label),
            ("sold", s.sold, sold),
            ("subscribers", s.subscribers, subscribers),
            ("deadline", s.deadline, deadline),
        ),
    )
    if s.asset_ref:
        d.cmp("terms", address, "", list(s.terms.as_abi()), list(v["terms"]))
    for o, ticket in offers.items():
        seller, shares, price = r[ticket]
        offer = s.offers.get(o)
        if offer is None:
            d.missing("offer", o, in_events=False)
            continue
        is_open = offer.status is OfferStatus.OPEN
        d.fields(
            "offer",
            o,
            (
                ("seller", offer.seller if is_open else ZERO_ADDRESS, seller),
                ("shares", offer.shares if is_open else 0, shares),
                ("price", offer.price if is_open else 0, price),
            ),
        )
    for a, (bal, sub, claimable, claimed, frozen) in accounts.items():
        acc = s.accounts[a]
        whole, frozen_shares = r[frozen]
        d.fields(
            "account",
            a,
            (
                ("balance", acc.balance, r[bal]),
                ("subscription", acc.subscription, r[sub]),
                ("claimable", s.claimable(a), r[claimable]),
                ("claimed", acc.claimed, r[claimed]),
                ("frozen", acc.frozen, whole),
                ("frozen_shares", acc.frozen_shares, frozen_shares),
            ),
        )
    return d.out


def check_assets(recourse: Recourse, states: Mapping[str, AssetState], block: int) -> list[Difference]:
    """``check_asset`` for every token the events name (the factory's checker compares the list itself)."""
    out: list[Difference] = []
    for address in sorted(states):
        out += check_asset(recourse, address, states[address], block)
    return out


#: ``IDisputeDesk.Dispute`` fields the reducer keeps under the same names (status and ruling compared by label)
_DISPUTE_FIELDS = (
    "opened_at",
    "bank",
    "appeal_deadline",
    "collector",
    "opener",
    "mediator",
    "court",
    "appeal_court",
    "case_id",
    "claim_amount",
    "total",
    "paid",
    "payee",
)


def check_disputes(recourse: Recourse, s: DisputeDeskState, block: int) -> list[Difference]:
    """Every dispute (``dispute`` field by field, ``agreementOf``, ``scheduleOf``), ``disputeOfCase`` and
    ``isEnforceable`` per case, ``enforcementOf`` per collateral, owed per payee, ``totalOwed``, the appeal
    window and whether mediation is required."""
    k, d = recourse.disputes, _Diffs("DisputeDesk")
    r = Reads(recourse, block)
    count, total, window, mediation = (
        r.add(k, "disputeCount"),
        r.add(k, "totalOwed"),
        r.add(k, "appealWindow"),
        r.add(k, "mediationRequired"),
    )
    r.run()
    ids = sorted(set(range(1, int(r[count]) + 1)) | set(s.disputes))
    disputes = {i: (r.add(k, "dispute", i), r.add(k, "agreementOf", i), r.add(k, "scheduleOf", i)) for i in ids}
    cases = sorted(set(s.case_disputes) | s.enforceable)
    of_case = {c: (r.add(k, "disputeOfCase", _b32(c)), r.add(k, "isEnforceable", _b32(c))) for c in cases}
    collateral = {a: r.add(k, "enforcementOf", _b32(a)) for a in sorted(s.collateral)}
    payees = {p: r.add(k, "owed", p) for p in sorted(s.owed)}
    r.run()
    zero = "0x" + "00" * 32
    for i, (t_dispute, t_agreement, t_schedule) in disputes.items():
        t = r[t_dispute]
        mine = s.disputes.get(i)
        if mine is None or int(t[0]) == DisputeStatus.NONE:
            d.missing("dispute", i, in_events=mine is not None)
            continue
        chain = Dispute.from_abi(i, t)  # the client's decoding of IDisputeDesk.Dispute
        d.fields(
            "dispute",
            i,
            [("status", mine.status.label, chain.status.label), ("ruling", mine.ruling.label, chain.ruling.label)]
            + [(name, getattr(mine, name), getattr(chain, name)) for name in _DISPUTE_FIELDS],
        )
        terms, commitment, plan, relief, grace, agreed_at = r[t_agreement]
        d.fields(
            "agreement",
            i,
            (
                ("terms_digest", mine.terms_digest or zero, terms),
                ("commitment_digest", mine.commitment_digest or zero, commitment),
                ("plan_digest", mine.plan_digest or zero, plan),
                ("relief", mine.relief, relief),
                ("grace", mine.grace, grace),
                ("agreed_at", mine.agreed_at, agreed_at),
            ),
        )
        d.cmp("schedule", i, "", [[x.amount, x.due_at] for x in mine.schedule], r[t_schedule])
    for c, (t_of, t_enf) in of_case.items():
        d.cmp("case", c, "dispute", s.case_disputes.get(c, 0), r[t_of])
        d.cmp("case", c, "enforceable", c in s.enforceable, r[t_enf])
    for a, ticket in collateral.items():
        case_id, enforceable = s.enforcement_of(a)
        c_case, c_enf = r[ticket]
        d.fields("collateral", a, (("case", case_id, c_case), ("enforceable", enforceable, c_enf)))
    for p, ticket in payees.items():
        d.cmp("owed", p, "amount", s.owed[p], r[ticket])
    d.cmp("totals", "totalOwed", "amount", s.total_owed, r[total])
    d.cmp("totals", "totalOwed", "sum_of_owed", sum(s.owed.values()), r[total])
    d.cmp("setting", "appealWindow", "value", s.appeal_window, r[window])
    d.cmp("setting", "mediationRequired", "value", s.mediation_required, r[mediation])
    return d.out


def check_gateways(recourse: Recourse, s: GatewayDirectoryState, block: int) -> list[Difference]:
    """Every member with a gateway (``members``, so one registered without an event is found too): endpoint,
    the key in force and the staged key with its time (``gatewayOf``)."""
    g, d = recourse.gateways, _Diffs("GatewayDirectory")
    r = Reads(recourse, block)
    listed = r.add(g, "members")
    r.run()
    on_chain = {str(a) for a in r[listed]}
    addresses = sorted(on_chain | set(s.gateways))
    got = {a: r.add(g, "gatewayOf", a) for a in addresses}
    r.run()
    for a in addresses:
        mine = s.gateways.get(a)
        if a not in on_chain or mine is None:
            d.missing("gateway", a, in_events=mine is not None)
            continue
        endpoint, key, next_key, next_from, _updated_at = r[got[a]]
        d.fields(
            "gateway",
            a,
            (
                ("endpoint", mine.endpoint, endpoint),
                ("transport_key", mine.transport_key, key),
                ("next_key", mine.next_key, next_key),
                ("next_from", mine.next_from, next_from),
            ),
        )
    return d.out


CHECKERS: Mapping[str, Checker] = {
    "Consortium": check_consortium,
    "SettlementToken": check_token,
    "EvidenceRegistry": check_evidence,
    "CaseDelegation": check_cases,
    "OracleHub": check_oracle,
    "JudicialAuction": check_auctions,
    "FractionsFactory": check_factory,
    ASSET: check_assets,
    "DisputeDesk": check_disputes,
    "GatewayDirectory": check_gateways,
}


# --- conservation --------------------------------------------------------------------------------------------


def _escrows(recourse: Recourse, states: Mapping[str, Any]) -> list[tuple[str, str, int, str]]:
    """``(contract, address, what it owes by the rebuilt state, how)`` of every escrow contract."""
    out: list[tuple[str, str, int, str]] = []
    cases: CaseDelegationState | None = states.get("CaseDelegation")
    if cases is not None:
        budgets = sum(b.remaining_budget for b in cases.batches.values() if not b.settled)
        fees = sum(cases.fees_owed.values())
        out.append(("CaseDelegation", recourse.cases.address, budgets + fees, "remaining budgets + fees owed"))
    auctions: AuctionState | None = states.get("JudicialAuction")
    if auctions is not None:
        out.append(("JudicialAuction", recourse.auctions.address, auctions.escrow_owed, "deposits + paid + owed"))
    disputes: DisputeDeskState | None = states.get("DisputeDesk")
    if disputes is not None:
        out.append(("DisputeDesk", recourse.disputes.address, disputes.total_owed, "owed to payees"))
    assets: Mapping[str, AssetState] = states.get(ASSET) or {}
    for address in sorted(assets):
        a = assets[address]
        how = "subscription escrow + proceeds owed + recoveries paid in - claimed"
        out.append((f"{ASSET}@{address}", address, a.escrow_owed, how))
    return out


def check_conservation(recourse: Recourse, states: Mapping[str, Any], block: int) -> list[Difference]:
    """Each escrow contract's SettlementToken balance at ``block`` equals what its rebuilt state says it owes;
    the SettlementToken's total supply at ``block`` equals the sum of the rebuilt balances."""
    out: list[Difference] = []
    escrows = _escrows(recourse, states)
    r = Reads(recourse, block)
    tickets = [r.add(recourse.token, "balanceOf", address) for _, address, _, _ in escrows]
    supply = r.add(recourse.token, "totalSupply")
    r.run()
    for (contract, address, owed, how), ticket in zip(escrows, tickets, strict=True):
        balance = int(r[ticket])
        if balance != owed:
            note = f"rCNY balance {balance} but it owes {owed} ({how}): {balance - owed:+d} unexplained"
            out.append(Difference(contract, "conservation", address, "balance", events=owed, chain=balance, note=note))
    token: TokenState | None = states.get("SettlementToken")
    if token is not None:
        total = sum(b.amount for b in token.balances.values())
        if total != int(r[supply]) or total != token.total_supply:
            out.append(
                Difference(
                    "SettlementToken",
                    "conservation",
                    "totalSupply",
                    "sum_of_balances",
                    events=total,
                    chain=int(r[supply]),
                    note=f"the rebuilt balances sum to {total}; minted - burned is {token.total_supply}",
                )
            )
    return out


def check_onchain(recourse: Recourse, states: Mapping[str, Any], block: int) -> list[Difference]:
    """Every contract's rebuilt state against its views at ``block`` (``CHECKERS``), then conservation."""
    out: list[Difference] = []
    for name, checker in CHECKERS.items():
        if name in states:
            found = checker(recourse, states[name], block)
            logger.info("replay.onchain.checked contract=%s block=%d differences=%d", name, block, len(found))
            out += found
    return out + check_conservation(recourse, states, block)


# --- summaries -----------------------------------------------------------------------------------------------


def _count(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def _summary(name: str, s: Any) -> dict[str, Any]:
    if isinstance(s, ConsortiumState):
        suspended = sum(1 for m in s.members.values() if m.suspended)
        return {
            "members": len(s.members),
            "active": len(s.members) - suspended,
            "suspended": suspended,
            "governors": len(s.governors),
            "threshold": s.threshold,
            "proposals": len(s.proposals),
            "system_contracts": len(s.system_contracts),
        }
    if isinstance(s, TokenState):
        return {"holders": sum(1 for b in s.balances.values() if b.amount > 0), "supply": s.total_supply}
    if isinstance(s, EvidenceState):
        return {"roots": len(s.roots), "leaves": sum(a.leaf_count for a in s.roots.values())}
    if isinstance(s, CaseDelegationState):
        return {
            "batches": len(s.batches),
            "settled_batches": sum(1 for b in s.batches.values() if b.settled),
            "cases": len(s.cases),
            **{f"cases_{k}": v for k, v in _count(c.status for c in s.cases.values()).items()},
            "fees": sum(c.fees for c in s.cases.values()),
            "fees_owed": sum(s.fees_owed.values()),
            "remaining_budget": sum(b.remaining_budget for b in s.batches.values() if not b.settled),
        }
    if isinstance(s, OracleState):
        return {"reports": s.reports, "subjects": len(s.latest), "threshold": s.threshold}
    if isinstance(s, AuctionState):
        return {
            "lots": len(s.lots),
            **{f"lots_{k}": v for k, v in _count(lot.status.label for lot in s.lots.values()).items()},
            "bidders": len(s.bidders),
            "escrow": s.escrow_owed,
            "deposits": s.total_deposits,
            "paid": s.total_paid,
            "owed": s.total_owed,
        }
    if isinstance(s, FactoryState):
        return {"assets": len(s.assets)}
    if isinstance(s, DisputeDeskState):
        return {
            "disputes": len(s.disputes),
            **{f"disputes_{k}": v for k, v in _count(x.status.label for x in s.disputes.values()).items()},
            "owed": s.total_owed,
            "enforceable_cases": len(s.enforceable),
        }
    if name == ASSET and isinstance(s, Mapping):
        assets: Sequence[AssetState] = list(s.values())
        return {
            "assets": len(assets),
            "holders": sum(a.holder_count for a in assets),
            "supply": sum(a.total_supply for a in assets),
            "recoveries": sum(len(a.recoveries) for a in assets),
            "recovered": sum(a.total_paid_in for a in assets),
            "claimed": sum(a.total_claimed for a in assets),
            "escrow": sum(a.escrow_owed for a in assets),
            "paused": sum(1 for a in assets if a.paused),
        }
    return {}


def summaries(states: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per contract a few integer or string figures for the report's tables (``{}`` for an unknown state); the
    ``AssetFractions`` tokens are summed into one row, and each token has its own ``AssetFractions@0x…`` row."""
    out = {name: _summary(name, s) for name, s in states.items()}
    assets: Mapping[str, AssetState] = states.get(ASSET) or {}
    for address in sorted(assets):
        a = assets[address]
        out[f"{ASSET}@{address}"] = {
            "holders": a.holder_count,
            "supply": a.total_supply,
            "offering": a.status.label,
            "recoveries": len(a.recoveries),
            "recovered": a.total_paid_in,
            "escrow": a.escrow_owed,
        }
    return out
