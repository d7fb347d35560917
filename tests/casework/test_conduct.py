"""Conduct rules: quiet hours at the minute boundaries in two time zones, daily cap, language screening."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from node_api.services.casework.conduct import ConductRules, ContactRefusedError
from node_api.services.casework.settings import ConductSettings, LanguageRuleSpec

RULES = ConductRules()


def at(zone: str, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    """A wall-clock time in ``zone`` expressed in UTC (as the API receives it)."""
    local = dt.datetime(2026, 11, 27, hh, mm, ss, tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def codes(breaches) -> list[str]:
    return sorted(b.code for b in breaches)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize(
    ("hh", "mm", "ss", "allowed"),
    [
        (7, 59, 0, False),
        (7, 59, 59, False),
        (8, 0, 0, True),
        (12, 0, 0, True),
        (21, 59, 0, True),
        (21, 59, 59, True),
        (22, 0, 0, False),
        (0, 0, 0, False),
    ],
)
def test_quiet_hours_boundaries_in_the_debtors_time_zone(zone, hh, mm, ss, allowed):
    breaches = RULES.check(at=at(zone, hh, mm, ss), timezone=zone, contacts_today=0, texts=[])
    assert (breaches == []) is allowed
    if not allowed:
        (b,) = breaches
        assert (b.code, b.rule_id, b.outcome) == ("CND-001", "QUIET-HOURS", "block")
        assert zone in b.matched


def test_same_instant_is_allowed_in_one_zone_and_refused_in_another():
    instant = at("Asia/Shanghai", 9, 0)  # 20:00 the evening before in New York -> allowed; 01:00 UTC
    assert RULES.check(at=instant, timezone="Asia/Shanghai", contacts_today=0, texts=[]) == []
    assert RULES.check(at=instant, timezone="America/New_York", contacts_today=0, texts=[]) == []
    late = at("Asia/Shanghai", 21, 30)  # 08:30 New York, 19:00 Kolkata
    assert RULES.check(at=late, timezone="America/New_York", contacts_today=0, texts=[]) == []
    early = at("Asia/Shanghai", 8, 30)  # 19:30 New York, 06:00 Kolkata
    assert codes(RULES.check(at=early, timezone="Asia/Kolkata", contacts_today=0, texts=[])) == ["CND-001"]


def test_naive_time_is_rejected():
    with pytest.raises(ValueError, match="time zone"):
        RULES.check(at=dt.datetime(2026, 11, 27, 10, 0), timezone="Asia/Shanghai", contacts_today=0, texts=[])


def test_daily_cap_and_cap_plus_one():
    noon = at("Asia/Shanghai", 12, 0)
    for n in range(3):
        assert RULES.check(at=noon, timezone="Asia/Shanghai", contacts_today=n, texts=[]) == []
    (b,) = RULES.check(at=noon, timezone="Asia/Shanghai", contacts_today=3, texts=[])
    assert (b.code, b.rule_id) == ("CND-002", "DAILY-CAP")
    assert "2026-11-27" in b.message
    five = ConductRules(ConductSettings(daily_cap=5))
    assert five.check(at=noon, timezone="Asia/Shanghai", contacts_today=4, texts=[]) == []
    assert codes(five.check(at=noon, timezone="Asia/Shanghai", contacts_today=5, texts=[])) == ["CND-002"]


def test_several_rules_broken_at_once_are_all_listed():
    breaches = RULES.check(
        at=at("Asia/Shanghai", 23, 0), timezone="Asia/Shanghai", contacts_today=3, texts=["你这个老赖，小心你的家人"]
    )
    assert codes(breaches) == ["CND-001", "CND-002", "CND-003", "CND-003"]
    assert {b.rule_id for b in breaches} == {"QUIET-HOURS", "DAILY-CAP", "LANG-INSULT", "LANG-THREAT"}
    err = ContactRefusedError(breaches, contact_id=7)
    assert err.code == "CND-001"
    assert err.http_status == 422
    assert len(err.extra["violations"]) == 4
    assert err.extra["contact_id"] == 7


POSITIVE = {
    "LANG-THREAT": [
        "再不还钱我找人收拾你",
        "你等着瞧，打断你的腿",
        "小心你的孩子",
        "We know where you live.",
        "Pay up or you'll regret it",
        "Something bad will happen to your family",
    ],
    "LANG-INSULT": ["你就是个老赖", "你这个骗子", "不要脸的东西", "You deadbeat, pay now", "listen, you idiot"],
    "LANG-HARASS": [
        "不还钱就爆你通讯录",
        "我们会天天给你打电话",
        "半夜也给你打",
        "We will keep calling you until you pay",
        "I'll call all your contacts",
    ],
    "LANG-LEGAL": [
        "不还钱你就要坐牢",
        "警察明天上门抓你",
        "你要承担刑事责任",
        "会影响你孩子考公",
        "You will be arrested tomorrow",
        "we will file criminal charges",
        "we will seize your house this week",
    ],
    "LANG-DISCLOSE": [
        "我们会告诉你的同事你欠钱",
        "已告知其领导欠款情况",
        "到你单位去闹",
        "把你发到朋友圈",
        "We will tell your employer about the debt",
        "Collector informed his boss of the overdue loan",
        "Everyone will know",
    ],
}

NEGATIVE = [
    "您好，我是某某银行委托的催收专员，您的账单已逾期45天，金额1200元。",
    "请问您方便今天还款吗？如有困难可以商量分期还款方案。",
    "逾期可能影响您的征信记录，建议尽快处理。",
    "请谨防骗子冒充我司工作人员，官方客服电话见账单。",
    "如对欠款有异议，请联系公司客服或向监管部门投诉。",
    "债务人表示下周一发工资后还款，已约定回访时间。",
    "Hello, this is a reminder that your payment of 1,200 yuan is 45 days overdue.",
    "Can we agree on a payment plan that works for you?",
    "Thank you for your time. You may contact our complaints line at any time.",
    "Late payments may be reported to the credit bureau as permitted by law.",
    "Debtor promised to pay on Friday; follow-up call scheduled.",
    "Please ask your bank to confirm the transfer.",
]


@pytest.mark.parametrize(("rule_id", "text"), [(r, t) for r, texts in POSITIVE.items() for t in texts])
def test_each_language_category_is_caught(rule_id, text):
    hits = RULES.check_text(text)
    assert rule_id in {b.rule_id for b in hits}, f"{rule_id} missed {text!r}"
    assert all(b.code == "CND-003" for b in hits)


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [
        ("LANG-INSULT", "你 这个 老 赖"),
        ("LANG-INSULT", "老.赖"),
        ("LANG-INSULT", "listen, you ｉｄｉｏｔ"),
        ("LANG-LEGAL", "你 要 坐 牢"),
        ("LANG-THREAT", "弄\u200b死你"),
    ],
)
def test_spacing_and_full_width_do_not_evade_the_screen(rule_id, text):
    assert rule_id in {b.rule_id for b in RULES.check_text(text)}


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_polite_collection_language_is_not_flagged(text):
    assert RULES.check_text(text) == []


def test_pressure_is_flagged_not_blocked_and_rules_are_configurable():
    (b,) = RULES.check_text("这是最后一次机会")
    assert (b.rule_id, b.outcome) == ("LANG-PRESSURE", "flag")
    custom = ConductRules(
        ConductSettings(
            disabled_rules=["LANG-PRESSURE"],
            extra_rules=[
                LanguageRuleSpec(id="LANG-FEE", category="other", outcome="flag", patterns=[r"手续费", r"\bfees?\b"]),
                LanguageRuleSpec(id="LANG-INSULT", category="insult", patterns=[r"\bclown\b"]),  # replaces built-in
            ],
        )
    )
    assert custom.check_text("这是最后一次机会") == []
    assert [b.rule_id for b in custom.check_text("extra fees apply")] == ["LANG-FEE"]
    assert [b.rule_id for b in custom.check_text("you clown")] == ["LANG-INSULT"]
    assert custom.check_text("你这个老赖") == []  # the built-in insult rule was replaced


def test_bad_rule_pattern_is_refused_by_settings():
    with pytest.raises(ValueError, match="does not compile"):
        LanguageRuleSpec(id="LANG-BAD", category="other", patterns=["(unclosed"])


def test_window_across_midnight():
    night = ConductRules(ConductSettings(allowed_from="20:00", allowed_until="02:00"))
    assert night.check(at=at("Asia/Shanghai", 23, 0), timezone="Asia/Shanghai", contacts_today=0, texts=[]) == []
    assert night.check(at=at("Asia/Shanghai", 1, 59), timezone="Asia/Shanghai", contacts_today=0, texts=[]) == []
    assert codes(night.check(at=at("Asia/Shanghai", 2, 0), timezone="Asia/Shanghai", contacts_today=0, texts=[])) == [
        "CND-001"
    ]
