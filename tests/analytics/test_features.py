"""Schema validation, the leakage guard, feature encoding and time splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import FeatureEncoder, LeakageError, Schema, SchemaError, frame_digest, time_split
from tests.analytics.conftest import HOUSE_SCHEMA, make_houses


def test_schema_refuses_feature_marked_unavailable() -> None:
    with pytest.raises(LeakageError, match=r"listing_price.*unavailable at valuation time"):
        Schema(target="price", numeric=("floor_area", "listing_price"), unavailable=("listing_price",))


def test_schema_refuses_target_as_feature() -> None:
    with pytest.raises(LeakageError, match="target 'price' is also declared as a feature"):
        Schema(target="price", numeric=("floor_area", "price"))


def test_leakage_error_is_a_schema_error_with_code() -> None:
    with pytest.raises(SchemaError) as info:
        Schema(target="y", categorical=("assessed_value",), unavailable=("assessed_value",))
    assert info.value.code == "ANA-002"
    assert info.value.http_status == 422


def test_infer_never_picks_unavailable_or_excluded_columns() -> None:
    frame = make_houses(50, seed=4)
    schema = Schema.infer(
        frame,
        "price",
        unavailable=["listing_price"],
        exclude=["rooms"],
        ordinal={"condition": ("poor", "fair", "good", "excellent")},
    )
    assert "listing_price" not in schema.features
    assert "rooms" not in schema.features
    assert "price" not in schema.features
    assert schema.feature_types["district"] == "categorical"
    assert schema.feature_types["condition"] == "ordinal"
    assert schema.feature_types["floor_area"] == "numeric"


def test_without_moves_columns_to_unavailable() -> None:
    reduced = HOUSE_SCHEMA.without(["district"])
    assert "district" not in reduced.features
    assert "district" in reduced.unavailable
    with pytest.raises(LeakageError):
        Schema(target="price", categorical=("district",), unavailable=reduced.unavailable)


def test_duplicate_and_anchor_declarations_are_refused() -> None:
    with pytest.raises(SchemaError, match="more than once"):
        Schema(target="y", numeric=("a",), categorical=("a",))
    with pytest.raises(SchemaError, match="must be declared as numeric"):
        Schema(target="y", numeric=("a",), rent_feature="rent")
    with pytest.raises(SchemaError, match="distinct levels"):
        Schema(target="y", ordinal={"q": ("lo", "lo")})


def test_frame_missing_declared_column_is_refused() -> None:
    frame = make_houses(30, seed=5).drop(columns=["district"])
    with pytest.raises(SchemaError, match="'district'"):
        FeatureEncoder(HOUSE_SCHEMA).fit(frame)


def test_ordinal_values_outside_levels_are_refused_at_fit() -> None:
    frame = make_houses(30, seed=5)
    frame.loc[0, "condition"] = "superb"
    with pytest.raises(SchemaError, match="superb"):
        FeatureEncoder(HOUSE_SCHEMA).fit(frame)


def test_encoder_handles_unseen_categories_and_missing_values() -> None:
    train = make_houses(200, seed=6)
    enc = FeatureEncoder(HOUSE_SCHEMA).fit(train)
    new = train.head(3).copy()
    new["district"] = ["harbour", None, "north"]
    new["age"] = [np.nan, 5.0, np.nan]
    tree = enc.tree_frame(new)
    lin = enc.linear_matrix(new)
    district = tree.iloc[:, HOUSE_SCHEMA.features.index("district")]
    assert district.isna().tolist() == [True, True, False]
    assert lin.shape == (3, len(enc.linear_columns))
    assert np.isfinite(lin).all()
    north = enc.linear_columns.index("district=north")
    assert lin[:, north].tolist() == [0.0, 0.0, 1.0]
    assert len(enc.linear_owner) == lin.shape[1]


def test_time_split_is_by_date_column() -> None:
    frame = make_houses(300, seed=7)
    train, test = time_split(frame, HOUSE_SCHEMA, test_from=2020)
    assert (frame["sale_year"].iloc[train] < 2020).all()
    assert (frame["sale_year"].iloc[test] >= 2020).all()
    assert len(train) + len(test) == len(frame)
    with pytest.raises(SchemaError, match="no date_column"):
        time_split(frame, Schema(target="price", numeric=("floor_area",)), test_from=2020)


def test_frame_digest_changes_with_any_value() -> None:
    frame = make_houses(40, seed=8)
    cols = ["floor_area", "district", "price"]
    same = frame_digest(frame.copy(), cols)
    assert frame_digest(frame, cols) == same
    changed = frame.copy()
    changed.loc[3, "district"] = "centre" if changed.loc[3, "district"] != "centre" else "north"
    assert frame_digest(changed, cols) != same
    assert frame_digest(pd.DataFrame({"a": [1, 2]}), ["a"]) != frame_digest(pd.DataFrame({"a": [2, 1]}), ["a"])
