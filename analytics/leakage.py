"""Checks on the columns of a training table before any model sees them.

* :func:`unknown_columns` — names a user gave (``--unavailable``, ``--exclude``, ``--allow-column``)
  that are not columns, each with its close matches, so a typo cannot silently let a withheld column in.
* :func:`near_target_columns` — features that alone explain the target almost perfectly (a copy of the
  price, the price per unit area times the area, the recorded loan outcome): for a numeric target the R²
  of log target on (log) column above ``r2_max`` or a ratio target/column with a coefficient of
  variation below ``ratio_cv_min``; for a 0/1 target a single-feature AUC above ``auc_max`` (missing
  values count as a value, so "filled in only for defaults" is caught; categories are scored by their
  positive rate).
* :func:`id_columns` — integer or string columns whose every value is distinct (row ids).
* :func:`protected_columns` — columns whose names look like protected attributes (sex, age, ...).
* :func:`sensitive_group_metrics` — per-group AUC, approval rate and calibration gap of a credit model.
* :func:`drop_features` — a schema without some features (not marked unavailable: they are simply unused).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analytics.features import Schema

__all__ = [
    "LeakFinding",
    "allowed_statistics",
    "drop_features",
    "id_columns",
    "near_target_columns",
    "protected_columns",
    "sensitive_group_metrics",
    "target_labels",
    "unknown_columns",
]

#: near-target thresholds; a finding is a real leak until the user says otherwise (``--allow-column``)
R2_MAX = 0.9
RATIO_CV_MIN = 0.05
AUC_MAX = 0.98
#: fewer rows than this and a column of distinct values is not evidence of an id
MIN_ID_ROWS = 20
#: categories rarer than this are pooled before scoring a categorical column against a 0/1 target
MIN_CATEGORY_ROWS = 10

_PROTECTED: dict[str, tuple[str, ...]] = {
    "sex": ("sex", "gender", "male", "female"),
    "age": ("age", "birth", "birthdate", "dob"),
    "marital status": ("marital", "married", "marriage", "spouse"),
    "nationality": ("nationality", "national", "foreign", "foreigner", "citizenship", "citizen", "immigrant"),
    "race": ("race", "racial", "ethnicity", "ethnic", "colour", "color"),
    "religion": ("religion", "religious", "faith"),
}


def unknown_columns(names: Iterable[str], columns: Iterable[object], *, n: int = 3) -> dict[str, list[str]]:
    """Each of ``names`` that is not one of ``columns``, mapped to its close matches (best first)."""
    cols = [str(c) for c in columns]
    present = set(cols)
    lowered = {c.lower(): c for c in cols}
    out: dict[str, list[str]] = {}
    for name in names:
        if name in present or name in out:
            continue
        close = difflib.get_close_matches(name, cols, n=n, cutoff=0.6)
        by_case = lowered.get(name.lower())
        if by_case is not None and by_case not in close:
            close.insert(0, by_case)
        if not close:  # "Sub grade" vs "sub_grade": compare case-folded
            folded = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
            close = [lowered[f] for f in folded]
        out[name] = close[:n]
    return out


def _words(name: str) -> list[str]:
    """``MaritalStatus``, ``marital.status``, ``personal_status_and_sex`` -> lower-case words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", spaced.lower()) if w]


def protected_columns(columns: Iterable[object]) -> dict[str, str]:
    """Columns whose names look like a protected attribute, mapped to the attribute (``sex``, ``age`` ...).

    Whole words only: ``age`` and ``applicant_age`` match, ``Garage.Area`` and ``mortgage`` do not.
    """
    found: dict[str, str] = {}
    for col in map(str, columns):
        words = set(_words(col))
        for attribute, stems in _PROTECTED.items():
            if words & set(stems):
                found[col] = attribute
                break
    return found


def id_columns(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[str]:
    """Integer or string columns whose values are all present and distinct: row ids, not features.

    Float columns (areas, incomes) are often all distinct without being ids, so they are never reported.
    """
    if len(frame) < MIN_ID_ROWS:
        return []
    out: list[str] = []
    for col in columns if columns is not None else map(str, frame.columns):
        series = frame[col]
        dtype = series.dtype
        integer = pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        text = pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
        if (integer or text) and not series.isna().any() and series.nunique() == len(series):
            out.append(col)
    return out


@dataclass(frozen=True)
class LeakFinding:
    """A feature that alone explains the target: which statistic said so, its value and the threshold."""

    column: str
    statistic: str
    value: float
    threshold: float
    detail: str = ""

    def describe(self) -> str:
        """``price_per_m2: R² of log target on log column 0.998 > 0.9``."""
        op = "<" if self.statistic == "ratio cv" else ">"
        stat = {
            "r2": "R² of log target on the column",
            "ratio cv": "coefficient of variation of target/column",
            "auc": "single-feature AUC",
        }.get(self.statistic, self.statistic)
        more = f" ({self.detail})" if self.detail else ""
        return f"{self.column}: {stat} {self.value:.4f} {op} {self.threshold:g}{more}"


def _r2(y: np.ndarray, x: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 10:
        return 0.0
    xs, ys = x[ok], y[ok]
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return 0.0
    r = float(np.corrcoef(xs, ys)[0, 1])
    return r * r if np.isfinite(r) else 0.0


def _raw_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney AUC of ``score`` for the 0/1 labels ``y`` (NaN when a class is absent)."""
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return (float(ranks[y == 1].sum()) - pos * (pos + 1) / 2) / (pos * neg)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """AUC in either direction, in [0.5, 1] (0.5 when a class is absent)."""
    auc = _raw_auc(y, score)
    return 0.5 if np.isnan(auc) else max(auc, 1.0 - auc)


def _column_values(frame: pd.DataFrame, schema: Schema, col: str) -> np.ndarray | None:
    """A numeric or ordinal feature as float64 (ordinal levels as codes, unknown -> NaN); None for categoricals."""
    if col in schema.ordinal:
        codes = np.asarray(pd.Index(list(schema.ordinal[col])).get_indexer(frame[col].astype(object).astype(str)))
        out: np.ndarray = codes.astype(np.float64)
        out[codes < 0] = np.nan
        return out
    if col in schema.numeric:
        return np.asarray(pd.to_numeric(frame[col], errors="coerce"), dtype=np.float64)
    return None


def _numeric_target_finding(
    col: str, x: np.ndarray, y: np.ndarray, *, r2_max: float, ratio_cv_min: float
) -> LeakFinding | None:
    finite = x[np.isfinite(x)]
    if finite.size < 10 or np.isfinite(y).sum() < 10:
        return None
    ty = np.log(y) if np.nanmin(y) > 0 else y
    candidates = [_r2(ty, x), _r2(y, x)]
    if finite.min() > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            candidates.append(_r2(ty, np.log(x)))
    elif finite.min() >= 0:
        candidates.append(_r2(ty, np.log1p(x)))
    r2 = max(candidates)
    if r2 > r2_max:
        return LeakFinding(col, "r2", r2, r2_max)
    ok = np.isfinite(x) & np.isfinite(y) & (x != 0)
    if ok.sum() >= max(10, len(y) // 2):  # a ratio on a few non-zero rows says nothing
        ratio = y[ok] / x[ok]
        mean = float(np.mean(ratio))
        if mean != 0:
            cv = float(np.std(ratio) / abs(mean))
            if cv < ratio_cv_min:
                return LeakFinding(col, "ratio cv", cv, ratio_cv_min, f"target ≈ {mean:.4g} × column")
    return None


def _binary_finding(
    col: str, series: pd.Series, x: np.ndarray | None, y: np.ndarray, *, auc_max: float
) -> LeakFinding | None:
    if x is not None:
        missing = ~np.isfinite(x)
        if missing.all():
            return None
        # missing values as a value of their own, below and above every other value
        low = np.where(missing, -np.inf, x)
        high = np.where(missing, np.inf, x)
        auc = max(_auc(y, low), _auc(y, high))
        return LeakFinding(col, "auc", auc, auc_max) if auc > auc_max else None
    labels = series.astype(object).where(series.notna(), "<missing>").astype(str)
    counts = labels.value_counts()
    pooled = labels.where(labels.map(counts) >= MIN_CATEGORY_ROWS, "<rare>")
    rate = pd.Series(y, index=labels.index).groupby(pooled).mean()
    auc = _auc(y, pooled.map(rate).to_numpy(dtype=np.float64))
    if auc <= auc_max:
        return None
    share = pd.Series(y, index=labels.index).groupby(pooled).sum() / max(1, int(y.sum()))
    top = str(share.idxmax())
    detail = f"value {top!r} holds {share.max():.0%} of the positives at a positive rate of {rate[top]:.0%}"
    return LeakFinding(col, "auc", auc, auc_max, detail)


def near_target_columns(
    frame: pd.DataFrame,
    schema: Schema,
    labels: np.ndarray | None = None,
    *,
    r2_max: float = R2_MAX,
    ratio_cv_min: float = RATIO_CV_MIN,
    auc_max: float = AUC_MAX,
) -> list[LeakFinding]:
    """Features of ``schema`` that alone explain the target almost perfectly, in feature order.

    ``labels`` (0/1, one per row) marks a credit target; without it the target column is numeric and the
    R² and ratio tests apply.
    """
    findings: list[LeakFinding] = []
    if labels is not None:
        y = np.asarray(labels, dtype=np.int64)
    else:
        y = np.asarray(pd.to_numeric(frame[schema.target], errors="coerce"), dtype=np.float64)
    for col in schema.features:
        x = _column_values(frame, schema, col)
        if labels is not None:
            finding = _binary_finding(col, frame[col], x, y, auc_max=auc_max)
        elif x is not None:
            finding = _numeric_target_finding(col, x, y, r2_max=r2_max, ratio_cv_min=ratio_cv_min)
        else:
            finding = None
        if finding is not None:
            findings.append(finding)
    return findings


def target_labels(frame: pd.DataFrame, schema: Schema) -> np.ndarray | None:
    """0/1 labels (1 where the target equals ``schema.positive_label``); None for a numeric target."""
    if schema.positive_label is None:
        return None
    return np.asarray((frame[schema.target] == schema.positive_label).to_numpy(dtype=np.int64))


def drop_features(schema: Schema, columns: Iterable[str]) -> Schema:
    """``schema`` without the features ``columns`` (they become unused, not "unavailable at valuation time")."""
    drop = set(columns)
    return replace(
        schema,
        numeric=tuple(c for c in schema.numeric if c not in drop),
        categorical=tuple(c for c in schema.categorical if c not in drop),
        ordinal={k: v for k, v in schema.ordinal.items() if k not in drop},
        rent_feature=schema.rent_feature if schema.rent_feature not in drop else None,
        cost_features=tuple(c for c in schema.cost_features if c not in drop),
    )


def _groups(series: pd.Series, *, bins: int = 4) -> pd.Series:
    """Group labels: numeric columns with many values by quartile, others by value (missing as a group)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and series.nunique() > 2 * bins:
        cut = pd.qcut(series, bins, duplicates="drop")
        return cut.astype(str).where(series.notna(), "<missing>")
    return series.astype(object).where(series.notna(), "<missing>").astype(str)


def sensitive_group_metrics(
    frame: pd.DataFrame,
    columns: Sequence[str],
    y: np.ndarray,
    probability: np.ndarray,
    *,
    min_rows: int = MIN_CATEGORY_ROWS,
) -> dict[str, dict[str, dict[str, float]]]:
    """Per column and group: rows, default rate, AUC, approval rate, calibration gap of held-out predictions.

    A loan is approved when its predicted default probability is below the threshold that declines as
    many loans overall as the base rate says will default (the ``1 - base rate`` quantile). The calibration
    gap is mean predicted probability minus observed default rate. AUC is NaN in a one-class group.
    """
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(probability, dtype=np.float64)
    threshold = float(np.quantile(p, 1.0 - float(y.mean())))
    approved = p < threshold
    out: dict[str, dict[str, dict[str, float]]] = {}
    for col in columns:
        groups = _groups(frame[col].reset_index(drop=True))
        per: dict[str, dict[str, float]] = {}
        for name in sorted(groups.unique()):
            mask = (groups == name).to_numpy()
            n = int(mask.sum())
            if n < min_rows:
                continue
            yg, pg = y[mask], p[mask]
            per[str(name)] = {
                "rows": float(n),
                "default_rate": float(yg.mean()),
                "auc": _raw_auc(yg, pg),
                "approval_rate": float(approved[mask].mean()),
                "calibration_gap": float(pg.mean() - yg.mean()),
            }
        out[col] = per
    return out


def allowed_statistics(findings: Sequence[LeakFinding], allowed: Iterable[str]) -> Mapping[str, str]:
    """For the card: each allowed column and the statistic that flagged it (or "not flagged")."""
    by_col = {f.column: f.describe() for f in findings}
    return {col: by_col.get(col, f"{col}: not flagged") for col in allowed}
