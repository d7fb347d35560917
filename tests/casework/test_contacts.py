"""Contact logging under the conduct rules, debtor reads by the holder only, compliance records (fakes for
the chain port, a real SQLite database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from eth_account import Account
from sqlmodel import Session, select

from node_api.db.casework_models import ConductViolation, ContactAttempt, VaultAccess
from node_api.institutions import Institution
from node_api.services.case_import import DebtorRecord, new_salt
from node_api.services.casework.conduct import ConductRules, ContactRefusedError
from node_api.services.casework.contacts import (
    CaseNotHeldError,
    ContactTimeInvalidError,
    collector_record,
    list_contacts,
    list_violations,
    log_contact,
    read_debtor,
)
from tests.cases.factory import resident_id

COLLECTOR = Institution("collector", Account.from_key(b"\x01" * 32))
OTHER = Institution("collector-2", Account.from_key(b"\x02" * 32))
BANK = Institution("bank", Account.from_key(b"\x03" * 32))
SH, NY = bytes([0xA1]) * 32, bytes([0xB2]) * 32
SAME_DEBTOR = bytes([0xC3]) * 32
DEBTOR = DebtorRecord(name="赵六", id_number=resident_id(4), phone="+8613900000004", address="上海市徐汇区")
NY_DEBTOR = DebtorRecord(
    name="Bob Chen", id_number=resident_id(5), phone="+12125550100", address="NYC", timezone="America/New_York"
)


class FakeCaseAccess:
    def __init__(self) -> None:
        self.holders: dict[bytes, str] = {}
        self.banks: dict[bytes, str] = {}

    def holder_of(self, case_id: bytes) -> str | None:
        return self.holders.get(case_id)

    def bank_of(self, case_id: bytes) -> str | None:
        return self.banks.get(case_id)


@pytest.fixture
def world(engine, vault):
    with Session(engine) as s:
        vault.put_many(s, [(SH, new_salt(), DEBTOR), (NY, new_salt(), NY_DEBTOR), (SAME_DEBTOR, new_salt(), DEBTOR)])
        s.commit()
    access = FakeCaseAccess()
    for c in (SH, NY, SAME_DEBTOR):
        access.holders[c] = COLLECTOR.address
        access.banks[c] = BANK.address
    return engine, vault, access


def local(zone: str, hh: int, mm: int, day: int = 27) -> dt.datetime:
    return dt.datetime(2026, 11, day, hh, mm, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def contact(world, case_id, at, note="", who=COLLECTOR, key=None):
    engine, vault, access = world
    with Session(engine) as s:
        return log_contact(
            session=s,
            vault=vault,
            rules=ConductRules(),
            access=access,
            case_id=case_id,
            institution=who,
            channel="phone",
            attempted_at=at,
            note=note,
            now=at + dt.timedelta(minutes=1),
            idempotency_key=key,
        )


def test_only_the_holder_reads_the_debtor_and_every_read_is_logged(world):
    engine, vault, access = world
    with Session(engine) as s:
        assert read_debtor(session=s, vault=vault, access=access, case_id=SH, institution=COLLECTOR) == DEBTOR
        with pytest.raises(CaseNotHeldError) as exc:
            read_debtor(session=s, vault=vault, access=access, case_id=SH, institution=OTHER)
        assert exc.value.http_status == 403
        access.holders.pop(SH)  # returned / closed: no more access, not even for the former holder
        with pytest.raises(CaseNotHeldError):
            read_debtor(session=s, vault=vault, access=access, case_id=SH, institution=COLLECTOR)
        log = s.exec(select(VaultAccess)).all()
        assert [(a.reader, a.reader_address) for a in log] == [("collector", COLLECTOR.address)]


def test_compliant_contact_is_logged_and_quiet_hours_refused_but_recorded(world):
    ok = contact(world, SH, local("Asia/Shanghai", 8, 0), note="您好，提醒您账单已逾期，可以商量还款计划。")
    assert ok.contact.outcome == "logged"
    assert ok.flags == []
    assert ok.contact.local_time == "08:00"
    with pytest.raises(ContactRefusedError) as exc:
        contact(world, SH, local("Asia/Shanghai", 7, 59))
    assert exc.value.code == "CND-001"
    assert [v["rule_id"] for v in exc.value.extra["violations"]] == ["QUIET-HOURS"]
    engine = world[0]
    with Session(engine) as s:
        refused = s.get(ContactAttempt, exc.value.extra["contact_id"])
        assert refused.outcome == "refused"
        assert [v.code for v in s.exec(select(ConductViolation)).all()] == ["CND-001"]


def test_new_york_debtor_uses_new_york_time(world):
    assert contact(world, NY, local("America/New_York", 21, 59)).contact.outcome == "logged"
    with pytest.raises(ContactRefusedError):
        contact(world, NY, local("America/New_York", 22, 0))


def test_daily_cap_counts_the_debtor_across_cases_and_resets_next_local_day(world):
    for hh, case_id in ((9, SH), (10, SAME_DEBTOR), (11, SH)):
        assert contact(world, case_id, local("Asia/Shanghai", hh, 0)).contact.outcome == "logged"
    with pytest.raises(ContactRefusedError) as exc:
        contact(world, SAME_DEBTOR, local("Asia/Shanghai", 12, 0))  # cap + 1, other case, same debtor
    assert exc.value.code == "CND-002"
    # refused attempts do not count; another debtor is unaffected; the next local day starts afresh
    assert contact(world, NY, local("America/New_York", 12, 0)).contact.outcome == "logged"
    assert contact(world, SH, local("Asia/Shanghai", 8, 0, day=28)).contact.outcome == "logged"


def test_prohibited_language_blocked_flag_passes_and_notes_are_encrypted(world):
    with pytest.raises(ContactRefusedError) as exc:
        contact(world, SH, local("Asia/Shanghai", 23, 0), note="你这个老赖，不还钱就告诉你的同事")
    rules = sorted(v["rule_id"] for v in exc.value.extra["violations"])
    assert rules == ["LANG-DISCLOSE", "LANG-INSULT", "QUIET-HOURS"]
    flagged = contact(world, SH, local("Asia/Shanghai", 9, 0), note="This is your last chance to agree a plan.")
    assert flagged.contact.outcome == "logged"
    assert [b.rule_id for b in flagged.flags] == ["LANG-PRESSURE"]
    engine, vault, access = world
    with Session(engine) as s:
        raw = s.get(ContactAttempt, flagged.contact.id)
        assert b"last chance" not in (raw.note_ciphertext or b"")
        rows, total = list_contacts(
            session=s, vault=vault, access=access, case_id=SH, institution=BANK, regulator=False
        )
        assert total == 2
        assert rows[1][1] == "This is your last chance to agree a plan."
        with pytest.raises(CaseNotHeldError):
            list_contacts(session=s, vault=vault, access=access, case_id=SH, institution=OTHER, regulator=False)
        assert (
            list_contacts(session=s, vault=vault, access=access, case_id=SH, institution=OTHER, regulator=True)[1] == 2
        )


def test_compliance_record_counts_every_violation(world):
    contact(world, SH, local("Asia/Shanghai", 9, 0))
    contact(world, SH, local("Asia/Shanghai", 9, 30), note="final warning")
    with pytest.raises(ContactRefusedError):
        contact(world, SH, local("Asia/Shanghai", 22, 30), note="we know where you live")
    engine = world[0]
    with Session(engine) as s:
        rec = collector_record(session=s, collector=COLLECTOR.address.lower())
        assert (rec.contacts_logged, rec.contacts_refused, rec.cases_contacted) == (2, 1, 1)
        assert (rec.violations, rec.blocked, rec.flagged) == (3, 2, 1)
        assert rec.by_code == {"CND-001": 1, "CND-003": 2}
        assert rec.by_rule == {"LANG-PRESSURE": 1, "LANG-THREAT": 1, "QUIET-HOURS": 1}
        assert rec.compliance_rate == pytest.approx(1 / 3)
        assert collector_record(session=s, collector=OTHER.address).violations == 0
        rows, total = list_violations(session=s, collector=COLLECTOR.address)
        assert total == 3
        assert {r.rule_id for r in rows} == {"LANG-PRESSURE", "LANG-THREAT", "QUIET-HOURS"}
        assert list_violations(session=s, collector=OTHER.address)[1] == 0


def test_non_holder_cannot_log_and_nothing_is_recorded(world):
    with pytest.raises(CaseNotHeldError):
        contact(world, SH, local("Asia/Shanghai", 23, 0), note="老赖", who=OTHER)
    with Session(world[0]) as s:
        assert s.exec(select(ContactAttempt)).all() == []


def test_times_far_in_future_or_past_are_refused_and_idempotent_replay(world):
    engine, vault, access = world
    at = local("Asia/Shanghai", 10, 0)
    with Session(engine) as s:
        for when in (at + dt.timedelta(hours=1), at - dt.timedelta(days=8)):
            with pytest.raises(ContactTimeInvalidError):
                log_contact(
                    session=s, vault=vault, rules=ConductRules(), access=access, case_id=SH, institution=COLLECTOR,
                    channel="sms", attempted_at=when, note="", now=at,
                )  # fmt: skip
    first = contact(world, SH, at, key="k1")
    again = contact(world, SH, at, key="k1")
    assert (first.created, again.created) == (True, False)
    assert again.contact.id == first.contact.id
    with pytest.raises(ContactRefusedError):
        contact(world, SH, local("Asia/Shanghai", 23, 0), key="k2")
    with pytest.raises(ContactRefusedError):  # the replay of a refusal is the same refusal
        contact(world, SH, local("Asia/Shanghai", 23, 0), key="k2")
    with Session(engine) as s:
        assert len(s.exec(select(ContactAttempt)).all()) == 2
