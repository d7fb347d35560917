"""The disputes index (``dispute*`` tables) from the ``DisputeDesk`` reducer.

A chunk of events touches a few disputes (with their schedules, evidence and collateral), the cases they are
about, some payees and the totals: ``apply`` loads exactly those rows into a ``DisputeDeskState``, runs the
reducer, and writes back what changed (evidence and instalments are only ever appended). The totals row
remembers the key of the last event applied, so applying the same events twice changes nothing. A rewind
deletes the index and replays the surviving stored events (a dispute's events are few).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, delete, select

from chain.contracts.dispute_desk import DisputeStatus, Instalment, Ruling
from chain.reducers import Event
from chain.reducers._base import checksum, word
from chain.reducers.dispute_desk import DISPUTE_EVENTS, REDUCER, DisputeDeskState, DisputeState, dispute_of
from node_api.db.disputes_models import (
    DisputeCase,
    DisputeCollateral,
    DisputeEvidence,
    DisputeInstalment,
    DisputePayee,
    DisputeRow,
    DisputeTotals,
)
from node_api.db.models import ChainEvent
from node_api.projections._base import chunks, insert_ignore, insert_replace, table_of

__all__ = ["DisputeProjection"]

_DISPUTES = table_of(DisputeRow)
_INSTALMENTS = table_of(DisputeInstalment)
_EVIDENCE = table_of(DisputeEvidence)
_COLLATERAL = table_of(DisputeCollateral)
_CASES = table_of(DisputeCase)
_PAYEES = table_of(DisputePayee)
_TOTALS = table_of(DisputeTotals)
_EVENTS = table_of(ChainEvent)
#: event → its arguments that name a payee (``AppealWindowChanged`` also has ``previous``/``current``: numbers)
_PAYEE_ARGS = {"InstalmentPaid": ("payee",), "PaymentWithdrawn": ("payee",), "PayeeChanged": ("previous", "current")}
_REPLAY_PAGE = 5_000


def _payees(events: Sequence[Event]) -> set[str]:
    return {checksum(e.args[a]) for e in events for a in _PAYEE_ARGS.get(e.name, ())}


def _load_dispute(row: Mapping[str, Any]) -> DisputeState:
    return DisputeState(
        dispute_id=int(row["dispute_id"]),
        case_id=row["case_id"],
        opener=row["opener"],
        bank=row["bank"],
        collector=row["collector"],
        claim_amount=int(row["claim_amount_fen"]),
        opened_at=int(row["opened_at"]),
        opened_block=int(row["opened_block"]),
        status=DisputeStatus[str(row["status"]).upper()],
        ruling=Ruling[str(row["ruling"]).upper()],
        mediator=row["mediator"],
        mediator_by_bank=bool(row["mediator_by_bank"]),
        court=row["court"],
        appeal_court=row["appeal_court"],
        appeal_deadline=int(row["appeal_deadline"]),
        payee=row["payee"],
        total=int(row["total_fen"]),
        paid=int(row["paid_fen"]),
        relief=int(row["relief_fen"]),
        grace=int(row["grace"]),
        agreed_at=int(row["agreed_at"]),
        terms_digest=row["terms_digest"],
        commitment_digest=row["commitment_digest"],
        plan_digest=row["plan_digest"],
        failure_digest=row["failure_digest"],
        ruling_digest=row["ruling_digest"],
        appeal_digest=row["appeal_digest"],
        defaulted_index=None if row["defaulted_index"] is None else int(row["defaulted_index"]),
        last_event=row["last_event"],
    )


def _dump_dispute(d: DisputeState) -> dict[str, Any]:
    return {
        "dispute_id": d.dispute_id,
        "case_id": d.case_id,
        "status": d.status.label,
        "ruling": d.ruling.label,
        "opener": d.opener,
        "bank": d.bank,
        "collector": d.collector,
        "mediator": d.mediator,
        "mediator_by_bank": d.mediator_by_bank,
        "court": d.court,
        "appeal_court": d.appeal_court,
        "payee": d.payee,
        "claim_amount_fen": d.claim_amount,
        "total_fen": d.total,
        "paid_fen": d.paid,
        "relief_fen": d.relief,
        "grace": d.grace,
        "opened_at": d.opened_at,
        "opened_block": d.opened_block,
        "agreed_at": d.agreed_at,
        "appeal_deadline": d.appeal_deadline,
        "defaulted_index": d.defaulted_index,
        "terms_digest": d.terms_digest,
        "commitment_digest": d.commitment_digest,
        "plan_digest": d.plan_digest,
        "failure_digest": d.failure_digest,
        "ruling_digest": d.ruling_digest,
        "appeal_digest": d.appeal_digest,
        "last_event": d.last_event,
    }


class DisputeProjection:
    """``DisputeDesk`` events → ``disputes``, ``dispute_instalments``, ``dispute_evidence``,
    ``dispute_collateral``, ``dispute_cases``, ``dispute_payees`` and ``dispute_totals``."""

    reducer = REDUCER
    events = DISPUTE_EVENTS

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        totals = conn.execute(select(_TOTALS).where(_TOTALS.c.id == 1)).mappings().first()
        done = "" if totals is None else str(totals["last_event"])
        fresh = [e for e in events if e.key > done]
        if not fresh:
            return
        state = DisputeDeskState()
        if totals is not None:
            state.total_owed = int(totals["owed_fen"])
            state.appeal_window = int(totals["appeal_window"])
            state.mediation_required = bool(totals["mediation_required"])
        self._load(conn, state, fresh)
        before = {did: _dump_dispute(d) for did, d in state.disputes.items()}
        before_evidence = {did: len(d.evidence) for did, d in state.disputes.items()}
        before_schedule = {did: len(d.schedule) for did, d in state.disputes.items()}
        before_cases = {c: (state.case_disputes[c], c in state.enforceable) for c in state.case_disputes}
        before_collateral = dict(state.collateral)
        before_owed = dict(state.owed)

        state = self.reducer.run(state, fresh)

        rows = [row for did, d in state.disputes.items() if (row := _dump_dispute(d)) != before.get(did)]
        if rows:
            conn.execute(insert_replace(conn, _DISPUTES, ["dispute_id"], [c.name for c in _DISPUTES.columns]), rows)
        evidence = [
            {"dispute_id": did, "position": i, "party": party, "root": root}
            for did, d in state.disputes.items()
            for i, (party, root) in enumerate(d.evidence)
            if i >= before_evidence.get(did, 0)
        ]
        for chunk in chunks(evidence):
            conn.execute(insert_ignore(conn, _EVIDENCE, ["dispute_id", "position"]), list(chunk))
        instalments = [
            {"dispute_id": did, "index": i, "amount_fen": inst.amount, "due_at": inst.due_at}
            for did, d in state.disputes.items()
            if len(d.schedule) != before_schedule.get(did, 0)
            for i, inst in enumerate(d.schedule)
        ]
        for chunk in chunks(instalments):
            cols = ["amount_fen", "due_at"]
            conn.execute(insert_replace(conn, _INSTALMENTS, ["dispute_id", "index"], cols), list(chunk))
        cases = [
            {"case_id": c, "dispute_id": did, "enforceable": c in state.enforceable}
            for c, did in state.case_disputes.items()
            if before_cases.get(c) != (did, c in state.enforceable)
        ]
        if cases:
            conn.execute(insert_replace(conn, _CASES, ["case_id"], ["dispute_id", "enforceable"]), cases)
        collateral = [
            {"asset_ref": a, "case_id": c, "dispute_id": self._registered_by(state, a, c)}
            for a, c in state.collateral.items()
            if before_collateral.get(a) != c
        ]
        if collateral:
            conn.execute(insert_replace(conn, _COLLATERAL, ["asset_ref"], ["case_id", "dispute_id"]), collateral)
        owed = [{"address": a, "owed_fen": v} for a, v in state.owed.items() if before_owed.get(a) != v]
        if owed:
            conn.execute(insert_replace(conn, _PAYEES, ["address"], ["owed_fen"]), owed)
        totals_row: dict[str, Any] = {
            "id": 1,
            "owed_fen": state.total_owed,
            "appeal_window": state.appeal_window,
            "mediation_required": state.mediation_required,
            "last_event": fresh[-1].key,
        }
        conn.execute(insert_replace(conn, _TOTALS, ["id"], [k for k in totals_row if k != "id"]), [totals_row])

    @staticmethod
    def _registered_by(state: DisputeDeskState, asset: str, case_id: str) -> int:
        """The latest dispute of ``case_id`` that lists ``asset`` as collateral (else the case's latest)."""
        found = [did for did, d in state.disputes.items() if d.case_id == case_id and asset in d.collateral]
        return max(found, default=state.case_disputes.get(case_id, 0))

    @staticmethod
    def _load(conn: Connection, state: DisputeDeskState, events: Sequence[Event]) -> None:
        """The rows ``events`` touch: their disputes (with schedules, evidence, collateral), cases, assets and
        payees."""
        ids = sorted({did for e in events if (did := dispute_of(e)) is not None})
        for chunk in chunks(ids):
            for found in conn.execute(select(_DISPUTES).where(_DISPUTES.c.dispute_id.in_(chunk))).mappings():
                d = _load_dispute(cast(Mapping[str, Any], found))
                state.disputes[d.dispute_id] = d
            for i in conn.execute(
                select(_INSTALMENTS).where(_INSTALMENTS.c.dispute_id.in_(chunk)).order_by(_INSTALMENTS.c.index)
            ).mappings():
                d = state.disputes[int(i["dispute_id"])]
                d.schedule = (*d.schedule, Instalment(int(i["amount_fen"]), int(i["due_at"])))
            for ev in conn.execute(
                select(_EVIDENCE).where(_EVIDENCE.c.dispute_id.in_(chunk)).order_by(_EVIDENCE.c.position)
            ).mappings():
                state.disputes[int(ev["dispute_id"])].evidence.append((str(ev["party"]), str(ev["root"])))
            for c in conn.execute(select(_COLLATERAL).where(_COLLATERAL.c.dispute_id.in_(chunk))).mappings():
                state.disputes[int(c["dispute_id"])].collateral.append(str(c["asset_ref"]))
        case_ids = {word(e.args["caseId"]) for e in events if "caseId" in e.args}
        case_ids |= {d.case_id for d in state.disputes.values()}
        for chunk in chunks(sorted(case_ids)):
            for c in conn.execute(select(_CASES).where(_CASES.c.case_id.in_(chunk))).mappings():
                state.case_disputes[str(c["case_id"])] = int(c["dispute_id"])
                if c["enforceable"]:
                    state.enforceable.add(str(c["case_id"]))
        assets = sorted({word(e.args["assetRef"]) for e in events if "assetRef" in e.args})
        for chunk in chunks(assets):
            for c in conn.execute(select(_COLLATERAL).where(_COLLATERAL.c.asset_ref.in_(chunk))).mappings():
                state.collateral[str(c["asset_ref"])] = str(c["case_id"])
        for chunk in chunks(sorted(_payees(events))):
            for p in conn.execute(select(_PAYEES).where(_PAYEES.c.address.in_(chunk))).mappings():
                state.owed[str(p["address"])] = int(p["owed_fen"])

    def rewind(self, conn: Connection, to_block: int) -> None:  # noqa: ARG002 - the whole index is rebuilt
        for table in (_EVIDENCE, _INSTALMENTS, _COLLATERAL, _CASES, _PAYEES, _DISPUTES, _TOTALS):
            conn.execute(delete(table))
        cols = [_EVENTS.c.key, _EVENTS.c.block_number, _EVENTS.c.contract, _EVENTS.c.name, _EVENTS.c.args]
        relevant = (_EVENTS.c.contract == self.reducer.contract) & _EVENTS.c.name.in_(sorted(self.events))
        after = ""
        while True:
            page = [
                Event(str(k), int(b), str(c), str(n), a)
                for k, b, c, n, a in conn.execute(
                    select(*cols).where(relevant, _EVENTS.c.key > after).order_by(_EVENTS.c.key).limit(_REPLAY_PAGE)
                )
            ]
            if not page:
                return
            self.apply(conn, page)
            after = page[-1].key
