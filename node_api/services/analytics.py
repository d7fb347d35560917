"""Analytics use cases: valuations, risk assessments and guarantee-network analyses.

Models are trained offline (``recourse models train valuation|risk``) into the model directory
(settings ``analytics.model_dir``, default ``<data_dir>/models``) and loaded once per process by
:class:`ModelRegistry` (the newest artefact of each kind). Every analytics refusal
(:class:`analytics.AnalyticsError`) becomes an :class:`AnalyticsRefusedError` with the analytics code
(``ANA-00x``), so bad input is a problem document, never a 500.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import pickle
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from analytics import (
    AnalyticsError,
    DefaultModel,
    EarlyWarningRules,
    GuaranteeNetwork,
    LoanObservation,
    ValuationModel,
    analyse_network,
    assess_loan,
    guarantee_chains,
    to_jsonable,
)
from analytics.features import Schema
from analytics.restructuring import LoanPosition, RestructuringSettings, offer_restructuring
from node_api.db.oracle_models import GuaranteeAnalysis
from node_api.jsonbody import loads_strict
from node_api.problems import AnalyticsRefusedError, InvalidInputError, ModelUnavailableError, NotFoundError
from node_api.schemas.analytics import (
    ContributionPublic,
    EarlyWarningPublic,
    GuaranteeAnalysisPublic,
    PlanPublic,
    RestructuringOfferCreate,
    RestructuringOfferPublic,
    RiskAssessmentCreate,
    RiskAssessmentPublic,
    ValuationCreate,
    ValuationPublic,
)

__all__ = [
    "ModelRegistry",
    "analyse_guarantees",
    "assess_risk",
    "drawing_png",
    "get_analysis",
    "latest_artefact",
    "load_artefact",
    "value_asset",
]

logger = logging.getLogger(__name__)
_TOP_CIRCLES_DRAWN = 3
_MAX_DRAWN_FIRMS = 60


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except AnalyticsError as exc:
        raise AnalyticsRefusedError(str(exc), code=exc.code, http_status=exc.http_status) from exc


# --- model artefacts ---------------------------------------------------------------------------------


def latest_artefact(model_dir: Path, kind: str) -> Path | None:
    """The newest ``<model_dir>/<kind>-<version>/model.pkl``, or ``None``."""
    if not model_dir.is_dir():
        return None
    found = [p / "model.pkl" for p in model_dir.glob(f"{kind}-*") if (p / "model.pkl").is_file()]
    return max(found, key=lambda p: p.stat().st_mtime, default=None)


def load_artefact(path: Path, kind: str) -> Any:
    """The model stored by ``recourse models train`` (a pickle of ``{kind, version, model}``; trusted dir)."""
    with path.open("rb") as fh:
        payload = pickle.load(fh)  # noqa: S301 - artefacts are written by this project into its own data dir
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise ModelUnavailableError(f"{path} is not a {kind} model artefact")
    return payload["model"]


@dataclass
class ModelRegistry:
    """The models of this process, each loaded once (the first request that needs it loads it), and the
    restructuring offers' settings."""

    model_dir: Path
    restructuring: RestructuringSettings = field(default_factory=RestructuringSettings)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, Any] = {}

    def get(self, kind: str) -> Any:
        with self._lock:
            model = self._models.get(kind)
            if model is None:
                path = latest_artefact(self.model_dir, kind)
                if path is None:
                    data = "ames" if kind == "valuation" else "lending_club"
                    raise ModelUnavailableError(
                        f"no {kind} model in {self.model_dir}: run `recourse models train {kind} --data {data}`"
                    )
                model = load_artefact(path, kind)
                self._models[kind] = model
                logger.info("analytics.model.loaded kind=%s version=%s path=%s", kind, model.version, path)
            return model

    def valuation(self) -> ValuationModel:
        model: ValuationModel = self.get("valuation")
        return model

    def risk(self) -> DefaultModel:
        model: DefaultModel = self.get("risk")
        return model


def _feature_frame(schema: Schema, features: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """One row with every schema feature (absent ones missing); refuses unknown and unavailable columns."""
    refused = sorted(c for c in features if c in schema.unavailable or c == schema.target)
    if refused:
        raise AnalyticsRefusedError(
            f"features {refused} are unavailable at valuation time (or the target) and are refused",
            code="ANA-002",
            http_status=422,
        )
    columns = schema.input_columns  # the features, a parsed date column in place of its year/month/age
    unknown = sorted(c for c in features if c not in columns)
    if unknown:
        shown = ", ".join(unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        raise InvalidInputError(f"unknown feature(s) for model schema {schema.name!r}: {shown}", unknown=unknown)
    for name, value in features.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidInputError(f"feature {name!r} must be a string, number, boolean or null")
    missing = [c for c in columns if features.get(c) is None]
    row: dict[str, Any] = {}
    for c in columns:
        value = features.get(c)
        if c in schema.numeric:
            if isinstance(value, str):
                raise InvalidInputError(f"feature {c!r} is numeric, got {value!r}")
            try:
                number = np.nan if value is None else float(value)
            except OverflowError as exc:
                raise InvalidInputError(f"feature {c!r} is out of range") from exc
            if not math.isfinite(number) and value is not None:
                raise InvalidInputError(f"feature {c!r} must be a finite number")
            row[c] = [number]
        else:
            row[c] = [None if value is None else str(value)]
    return pd.DataFrame(row), missing


def value_asset(*, registry: ModelRegistry, body: ValuationCreate) -> ValuationPublic:
    model = registry.valuation()
    frame, missing = _feature_frame(model.schema, body.features)
    if len(missing) > len(model.schema.input_columns) // 2:
        raise InvalidInputError(
            f"{len(missing)} of {len(model.schema.input_columns)} features are missing; give at least half of them",
            missing=missing[:20],
        )
    with _refusals():
        valuation = model.value(frame, top=body.top)[0]
        digest = model.row_digests(frame)[0]
        est, low, high = valuation.minor_units()
    return ValuationPublic(
        asset_ref=body.asset_ref,
        estimate=valuation.estimate,
        low=valuation.low,
        high=valuation.high,
        estimate_minor=est,
        low_minor=low,
        high_minor=high,
        coverage=valuation.coverage,
        model_version=valuation.model_version,
        feature_digest=digest,
        missing_features=missing,
        contributions=[
            ContributionPublic(feature=c.feature, log_effect=c.log_effect, percent=c.percent)
            for c in valuation.contributions
        ],
        approaches=valuation.approaches,
    )


def assess_risk(*, registry: ModelRegistry, body: RiskAssessmentCreate) -> RiskAssessmentPublic:
    cfg = body.rules
    with _refusals():
        rules = EarlyWarningRules(
            overdue_days=cfg.overdue_days,
            overdue_share_bp=cfg.overdue_share_bp,
            downgrade_notches=cfg.downgrade_notches,
            **({"rating_scale": tuple(cfg.rating_scale)} if cfg.rating_scale else {}),
        )
        obs = LoanObservation(
            loan_id=body.loan_id,
            loan_amount=body.loan_amount,
            days_overdue=body.days_overdue,
            overdue_amount=body.overdue_amount,
            rating=body.rating,
            previous_rating=body.previous_rating,
        )
        model = registry.risk() if body.features is not None else None
        frame = None
        if model is not None and body.features is not None:
            frame, _ = _feature_frame(model.schema, body.features)
        result = assess_loan(obs, rules=rules, model=model, features=frame)
    return RiskAssessmentPublic(
        loan_id=result.loan_id,
        flagged=result.flagged,
        warnings=[
            EarlyWarningPublic(rule=w.rule, code=w.code, observed=w.observed, threshold=w.threshold, message=w.message)
            for w in result.warnings
        ],
        probability=result.probability,
        model_version=result.model_version,
        top_factors=[
            ContributionPublic(feature=name, log_effect=effect, percent=math.expm1(effect) * 100.0)
            for name, effect in result.top_factors
        ],
    )


# --- restructuring offers ------------------------------------------------------------------------


def offer_plans(*, registry: ModelRegistry, body: RestructuringOfferCreate) -> RestructuringOfferPublic:
    """Restructuring plans for one loan, best first, each with its card, digest and dated schedule; the PD is
    given or scored by the installed default model from the loan's features."""
    with _refusals():
        loan = LoanPosition(
            loan_id=body.loan_id,
            principal=body.principal_fen,
            overdue_interest=body.overdue_interest_fen,
            penalties=body.penalties_fen,
            annual_rate_bps=body.annual_rate_bps,
            months_overdue=body.months_overdue,
            collateral_value=body.collateral_value_fen,
            monthly_capacity=body.monthly_capacity_fen,
        )
        if body.features is not None:
            model = registry.risk()
            frame, _ = _feature_frame(model.schema, body.features)
            offer = offer_restructuring(loan, model=model, features=frame, settings=registry.restructuring)
        else:
            offer = offer_restructuring(
                loan, default_probability=body.default_probability, settings=registry.restructuring
            )
        start = body.start or dt.datetime.now(dt.UTC).replace(microsecond=0)
        plans = [
            PlanPublic(
                rank=p.rank,
                digest="0x" + p.digest().removeprefix("0x"),
                instalment_count=p.instalment_count,
                monthly_payment_fen=p.monthly_payment,
                last_payment_fen=p.last_payment,
                interest_relief_fen=p.interest_relief,
                principal_haircut_fen=p.principal_haircut,
                relief_fen=p.interest_relief + p.principal_haircut,
                total_fen=p.total,
                expected_recovery_fen=p.expected_recovery,
                expected_recovery_vs_litigation_bps=p.expected_recovery_vs_litigation_bps,
                probability_of_completion_ppm=p.probability_of_completion_ppm,
                schedule=[[amount, due] for amount, due in p.schedule(int(start.timestamp()))],
                card=p.card(),
            )
            for p in offer.plans
        ]
    return RestructuringOfferPublic(
        loan_id=loan.loan_id,
        claim_fen=loan.claim,
        default_probability=offer.default_probability,
        model_version=offer.model_version,
        recommendation=offer.recommendation,
        reason=offer.reason,
        candidates=offer.candidates,
        affordable=offer.affordable,
        litigation=offer.litigation.card(),
        start=int(start.timestamp()),
        plans=plans,
    )


# --- guarantee networks ----------------------------------------------------------------------------


def _edges(content: bytes, content_type: str, limit: int) -> pd.DataFrame:
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ("application/json", "text/csv", "application/csv"):
        raise InvalidInputError(f"send the edge list as text/csv or application/json, not {kind or 'nothing'}")
    try:
        if kind == "application/json":
            payload = loads_strict(content)  # bounded nesting, no duplicate keys
            rows = payload.get("guarantees") if isinstance(payload, dict) else payload
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise InvalidInputError('JSON must be a list of edge objects or {"guarantees": [...]}')
            frame = pd.DataFrame(rows)
        else:
            frame = pd.read_csv(io.BytesIO(content), dtype={"guarantor": str, "borrower": str})
    except InvalidInputError:
        raise
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInputError(f"cannot parse the edge list: {exc}") from exc
    missing = [c for c in ("guarantor", "borrower", "amount_fen") if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"the edge list lacks column(s) {missing} (guarantor, borrower, amount_fen)")
    if len(frame) == 0:
        raise InvalidInputError("the edge list is empty")
    if len(frame) > limit:
        raise InvalidInputError(f"{len(frame)} guarantees; at most {limit} per analysis")
    frame = frame[["guarantor", "borrower", "amount_fen"]].copy()
    frame["guarantor"] = frame["guarantor"].astype(str)
    frame["borrower"] = frame["borrower"].astype(str)
    return frame


def analyse_guarantees(
    *, session: Session, institution: str, content: bytes, content_type: str, limit: int
) -> GuaranteeAnalysisPublic:
    """Analyse an uploaded edge list (circles, chains, exposure), store the result, return it."""
    frame = _edges(content, content_type, limit)
    with _refusals():
        net = GuaranteeNetwork.from_frame(frame)
        report = analyse_network(net)
        firms = report.firms.sort_values(["cascade_firms", "triggered_fen"], ascending=False)
        riskiest = firms.head(10)
        chains = {
            str(firm): [list(map(str, c)) for c in guarantee_chains(net, firm, limit=5)] for firm in riskiest.index[:3]
        }
    circles = sorted(report.circles, key=lambda c: (c.internal_fen, c.size), reverse=True)
    drawn: list[dict[str, Any]] = []
    for c in circles[:_TOP_CIRCLES_DRAWN]:
        members = set(c.firms)
        edges = [
            [str(g.guarantor), str(g.borrower), int(g.amount_fen)]
            for g in net.guarantees()
            if g.guarantor in members and g.borrower in members
        ]
        drawn.append({"circle_id": c.circle_id, "firms": [str(f) for f in c.firms][:_MAX_DRAWN_FIRMS], "edges": edges})
    result = {
        "circles": [
            {
                "circle_id": c.circle_id,
                "firms": [str(f) for f in c.firms[:200]],
                "size": c.size,
                "internal_fen": c.internal_fen,
                "guarantees": c.guarantees,
                "short_cycles": [[str(f) for f in cyc] for cyc in c.cycles[:20]],
            }
            for c in circles[:50]
        ],
        "riskiest_firms": [{"firm": str(idx), **to_jsonable(row.to_dict())} for idx, row in riskiest.iterrows()],
        "chains": chains,
        "drawn": drawn,
    }
    row = GuaranteeAnalysis(
        id=str(uuid.uuid4()), institution=institution, summary=to_jsonable(report.summary), result=to_jsonable(result)
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return _analysis_public(row)


def _analysis_public(row: GuaranteeAnalysis) -> GuaranteeAnalysisPublic:
    return GuaranteeAnalysisPublic(
        id=row.id,
        created_at=row.created_at,
        summary=row.summary,
        circles=row.result["circles"],
        riskiest_firms=row.result["riskiest_firms"],
        chains=row.result["chains"],
        drawing=f"/guarantees/analyses/{row.id}/drawing.png",
    )


def _get(session: Session, institution: str, analysis_id: str) -> GuaranteeAnalysis:
    row = session.get(GuaranteeAnalysis, analysis_id)
    if row is None or row.institution != institution:
        raise NotFoundError(f"no guarantee analysis {analysis_id}")
    return row


def get_analysis(*, session: Session, institution: str, analysis_id: str) -> GuaranteeAnalysisPublic:
    return _analysis_public(_get(session, institution, analysis_id))


def drawing_png(*, session: Session, institution: str, analysis_id: str) -> bytes:
    """A PNG of the riskiest circles (largest guaranteed amount inside), drawn with networkx + Agg."""
    import networkx as nx
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    row = _get(session, institution, analysis_id)
    drawn = row.result.get("drawn", [])
    panels = max(1, len(drawn))
    fig = Figure(figsize=(5.0 * panels, 5.0))
    FigureCanvasAgg(fig)
    if not drawn:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, "no guarantee circles", ha="center", va="center")
        ax.set_axis_off()
    for i, circle in enumerate(drawn, start=1):
        ax = fig.add_subplot(1, panels, i)
        g = nx.DiGraph()
        shown = set(circle["firms"])
        for u, v, amount in circle["edges"]:
            if u in shown and v in shown:
                g.add_edge(u, v, amount=amount)
        pos = nx.circular_layout(g)
        amounts = [int(d["amount"]) for _, _, d in g.edges(data=True)]
        top = max(amounts, default=1) or 1
        widths = [0.5 + 3.0 * a / top for a in amounts]
        nx.draw_networkx(g, pos, ax=ax, node_color="#f4a261", node_size=500, font_size=7, width=widths, arrowsize=12)
        total = sum(a for *_, a in circle["edges"])
        ax.set_title(f"circle {circle['circle_id']}: {len(circle['firms'])} firms, {total / 100:,.0f} guaranteed")
        ax.set_axis_off()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()
