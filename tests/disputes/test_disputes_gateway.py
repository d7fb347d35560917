"""Disputes through a real gateway on a real chain: the whole life of an agreement (opened by the bank on a
claimed case, claimed by the mediator, confirmed by a court, final after the appeal window, paid and honoured),
a failed mediation ruled for the claimant, appealed and upheld by a second court (the case becomes enforceable),
steps out of order refused with their ``DSP`` code before anything is sent, a default marked only after the
due time plus the grace period, idempotent writes, the index equal to the chain field by field, and a listing of
registered collateral refused while its case is not enforceable."""

from __future__ import annotations

import statistics
import uuid
from typing import Any

import httpx
import pytest

from chain.contracts.judicial_auction import asset_ref
from tests.disputes.conftest import APPEAL_WINDOW, DAY, OVERDUE, Desk, digest

pytestmark = pytest.mark.chain

ZERO = "0x" + "00" * 20


def _agreement(desk: Desk, *amounts_and_days: tuple[int, int], relief: int = 0, grace: int = DAY) -> dict[str, Any]:
    now = desk.now()
    return {
        "terms_digest": digest(),
        "commitment_digest": digest(),
        "plan_digest": digest(),
        "relief_fen": relief,
        "grace_seconds": grace,
        "schedule": [{"amount_fen": a, "due_at": now + d * DAY} for a, d in amounts_and_days],
    }


def _same_as_chain(desk: Desk, did: int) -> dict[str, Any]:
    """The index's dispute, asserted equal to ``DisputeDesk.dispute`` (and its agreement and schedule) field by
    field; returned for further checks."""
    got = desk.dispute(did)
    chain = desk.world.recourse.disputes
    d, agreement = chain.dispute(did), chain.agreement_of(did)

    def addr(a: str) -> str | None:
        return None if int(a, 16) == 0 else a

    assert (got["status"], got["ruling"]) == (d.status.label, d.ruling.label)
    assert (got["opened_at"], got["appeal_deadline"]) == (d.opened_at, d.appeal_deadline or None)
    assert (got["bank"], got["opener"], got["payee"]) == (d.bank, d.opener, d.payee)
    assert (got["collector"], got["mediator"]) == (addr(d.collector), addr(d.mediator))
    assert (got["court"], got["appeal_court"]) == (addr(d.court), addr(d.appeal_court))
    assert got["case_id"] == "0x" + d.case_id.hex()
    assert (got["claim_amount_fen"], got["total_fen"], got["paid_fen"]) == (d.claim_amount, d.total, d.paid)
    assert (got["relief_fen"], got["grace_seconds"]) == (agreement.relief, agreement.grace)
    assert got["agreed_at"] == (agreement.agreed_at or None)
    if agreement.agreed_at:
        assert got["terms_digest"] == "0x" + agreement.terms_digest.hex()
        assert got["plan_digest"] == "0x" + agreement.plan_digest.hex()
    assert [(i["amount_fen"], i["due_at"]) for i in got["schedule"]] == [
        (i.amount, i.due_at) for i in chain.schedule_of(did)
    ]
    return got


def test_an_agreement_confirmed_final_paid_and_honoured(desk: Desk) -> None:
    bank, mediator, court, collector = desk["bank"], desk["mediator"], desk["court"], desk["collector"]
    case_id, did = desk.opened()
    opened = _same_as_chain(desk, did)
    assert (opened["status"], opened["collector"], opened["mediator"]) == ("open", desk.address("collector"), None)
    assert len(opened["evidence"]) == 1

    mediator.ok(f"/disputes/{did}/claim")
    mediator.ok(f"/disputes/{did}/evidence", {"root": desk.anchored_root()})
    terms = _agreement(desk, (60_000, 30), (30_000, 60), relief=10_000, grace=7 * DAY)
    mediator.ok(f"/disputes/{did}/agreement", terms)
    court.ok(f"/disputes/{did}/ruling", {"ruling": "confirmed", "document_digest": digest()})
    ruled = _same_as_chain(desk, did)
    assert (ruled["status"], ruled["ruling"], ruled["court"]) == ("ruled", "confirmed", desk.address("court"))
    assert ruled["appeal_deadline"] >= desk.now() + APPEAL_WINDOW - 60  # the window opened with the ruling
    assert (ruled["due_now_fen"], ruled["days_overdue"], ruled["in_default"]) == (0, 0, False)
    assert ruled["next_instalment"]["amount_fen"] == 60_000
    assert len(ruled["evidence"]) == 2

    bank.refused(f"/disputes/{did}/finalization", None, 409, "DSP-409")  # the appeal window is open
    desk.pass_time(APPEAL_WINDOW + 1)
    bank.ok(f"/disputes/{did}/finalization")
    assert _same_as_chain(desk, did)["status"] == "performing"

    too_much = collector.refused(f"/disputes/{did}/payments", {"amount_fen": 90_001}, 422, "DSP-422")
    assert (too_much["field"], too_much["outstanding_fen"]) == ("amount_fen", 90_000)
    first = collector.ok(f"/disputes/{did}/payments", {"amount_fen": 60_000})
    assert first["kind"] == "dispute.pay"
    part = _same_as_chain(desk, did)
    assert (part["paid_fen"], part["outstanding_fen"], part["next_instalment"]["index"]) == (60_000, 30_000, 1)
    collector.ok(f"/disputes/{did}/payments", {"amount_fen": 30_000})
    done = _same_as_chain(desk, did)
    assert (done["status"], done["next_instalment"], done["due_now_fen"]) == ("honoured", None, 0)
    assert [i["status"] for i in done["schedule"]] == ["paid", "paid"]

    assert bank.get("/disputes/owed")["owed_fen"] == 90_000
    before = desk.world.recourse.token.balance_of(desk.address("bank"))
    bank.ok("/disputes/owed/withdrawals")
    assert desk.world.recourse.token.balance_of(desk.address("bank")) == before + 90_000
    desk.indexed()
    assert bank.get("/disputes/owed")["owed_fen"] == 0
    assert desk.world.recourse.disputes.total_owed() == 0
    mine = bank.get("/disputes", case_id=case_id, status="honoured")["data"]
    assert [d["dispute_id"] for d in mine] == [did]
    assert any(d["dispute_id"] == did for d in bank.get("/disputes", mediator=desk.address("mediator"))["data"])


def test_a_failed_mediation_ruled_for_the_claimant_appealed_and_upheld(desk: Desk) -> None:
    bank, mediator, court, court_2 = desk["bank"], desk["mediator"], desk["court"], desk["court-2"]
    asset = f"DSP-{uuid.uuid4().hex[:12]}"
    case_id, did = desk.mediating(collateral=[asset])
    not_yet = bank.get(f"/disputes/cases/{case_id}/enforcement")
    assert (not_yet["enforceable"], not_yet["dispute_id"]) == (False, did)
    assert not_yet["collateral"] == ["0x" + asset_ref(asset).hex()]

    mediator.ok(f"/disputes/{did}/failure", {"reason_digest": digest()})
    court.ok(f"/disputes/{did}/ruling", {"ruling": "for_claimant", "document_digest": digest()})
    bank.ok(f"/disputes/{did}/appeal", {"reason_digest": digest()})
    assert _same_as_chain(desk, did)["status"] == "appealed"
    same = court.refused(
        f"/disputes/{did}/ruling", {"ruling": "dismissed", "document_digest": digest()}, 403, "DSP-403"
    )
    assert same["reverted"] == "DisputeSameCourt"
    court_2.ok(f"/disputes/{did}/ruling", {"ruling": "for_claimant", "document_digest": digest()})

    final = _same_as_chain(desk, did)
    assert (final["status"], final["ruling"]) == ("final", "for_claimant")
    assert (final["court"], final["appeal_court"]) == (desk.address("court"), desk.address("court-2"))
    assert final["enforceable"] is True
    enforcement = bank.get(f"/disputes/cases/{case_id}/enforcement")
    assert (enforcement["enforceable"], enforcement["dispute_id"], enforcement["ruling"]) == (True, did, "for_claimant")
    assert desk.world.recourse.disputes.enforcement_of(asset_ref(asset)) == (bytes.fromhex(case_id[2:]), True)


def test_steps_out_of_order_are_refused_with_their_codes(desk: Desk) -> None:
    bank, mediator, court, collector = desk["bank"], desk["mediator"], desk["court"], desk["collector"]
    _, did = desk.opened()

    early = court.refused(
        f"/disputes/{did}/ruling", {"ruling": "for_claimant", "document_digest": digest()}, 409, "DSP-409"
    )
    assert (early["reverted"], early["dispute_status"]) == ("DisputeRulingNotAllowed", "open")
    not_mediator = bank.refused(f"/disputes/{did}/claim", None, 403, "DSP-403")
    assert not_mediator["reverted"] == "DisputeNotMediator"
    mediator.ok(f"/disputes/{did}/claim")
    second = mediator.refused(f"/disputes/{did}/claim", None, 409, "DSP-409")
    assert (second["reverted"], second["dispute_status"]) == ("DisputeWrongStatus", "mediating")
    assert collector.refused(f"/disputes/{did}/abandonment", {"reason_digest": digest()}, 403, "DSP-403")
    mismatch = mediator.refused(f"/disputes/{did}/agreement", _agreement(desk, (OVERDUE - 1, 30)), 422, "DSP-422")
    assert (mismatch["reverted"], mismatch["field"]) == ("DisputeAgreementMismatch", "schedule")
    assert bank.refused("/disputes/424242/claim", None, 404, "DSP-404")["reverted"] == "DisputeUnknown"
    bad = bank.refused(f"/disputes/{did}/evidence", {"root": "0x1234"}, 422, "GEN-422")
    assert bad["errors"][0]["field"].endswith("root")

    mediator.ok(f"/disputes/{did}/failure", {"reason_digest": digest()})
    court.ok(f"/disputes/{did}/ruling", {"ruling": "dismissed", "document_digest": digest()})
    desk.pass_time(APPEAL_WINDOW + 1)
    late = bank.refused(f"/disputes/{did}/appeal", {"reason_digest": digest()}, 409, "DSP-409")
    assert late["reverted"] == "DisputeAppealWindowClosed"
    assert late["appeal_deadline"] < desk.now()


def test_a_default_is_marked_only_after_the_due_time_plus_the_grace_period(desk: Desk) -> None:
    bank, mediator, court = desk["bank"], desk["mediator"], desk["court"]
    case_id, did = desk.mediating()
    grace = 2 * DAY
    mediator.ok(f"/disputes/{did}/agreement", _agreement(desk, (50_000, 20), (50_000, 40), grace=grace))
    court.ok(f"/disputes/{did}/ruling", {"ruling": "confirmed", "document_digest": digest()})
    desk.pass_time(APPEAL_WINDOW + 1)
    bank.ok(f"/disputes/{did}/finalization")
    due = desk.world.recourse.disputes.schedule_of(did)[0].due_at

    desk.mine_at(due + grace)
    on_time = bank.refused(f"/disputes/{did}/default", None, 409, "DSP-409")
    assert (on_time["reverted"], on_time["paid_fen"]) == ("DisputeNotInDefault", 0)
    seen = desk.dispute(did)
    assert (seen["in_default"], seen["days_overdue"], seen["due_now_fen"]) == (False, 2, 50_000)
    assert [i["status"] for i in seen["schedule"]] == ["overdue", "upcoming"]

    desk.mine_at(due + grace + 1)
    assert desk.dispute(did)["in_default"] is True
    bank.ok(f"/disputes/{did}/default")
    defaulted = _same_as_chain(desk, did)
    assert (defaulted["status"], defaulted["defaulted_index"], defaulted["enforceable"]) == ("defaulted", 0, True)
    assert bank.get(f"/disputes/cases/{case_id}/enforcement")["enforceable"] is True


def test_writes_are_idempotent(desk: Desk) -> None:
    mediator = desk["mediator"]
    _, did = desk.opened()
    key = f"claim-{uuid.uuid4()}"

    first = mediator.post(f"/disputes/{did}/claim", key=key)
    again = mediator.post(f"/disputes/{did}/claim", key=key)  # the chain would now refuse a second claim

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert first.json()["status"] == "succeeded"
    assert again.json()["id"] == first.json()["id"]
    other = mediator.post(f"/disputes/{did}/evidence", {"root": desk.anchored_root()}, key=key)
    assert (other.status_code, other.json()["code"]) == (409, "OPS-409")
    missing = httpx.post(f"{desk.gw.url}/disputes/{did}/finalization", headers=mediator.headers, timeout=10)
    assert (missing.status_code, missing.json()["code"]) == (400, "OPS-400")


def test_registered_collateral_is_not_listed_while_its_case_is_not_enforceable(desk: Desk) -> None:
    asset = f"DSP-{uuid.uuid4().hex[:12]}"
    case_id, _ = desk.opened(collateral=[asset])
    listing = {
        "asset": asset,
        "documents": [desk.anchored_root()],
        "start_price_fen": 700_000,
        "deposit_fen": 70_000,
        "increment_fen": 5_000,
    }

    refused = desk["bank"].refused("/auctions/lots", listing, 409, "AUC-409")

    assert (refused["rule"], refused["case_id"]) == ("enforceable", case_id)
    assert "must be enforceable first" in refused["detail"]


def test_mediator_ratings_equal_the_figures_the_chain_gives(desk: Desk) -> None:
    """Every dispute this module made, read back from DisputeDesk, rated by hand: the same figures as
    ``GET /disputes/mediators`` (a failed mediation is one the mediator held that ended without agreement)."""
    _, agreed = desk.mediating()
    desk["mediator"].ok(f"/disputes/{agreed}/agreement", _agreement(desk, (OVERDUE, 30)))
    _, failed = desk.mediating()
    desk["mediator"].ok(f"/disputes/{failed}/failure", {"reason_digest": digest()})
    desk.mediating()  # held: open caseload
    chain = desk.world.recourse.disputes
    figures: dict[str, dict[str, Any]] = {}
    for did in range(1, chain.dispute_count() + 1):
        d, agreed_at = chain.dispute(did), chain.agreement_of(did).agreed_at
        if int(d.mediator, 16) == 0:
            continue
        f = figures.setdefault(
            d.mediator, {"taken": 0, "days": [], "failures": 0, "honoured": 0, "defaulted": 0, "mediating": 0}
        )
        f["taken"] += 1
        if agreed_at:
            f["days"].append((agreed_at - d.opened_at) / DAY)
        elif d.status.label in ("failed", "ruled", "appealed", "final"):
            f["failures"] += 1
        f["honoured"] += d.status.label == "honoured"
        f["defaulted"] += d.status.label == "defaulted"
        f["mediating"] += d.status.label == "mediating"
    desk.indexed()

    ratings = desk["bank"].get("/disputes/mediators")

    assert ratings["count"] == len(figures) == 1
    (rating,) = ratings["data"]
    f = figures[desk.address("mediator")]
    agreements = len(f["days"])
    assert rating["mediator"] == desk.address("mediator")
    assert (rating["disputes_taken"], rating["agreements"], rating["failures"]) == (
        f["taken"],
        agreements,
        f["failures"],
    )
    assert rating["settlement_rate"] == pytest.approx(agreements / (agreements + f["failures"]))
    assert rating["median_days_to_agreement"] == pytest.approx(statistics.median(f["days"]))
    assert rating["open_caseload"] == f["mediating"] >= 1
    assert (rating["honoured"], rating["defaulted"]) == (f["honoured"], f["defaulted"])
    confirmed = f["honoured"] + f["defaulted"]
    assert rating["honoured_rate"] == (pytest.approx(f["honoured"] / confirmed) if confirmed else None)
