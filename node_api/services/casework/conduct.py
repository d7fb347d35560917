"""Conduct rules for contacting debtors (off chain, configurable via ``settings.casework.conduct``).

Every contact attempt a collector logs is checked against three kinds of rule, at the time the attempt
happened (the gateway's clock for a live attempt, the claimed time for a late log; see
:mod:`node_api.services.casework.contacts`); each broken rule is a :class:`Breach` with a stable code:

========  ==============  =====================================================================
code      rule id         rule
========  ==============  =====================================================================
CND-001   QUIET-HOURS     contact only from ``allowed_from`` (08:00, inclusive) until
                          ``allowed_until`` (22:00, exclusive) in the **debtor's** local time
                          (IANA zone from the case file; ``zoneinfo`` with the pinned ``tzdata``)
CND-002   DAILY-CAP       at most ``daily_cap`` (3) logged contacts per debtor per local calendar
                          day, across all of the debtor's cases and collectors, late logs counted
                          in the day they claim; refused attempts do not count
CND-003   LANG-*          prohibited language in the note or call transcript (Chinese and English)
========  ==============  =====================================================================

Built-in language rules (:data:`BUILTIN_LANGUAGE_RULES`; each a list of case-insensitive regexes, Chinese
and English; outcome ``block`` refuses the attempt, ``flag`` records it and lets it through):

* ``LANG-THREAT`` (threat, block) — violence or intimidation: 弄死你, 打断你的腿, 让你好看, 小心你的家人,
  "we know where you live", "you will regret", "watch your back";
* ``LANG-INSULT`` (insult, block) — abuse: 老赖, 骗子, 废物, 不要脸, 人渣, "deadbeat", "scum", "idiot";
* ``LANG-HARASS`` (harassment, block) — 爆通讯录, 天天打电话, 半夜打, "keep calling until",
  "call your contacts", "every hour";
* ``LANG-PRESSURE`` (harassment, flag) — milder pressure: 最后通牒, 最后一次机会, "final warning",
  "last chance" (recorded for the regulator, not blocked);
* ``LANG-LEGAL`` (false_legal_claim, block) — claims of arrest, jail, criminal liability, seizure of
  children/home, consequences for the debtor's children: 坐牢, 抓你, 拘留, 刑事责任, 影响子女考公,
  "arrest", "go to jail", "criminal charges", "seize your house";
* ``LANG-DISCLOSE`` (third_party_disclosure, block) — telling third parties about the debt:
  告诉你的同事/家人/领导, 通知你单位, 发到朋友圈, "tell your employer about the debt",
  "informed his boss of the loan", "everyone will know".

Ordinary collection language ("您的账单已逾期 45 天", "可以商量分期还款", "逾期可能影响您的征信记录",
"your payment is overdue", "can we agree on a payment plan") matches none of them (tested).

Texts are screened in :func:`screening_form` (NFKC, and no spaces or filler punctuation between Chinese
characters), so "老 赖" or full-width "ｉｄｉｏｔ" match like the plain words. Rules are extended or replaced
with ``extra_rules`` (a rule with a built-in id replaces it) and switched
off with ``disabled_rules``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from node_api.problems import CoreError
from node_api.services.casework.settings import ConductSettings, LanguageRuleSpec

__all__ = [
    "BUILTIN_LANGUAGE_RULES",
    "CODE_DAILY_CAP",
    "CODE_LANGUAGE",
    "CODE_QUIET_HOURS",
    "Breach",
    "ConductRules",
    "ContactRefusedError",
    "LanguageRule",
    "screening_form",
]

CODE_QUIET_HOURS = "CND-001"
CODE_DAILY_CAP = "CND-002"
CODE_LANGUAGE = "CND-003"

Outcome = Literal["block", "flag"]

BUILTIN_LANGUAGE_RULES: tuple[LanguageRuleSpec, ...] = (
    LanguageRuleSpec(
        id="LANG-THREAT",
        category="threat",
        description="threats of violence or intimidation",
        patterns=[
            r"(弄|整|搞)死你",
            r"杀了你",
            r"打断你的?(腿|手)",
            r"让你(好看|吃不了兜着走)",
            r"找人(收拾|教训|弄)你",
            r"小心(你|你的)(家人|孩子|老婆|父母|安全|小命)",
            r"上门(收拾|堵|砸)",
            r"你(给我)?等着瞧",
            r"不得好死",
            r"泼(油漆|粪)",
            r"\b(kill|hurt|beat up|break)\s+(you|your\s+(legs?|arms?|neck))\b",
            r"\bwe\s+know\s+where\s+you\s+live\b",
            r"\byou(\s+will|'ll)\s+regret\b",
            r"\bwatch\s+your\s+back\b",
            r"\bsomething\s+(bad\s+)?(will|might|could)\s+happen\s+to\s+(you|your)\b",
        ],
    ),
    LanguageRuleSpec(
        id="LANG-INSULT",
        category="insult",
        description="insults and abusive language",
        patterns=[
            r"老赖",
            r"(你|您)(这个|这种|就是个?|是个?)?骗子",
            r"废物",
            r"不要脸",
            r"人渣",
            r"畜生",
            r"王八蛋",
            r"混蛋",
            r"傻[逼屄Bb]",
            r"滚蛋",
            r"去死",
            r"\b(deadbeat|scum|idiot|moron|loser|parasite|bastard|worthless)\b",
            r"\bf+u+c+k",
            r"\bshit(head)?\b",
        ],
    ),
    LanguageRuleSpec(
        id="LANG-HARASS",
        category="harassment",
        description="harassment: relentless or night-time calling, contact-list bombing",
        patterns=[
            r"爆(你的?)?通讯录",
            r"(天天|每天|每小时|24小时|二十四小时)(都)?(给你)?(打|打电话|轰炸)",
            r"打遍你(的)?(亲戚|朋友|同事|通讯录)",
            r"半夜(都|也|还)?(给你)?打",
            r"(电话|短信)轰炸",
            r"\bkeep\s+calling\s+(you\s+)?until\b",
            r"\b(won't|will\s+not|never)\s+stop\s+calling\b",
            r"\bcall\s+(you\s+)?every\s+(hour|night)\b",
            r"\bcall\s+(all\s+)?your\s+(contacts|relatives|friends)\b",
            r"\b(bomb|spam|flood)\s+your\s+(phone|contacts)\b",
        ],
    ),
    LanguageRuleSpec(
        id="LANG-PRESSURE",
        category="harassment",
        outcome="flag",
        description="undue pressure (flagged for review, not blocked)",
        patterns=[
            r"最后通牒",
            r"最后一次机会",
            r"\bfinal\s+warning\b",
            r"\blast\s+chance\b",
        ],
    ),
    LanguageRuleSpec(
        id="LANG-LEGAL",
        category="false_legal_claim",
        description="false claims of legal consequences (arrest, jail, criminal liability, seizure)",
        patterns=[
            r"坐牢",
            r"(抓|逮捕|拘留)你",
            r"(警察|公安)(会|将|马上|明天)?(上门|来)?抓",
            r"刑事(责任|拘留|案件)",
            r"判(你)?刑",
            r"(影响|连累)(你的?)?(孩子|子女|小孩)(上学|考公|政审|当兵|工作)",
            r"冻结你(的)?(全部|所有)(银行卡|账户|财产)",
            r"(没收|查封)你(的)?(房子|车|财产)",
            r"\b(arrest(ed)?|jail|prison|handcuff(ed)?)\b",
            r"\bcriminal\s+(charges?|record|case|liability)\b",
            r"\bpolice\s+will\b",
            r"\b(seize|take)\s+(away\s+)?your\s+(house|home|car|children|kids)\b",
            r"\bdeport(ed)?\b",
        ],
    ),
    LanguageRuleSpec(
        id="LANG-DISCLOSE",
        category="third_party_disclosure",
        description="disclosing the debt to third parties (family, employer, colleagues, public)",
        patterns=[
            r"(告诉|通知|告知)(了)?(你的?|其|他的?|她的?)(家人|父母|老婆|妻子|丈夫|老公|同事|领导|老板|单位|公司|朋友|邻居|亲戚)",
            r"(家人|同事|领导|朋友|邻居|亲戚)(们)?(都)?(会|将)?知道你(欠|借|逾期)",
            r"到你(的)?(单位|公司)(去)?(闹|找)",
            r"(曝光|公开)你(的)?(欠款|债务|信息)?",
            r"发(到|在)?(朋友圈|群里|微博)",
            r"\b(tell|inform|notify|call|contact|told|informed|notified|called|contacted)\s+(your|his|her|their)\s+"
            r"(employer|boss|manager|colleagues?|co-?workers?|neighbou?rs?|family|wife|husband|parents|friends|relatives)"
            r"\b.{0,40}\b(debt|loan|owe[sd]?|overdue|arrears)",
            r"\b(everyone|your\s+(employer|family|neighbou?rs|friends|colleagues))\s+will\s+(know|find\s+out)\b",
            r"\b(post|publish|share)\s+(about\s+)?your\s+(debt|name|loan)\b",
        ],
    ),
)


@dataclass(frozen=True)
class LanguageRule:
    id: str
    category: str
    outcome: Outcome
    description: str
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, spec: LanguageRuleSpec) -> LanguageRule:
        return cls(
            id=spec.id,
            category=spec.category,
            outcome=spec.outcome,
            description=spec.description,
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in spec.patterns),
        )

    def match(self, text: str) -> str | None:
        for p in self.patterns:
            m = p.search(text)
            if m:
                return m.group(0)[:200]
        return None


@dataclass(frozen=True)
class Breach:
    """One broken rule: ``code`` (CND-00x), ``rule_id``, ``outcome`` block|flag, what ``matched``."""

    code: str
    rule_id: str
    category: str
    outcome: Outcome
    message: str
    matched: str

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule_id": self.rule_id,
            "category": self.category,
            "outcome": self.outcome,
            "message": self.message,
            "matched": self.matched,
        }


class ContactRefusedError(CoreError):
    """A contact attempt broke blocking conduct rule(s); ``code`` is the first one's, ``violations`` all;
    ``backdated`` says the rules were checked at a late log's claimed time, not the gateway's clock."""

    code, http_status, title = CODE_QUIET_HOURS, 422, "Contact refused by conduct rules"

    def __init__(self, breaches: Sequence[Breach], *, contact_id: int | None = None, backdated: bool = False) -> None:
        blocking = [b for b in breaches if b.outcome == "block"]
        ordered = sorted(blocking, key=lambda b: (b.code, b.rule_id))
        super().__init__(
            "; ".join(f"{b.code} {b.rule_id}: {b.message}" for b in ordered),
            violations=[b.to_json() for b in breaches],
            contact_id=contact_id,
            backdated=backdated,
        )
        self.code = ordered[0].code if ordered else CODE_LANGUAGE
        self.breaches = list(breaches)


_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])[\s\u200b-\u200d\ufeff·._*-]+(?=[\u3400-\u9fff])")


def screening_form(text: str) -> str:
    """The text as screened: NFKC (full-width letters and digits folded) and no spacing or filler
    punctuation between Chinese characters, so "老 赖", "老.赖" or "ｉｄｉｏｔ" cannot slip past a rule."""
    return _CJK_GAP.sub("", unicodedata.normalize("NFKC", text))


def _hhmm(text: str) -> dt.time:
    h, m = text.split(":")
    return dt.time(int(h), int(m))


class ConductRules:
    """The configured rule set; :meth:`check` is pure (no I/O)."""

    def __init__(self, settings: ConductSettings | None = None) -> None:
        cfg = settings or ConductSettings()
        self.settings = cfg
        self.allowed_from = _hhmm(cfg.allowed_from)
        self.allowed_until = _hhmm(cfg.allowed_until)
        self.daily_cap = cfg.daily_cap
        specs: dict[str, LanguageRuleSpec] = {s.id: s for s in BUILTIN_LANGUAGE_RULES}
        for extra in cfg.extra_rules:
            specs[extra.id] = extra
        for rule_id in cfg.disabled_rules:
            specs.pop(rule_id, None)
        self.language_rules = tuple(LanguageRule.of(s) for s in specs.values())

    @staticmethod
    def local_time(at: dt.datetime, timezone: str) -> dt.datetime:
        if at.tzinfo is None:
            raise ValueError("attempted_at must carry a time zone (UTC offset)")
        return at.astimezone(ZoneInfo(timezone))

    def in_allowed_hours(self, local: dt.datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        if self.allowed_from <= self.allowed_until:
            return self.allowed_from <= t < self.allowed_until
        return t >= self.allowed_from or t < self.allowed_until  # a window across midnight

    def check_time(self, at: dt.datetime, timezone: str) -> Breach | None:
        local = self.local_time(at, timezone)
        if self.in_allowed_hours(local):
            return None
        return Breach(
            code=CODE_QUIET_HOURS,
            rule_id="QUIET-HOURS",
            category="quiet_hours",
            outcome="block",
            message=(
                f"it is {local:%H:%M} in the debtor's time zone {timezone}; contact is allowed only from "
                f"{self.settings.allowed_from} to {self.settings.allowed_until} local time"
            ),
            matched=f"{local:%Y-%m-%d %H:%M} {timezone}",
        )

    def check_cap(self, contacts_today: int, local_date: str) -> Breach | None:
        if contacts_today < self.daily_cap:
            return None
        return Breach(
            code=CODE_DAILY_CAP,
            rule_id="DAILY-CAP",
            category="daily_cap",
            outcome="block",
            message=(
                f"the debtor was already contacted {contacts_today} time(s) on {local_date} (local day); "
                f"the cap is {self.daily_cap} per day"
            ),
            matched=f"{contacts_today + 1} > {self.daily_cap} on {local_date}",
        )

    def check_text(self, text: str) -> list[Breach]:
        if not text:
            return []
        screened = screening_form(text)
        out: list[Breach] = []
        for rule in self.language_rules:
            hit = rule.match(screened)
            if hit is not None:
                out.append(
                    Breach(
                        code=CODE_LANGUAGE,
                        rule_id=rule.id,
                        category=rule.category,
                        outcome=rule.outcome,
                        message=f"prohibited language ({rule.category.replace('_', ' ')}): {rule.description}",
                        matched=hit,
                    )
                )
        return out

    def check(self, *, at: dt.datetime, timezone: str, contacts_today: int, texts: Iterable[str]) -> list[Breach]:
        """Every rule the attempt breaks (empty: compliant). ``contacts_today``: logged contacts of this
        debtor earlier on the attempt's local day."""
        local = self.local_time(at, timezone)
        breaches = [
            b for b in (self.check_time(at, timezone), self.check_cap(contacts_today, f"{local:%Y-%m-%d}")) if b
        ]
        for text in texts:
            breaches.extend(self.check_text(text))
        return breaches
