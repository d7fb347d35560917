"""Restructuring offers: instalment plans ranked by expected recovery, against litigation plus auction.

Pure analytics (no I/O). Money is integer fen in every input and output; rates and shares are integer
basis points (bps, 1/10,000); probabilities on cards are integer parts per million (ppm). Internally
the expectation is computed in float64 and every money figure is rounded **once**, half to even
(``round`` / ``np.rint``); shares of an amount (relief, haircut, ratios) are computed exactly in
integers, also half to even.

**Inputs.** A :class:`LoanPosition` (principal, overdue interest, penalties, contractual rate, months
overdue, collateral appraisal, the debtor's stated monthly repayment capacity) and a 12-month default
probability ``PD`` — given directly, or scored by a fitted :class:`~analytics.risk.DefaultModel` from a
one-row feature frame (``model.predict_proba``, as :func:`~analytics.risk.assess_loan` does).
``claim = principal + overdue_interest + penalties``. The contractual rate and the months overdue are
stated on the card; the rate prices only the card's *forgone contractual interest* (what charging no
interest during the plan gives up), which is not part of any total.

**Candidate plans** (``settings``): every instalment count ``n`` × interest-relief share ``ρ`` (of the
overdue interest and penalties) × principal haircut share ``κ``::

    relief   = half_even(ρ · (overdue_interest + penalties))
    haircut  = half_even(κ · principal)
    total    = claim − relief − haircut
    payment  = total // n          (months 1 … n−1; the plan charges no further interest)
    last     = total − (n−1)·payment   (month n takes the rounding remainder; payment ≤ last < payment + n)

A plan is *affordable* only if ``last ≤ monthly_capacity`` and ``payment ≥ settings.min_instalment``;
an unaffordable plan is never proposed. Instalment ``t`` falls due ``t`` months after the start.

**Default hazard.** ``h₀ = 1 − (1 − PD)^(1/12)`` (a constant monthly hazard with the given 12-month
PD). With the burden ``b = last / capacity`` and the comfortable share ``a``
(``affordability_share_bps``), the plan's hazard is ``h = min(1, h₀ · m)`` where
``m = 1 + stress · max(0, b − a) / (1 − a)`` (``stress`` = ``affordability_stress_bps``; by default the
hazard doubles when the instalment takes the whole stated capacity). ``S(t) = (1 − h)^t``.

**Litigation value** of a claim ``R`` (filed now, recovered after ``T = months_to_judgment +
enforcement_months``)::

    A        = collateral_value · auction_recovery          (judicial auctions sell below appraisal)
    secured  = min(A, R);  unsecured = R − secured
    gross    = (1 − auction_failure) · secured + unsecured_recovery · unsecured
    cost     = litigation_cost_fixed + litigation_cost_bps · R    (paid at filing)
    L(R)     = max(0, D(T) · gross − cost)       (a creditor never pursues a suit worth less than nothing)

with ``D(t) = (1 + discount_rate)^(−t/12)``. The **baseline** is ``L(claim)``; without collateral only
the unsecured term remains.

**Expected recovery** of a plan (present value at the start)::

    ER = Σ_{t=1..n} S(t) · P_t · D(t)                       payment leg: instalment t is paid
       + Σ_{t=1..n} S(t−1) · h · D(t) · L(R_t)              default leg: default in month t, then litigation

with ``P_t`` the schedule amounts and ``R_t = total − Σ_{s<t} P_s`` the plan balance still owed when
the default happens (the relief and haircut stay granted: the suit is for the restructured balance).
The sums run month by month in this order, so the batch and single-loan paths agree to the fen.

**Proposed plans**: affordable plans whose ``ER`` (in fen) strictly beats ``L(claim)`` (in fen), ranked
by ``ER`` descending; ties go to the shape less generous to the debtor (smaller haircut, then smaller
relief, then fewer instalments). Shapes that give identical amounts (e.g. every relief share when
nothing is overdue) are proposed once. At most ``max_plans``. If none beats litigation the offer has
no plans and ``recommendation == "litigate"``.

**Monotonicity.** ``ER`` is non-increasing in ``PD`` when, every month, an instalment is worth more than
the litigation value it buys off plus one month's discounting of the rest:
``(1 − s) ≥ (1 − D(1)) · s · n_max`` with ``s = max(0, D(T)·max(1 − auction_failure,
unsecured_recovery) − litigation_cost_bps)`` the largest slope of ``L`` (induction on the months:
``V_t = (1 − h)(P_t D(t) + V_{t+1}) + h D(t) L(R_t)``; ``payment ≥ min_instalment ≥ n_max`` bounds the
remainder). :class:`RestructuringSettings` refuses settings that break it.

**Entry points.** :func:`offer_restructuring` (one loan), :func:`offer_batch` (a frame: numpy across
loans × shapes; row ``i`` of the frame gives offer ``i``, identical to the single-loan offer) and
:func:`evaluate_plan` (one given shape, ranked or not, e.g. a debtor's counter-proposal). A model is
anything with ``version`` and ``predict_proba`` (:class:`ProbabilityModel`). Nothing is random: no
seed is taken, and the same inputs always give the same plans, order and digests.

**Plan card and digest.** :meth:`Plan.card` is a JSON-serialisable dict of ints, strings, booleans and
``None`` only (no floats) that states the inputs, the settings, the formula and every term.
:meth:`Plan.digest` is the SHA-256 hex of its canonical JSON — ``json.dumps(card, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` encoded as UTF-8 — which the on-chain agreement anchors as
``planDigest`` (``bytes.fromhex(digest)`` is the ``bytes32``). The card leaves out the plan's rank among
the offered plans: the digest anchors the plan and its inputs, not its position in a list.

Invalid inputs raise :class:`~analytics._exceptions.SchemaError` (ANA-001, 422; the analytics layer's
error for invalid input values and frames) with a message naming the field.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol, overload

import numpy as np
import pandas as pd

from analytics._exceptions import SchemaError

__all__ = [
    "LOAN_COLUMNS",
    "LitigationEstimate",
    "LoanPosition",
    "Plan",
    "ProbabilityModel",
    "RestructuringOffer",
    "RestructuringSettings",
    "canonical_digest",
    "canonical_json",
    "evaluate_plan",
    "offer_batch",
    "offer_restructuring",
]

CARD_KIND = "recourse.restructuring-plan"
CARD_VERSION = 1
#: money fields are bounded so that ``amount × 10,000`` stays exact in int64 (1e14 fen = 1 trillion yuan)
MAX_FEN = 10**14
#: integer columns :func:`offer_batch` reads (plus ``loan_id`` and the default probability)
LOAN_COLUMNS = (
    "principal",
    "overdue_interest",
    "penalties",
    "annual_rate_bps",
    "months_overdue",
    "collateral_value",
    "monthly_capacity",
)
_BPS = 10_000
_PPM = 1_000_000


class ProbabilityModel(Protocol):
    """What scoring needs of a model: :class:`~analytics.risk.DefaultModel` is one."""

    version: str

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """The 12-month default probability of every row, in [0, 1]."""
        ...


# --- settings ------------------------------------------------------------------------------------


def _check_int(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise SchemaError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise SchemaError(f"{name} must be {bound}, got {value}")
    return value


def _check_grid(name: str, grid: Sequence[int], *, minimum: int, maximum: int | None) -> None:
    if not grid:
        raise SchemaError(f"{name} must not be empty")
    for value in grid:
        _check_int(name, value, minimum=minimum, maximum=maximum)
    if list(grid) != sorted(set(grid)):
        raise SchemaError(f"{name} must be strictly increasing, got {list(grid)}")


@dataclass(frozen=True)
class RestructuringSettings:
    """Parameters of the restructuring model (bps = 1/10,000; money in fen). Every field is overridable.

    Defaults: ``discount_rate_bps`` 800 (8 % a year, effective; the bank's cost of carrying the claim);
    ``months_to_judgment`` 12 and ``enforcement_months`` 12 (filing to judgment, then enforcement and
    auction); ``litigation_cost_fixed`` 500,000 fen (¥5,000) plus ``litigation_cost_bps`` 300 (3 % of the
    claim: court fees, lawyers, appraisal); ``auction_recovery_bps`` 7,000 (judicial auctions sell at
    about 70 % of appraisal); ``auction_failure_bps`` 1,000 (10 % of auctions fail: no bidder, disputed
    title); ``unsecured_recovery_bps`` 500 (5 % of the unsecured part recovered from other assets);
    ``instalment_counts`` 6, 12, 24, 36; ``relief_grid_bps`` 0, 50 %, 100 % of the overdue interest and
    penalties; ``haircut_grid_bps`` 0, 10 %, 20 % of the principal; ``max_plans`` 3;
    ``affordability_share_bps`` 6,000 (an instalment up to 60 % of the stated capacity adds no risk) and
    ``affordability_stress_bps`` 10,000 (the hazard doubles at 100 % of capacity); ``min_instalment``
    10,000 fen (¥100; at least the largest instalment count, see the monotonicity guard).
    """

    discount_rate_bps: int = 800
    months_to_judgment: int = 12
    enforcement_months: int = 12
    litigation_cost_fixed: int = 500_000
    litigation_cost_bps: int = 300
    auction_recovery_bps: int = 7_000
    auction_failure_bps: int = 1_000
    unsecured_recovery_bps: int = 500
    instalment_counts: tuple[int, ...] = (6, 12, 24, 36)
    relief_grid_bps: tuple[int, ...] = (0, 5_000, 10_000)
    haircut_grid_bps: tuple[int, ...] = (0, 1_000, 2_000)
    max_plans: int = 3
    affordability_share_bps: int = 6_000
    affordability_stress_bps: int = 10_000
    min_instalment: int = 10_000

    def __post_init__(self) -> None:
        _check_int("discount_rate_bps", self.discount_rate_bps, minimum=0, maximum=10 * _BPS)
        _check_int("months_to_judgment", self.months_to_judgment, minimum=0, maximum=600)
        _check_int("enforcement_months", self.enforcement_months, minimum=0, maximum=600)
        _check_int("litigation_cost_fixed", self.litigation_cost_fixed, minimum=0, maximum=MAX_FEN)
        for name in (
            "litigation_cost_bps",
            "auction_recovery_bps",
            "auction_failure_bps",
            "unsecured_recovery_bps",
            "affordability_share_bps",
        ):
            _check_int(name, getattr(self, name), minimum=0, maximum=_BPS)
        _check_int("affordability_stress_bps", self.affordability_stress_bps, minimum=0, maximum=100 * _BPS)
        _check_grid("instalment_counts", self.instalment_counts, minimum=1, maximum=600)
        _check_grid("relief_grid_bps", self.relief_grid_bps, minimum=0, maximum=_BPS)
        _check_grid("haircut_grid_bps", self.haircut_grid_bps, minimum=0, maximum=_BPS)
        _check_int("max_plans", self.max_plans, minimum=1)
        n_max = max(self.instalment_counts)
        _check_int("min_instalment", self.min_instalment, minimum=max(1, n_max), maximum=MAX_FEN)
        s = self.litigation_slope
        if (1.0 - s) < (1.0 - self.discount(1)) * s * n_max:
            raise SchemaError(
                "settings break the monotonicity guard (1 - s) >= (1 - D(1)) * s * n_max "
                f"(s = {s:.4f}, D(1) = {self.discount(1):.6f}, n_max = {n_max}): litigation would recover so much "
                "so fast that a debtor's default could raise the expected recovery; lower instalment_counts, "
                "or raise auction_failure_bps, litigation_cost_bps or the litigation months"
            )

    @property
    def litigation_months(self) -> int:
        return self.months_to_judgment + self.enforcement_months

    def discount(self, months: int) -> float:
        """``D(t) = (1 + r)^(−t/12)``: the present value of one fen paid ``months`` from now."""
        return float((1.0 + self.discount_rate_bps / _BPS) ** (-months / 12.0))

    @property
    def litigation_slope(self) -> float:
        """The largest slope of ``L(R)`` in ``R`` (see the module docstring)."""
        top = max(1.0 - self.auction_failure_bps / _BPS, self.unsecured_recovery_bps / _BPS)
        return max(0.0, self.discount(self.litigation_months) * top - self.litigation_cost_bps / _BPS)

    def shapes(self) -> list[tuple[int, int, int]]:
        """Candidate ``(instalment_count, relief_bps, haircut_bps)`` in tie-break order (least generous first)."""
        return [
            (n, rho, kappa)
            for kappa in self.haircut_grid_bps
            for rho in self.relief_grid_bps
            for n in self.instalment_counts
        ]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


# --- inputs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanPosition:
    """One non-performing loan as the restructuring model sees it (money in integer fen)."""

    loan_id: str
    principal: int
    overdue_interest: int
    penalties: int
    annual_rate_bps: int
    months_overdue: int
    collateral_value: int
    monthly_capacity: int

    def __post_init__(self) -> None:
        if not isinstance(self.loan_id, str) or not self.loan_id:
            raise SchemaError(f"loan_id must be a non-empty string, got {self.loan_id!r}")
        for name in ("principal", "overdue_interest", "penalties", "collateral_value"):
            _check_int(f"{name} (loan {self.loan_id})", getattr(self, name), minimum=0, maximum=MAX_FEN)
        _check_int(f"annual_rate_bps (loan {self.loan_id})", self.annual_rate_bps, minimum=0, maximum=100 * _BPS)
        _check_int(f"months_overdue (loan {self.loan_id})", self.months_overdue, minimum=0, maximum=1200)
        _check_int(f"monthly_capacity (loan {self.loan_id})", self.monthly_capacity, minimum=1, maximum=MAX_FEN)
        if self.claim <= 0:
            raise SchemaError(f"claim (principal + overdue_interest + penalties) of loan {self.loan_id} must be > 0")
        if self.claim > MAX_FEN:
            raise SchemaError(f"claim of loan {self.loan_id} must be <= {MAX_FEN} fen, got {self.claim}")

    @property
    def claim(self) -> int:
        return self.principal + self.overdue_interest + self.penalties

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"claim": self.claim}


def _check_probability(value: object, where: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise SchemaError(f"default_probability{where} must be a number in [0, 1], got {value!r}")
    p = float(value)
    if not (0.0 <= p <= 1.0):  # also rejects NaN
        raise SchemaError(f"default_probability{where} must be in [0, 1], got {p!r}")
    return p


# --- outputs ---------------------------------------------------------------------------------------


def _ppm(x: float) -> int:
    return round(x * _PPM)


def _half_even_div(num: int, den: int) -> int:
    q, r = divmod(num, den)
    return q + (1 if (2 * r > den or (2 * r == den and q % 2 == 1)) else 0)


@dataclass(frozen=True)
class LitigationEstimate:
    """Expected present value of suing now for the whole claim, then auctioning the collateral."""

    claim: int
    collateral_value: int
    auction_proceeds: int
    secured_part: int
    unsecured_part: int
    expected_gross: int
    costs: int
    months: int
    discount_ppm: int
    expected_recovery: int

    def card(self) -> dict[str, Any]:
        return {
            "formula": (
                "max(0, D(T) * ((1 - auction_failure) * min(A, claim) + unsecured_recovery * (claim - min(A, claim)))"
                " - (litigation_cost_fixed + litigation_cost_bps * claim)); A = collateral_value * auction_recovery"
            ),
            "claim": self.claim,
            "collateral_value": self.collateral_value,
            "auction_proceeds": self.auction_proceeds,
            "secured_part": self.secured_part,
            "unsecured_part": self.unsecured_part,
            "expected_gross": self.expected_gross,
            "costs": self.costs,
            "months": self.months,
            "discount_ppm": self.discount_ppm,
            "expected_recovery": self.expected_recovery,
            "explanation": [
                f"the collateral appraised at {self.collateral_value} fen would fetch {self.auction_proceeds} fen "
                "at a judicial auction",
                f"{self.secured_part} fen of the {self.claim} fen claim is covered by the auction, "
                f"{self.unsecured_part} fen is unsecured",
                f"after auction failures and the unsecured recovery rate the expected gross is "
                f"{self.expected_gross} fen, received after {self.months} months "
                f"(discount factor {self.discount_ppm} ppm)",
                f"litigation costs {self.costs} fen, paid at filing",
                f"expected recovery of litigation plus auction: {self.expected_recovery} fen (never below 0)",
            ],
        }


@dataclass(frozen=True)
class Plan:
    """One proposed restructuring plan; money in fen, shares in bps, probabilities in ppm."""

    loan: LoanPosition
    rank: int
    instalment_count: int
    relief_bps: int
    haircut_bps: int
    interest_relief: int
    principal_haircut: int
    total: int
    monthly_payment: int
    last_payment: int
    expected_recovery: int
    payment_leg: int
    default_leg: int
    expected_recovery_vs_litigation_bps: int | None
    probability_of_completion_ppm: int
    litigation: LitigationEstimate
    default_probability: float
    model_version: str | None
    monthly_hazard: float = field(repr=False)
    settings: RestructuringSettings = field(repr=False)

    def amounts(self) -> tuple[int, ...]:
        """The instalments in order: ``monthly_payment`` × (n − 1), then ``last_payment``."""
        return (self.monthly_payment,) * (self.instalment_count - 1) + (self.last_payment,)

    @overload
    def schedule(self, start: dt.date) -> tuple[tuple[int, dt.date], ...]: ...
    @overload
    def schedule(self, start: int) -> tuple[tuple[int, int], ...]: ...
    def schedule(self, start: dt.date | int) -> tuple[tuple[int, Any], ...]:
        """``(amount, due_at)`` pairs; instalment ``t`` is due ``t`` calendar months after ``start``.

        ``start`` is a date (a datetime keeps its time and zone) or a Unix timestamp in seconds (UTC),
        and ``due_at`` has the same type. A day missing from a month falls on its last day (31 Jan →
        28/29 Feb → 31 Mar). The amounts sum exactly to ``total``.
        """
        if isinstance(start, bool) or not isinstance(start, dt.date | int):
            raise SchemaError(f"start must be a date or an epoch in seconds, got {start!r}")
        amounts = self.amounts()
        if isinstance(start, dt.date):
            return tuple((a, _add_months(start, t)) for t, a in enumerate(amounts, start=1))
        origin = dt.datetime.fromtimestamp(start, tz=dt.UTC)
        return tuple((a, int(_add_months(origin, t).timestamp())) for t, a in enumerate(amounts, start=1))

    def terms(self) -> list[dict[str, int]]:
        """Every term of both sums, month by month (money rounded per term, so the rounded terms may
        differ from ``payment_leg``/``default_leg`` by a few fen)."""
        out = []
        h = self.monthly_hazard
        survival = 1.0
        residual = self.total
        lit = _Litigation(self.settings, self.loan.collateral_value)
        for t, pay in enumerate(self.amounts(), start=1):
            disc = self.settings.discount(t)
            value = lit.value(float(residual))
            default_prob = survival * h
            pv_default = default_prob * disc * value
            survival = survival * (1.0 - h)
            out.append(
                {
                    "month": t,
                    "payment": pay,
                    "balance_before": residual,
                    "discount_ppm": _ppm(disc),
                    "survival_ppm": _ppm(survival),
                    "pv_payment": round(survival * pay * disc),
                    "default_probability_ppm": _ppm(default_prob),
                    "litigation_value": round(value),
                    "pv_default": round(pv_default),
                }
            )
            residual -= pay
        return out

    def card(self) -> dict[str, Any]:
        """Everything needed to check this plan by hand: inputs, settings, formula, each term, in words."""
        s = self.settings
        loan = self.loan
        h0 = _base_hazard(self.default_probability)
        burden_bps = _half_even_div(self.last_payment * _BPS, loan.monthly_capacity)
        principal_net = loan.principal - self.principal_haircut
        forgone = _half_even_div(principal_net * loan.annual_rate_bps * (self.instalment_count + 1), 2 * 12 * _BPS)
        return {
            "kind": CARD_KIND,
            "version": CARD_VERSION,
            "loan": loan.to_dict(),
            "settings": s.to_dict(),
            "risk": {
                "default_probability_ppm": _ppm(self.default_probability),
                "model_version": self.model_version,
                "base_monthly_hazard_ppm": _ppm(h0),
                "burden_bps": burden_bps,
                "monthly_hazard_ppm": _ppm(self.monthly_hazard),
                "formula": "h0 = 1 - (1 - PD)^(1/12); h = min(1, h0 * (1 + stress * max(0, b - a) / (1 - a))); "
                "b = last_payment / monthly_capacity",
            },
            "plan": {
                "instalment_count": self.instalment_count,
                "relief_bps": self.relief_bps,
                "haircut_bps": self.haircut_bps,
                "interest_relief": self.interest_relief,
                "principal_haircut": self.principal_haircut,
                "total": self.total,
                "monthly_payment": self.monthly_payment,
                "last_payment": self.last_payment,
                "forgone_contractual_interest": forgone,
            },
            "expected_recovery": {
                "formula": "ER = sum_t S(t) * P_t * D(t) + sum_t S(t-1) * h * D(t) * L(R_t); S(t) = (1 - h)^t; "
                "D(t) = (1 + discount_rate)^(-t/12); R_t = plan balance owed before instalment t",
                "payment_leg": self.payment_leg,
                "default_leg": self.default_leg,
                "value": self.expected_recovery,
                "probability_of_completion_ppm": self.probability_of_completion_ppm,
                "terms": self.terms(),
            },
            "litigation": self.litigation.card(),
            "comparison": {
                "litigation_expected_recovery": self.litigation.expected_recovery,
                "expected_recovery_vs_litigation_bps": self.expected_recovery_vs_litigation_bps,
                "beats_litigation": self.expected_recovery > self.litigation.expected_recovery,
            },
            "explanation": [
                f"claim {loan.claim} fen = principal {loan.principal} + overdue interest {loan.overdue_interest} "
                f"+ penalties {loan.penalties}; {loan.months_overdue} months overdue",
                f"interest relief {self.interest_relief} fen = {self.relief_bps} bps of the overdue interest and "
                f"penalties ({loan.overdue_interest + loan.penalties} fen)",
                f"principal haircut {self.principal_haircut} fen = {self.haircut_bps} bps of the principal",
                f"the debtor pays {self.total} fen in {self.instalment_count} monthly instalments of "
                f"{self.monthly_payment} fen, the last one {self.last_payment} fen (it takes the rounding remainder)",
                f"the largest instalment is {burden_bps} bps of the stated capacity of {loan.monthly_capacity} fen",
                f"the plan charges no further interest: at the contractual {loan.annual_rate_bps} bps a year the "
                f"bank forgoes about {forgone} fen (not part of the total)",
                f"a 12-month default probability of {_ppm(self.default_probability)} ppm gives a monthly hazard of "
                f"{_ppm(h0)} ppm, {_ppm(self.monthly_hazard)} ppm for this burden; the plan completes with "
                f"probability {self.probability_of_completion_ppm} ppm",
                f"present value of the instalments paid: {self.payment_leg} fen; of litigating the balance after a "
                f"default: {self.default_leg} fen; expected recovery {self.expected_recovery} fen",
                f"litigating now is expected to recover {self.litigation.expected_recovery} fen; this plan "
                + (
                    f"recovers {self.expected_recovery_vs_litigation_bps} bps of that"
                    if self.expected_recovery_vs_litigation_bps is not None
                    else "is compared with a litigation value of 0"
                ),
            ],
        }

    def digest(self) -> str:
        """SHA-256 hex of the canonical JSON of :meth:`card` (the on-chain ``planDigest``)."""
        return canonical_digest(self.card())


@dataclass(frozen=True)
class RestructuringOffer:
    """The plans proposed for one loan (best first) and the litigation baseline they beat."""

    loan: LoanPosition
    default_probability: float
    model_version: str | None
    plans: tuple[Plan, ...]
    litigation: LitigationEstimate
    recommendation: Literal["restructure", "litigate"]
    reason: str
    candidates: int
    affordable: int


def _check_canonical(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise SchemaError(f"canonical JSON holds no floats; {path} is {value!r}")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise SchemaError(f"canonical JSON keys are strings; {path} has {k!r}")
            _check_canonical(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_canonical(v, f"{path}[{i}]")
    elif not (value is None or isinstance(value, str | int)):
        raise SchemaError(f"canonical JSON holds ints, strings, booleans and null; {path} is {type(value).__name__}")


def canonical_json(payload: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text; refuses floats (every figure is an int)."""
    _check_canonical(payload, "$")
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_digest(payload: Any) -> str:
    """SHA-256 hex of :func:`canonical_json` encoded as UTF-8."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@overload
def _add_months(start: dt.datetime, months: int) -> dt.datetime: ...
@overload
def _add_months(start: dt.date, months: int) -> dt.date: ...
def _add_months(start: dt.date, months: int) -> dt.date:
    years, month0 = divmod(start.month - 1 + months, 12)
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return start.replace(year=year, month=month0 + 1, day=day)


# --- the kernel ------------------------------------------------------------------------------------


def _base_hazard(pd_12m: float) -> float:
    return float(1.0 - (1.0 - pd_12m) ** (1.0 / 12.0))


class _Litigation:
    """``L(R)`` for one collateral value or a column of them; works on floats and numpy arrays alike."""

    def __init__(self, settings: RestructuringSettings, collateral: Any) -> None:
        self.auction = collateral * (settings.auction_recovery_bps / _BPS)
        self.keep = 1.0 - settings.auction_failure_bps / _BPS
        self.unsecured = settings.unsecured_recovery_bps / _BPS
        self.d_lit = settings.discount(settings.litigation_months)
        self.fixed = float(settings.litigation_cost_fixed)
        self.cost_rate = settings.litigation_cost_bps / _BPS

    def parts(self, claim: Any) -> tuple[Any, Any, Any, Any]:
        secured = np.minimum(self.auction, claim)
        unsecured = claim - secured
        gross = self.keep * secured + self.unsecured * unsecured
        cost = self.fixed + self.cost_rate * claim
        return secured, unsecured, gross, cost

    def value(self, claim: Any) -> Any:
        _, _, gross, cost = self.parts(claim)
        return np.maximum(0.0, self.d_lit * gross - cost)


def _share(amount: np.ndarray, bps: int) -> np.ndarray:
    """``half_even(amount × bps / 10,000)`` exactly, in int64."""
    q, r = np.divmod(amount * bps, _BPS)
    up = (2 * r > _BPS) | ((2 * r == _BPS) & (q % 2 == 1))
    return np.asarray(q + up.astype(np.int64))


@dataclass
class _Loans:
    """Validated columns of a batch (int64 money, float64 PD)."""

    ids: list[str]
    principal: np.ndarray
    arrears: np.ndarray
    collateral: np.ndarray
    capacity: np.ndarray
    pd: np.ndarray


def _evaluate(loans: _Loans, settings: RestructuringSettings) -> dict[str, np.ndarray]:
    """Every candidate shape for every loan: arrays of shape (loans, shapes)."""
    shapes = settings.shapes()
    n = np.array([s[0] for s in shapes], dtype=np.int64)
    claim = loans.principal + loans.arrears
    relief = np.column_stack([_share(loans.arrears, s[1]) for s in shapes])
    haircut = np.column_stack([_share(loans.principal, s[2]) for s in shapes])
    total = claim[:, None] - relief - haircut
    payment = total // n
    last = total - (n - 1) * payment
    cap = loans.capacity[:, None]
    feasible = (last <= cap) & (payment >= settings.min_instalment)
    # hazards: scalar pow per loan (numpy's vector pow may differ in the last bit from the scalar path)
    h0 = np.array([_base_hazard(p) for p in loans.pd.tolist()], dtype=np.float64)
    a = settings.affordability_share_bps / _BPS
    stress = settings.affordability_stress_bps / _BPS
    burden = last / cap
    excess = np.maximum(0.0, burden - a) / (1.0 - a) if a < 1.0 else np.zeros_like(burden)
    multiplier = 1.0 + stress * excess
    h = np.minimum(1.0, h0[:, None] * multiplier)
    q = 1.0 - h
    lit = _Litigation(settings, loans.collateral[:, None].astype(np.float64))
    # Columns sorted by instalment count, longest first: the plans still running in month t are then a
    # prefix [:k], so each month works on views of only those columns.
    perm = np.argsort(-n, kind="stable")
    inverse = np.argsort(perm, kind="stable")
    n_sorted = n[perm]
    h_s, q_s = h[:, perm], q[:, perm]
    pay_f, last_f = payment[:, perm].astype(np.float64), last[:, perm].astype(np.float64)
    residual = total[:, perm].astype(np.float64)
    survival = np.ones_like(h_s)
    pay_leg = np.zeros_like(h_s)
    def_leg = np.zeros_like(h_s)
    completion = np.zeros_like(h_s)
    for t in range(1, int(n.max()) + 1):
        k = int(np.count_nonzero(n_sorted >= t))  # plans with an instalment in month t
        k_on = int(np.count_nonzero(n_sorted > t))  # ... and one after it; columns [k_on:k] end now
        disc = settings.discount(t)
        def_leg[:, :k] += survival[:, :k] * h_s[:, :k] * disc * lit.value(residual[:, :k])
        survival[:, :k] *= q_s[:, :k]
        pay_leg[:, :k_on] += survival[:, :k_on] * pay_f[:, :k_on] * disc
        pay_leg[:, k_on:k] += survival[:, k_on:k] * last_f[:, k_on:k] * disc
        completion[:, k_on:k] = survival[:, k_on:k]
        residual[:, :k_on] -= pay_f[:, :k_on]
    pay_leg, def_leg, completion = pay_leg[:, inverse], def_leg[:, inverse], completion[:, inverse]
    return {
        "relief": relief,
        "haircut": haircut,
        "total": total,
        "payment": payment,
        "last": last,
        "feasible": feasible,
        "h": h,
        "pay_leg": pay_leg,
        "def_leg": def_leg,
        "er": pay_leg + def_leg,
        "completion": completion,
    }


def _litigation_estimates(loans: _Loans, settings: RestructuringSettings) -> dict[str, np.ndarray]:
    claim = (loans.principal + loans.arrears).astype(np.float64)
    lit = _Litigation(settings, loans.collateral.astype(np.float64))
    secured, unsecured, gross, cost = lit.parts(claim)
    return {
        "auction": np.rint(lit.auction).astype(np.int64),
        "secured": np.rint(secured).astype(np.int64),
        "unsecured": np.rint(unsecured).astype(np.int64),
        "gross": np.rint(gross).astype(np.int64),
        "cost": np.rint(cost).astype(np.int64),
        "value": np.rint(lit.value(claim)).astype(np.int64),
    }


def _estimate_of(
    loan: LoanPosition, settings: RestructuringSettings, figures: dict[str, int], discount_ppm: int | None = None
) -> LitigationEstimate:
    return LitigationEstimate(
        claim=loan.claim,
        collateral_value=loan.collateral_value,
        auction_proceeds=figures["auction"],
        secured_part=figures["secured"],
        unsecured_part=figures["unsecured"],
        expected_gross=figures["gross"],
        costs=figures["cost"],
        months=settings.litigation_months,
        discount_ppm=_ppm(settings.discount(settings.litigation_months)) if discount_ppm is None else discount_ppm,
        expected_recovery=figures["value"],
    )


def _duplicates(ev: dict[str, np.ndarray], shapes: list[tuple[int, int, int]]) -> np.ndarray:
    """True where an earlier shape (in tie-break order) gives the same count, relief and haircut."""
    dup = np.zeros(ev["total"].shape, dtype=bool)
    for j in range(len(shapes)):
        for i in range(j):
            if shapes[i][0] != shapes[j][0]:
                continue
            same = (ev["relief"][:, i] == ev["relief"][:, j]) & (ev["haircut"][:, i] == ev["haircut"][:, j])
            dup[:, j] |= same
    return dup


def _offers(
    loans: _Loans,
    positions: Sequence[LoanPosition],
    settings: RestructuringSettings,
    model_version: str | None,
) -> list[RestructuringOffer]:
    shapes = settings.shapes()
    ev = _evaluate(loans, settings)
    lit = _litigation_estimates(loans, settings)
    er = np.rint(ev["er"]).astype(np.int64)
    lit_value = lit["value"]
    eligible = ev["feasible"] & ~_duplicates(ev, shapes) & (er > lit_value[:, None])
    key = np.where(eligible, -er, np.iinfo(np.int64).max)  # ascending key: best first, ineligible last
    order = np.argsort(key, axis=1, kind="stable")[:, : settings.max_plans]

    def pick(values: np.ndarray) -> list[list[Any]]:
        return list(np.take_along_axis(values, order, axis=1).tolist())

    chosen = pick(eligible)
    shape_ix = order.tolist()
    er_c, relief_c, haircut_c, total_c = pick(er), pick(ev["relief"]), pick(ev["haircut"]), pick(ev["total"])
    payment_c, last_c, h_c = pick(ev["payment"]), pick(ev["last"]), pick(ev["h"])
    pay_leg_c = pick(np.rint(ev["pay_leg"]).astype(np.int64))
    def_leg_c = pick(np.rint(ev["def_leg"]).astype(np.int64))
    completion_c = pick(np.rint(ev["completion"] * _PPM).astype(np.int64))  # == _ppm(x), half to even
    affordable = ev["feasible"].sum(axis=1).tolist()
    lit_rows = zip(
        *(lit[k].tolist() for k in ("auction", "secured", "unsecured", "gross", "cost", "value")), strict=True
    )
    pds = loans.pd.tolist()
    lit_ppm = _ppm(settings.discount(settings.litigation_months))
    offers: list[RestructuringOffer] = []
    for i, (loan, (auction, secured, unsecured, gross, cost, lv)) in enumerate(zip(positions, lit_rows, strict=True)):
        estimate = _estimate_of(
            loan,
            settings,
            {"auction": auction, "secured": secured, "unsecured": unsecured, "gross": gross, "cost": cost, "value": lv},
            lit_ppm,
        )
        plans = []
        for k in range(len(shape_ix[i])):
            if not chosen[i][k]:
                break
            n, rho, kappa = shapes[shape_ix[i][k]]
            value = er_c[i][k]
            plans.append(
                Plan(
                    loan=loan,
                    rank=k + 1,
                    instalment_count=n,
                    relief_bps=rho,
                    haircut_bps=kappa,
                    interest_relief=relief_c[i][k],
                    principal_haircut=haircut_c[i][k],
                    total=total_c[i][k],
                    monthly_payment=payment_c[i][k],
                    last_payment=last_c[i][k],
                    expected_recovery=value,
                    payment_leg=pay_leg_c[i][k],
                    default_leg=def_leg_c[i][k],
                    expected_recovery_vs_litigation_bps=_half_even_div(value * _BPS, lv) if lv > 0 else None,
                    probability_of_completion_ppm=completion_c[i][k],
                    litigation=estimate,
                    default_probability=pds[i],
                    model_version=model_version,
                    monthly_hazard=h_c[i][k],
                    settings=settings,
                )
            )
        if plans:
            recommendation: Literal["restructure", "litigate"] = "restructure"
            reason = (
                f"{len(plans)} of {affordable[i]} affordable plans beat litigation ({lv} fen); "
                f"the best is expected to recover {plans[0].expected_recovery} fen"
            )
        else:
            recommendation = "litigate"
            reason = (
                f"no affordable plan (of {affordable[i]}; {len(shapes)} candidates) is expected to recover more "
                f"than litigation plus auction ({lv} fen)"
            )
        offers.append(
            RestructuringOffer(
                loan=loan,
                default_probability=pds[i],
                model_version=model_version,
                plans=tuple(plans),
                litigation=estimate,
                recommendation=recommendation,
                reason=reason,
                candidates=len(shapes),
                affordable=affordable[i],
            )
        )
    return offers


# --- public entry points ---------------------------------------------------------------------------


def _model_probability(model: ProbabilityModel, features: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(features), dtype=np.float64)


def offer_restructuring(
    loan: LoanPosition,
    *,
    default_probability: float | None = None,
    model: ProbabilityModel | None = None,
    features: pd.DataFrame | None = None,
    settings: RestructuringSettings | None = None,
) -> RestructuringOffer:
    """Plans for one loan; give ``default_probability``, or a fitted ``model`` and its one-row ``features``."""
    settings = settings or RestructuringSettings()
    if not isinstance(loan, LoanPosition):
        raise SchemaError(f"loan must be a LoanPosition, got {type(loan).__name__}")
    model_version = None
    if model is not None or features is not None:
        if default_probability is not None:
            raise SchemaError("give either default_probability or model and features, not both")
        if model is None or features is None:
            raise SchemaError("scoring with a model needs both model and features")
        if len(features) != 1:
            raise SchemaError(f"features for one loan must have exactly one row, got {len(features)}")
        default_probability = float(_model_probability(model, features)[0])
        model_version = model.version
    if default_probability is None:
        raise SchemaError("default_probability is required (or a model and features to score it)")
    p = _check_probability(default_probability, f" of loan {loan.loan_id}")
    return _offers(_loans_of(loan, p), [loan], settings, model_version)[0]


def _loans_of(loan: LoanPosition, p: float) -> _Loans:
    return _Loans(
        ids=[loan.loan_id],
        principal=np.array([loan.principal], dtype=np.int64),
        arrears=np.array([loan.overdue_interest + loan.penalties], dtype=np.int64),
        collateral=np.array([loan.collateral_value], dtype=np.int64),
        capacity=np.array([loan.monthly_capacity], dtype=np.int64),
        pd=np.array([p], dtype=np.float64),
    )


def evaluate_plan(
    loan: LoanPosition,
    *,
    default_probability: float,
    instalment_count: int,
    relief_bps: int = 0,
    haircut_bps: int = 0,
    settings: RestructuringSettings | None = None,
) -> Plan:
    """One plan shape for one loan, whether or not it beats litigation (``rank`` 0: not ranked).

    For a counter-proposal, or to check a proposed plan. The figures equal those of the same shape in
    :func:`offer_restructuring`. Raises if the plan is unaffordable (an instalment above
    ``monthly_capacity`` or below ``settings.min_instalment``).
    """
    settings = settings or RestructuringSettings()
    if not isinstance(loan, LoanPosition):
        raise SchemaError(f"loan must be a LoanPosition, got {type(loan).__name__}")
    p = _check_probability(default_probability, f" of loan {loan.loan_id}")
    single = replace(
        settings,
        instalment_counts=(_check_int("instalment_count", instalment_count, minimum=1, maximum=600),),
        relief_grid_bps=(_check_int("relief_bps", relief_bps, minimum=0, maximum=_BPS),),
        haircut_grid_bps=(_check_int("haircut_bps", haircut_bps, minimum=0, maximum=_BPS),),
    )
    loans = _loans_of(loan, p)
    ev = _evaluate(loans, single)
    lit = _litigation_estimates(loans, single)
    last, payment = int(ev["last"][0, 0]), int(ev["payment"][0, 0])
    if last > loan.monthly_capacity:
        raise SchemaError(
            f"monthly_capacity {loan.monthly_capacity} of loan {loan.loan_id} is below the largest instalment {last} "
            f"of a {instalment_count}-instalment plan: it is not affordable"
        )
    if payment < settings.min_instalment:
        raise SchemaError(
            f"instalment_count {instalment_count} makes the instalment {payment} fen, below min_instalment "
            f"{settings.min_instalment} for loan {loan.loan_id}"
        )
    estimate = _estimate_of(loan, settings, {k: int(v[0]) for k, v in lit.items()})
    value = int(np.rint(ev["er"][0, 0]))
    lv = estimate.expected_recovery
    return Plan(
        loan=loan,
        rank=0,
        instalment_count=instalment_count,
        relief_bps=relief_bps,
        haircut_bps=haircut_bps,
        interest_relief=int(ev["relief"][0, 0]),
        principal_haircut=int(ev["haircut"][0, 0]),
        total=int(ev["total"][0, 0]),
        monthly_payment=payment,
        last_payment=last,
        expected_recovery=value,
        payment_leg=int(np.rint(ev["pay_leg"][0, 0])),
        default_leg=int(np.rint(ev["def_leg"][0, 0])),
        expected_recovery_vs_litigation_bps=_half_even_div(value * _BPS, lv) if lv > 0 else None,
        probability_of_completion_ppm=_ppm(float(ev["completion"][0, 0])),
        litigation=estimate,
        default_probability=p,
        model_version=None,
        monthly_hazard=float(ev["h"][0, 0]),
        settings=settings,
    )


def _int_column(frame: pd.DataFrame, name: str, ids: np.ndarray, *, minimum: int, maximum: int) -> np.ndarray:
    series = frame[name]
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_integer_dtype(series.dtype):
        raise SchemaError(f"column {name!r} must hold integers (money in fen, rates in bps), has dtype {series.dtype}")
    values: np.ndarray = series.to_numpy(dtype=np.int64)
    bad = (values < minimum) | (values > maximum)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{name} must be in [{minimum}, {maximum}]: {int(bad.sum())} loan(s) outside, "
            f"first loan {ids[first]!r} with {int(values[first])}"
        )
    return values


def offer_batch(
    frame: pd.DataFrame,
    settings: RestructuringSettings | None = None,
    *,
    model: ProbabilityModel | None = None,
    probability_column: str = "default_probability",
) -> list[RestructuringOffer]:
    """Offers for every row of ``frame``, in row order, computed across loans × candidate shapes at once.

    ``frame`` holds ``loan_id`` and the integer columns :data:`LOAN_COLUMNS`, plus the 12-month default
    probability in ``probability_column`` — unless ``model`` is given, which scores the frame (it must
    then hold the model's features). Each row's offer depends only on that row: the same loan gives the
    same plans and digests in any batch, in any order, and through :func:`offer_restructuring`.
    """
    settings = settings or RestructuringSettings()
    needed = ["loan_id", *LOAN_COLUMNS] + ([] if model is not None else [probability_column])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SchemaError(f"restructuring frame lacks columns {missing}")
    frame = frame.reset_index(drop=True)
    ids = frame["loan_id"].astype(str).to_numpy()
    cols = {
        name: _int_column(
            frame,
            name,
            ids,
            minimum=1 if name == "monthly_capacity" else 0,
            maximum=100 * _BPS if name == "annual_rate_bps" else (1200 if name == "months_overdue" else MAX_FEN),
        )
        for name in LOAN_COLUMNS
    }
    claim = cols["principal"] + cols["overdue_interest"] + cols["penalties"]
    bad_claim = (claim <= 0) | (claim > MAX_FEN)
    if bad_claim.any():
        first = int(np.flatnonzero(bad_claim)[0])
        raise SchemaError(
            f"claim (principal + overdue_interest + penalties) must be in [1, {MAX_FEN}]: "
            f"{int(bad_claim.sum())} loan(s) outside, first loan {ids[first]!r} with {int(claim[first])}"
        )
    model_version = None
    if model is not None:
        pd_values = _model_probability(model, frame)
        model_version = model.version
    else:
        series = frame[probability_column]
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            raise SchemaError(f"column {probability_column!r} must hold numbers in [0, 1], has dtype {series.dtype}")
        pd_values = series.to_numpy(dtype=np.float64)
    bad_pd = ~((pd_values >= 0.0) & (pd_values <= 1.0))
    if bad_pd.any():
        first = int(np.flatnonzero(bad_pd)[0])
        raise SchemaError(
            f"default_probability must be in [0, 1]: {int(bad_pd.sum())} loan(s) outside, "
            f"first loan {ids[first]!r} with {float(pd_values[first])!r}"
        )
    positions = [
        LoanPosition(
            loan_id=str(ids[i]),
            principal=p,
            overdue_interest=oi,
            penalties=pen,
            annual_rate_bps=rate,
            months_overdue=mo,
            collateral_value=cv,
            monthly_capacity=capa,
        )
        for i, (p, oi, pen, rate, mo, cv, capa) in enumerate(
            zip(*(cols[c].tolist() for c in LOAN_COLUMNS), strict=True)
        )
    ]
    loans = _Loans(
        ids=[str(x) for x in ids],
        principal=cols["principal"],
        arrears=cols["overdue_interest"] + cols["penalties"],
        collateral=cols["collateral_value"],
        capacity=cols["monthly_capacity"],
        pd=pd_values,
    )
    if not len(frame):
        return []
    return _offers(loans, positions, settings, model_version)
