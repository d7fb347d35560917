"""A gateway's index against the chain: its stored events against the chain's, its projections against the
state the reducers rebuilt from those events.

``IndexCheck(gateway, api_key)`` talks to the gateway over HTTP only (``chain`` never imports ``node_api``):

* **events** — ``see(event)`` is called with every chain event in key order; it pages the gateway's
  ``GET /events?after=<key>&limit=1000`` as the merge needs it (one page held at a time, never the whole
  index) and merges by key. An event on chain the index lacks, an indexed event not on chain, and the same key
  with another contract, address, name or arguments are each a ``Difference`` (entity ``"event"``, key = the
  event key). Arguments are compared in the gateway's JSON form (bytes as 0x-hex, addresses checksummed,
  integers beyond 2**53-1 as decimal strings); a reader that is not a court sees auction events without the
  bidders' addresses (their bidder code instead), so the chain's event is redacted the same way when the
  index's is.
* **projections** — ``finish(states)`` reads the gateway's index endpoints and compares each field they expose
  with the reducers' states (``chain.reducers.replay``): members (``GET /members``), settlement-token balances
  (``GET /tokens/balances/{address}``: the gateway answers these from the chain, so they go in the
  ``chain`` column), cases (``GET /cases``), auction lots (``GET /auctions/lots``), fraction assets and their
  holders (``GET /fractions/assets``, ``/fractions/assets/{token}/holders``) and disputes (``GET /disputes``,
  ``/disputes/{id}``). One ``Difference`` per value that differs; a row only one side has is one ``Difference``
  with ``field=""``. Anchored evidence roots have no index read endpoint: they are checked as events.

The auditor's API key needs the read scopes ``events:read``, ``members:read``, ``tokens:read``,
``cases:read``, ``auctions:read``, ``fractions:read`` and ``disputes:read`` (``READ_SCOPES``), and its
institution must be an active member. The gateway answers at its newest indexed block: compare it with a
replay to the same block (``to_block``), or on a chain that is not moving. A gateway that refuses or fails a
read is an ``IndexReadError`` (the auditor fails loudly rather than reporting half a comparison).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import httpx

from chain._exceptions import ChainError
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import bidder_code_label
from chain.events import DecodedEvent
from chain.replay.model import Difference

__all__ = ["EVENT_PAGE", "READ_SCOPES", "IndexCheck", "IndexReadError", "event_json", "jsonable"]

logger = logging.getLogger(__name__)

#: the scopes an auditor's key needs for a full comparison
READ_SCOPES = (
    "events:read",
    "members:read",
    "tokens:read",
    "cases:read",
    "auctions:read",
    "fractions:read",
    "disputes:read",
)
#: events per ``GET /events`` page (the endpoint's maximum)
EVENT_PAGE = 1000
_MAX_SAFE_INT = 2**53 - 1
_ZERO = "0x0000000000000000000000000000000000000000"
#: auction event arguments naming a bidder's address (what the gateway redacts for readers but courts)
_BIDDER_ADDRESSES = ("bidder", "winner", "holder")


class IndexReadError(ChainError):
    """The gateway refused or failed a read the comparison needs (status, path and its problem detail)."""


def jsonable(value: Any) -> Any:
    """Decoded event arguments in the gateway's JSON form (bytes as 0x-hex, big integers as decimal strings)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def event_json(event: DecodedEvent) -> dict[str, Any]:
    """What the index should hold for ``event``: contract, address, name and JSON arguments."""
    return {"contract": event.contract, "address": event.address, "name": event.name, "args": jsonable(event.args)}


def _redacted(contract: str, args: dict[str, Any]) -> dict[str, Any]:
    """An auction event's arguments as a reader who is not a court sees them (``node_api``'s rule)."""
    if contract != "JudicialAuction" or not any(k in args for k in _BIDDER_ADDRESSES):
        return args
    out = {k: v for k, v in args.items() if k not in _BIDDER_ADDRESSES}
    if "code" in out:
        out["bidder_code"] = bidder_code_label(int(out["code"]))
    return out


def _addr(value: str) -> str | None:
    return None if value == _ZERO else value


def _or_none(value: int) -> int | None:
    return value or None


class IndexCheck:
    """Compare a gateway's index with the chain (see the module docstring).

    ``to_block`` bounds the index's events compared (the replay's target block); ``client`` replaces the HTTP
    client (tests pass one with a mock transport)."""

    def __init__(
        self,
        gateway: str,
        api_key: str,
        *,
        to_block: int | None = None,
        client: httpx.Client | None = None,
        page: int = EVENT_PAGE,
    ) -> None:
        self.gateway = gateway.rstrip("/")
        self._own_client = client is None
        self._http = client or httpx.Client(timeout=60.0)
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._to_block = to_block
        self._page = page
        self._buffer: deque[dict[str, Any]] = deque()
        self._after: str | None = None
        self._exhausted = False
        self._differences: list[Difference] = []
        #: chain events seen, index events read, and pairs that matched
        self.chain_events = 0
        self.index_events = 0
        self.matched = 0
        #: the index holds events past ``to_block``: its projections (read at its head) may differ for that reason
        self.ahead = False

    # --- HTTP ---

    def _get(self, path: str, params: Mapping[str, Any] | None = None, *, missing_ok: bool = False) -> Any:
        try:
            r = self._http.get(self.gateway + path, params=dict(params or {}), headers=self._headers)
        except httpx.HTTPError as exc:
            raise IndexReadError(f"GET {path}: the gateway at {self.gateway} did not answer: {exc}") from exc
        if missing_ok and r.status_code == 404:
            return None
        if r.status_code != 200:
            detail = r.text[:300]
            raise IndexReadError(f"GET {path}: {r.status_code} from the gateway at {self.gateway}: {detail}")
        return r.json()

    def close(self) -> None:
        if self._own_client:
            self._http.close()

    def __enter__(self) -> IndexCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- events ---

    def _head(self) -> dict[str, Any] | None:
        """The next index event (reading the next page when the buffer is empty), ``None`` at the end."""
        while not self._buffer and not self._exhausted:
            params: dict[str, Any] = {"limit": self._page}
            if self._after is not None:
                params["after"] = self._after
            body = self._get("/events", params)
            data: list[dict[str, Any]] = body.get("data", [])
            for item in data:
                if self._to_block is not None and int(item["block_number"]) > self._to_block:
                    self._exhausted = self.ahead = True
                    break
                self._buffer.append(item)
            nxt = body.get("next_after")
            if data:
                self._after = str(data[-1]["key"])
            if not nxt or not data:
                self._exhausted = True
            logger.debug("replay.index.page after=%s events=%d", self._after, len(data))
        return self._buffer[0] if self._buffer else None

    def _extra(self, item: dict[str, Any]) -> None:
        self.index_events += 1
        self._differences.append(
            Difference(
                contract=str(item.get("contract", "")),
                entity="event",
                key=str(item["key"]),
                field="",
                index={k: item.get(k) for k in ("contract", "address", "name", "args")},
                note="in the index, not on chain",
            )
        )

    def see(self, event: DecodedEvent) -> None:
        """Merge one chain event (in key order) with the index's events."""
        self.chain_events += 1
        head = self._head()
        while head is not None and str(head["key"]) < event.key:
            self._extra(self._buffer.popleft())
            head = self._head()
        expected = event_json(event)
        if head is None or str(head["key"]) != event.key:
            self._differences.append(
                Difference(
                    contract=event.contract,
                    entity="event",
                    key=event.key,
                    field="",
                    events=expected,
                    note="on chain, missing from the index",
                )
            )
            return
        item = self._buffer.popleft()
        self.index_events += 1
        got_args = item.get("args") or {}
        want_args = expected["args"]
        if not any(k in got_args for k in _BIDDER_ADDRESSES):
            want_args = _redacted(event.contract, want_args)
        same = True
        for name, want, got in (
            ("contract", expected["contract"], item.get("contract")),
            ("address", expected["address"], item.get("address")),
            ("name", expected["name"], item.get("name")),
            ("args", want_args, got_args),
        ):
            if want != got:
                same = False
                self._differences.append(
                    Difference(event.contract, "event", event.key, name, events=want, index=got, note="event differs")
                )
        if same:
            self.matched += 1

    def _drain(self) -> None:
        head = self._head()
        while head is not None:
            self._extra(self._buffer.popleft())
            head = self._head()

    # --- projections ---

    def finish(self, states: Mapping[str, Any]) -> list[Difference]:
        """The index events after the chain's last, then every projection against ``states``; all the
        differences found (events first)."""
        self._drain()
        out = self._differences
        events_end = len(out)
        checks = (
            ("Consortium", self._members),
            ("SettlementToken", self._balances),
            ("CaseDelegation", self._cases),
            ("JudicialAuction", self._lots),
            ("AssetFractions", self._fractions),
            ("DisputeDesk", self._disputes),
        )
        for contract, check in checks:
            state = states.get(contract)
            if state is None:
                continue
            before = len(out)
            if contract == "AssetFractions":
                check(state, states.get("FractionsFactory"))
            else:
                check(state, None)
            logger.info("replay.index.checked contract=%s differences=%d", contract, len(out) - before)
        if self.ahead:  # say why a projection may differ: the gateway answers at its head, past the target block
            why = f"the index is past block {self._to_block}: it answers at its newest block"
            out[events_end:] = [replace(d, note=f"{d.note}; {why}" if d.note else why) for d in out[events_end:]]
        return list(out)

    def _differ(
        self, contract: str, entity: str, key: str, field: str, want: Any, got: Any, *, chain: bool = False
    ) -> None:
        if want == got:
            return
        note = "missing from the index" if got is None and field == "" else ""
        if want is None and field == "":
            note = "in the index, not in the events"
        if chain:
            self._differences.append(Difference(contract, entity, key, field, events=want, chain=got, note=note))
        else:
            self._differences.append(Difference(contract, entity, key, field, events=want, index=got, note=note))

    def _compare(
        self, contract: str, entity: str, key: str, want: Mapping[str, Any] | None, got: Mapping[str, Any] | None
    ) -> None:
        """Field by field; a side without the row is one difference for the whole row."""
        if want is None or got is None:
            if want is not None or got is not None:
                self._differ(
                    contract, entity, key, "", None if want is None else dict(want), None if got is None else dict(got)
                )
            return
        for name, value in want.items():
            self._differ(contract, entity, key, name, value, got.get(name))

    def _paged(self, path: str, *, limit: int, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Rows of an offset-paged list endpoint."""
        offset = 0
        while True:
            body = self._get(path, {**(params or {}), "limit": limit, "offset": offset})
            data: list[dict[str, Any]] = body.get("data", [])
            yield from data
            offset += len(data)
            count = body.get("count")
            if len(data) < limit or (isinstance(count, int) and count > len(data) and offset >= count):
                return

    def _members(self, state: Any, _extra: Any) -> None:
        got = {m["address"]: m for m in self._paged("/members", limit=500)}
        for address in sorted(set(state.members) | set(got)):
            m = state.members.get(address)
            want = None
            if m is not None:
                want = {
                    "name_digest": m.name_digest,
                    "roles": sorted(r.value for r in Role.from_mask(m.roles)),
                    "region": m.region,
                    "licence_expiry": m.licence_expiry,
                    "kyc_tier": m.kyc_tier,
                    "suspended": m.suspended,
                    "admitted_block": m.admitted_block,
                }
            self._compare("Consortium", "member", address, want, _pick(got.get(address), want))

    def _balances(self, state: Any, _extra: Any) -> None:
        for address in sorted(state.balances):
            if address == _ZERO:
                continue
            want = state.balances[address].amount
            body = self._get(f"/tokens/balances/{address}")
            chain = body.get("source") == "chain"
            self._differ(
                "SettlementToken", "balance", address, "balance_fen", want, body.get("balance_fen"), chain=chain
            )

    def _cases(self, state: Any, _extra: Any) -> None:
        got = {str(c["case_id"]).lower(): c for c in self._paged("/cases", limit=500)}
        # a gateway lists the cases whose terms it holds: those of the batches its bank published through it.
        # A case of another member's batch is compared only if the gateway lists it (its terms live elsewhere)
        known = {int(c["chain_batch_id"]) for c in got.values() if c.get("chain_batch_id") is not None}
        ours = {k for k, c in state.cases.items() if c.batch_id in known}
        for case_id in sorted(ours | set(got)):
            c = state.cases.get(case_id)
            row = got.get(case_id)
            if c is None:
                if row is None:
                    continue
                # published but never claimed or offered: the chain's case is still open
                want: dict[str, Any] | None = {"status": "open", "collector": None, "recovered_fen": 0, "fees_fen": 0}
            else:
                want = {"status": c.status, "collector": c.collector, "recovered_fen": c.recovered, "fees_fen": c.fees}
            self._compare("CaseDelegation", "case", case_id, want, _pick(row, want))

    def _lots(self, state: Any, _extra: Any) -> None:
        got = {int(lot["lot_id"]): lot for lot in self._paged("/auctions/lots", limit=500)}
        for lot_id in sorted(set(state.lots) | set(got)):
            lot = state.lots.get(lot_id)
            want = None
            if lot is not None:
                approved = lot.court != _ZERO
                has_bid = lot.highest_code != 0
                want = {
                    "status": lot.status.label,
                    "kind": lot.kind.label,
                    "asset_ref": lot.asset_ref,
                    "seller": lot.seller,
                    "court": lot.court if approved else None,
                    "origin": lot.origin,
                    "round": lot.round,
                    "failures": lot.failures,
                    "kyc_tier": lot.kyc_tier,
                    "appraisal_fen": lot.appraisal,
                    "start_price_fen": lot.start_price,
                    "deposit_fen": lot.deposit,
                    "increment_fen": lot.increment,
                    "starts_at": lot.starts_at if approved else None,
                    "ends_at": lot.ends_at if approved else None,
                    "payment_deadline": _or_none(lot.payment_deadline),
                    "highest_bid_fen": lot.highest_bid if has_bid else None,
                    "highest_bidder_code": bidder_code_label(lot.highest_code) if has_bid else None,
                    "bidder_count": lot.bidder_count,
                    "extensions": lot.extensions,
                    "relisted_as": _or_none(lot.relisted_as),
                    "documents": list(lot.documents),
                }
            self._compare("JudicialAuction", "lot", str(lot_id), want, _pick(got.get(lot_id), want))

    def _fractions(self, tokens: Mapping[str, Any], factory: Any) -> None:
        got: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 200}
            if cursor is not None:
                params["cursor"] = cursor
            body = self._get("/fractions/assets", params)
            for a in body.get("data", []):
                got[str(a["address"])] = a
            cursor = body.get("next_cursor")
            if not cursor or not body.get("data"):
                break
        issued = factory.assets if factory is not None else {}
        for address in sorted(set(tokens) | set(issued) | set(got)):
            contract = f"AssetFractions@{address}"
            s = tokens.get(address)
            issue = issued.get(address)
            want: dict[str, Any] | None = None
            if s is not None or issue is not None:
                want = {}
                if issue is not None:
                    want.update(issuer=issue.issuer, asset_ref=issue.asset_ref, index=issue.index)
                if s is not None:
                    want.update(
                        status=s.status.label,
                        sold=s.sold,
                        total_supply=s.total_supply,
                        holder_count=s.holder_count,
                        paused=s.paused,
                    )
            row = got.get(address)
            self._compare(contract, "asset", address, want, _pick(row, want))
            if s is not None and row is not None:
                self._holders(contract, address, s)

    def _holders(self, contract: str, address: str, s: Any) -> None:
        body = self._get(f"/fractions/assets/{address}/holders")
        got = {str(a["address"]): a for a in body.get("data", [])}
        held = {a: acc for a, acc in s.accounts.items() if acc.balance > 0 or acc.subscription > 0}
        for account in sorted(set(held) | set(got)):
            acc = held.get(account)
            want = None
            if acc is not None:
                want = {
                    "balance": acc.balance,
                    "frozen_whole": acc.frozen,
                    "frozen_shares": acc.frozen_shares,
                    "subscription": acc.subscription,
                    "claimable_fen": s.claimable(account),
                    "claimed_fen": acc.claimed,
                }
            self._compare(contract, "holder", account, want, _pick(got.get(account), want))

    def _disputes(self, state: Any, _extra: Any) -> None:
        got = {int(d["dispute_id"]): d for d in self._paged("/disputes", limit=500)}
        for dispute_id in sorted(set(state.disputes) | set(got)):
            d = state.disputes.get(dispute_id)
            key = str(dispute_id)
            want = None
            if d is not None:
                want = {
                    "case_id": d.case_id,
                    "status": d.status.label,
                    "ruling": d.ruling.label,
                    "bank": d.bank,
                    "opener": d.opener,
                    "mediator": _addr(d.mediator),
                    "claim_amount_fen": d.claim_amount,
                    "total_fen": d.total,
                    "paid_fen": d.paid,
                    "opened_at": d.opened_at,
                    "agreed_at": _or_none(d.agreed_at),
                }
            row = got.get(dispute_id)
            self._compare("DisputeDesk", "dispute", key, want, _pick(row, want))
            if d is None or row is None:
                continue
            detail = self._get(f"/disputes/{dispute_id}", missing_ok=True)
            if detail is None:
                self._differ("DisputeDesk", "dispute", key, "detail", "a dispute", None)
                continue
            more = {
                "collector": _addr(d.collector),
                "mediator_assigned_by_bank": d.mediator_by_bank,
                "court": _addr(d.court),
                "appeal_court": _addr(d.appeal_court),
                "payee": d.payee,
                "relief_fen": d.relief,
                "grace_seconds": d.grace,
                "appeal_deadline": _or_none(d.appeal_deadline),
                "defaulted_index": d.defaulted_index,
                "terms_digest": d.terms_digest,
                "commitment_digest": d.commitment_digest,
                "plan_digest": d.plan_digest,
                "failure_digest": d.failure_digest,
                "ruling_digest": d.ruling_digest,
                "appeal_digest": d.appeal_digest,
                "schedule": [[i.amount, i.due_at] for i in d.schedule],
                "evidence": [[party, root] for party, root in d.evidence],
                "collateral": list(d.collateral),
            }
            shown = dict(detail)
            shown["schedule"] = [[i.get("amount_fen"), i.get("due_at")] for i in detail.get("schedule", [])]
            shown["evidence"] = [[e.get("party"), e.get("root")] for e in detail.get("evidence", [])]
            self._compare("DisputeDesk", "dispute", key, more, _pick(shown, more))


def _pick(row: Mapping[str, Any] | None, want: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The fields of ``row`` that ``want`` names (the whole row when there is nothing to compare with)."""
    if row is None:
        return None
    if want is None:
        return dict(row)
    return {k: row.get(k) for k in want}
