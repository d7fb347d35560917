"""Debtor contacts, conduct rules, compliance and log anchoring through a real gateway on a real anvil."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from chain.merkle import StandardMerkleTree
from node_api.db.casework_models import ConductViolation, ContactAttempt, LogAnchor, VaultAccess
from node_api.db.models import Operation
from node_api.services.casework.contacts import ANCHOR_KIND, access_leaf, anchor_logs
from tests.casework.conftest import DEBTORS, CaseworkWorld, yesterday

pytestmark = pytest.mark.chain

PROBLEM = "application/problem+json"


def contact(cw: CaseworkWorld, who: str, case: int, key: str, **body):
    return cw.gw.http.post(
        f"/cases/{cw.case(case)}/contacts", json={"channel": "phone", **body}, headers=cw.headers(who, key)
    )


def test_only_the_holder_reads_the_debtor_and_every_read_is_logged(casework: CaseworkWorld):
    cw = casework
    ok = cw.gw.http.get(f"/cases/{cw.case(0)}/debtor", headers=cw.headers("collector"))
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert (body["name"], body["id_number"], body["phone"]) == (DEBTORS[0].name, DEBTORS[0].id_number, DEBTORS[0].phone)
    assert body["timezone"] == "Asia/Shanghai"
    other = cw.gw.http.get(f"/cases/{cw.case(0)}/debtor", headers=cw.headers("collector-2"))
    assert other.status_code == 403
    assert other.headers["content-type"].startswith(PROBLEM)
    assert other.json()["code"] == "CWK-403"
    assert other.json()["holder"] == cw.gw.address("collector")
    assert cw.gw.http.get(f"/cases/{cw.case(1)}/debtor", headers=cw.headers("collector-2")).status_code == 200
    pool = cw.gw.http.get(f"/cases/{cw.case(2)}/debtor", headers=cw.headers("collector"))
    assert pool.status_code == 403  # not claimed by anyone yet
    bank = cw.gw.http.get(f"/cases/{cw.case(0)}/debtor", headers=cw.headers("bank"))
    assert (bank.status_code, bank.json()["code"]) == (403, "AUTH-003")  # not a collector
    with Session(cw.gw.state.engine) as s:
        log = s.exec(select(VaultAccess).order_by(VaultAccess.id)).all()
        assert [(a.case_id, a.reader) for a in log] == [(cw.case(0), "collector"), (cw.case(1), "collector-2")]
    # the access log of a case: for its bank, its holder and regulators, not for other collectors
    reads = cw.gw.http.get(f"/cases/{cw.case(0)}/debtor/reads", headers=cw.headers("bank"))
    assert reads.status_code == 200, reads.text
    assert [(a["reader"], a["purpose"]) for a in reads.json()["data"]] == [("collector", "contact debtor")]
    assert cw.gw.http.get(f"/cases/{cw.case(0)}/debtor/reads", headers=cw.headers("regulator")).status_code == 200
    assert cw.gw.http.get(f"/cases/{cw.case(0)}/debtor/reads", headers=cw.headers("collector-2")).status_code == 403


def test_contacts_under_conduct_rules_and_compliance_record(casework: CaseworkWorld):
    cw = casework
    sh = "Asia/Shanghai"
    early = contact(cw, "collector", 0, "c1", attempted_at=yesterday(sh, 7, 59))
    assert early.status_code == 422
    assert early.headers["content-type"].startswith(PROBLEM)
    assert early.json()["code"] == "CND-001"
    assert [v["rule_id"] for v in early.json()["violations"]] == ["QUIET-HOURS"]
    first = contact(
        cw, "collector", 0, "c2", attempted_at=yesterday(sh, 8, 0), note="您好，提醒您账单已逾期，可以商量还款计划。"
    )
    assert first.status_code == 201, first.text
    assert (first.json()["outcome"], first.json()["local_time"]) == ("logged", "08:00")
    assert contact(cw, "collector", 0, "c3", attempted_at=yesterday(sh, 21, 59)).status_code == 201
    late = contact(cw, "collector", 0, "c4", attempted_at=yesterday(sh, 22, 0))
    assert (late.status_code, late.json()["code"]) == (422, "CND-001")
    abusive = contact(
        cw, "collector", 0, "c5", attempted_at=yesterday(sh, 10, 0), note="你这个老赖，再不还就告诉你的同事"
    )
    assert abusive.status_code == 422
    assert abusive.json()["code"] == "CND-003"
    assert {v["rule_id"] for v in abusive.json()["violations"]} == {"LANG-INSULT", "LANG-DISCLOSE"}
    assert contact(cw, "collector", 0, "c6", attempted_at=yesterday(sh, 12, 0)).status_code == 201  # 3rd: cap
    capped = contact(cw, "collector", 0, "c7", attempted_at=yesterday(sh, 13, 0))
    assert (capped.status_code, capped.json()["code"]) == (422, "CND-002")
    replay = contact(
        cw, "collector", 0, "c2", attempted_at=yesterday(sh, 8, 0), note="您好，提醒您账单已逾期，可以商量还款计划。"
    )
    assert replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    # the same key for another request (another time, another note) is refused, not answered with c2's contact
    for changed in (
        {"attempted_at": yesterday(sh, 9, 0), "note": "您好，提醒您账单已逾期，可以商量还款计划。"},
        {"attempted_at": yesterday(sh, 8, 0), "note": "另一条记录"},
    ):
        reused = contact(cw, "collector", 0, "c2", **changed)
        assert (reused.status_code, reused.json()["code"]) == (409, "OPS-409"), reused.text
        assert reused.json()["contact_id"] == first.json()["id"]
    # the New York debtor's evening is not Shanghai's
    ny = contact(cw, "collector-2", 1, "n1", attempted_at=yesterday("America/New_York", 21, 59))
    assert ny.status_code == 201
    assert contact(cw, "collector-2", 1, "n2", attempted_at=yesterday("America/New_York", 22, 0)).status_code == 422
    # a time far in the future is refused before any rule is checked (nothing recorded)
    future = contact(cw, "collector", 0, "f1", attempted_at="2099-01-01T10:00:00+08:00")
    assert (future.status_code, future.json()["code"]) == (422, "CWK-422")
    # a collector that does not hold the case: 403, nothing recorded
    stranger = contact(cw, "collector-2", 0, "x1", attempted_at=yesterday(sh, 9, 0), note="老赖")
    assert (stranger.status_code, stranger.json()["code"]) == (403, "CWK-403")
    with Session(cw.gw.state.engine) as s:
        assert len(s.exec(select(ContactAttempt)).all()) == 9
        assert len(s.exec(select(ConductViolation)).all()) == 6

    regulator = cw.headers("regulator")
    rec = cw.gw.http.get(f"/compliance/collectors/{cw.gw.address('collector')}", headers=regulator)
    assert rec.status_code == 200, rec.text
    r = rec.json()
    assert (r["contacts_logged"], r["contacts_refused"], r["violations"]) == (3, 4, 5)
    assert r["by_code"] == {"CND-001": 2, "CND-002": 1, "CND-003": 2}
    viol = cw.gw.http.get(
        "/compliance/violations", params={"collector": cw.gw.address("collector-2")}, headers=regulator
    )
    assert viol.json()["count"] == 1
    assert viol.json()["data"][0]["rule_id"] == "QUIET-HOURS"
    denied = cw.gw.http.get(f"/compliance/collectors/{cw.gw.address('collector')}", headers=cw.headers("collector"))
    assert (denied.status_code, denied.json()["code"]) == (403, "AUTH-003")

    listed = cw.gw.http.get(f"/cases/{cw.case(0)}/contacts", headers=cw.headers("collector"))
    assert listed.status_code == 200
    assert listed.json()["count"] == 7
    assert listed.json()["data"][1]["note"] == "您好，提醒您账单已逾期，可以商量还款计划。"
    assert cw.gw.http.get(f"/cases/{cw.case(0)}/contacts", headers=cw.headers("bank")).status_code == 200
    assert cw.gw.http.get(f"/cases/{cw.case(0)}/contacts", headers=regulator).status_code == 200
    assert cw.gw.http.get(f"/cases/{cw.case(0)}/contacts", headers=cw.headers("collector-2")).status_code == 403


def test_access_and_contact_logs_are_anchored_exactly_once(casework: CaseworkWorld):
    cw = casework
    state = cw.gw.state
    assert cw.gw.http.get(f"/cases/{cw.case(0)}/debtor", headers=cw.headers("collector")).status_code == 200
    assert contact(cw, "collector", 0, "a1", attempted_at=yesterday("Asia/Shanghai", 9, 0)).status_code == 201
    assert contact(cw, "collector", 0, "a2", attempted_at=yesterday("Asia/Shanghai", 23, 0)).status_code == 422
    bank = state.institutions["bank"]
    (anchor,) = anchor_logs(engine=state.engine, recourse=state.recourse, institution=bank, settle=0)
    assert (anchor.access_from, anchor.access_to, anchor.contact_from, anchor.contact_to) == (1, 1, 1, 2)
    assert anchor.leaf_count == 3
    state.writer_for("bank").wake()
    op = cw.wait_operation(anchor.operation_id)
    assert op.status == "succeeded", op.error_message
    assert op.kind == ANCHOR_KIND
    on_chain = state.recourse.evidence.anchor_of(anchor.root)
    assert on_chain is not None
    assert (on_chain.submitter, on_chain.leaf_count) == (bank.address, 3)
    # the access entry is provable against the anchored root, on chain
    tree = StandardMerkleTree.load(anchor.tree)
    with Session(state.engine) as s:
        entry = s.exec(select(VaultAccess)).one()
    leaf = access_leaf(entry)
    assert state.recourse.evidence.verify(anchor.root, leaf, tree.proof(leaf))
    # nothing new: nothing anchored; a crash between storing and submitting resubmits the same operation
    assert anchor_logs(engine=state.engine, recourse=state.recourse, institution=bank, settle=0) == []
    with Session(state.engine) as s:
        row = s.get(LogAnchor, anchor.id)
        row.operation_id = None
        s.add(row)
        s.commit()
    (again,) = anchor_logs(engine=state.engine, recourse=state.recourse, institution=bank, settle=0)
    assert again.operation_id == anchor.operation_id
    with Session(state.engine) as s:
        ops = s.exec(select(Operation).where(Operation.kind == ANCHOR_KIND)).all()
        assert len(ops) == 1
    # new entries start a new range
    assert cw.gw.http.get(f"/cases/{cw.case(0)}/debtor", headers=cw.headers("collector")).status_code == 200
    (second,) = anchor_logs(engine=state.engine, recourse=state.recourse, institution=bank, settle=0)
    assert (second.access_from, second.access_to, second.contact_from, second.contact_to) == (2, 2, 3, 2)
    listed = cw.gw.http.get("/compliance/log-anchors", headers=cw.headers("regulator"))
    assert [a["root"] for a in listed.json()["data"]] == [second.root, anchor.root]


def test_matching_endpoints(casework: CaseworkWorld):
    cw = casework
    import time

    deadline = time.monotonic() + 20
    while True:  # the members projection is filled by the indexer
        r = cw.gw.http.get("/cases/matches", headers=cw.headers("collector"))
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.status_code == 200, r.text
    assert r.json()["subject"] == cw.gw.address("collector")
    assert isinstance(r.json()["data"], list)
    bank = cw.gw.http.get("/cases/matches", params={"collector": cw.gw.address("bank")}, headers=cw.headers("bank"))
    assert (bank.status_code, bank.json()["code"]) == (404, "GEN-404")  # not a collector
    unknown = cw.gw.http.get(f"/cases/0x{'ab' * 32}/matches", headers=cw.headers("bank"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("casework", ["sqlite"], indirect=True)
def test_anchoring_service_anchors_new_entries_on_its_own(casework: CaseworkWorld):
    import time

    from node_api.services.casework.contacts import start_casework_services

    cw = casework
    state = cw.gw.state
    state.settings.casework.anchor_interval = 0.3
    stop = start_casework_services(state)
    try:
        assert cw.gw.http.get(f"/cases/{cw.case(0)}/debtor", headers=cw.headers("collector")).status_code == 200
        deadline = time.monotonic() + 30
        anchor = None
        while anchor is None and time.monotonic() < deadline:
            with Session(state.engine) as s:
                anchor = s.exec(select(LogAnchor).where(LogAnchor.operation_id.is_not(None))).first()
            time.sleep(0.2)
        assert anchor is not None, "the service anchored nothing"
        assert cw.wait_operation(anchor.operation_id).status == "succeeded"
        assert state.recourse.evidence.anchor_of(anchor.root) is not None
    finally:
        stop()


def test_concurrent_contacts_never_exceed_the_daily_cap(casework: CaseworkWorld):
    from concurrent.futures import ThreadPoolExecutor

    cw = casework
    at = yesterday("Asia/Shanghai", 15, 0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda i: contact(cw, "collector", 0, f"race-{i}", attempted_at=at), range(8)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * 3 + [422] * 5
    assert {r.json()["code"] for r in answers if r.status_code == 422} == {"CND-002"}
