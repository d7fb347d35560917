"""Schemas and feature encoding shared by every model: one description of a tabular data set.

A :class:`Schema` declares the target, the type of each feature (numeric, ordinal with its ordered
levels, categorical), the columns that are **unavailable at valuation time** (list price, assessed
value, a lender's own grade...), optional anchors for the income approach (a rent column) and the cost
approach (cost columns), and an optional date column for time splits. A date column holding calendar
dates (ISO 8601 text such as ``2010-05-01``, or datetimes) becomes three numeric features — year,
month, and age in days before the latest training date (``date_reference``, kept in the schema, so
prediction measures age from the same day) — instead of one category per day; see
:meth:`Schema.with_date_features` and :func:`out_of_time_splits` for evaluation that trains on the
past and tests on the later period. The leakage guard lives here:
a schema that offers the target or an unavailable column as a feature is refused with
:class:`~analytics.LeakageError`, and :meth:`Schema.infer` never picks such columns.

:class:`FeatureEncoder` learns, from training rows only, what each model family needs: a frame for
gradient boosting (floats, ordinal codes, pandas categoricals with fixed categories) and a dense
standardised design matrix for linear models (log1p of skewed non-negative columns, median
imputation with missing indicators, one-hot of frequent categories), plus the map from each design
column back to its feature so contributions can be reported per feature.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import SplineTransformer

from analytics._exceptions import DateColumnError, LeakageError, NotFittedError, SchemaError

__all__ = [
    "DATE_PARTS",
    "FeatureEncoder",
    "Schema",
    "add_date_features",
    "date_feature_names",
    "frame_digest",
    "out_of_time_splits",
    "parse_dates",
    "period_of",
    "stable_digest",
    "time_split",
    "time_values",
]

logger = logging.getLogger(__name__)

_MISSING = "<missing>"
Label = str | int | bool


def _as_tuple(values: Iterable[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(values)


@dataclass(frozen=True)
class Schema:
    """What a tabular data set holds and which columns a model may use.

    ``numeric``, ``ordinal`` (column -> levels from worst/lowest to best/highest) and ``categorical``
    are the features. ``unavailable`` lists columns that must never be features because they are not
    known when a valuation or score is made. ``rent_feature`` (income approach) and ``cost_features``
    (cost approach, summed) must be numeric features, in the target's currency unit.
    ``positive_label`` is the value of ``target`` that means "default" for risk models.
    ``date_reference`` (ISO date, set by :meth:`with_date_features`): ``date_column`` holds calendar
    dates and its year, month and age in days before this date are the numeric features
    :func:`date_feature_names`; the date column itself is then an input but not a feature.
    """

    target: str
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    ordinal: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unavailable: tuple[str, ...] = ()
    rent_feature: str | None = None
    cost_features: tuple[str, ...] = ()
    date_column: str | None = None
    positive_label: Label | None = None
    name: str = "dataset"
    date_reference: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "numeric", _as_tuple(self.numeric))
        object.__setattr__(self, "categorical", _as_tuple(self.categorical))
        object.__setattr__(self, "unavailable", _as_tuple(self.unavailable))
        object.__setattr__(self, "cost_features", _as_tuple(self.cost_features))
        object.__setattr__(self, "ordinal", {str(k): tuple(str(v) for v in lv) for k, lv in self.ordinal.items()})
        if not self.target:
            raise SchemaError("schema.target is empty: name the column to predict")
        features = self.features
        if not features:
            raise SchemaError(f"schema {self.name!r} declares no features")
        dupes = sorted({f for f in features if features.count(f) > 1})
        if dupes:
            raise SchemaError(f"features declared more than once (numeric/ordinal/categorical): {dupes}")
        if self.target in features:
            raise LeakageError(f"the target {self.target!r} is also declared as a feature; remove it from the features")
        leaked = [f for f in features if f in set(self.unavailable)]
        if leaked:
            raise LeakageError(
                f"features {leaked} are marked unavailable at valuation time and are refused "
                "(they would leak information the model cannot have); remove them from the features"
            )
        for col, levels in self.ordinal.items():
            if not levels or len(set(levels)) != len(levels):
                raise SchemaError(f"ordinal feature {col!r} needs distinct levels, got {list(levels)}")
        anchors = ([self.rent_feature] if self.rent_feature else []) + list(self.cost_features)
        not_numeric = [a for a in anchors if a not in self.numeric]
        if not_numeric:
            raise SchemaError(f"rent/cost features {not_numeric} must be declared as numeric features")
        if self.date_reference is not None:
            if self.date_column is None:
                raise SchemaError("date_reference needs a date_column")
            lacking = [c for c in date_feature_names(self.date_column) if c not in self.numeric]
            if lacking or self.date_column in features:
                raise SchemaError(
                    f"a parsed date column {self.date_column!r} is an input, not a feature; "
                    f"its features {list(date_feature_names(self.date_column))} must be numeric"
                )

    @property
    def features(self) -> tuple[str, ...]:
        """Every feature, in the fixed order numeric, ordinal, categorical."""
        return (*self.numeric, *self.ordinal, *self.categorical)

    @property
    def date_features(self) -> tuple[str, ...]:
        """The features derived from a parsed date column (none without ``date_reference``)."""
        if self.date_reference is None or self.date_column is None:
            return ()
        return date_feature_names(self.date_column)

    @property
    def input_columns(self) -> tuple[str, ...]:
        """The columns a frame must hold to be predicted: the features, a parsed date in place of its parts."""
        derived = set(self.date_features)
        columns = tuple(f for f in self.features if f not in derived)
        return (*columns, self.date_column) if derived and self.date_column is not None else columns

    def with_date_features(self, frame: pd.DataFrame) -> Schema:
        """This schema with ``date_column`` parsed as calendar dates: year, month and age become features.

        The age is counted in days before the latest date of ``frame`` (the training data), which is
        recorded as ``date_reference``. Raises :class:`DateColumnError` when the column is missing,
        holds something other than dates, or has rows without a date.
        """
        if self.date_column is None:
            raise DateColumnError("no date column named: set date_column first")
        column = self.date_column
        when = parse_dates(frame, column)
        if frame[column].notna().sum() == 0:
            raise DateColumnError(f"date column {column!r} is empty: it holds no date")
        empty = int(when.isna().sum())
        if empty:
            raise DateColumnError(
                f"date column {column!r} has {empty} row(s) without a date; fill or drop them before training on time"
            )
        derived = date_feature_names(column)
        return replace(
            self,
            numeric=(*(c for c in self.numeric if c != column and c not in derived), *derived),
            categorical=tuple(c for c in self.categorical if c != column),
            ordinal={k: v for k, v in self.ordinal.items() if k != column},
            date_reference=when.max().date().isoformat(),
        )

    @property
    def feature_types(self) -> dict[str, str]:
        types = dict.fromkeys(self.numeric, "numeric")
        types.update(dict.fromkeys(self.ordinal, "ordinal"))
        types.update(dict.fromkeys(self.categorical, "categorical"))
        return types

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (used in model versions and model cards)."""
        return {
            "name": self.name,
            "target": self.target,
            "numeric": list(self.numeric),
            "ordinal": {k: list(v) for k, v in self.ordinal.items()},
            "categorical": list(self.categorical),
            "unavailable": list(self.unavailable),
            "rent_feature": self.rent_feature,
            "cost_features": list(self.cost_features),
            "date_column": self.date_column,
            "positive_label": self.positive_label,
        } | ({"date_reference": self.date_reference} if self.date_reference is not None else {})

    def without(self, columns: Iterable[str], *, name: str | None = None) -> Schema:
        """The same schema with ``columns`` moved from the features to ``unavailable``."""
        drop = set(columns)
        return Schema(
            target=self.target,
            numeric=tuple(c for c in self.numeric if c not in drop),
            categorical=tuple(c for c in self.categorical if c not in drop),
            ordinal={k: v for k, v in self.ordinal.items() if k not in drop},
            unavailable=(*self.unavailable, *sorted(drop - set(self.unavailable))),
            rent_feature=self.rent_feature if self.rent_feature not in drop else None,
            cost_features=tuple(c for c in self.cost_features if c not in drop),
            date_column=self.date_column,
            positive_label=self.positive_label,
            name=name or self.name,
            date_reference=self.date_reference,
        )

    @classmethod
    def infer(
        cls,
        frame: pd.DataFrame,
        target: str,
        *,
        unavailable: Iterable[str] = (),
        exclude: Iterable[str] = (),
        ordinal: Mapping[str, Sequence[str]] | None = None,
        rent_feature: str | None = None,
        cost_features: Iterable[str] = (),
        date_column: str | None = None,
        positive_label: Label | None = None,
        name: str = "dataset",
    ) -> Schema:
        """Declare every column but the target, ``unavailable`` and ``exclude`` (ids) as a feature.

        Numeric and boolean dtypes become numeric features, columns named in ``ordinal`` become
        ordinal, everything else categorical.
        """
        if target not in frame.columns:
            raise SchemaError(f"target column {target!r} is not in the frame")
        levels: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (ordinal or {}).items()}
        skip = {target, *unavailable, *exclude}
        numeric: list[str] = []
        categorical: list[str] = []
        for col in frame.columns:
            col = str(col)
            if col in skip or col in levels:
                continue
            dtype = frame[col].dtype
            if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
                numeric.append(col)
            else:
                categorical.append(col)
        return cls(
            target=target,
            numeric=tuple(numeric),
            categorical=tuple(categorical),
            ordinal={k: v for k, v in levels.items() if k not in skip},
            unavailable=tuple(unavailable),
            rent_feature=rent_feature,
            cost_features=tuple(cost_features),
            date_column=date_column,
            positive_label=positive_label,
            name=name,
        )

    def check_frame(self, frame: pd.DataFrame, *, need_target: bool) -> None:
        """Refuse a frame that lacks a declared column (the target only when ``need_target``)."""
        if self.date_features and self.date_column not in frame.columns:
            raise DateColumnError(
                f"frame lacks the date column {self.date_column!r} the model was trained with (ISO dates)"
            )
        derived = set(self.date_features)
        needed = [f for f in self.features if f not in derived] + ([self.target] if need_target else [])
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            shown = ", ".join(repr(c) for c in missing[:8]) + (" ..." if len(missing) > 8 else "")
            raise SchemaError(f"frame lacks {len(missing)} column(s) the schema declares: {shown}")
        if len(frame) == 0:
            raise SchemaError("frame has no rows")


def _categorical_values(series: pd.Series) -> np.ndarray:
    """Category labels as an object array of ``str``, missing values as the ``<missing>`` token."""
    as_object = series.astype(object)
    out: np.ndarray = as_object.astype(str).to_numpy(dtype=object)
    out[as_object.isna().to_numpy()] = _MISSING
    return out


def _codes(raw: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """Position of each label in ``categories``; -1 for unknown labels and ``<missing>``."""
    return np.asarray(pd.Index(list(categories), dtype=object).get_indexer(raw), dtype=np.int64)


def _numeric_values(series: pd.Series, column: str) -> np.ndarray:
    try:
        return np.asarray(pd.to_numeric(series, errors="raise"), dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"column {column!r} is declared numeric but holds non-numeric values: {exc}") from exc


@dataclass
class _NumericSpec:
    median: float
    log: bool
    mean: float
    scale: float
    indicator: bool
    spline: SplineTransformer | None = None
    spline_mean: np.ndarray | None = None
    spline_scale: np.ndarray | None = None


class FeatureEncoder:
    """Learns feature encodings from training rows and applies them to any rows with the same columns."""

    def __init__(self, schema: Schema, *, min_category_count: int = 5, spline_knots: int = 5) -> None:
        self.schema = schema
        self.min_category_count = min_category_count
        self.spline_knots = spline_knots
        self._numeric: dict[str, _NumericSpec] = {}
        self._categories: dict[str, list[str]] = {}
        self._frequent: dict[str, list[str]] = {}
        self.linear_columns: list[str] = []
        self.linear_owner: np.ndarray = np.zeros(0, dtype=np.int64)
        self.tree_columns: list[str] = [f"f{i}" for i in range(len(schema.features))]
        self.fitted = False

    # --- raw columns -------------------------------------------------------------------------

    def numeric_column(self, frame: pd.DataFrame, column: str) -> np.ndarray:
        """A numeric or ordinal feature as float64 (ordinal levels as codes 0..k-1, unknown -> NaN)."""
        if column in self.schema.ordinal:
            raw = _categorical_values(frame[column])
            codes = _codes(raw, self.schema.ordinal[column]).astype(np.float64)
            codes[codes < 0] = np.nan
            return codes
        return _numeric_values(frame[column], column)

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, frame: pd.DataFrame) -> FeatureEncoder:
        schema = self.schema
        schema.check_frame(frame, need_target=False)
        frame = add_date_features(frame, schema)
        for col, levels in schema.ordinal.items():
            raw = _categorical_values(frame[col])
            unknown = sorted({v for v in raw if v != _MISSING and v not in set(levels)})
            if unknown:
                raise SchemaError(
                    f"ordinal feature {col!r} holds values outside its levels {list(levels)}: {unknown[:5]}"
                )
        columns: list[str] = []
        owner: list[int] = []
        for j, col in enumerate(schema.features):
            if col in schema.categorical:
                raw = _categorical_values(frame[col])
                uniq, counts = np.unique(raw.astype(str), return_counts=True)
                self._categories[col] = [str(u) for u in uniq if u != _MISSING]
                frequent = [str(u) for u, n in zip(uniq, counts, strict=True) if n >= self.min_category_count]
                self._frequent[col] = frequent
                columns.extend(f"{col}={u}" for u in frequent)
                owner.extend([j] * len(frequent))
                continue
            x = self.numeric_column(frame, col)
            finite = x[np.isfinite(x)]
            median = float(np.median(finite)) if finite.size else 0.0
            log = bool(
                col in schema.numeric and finite.size > 2 and finite.min() >= 0 and pd.Series(finite).skew() > 1.0
            )
            filled = np.where(np.isfinite(x), x, median)
            t = np.log1p(filled) if log else filled
            scale = float(t.std()) or 1.0
            spec = _NumericSpec(
                median=median, log=log, mean=float(t.mean()), scale=scale, indicator=finite.size < len(x)
            )
            self._numeric[col] = spec
            columns.append(col)
            owner.append(j)
            if spec.indicator:
                columns.append(f"{col}:missing")
                owner.append(j)
            if self.spline_knots >= 2 and len(np.unique(t)) > 2 * self.spline_knots:
                z = ((t - spec.mean) / spec.scale)[:, None]
                spec.spline = SplineTransformer(
                    n_knots=self.spline_knots, degree=3, knots="quantile", extrapolation="linear"
                ).fit(z)
                basis = spec.spline.transform(z)
                spec.spline_mean, spec.spline_scale = basis.mean(axis=0), basis.std(axis=0) + 1e-9
                columns.extend(f"{col}:spline{i}" for i in range(basis.shape[1]))
                owner.extend([j] * basis.shape[1])
        self.linear_columns = columns
        self.linear_owner = np.asarray(owner, dtype=np.int64)
        self.fitted = True
        return self

    # --- transforms --------------------------------------------------------------------------

    def tree_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Columns ``f0..fk`` in feature order: floats, ordinal codes, categoricals with fixed categories."""
        self._require_fitted()
        self.schema.check_frame(frame, need_target=False)
        frame = add_date_features(frame, self.schema)
        data: dict[str, Any] = {}
        for name, col in zip(self.tree_columns, self.schema.features, strict=True):
            if col in self.schema.categorical:
                categories = self._categories[col]
                codes = _codes(_categorical_values(frame[col]), categories)
                data[name] = pd.Categorical.from_codes(codes, categories=categories)
            else:
                data[name] = self.numeric_column(frame, col)
        return pd.DataFrame(data, index=pd.RangeIndex(len(frame)))

    def linear_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Dense standardised design matrix; column ``i`` belongs to feature ``linear_owner[i]``."""
        self._require_fitted()
        self.schema.check_frame(frame, need_target=False)
        frame = add_date_features(frame, self.schema)
        blocks: list[np.ndarray] = []
        for col in self.schema.features:
            if col in self.schema.categorical:
                raw = _categorical_values(frame[col])
                frequent = self._frequent[col]
                if frequent:
                    codes = _codes(raw, frequent)
                    block = np.zeros((len(raw), len(frequent)))
                    hit = np.flatnonzero(codes >= 0)
                    block[hit, codes[hit]] = 1.0
                    blocks.append(block)
                continue
            spec = self._numeric[col]
            x = self.numeric_column(frame, col)
            missing = ~np.isfinite(x)
            filled = np.where(missing, spec.median, x)
            if spec.log:
                filled = np.log1p(np.clip(filled, 0.0, None))
            z = ((filled - spec.mean) / spec.scale)[:, None]
            blocks.append(z)
            if spec.indicator:
                blocks.append(missing.astype(np.float64)[:, None])
            if spec.spline is not None:
                blocks.append((spec.spline.transform(z) - spec.spline_mean) / spec.spline_scale)
        return np.hstack(blocks) if blocks else np.zeros((len(frame), 0))

    def _require_fitted(self) -> None:
        if not self.fitted:
            raise NotFittedError("FeatureEncoder.fit must run before transforming rows")


DATE_PARTS = ("year", "month", "age_days")


def date_feature_names(column: str) -> tuple[str, ...]:
    """The numeric features made of a date column: ``COL:year``, ``COL:month``, ``COL:age_days``."""
    return tuple(f"{column}:{part}" for part in DATE_PARTS)


def _close(name: str, columns: Iterable[Any]) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in columns], n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "no column is close"


def parse_dates(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as timezone-naive datetimes (``NaT`` where empty).

    Accepts datetimes and ISO 8601 text (``2010-05-01``, ``2010-05``, ``2010-05-01T12:00``). Raises
    :class:`DateColumnError` naming the column when it is missing (with close matches), numeric (a
    bare year is not a date) or holds text that is not an ISO date (with examples).
    """
    if column not in frame.columns:
        raise DateColumnError(f"date column {column!r} is not a column ({_close(column, frame.columns)})")
    col = frame[column]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        tz = getattr(col.dt, "tz", None)
        return col.dt.tz_convert(None) if tz is not None else col
    present = col.dropna()
    if len(present) == 0:  # no date given (e.g. a valuation asked for without one): missing date features
        return pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        raise DateColumnError(
            f"date column {column!r} holds numbers (e.g. {present.iloc[0]}), not dates: "
            "give ISO dates such as 2010-05-01"
        )
    text = col.astype(object).where(col.notna(), None)
    is_iso = present.astype(str).str.match(r"^\d{4}-\d{2}(-\d{2})?([T ].*)?$")
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = present[~is_iso.to_numpy() | parsed[present.index].isna().to_numpy()]
    if len(bad):
        shown = ", ".join(repr(str(v)) for v in bad.unique()[:3])
        raise DateColumnError(
            f"date column {column!r} holds {len(bad)} value(s) that are not ISO dates (YYYY-MM-DD), e.g. {shown}"
        )
    return parsed.dt.tz_convert(None)


def add_date_features(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """``frame`` with the year, month and age (days before ``schema.date_reference``) of its date column.

    Unchanged when the schema parses no date. Rows without a date get missing date features.
    """
    if schema.date_reference is None or schema.date_column is None:
        return frame
    when = parse_dates(frame, schema.date_column)
    year, month, age = date_feature_names(schema.date_column)
    reference = pd.Timestamp(schema.date_reference)
    out = frame.copy(deep=False)
    out[year] = when.dt.year.astype(np.float64)
    out[month] = when.dt.month.astype(np.float64)
    out[age] = (reference - when).dt.days.astype(np.float64)
    return out


def time_values(frame: pd.DataFrame, schema: Schema) -> np.ndarray | None:
    """The date of each row as a float in years (a numeric date column as is); ``None`` without one.

    ``None`` also when the column is missing or any row has no usable date.
    """
    if schema.date_column is None or schema.date_column not in frame.columns:
        return None
    col = frame[schema.date_column]
    if schema.date_reference is not None or pd.api.types.is_datetime64_any_dtype(col.dtype):
        try:
            when = parse_dates(frame, schema.date_column)
        except DateColumnError:
            return None
        days = (when - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86_400.0
        values = np.asarray(days, dtype=np.float64) / 365.25
    else:
        values = np.asarray(pd.to_numeric(col, errors="coerce"), dtype=np.float64)
    return values if bool(np.all(np.isfinite(values))) else None


def out_of_time_splits(
    when: np.ndarray, *, folds: int = 1, test_share: float = 0.2, min_train: int = 20
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Out-of-time evaluation: the latest ``test_share`` of rows, in ``folds`` consecutive slices.

    Each slice is tested on a model trained on every row dated before it (rolling origin), so every
    test row is dated strictly after every training row of its fold; rows sharing a date stay on
    one side. Raises :class:`DateColumnError` when the dates cannot be cut that way.
    """
    when = np.asarray(when, dtype=np.float64)
    if folds < 1:
        raise SchemaError(f"time folds must be at least 1, got {folds}")
    if not 0.0 < test_share < 1.0:
        raise SchemaError(f"test_share must be in (0, 1), got {test_share}")
    if len(when) == 0 or not bool(np.all(np.isfinite(when))):
        raise DateColumnError("out-of-time evaluation needs a date on every row")
    start = float(np.quantile(when, 1.0 - test_share, method="higher"))
    if start <= float(when.min()):
        raise DateColumnError("out-of-time evaluation needs more than one date: every row has the same date")
    in_test = when[when >= start]
    cuts = [start, *np.quantile(in_test, np.arange(1, folds) / folds, method="higher").tolist()]
    bounds = [*sorted(set(cuts)), math.inf]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        train, test = np.flatnonzero(when < lo), np.flatnonzero((when >= lo) & (when < hi))
        if len(test) and len(train) >= min_train:
            out.append((train, test))
    if not out:
        raise DateColumnError(
            f"out-of-time evaluation needs at least {min_train} rows dated before the latest {test_share:.0%}"
        )
    return out


def period_of(frame: pd.DataFrame, schema: Schema, rows: np.ndarray | None = None) -> str:
    """``first to last`` date of ``rows`` of ``frame`` (ISO dates, or the numeric date as is)."""
    if schema.date_column is None or schema.date_column not in frame.columns:
        return "no date"
    col = frame[schema.date_column] if rows is None else frame[schema.date_column].iloc[rows]
    if schema.date_reference is not None or not pd.api.types.is_numeric_dtype(col.dtype):
        when = parse_dates(col.to_frame(), schema.date_column).dropna()
        return f"{when.min().date().isoformat()} to {when.max().date().isoformat()}" if len(when) else "no date"
    return f"{col.min()} to {col.max()}"


def time_split(frame: pd.DataFrame, schema: Schema, *, test_from: Any) -> tuple[np.ndarray, np.ndarray]:
    """Row positions before ``test_from`` (train) and from it on (test), by ``schema.date_column``."""
    if schema.date_column is None:
        raise SchemaError(f"schema {schema.name!r} declares no date_column, so it cannot be split by time")
    if schema.date_column not in frame.columns:
        raise SchemaError(f"date column {schema.date_column!r} is not in the frame")
    when = frame[schema.date_column].to_numpy()
    test = np.asarray(when >= test_from, dtype=bool)
    train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
    if train_idx.size == 0 or test_idx.size == 0:
        raise SchemaError(f"time split at {test_from!r} leaves {train_idx.size} training and {test_idx.size} test rows")
    return train_idx, test_idx


def stable_digest(payload: Any) -> str:
    """SHA-256 hex of the canonical JSON of ``payload`` (sorted keys, no whitespace)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frame_digest(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """SHA-256 hex of the values of ``columns`` (in that order); the same data always gives the same digest."""
    h = hashlib.sha256()
    for col in columns:
        series = frame[col]
        if not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)):
            series = pd.Series(_categorical_values(series), dtype=object)
        h.update(col.encode("utf-8"))
        h.update(pd.util.hash_pandas_object(series, index=False).to_numpy().tobytes())
    return h.hexdigest()
